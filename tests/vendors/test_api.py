"""The vendor API: onboarding, browsing, editing, the admin review and members."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus, VendorStatusEvent

pytestmark = pytest.mark.django_db

VENDORS = "/api/v1/vendors"
APPLICATION = {"name": "Praxis Dr. Müller", "category": "clinic", "timezone": "Europe/Berlin"}


def detail(vendor) -> str:
    return f"{VENDORS}/{vendor.pk}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [v["name"] for v in response.json()["results"]]


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


# --- onboarding -------------------------------------------------------------------------


def test_applying_creates_a_pending_vendor_with_the_caller_as_owner(user):
    client = authed(user)
    response = client.post(VENDORS, {**APPLICATION, "contact_email": "praxis@example.com"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["my_role"] == "owner"
    assert body["slug"] == "praxis-dr-muller"
    assert body["status_reason"] == ""
    assert set(body) == {
        "id",
        "name",
        "slug",
        "category",
        "timezone",
        "description",
        "contact_email",
        "status",
        "status_reason",
        "created_at",
        "my_role",
    }
    me = client.get("/api/v1/me").json()
    assert me["memberships"] == [{"vendor": body["id"], "vendor_name": "Praxis Dr. Müller", "role": "owner"}]


def test_two_vendors_with_the_same_name_get_different_slugs(user):
    client = authed(user)
    first = client.post(VENDORS, APPLICATION).json()["slug"]
    second = client.post(VENDORS, APPLICATION).json()["slug"]
    assert (first, second) == ("praxis-dr-muller", "praxis-dr-muller-2")


def test_an_applicant_cannot_choose_their_status(user):
    response = authed(user).post(VENDORS, {**APPLICATION, "status": "active"})
    assert response.json()["status"] == "pending"


def test_applying_requires_an_account(api_client):
    assert_problem(api_client.post(VENDORS, APPLICATION), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "CEST"),
        ("timezone", ""),
        ("name", ""),
        ("name", "n" * 121),
        ("category", "c" * 61),
        ("description", "d" * 5001),
        ("contact_email", "not-an-email"),
    ],
    ids=[
        "unknown-zone",
        "abbreviation",
        "empty-zone",
        "empty-name",
        "long-name",
        "long-category",
        "long-description",
        "bad-email",
    ],
)
def test_invalid_application_is_400_with_the_field_named(user, field, value):
    body = assert_problem(authed(user).post(VENDORS, {**APPLICATION, field: value}), 400, "validation_error")
    assert field in body["errors"]
    assert not Vendor.objects.exists()


def test_missing_required_fields_are_listed(user):
    body = assert_problem(authed(user).post(VENDORS, {}), 400, "validation_error")
    assert set(body["errors"]) == {"name", "category", "timezone"}


# --- browsing ---------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    """One vendor per status, plus a second active one."""
    return {
        "active": VendorFactory(name="Aurora Hotel", category="hotel"),
        "salon": VendorFactory(name="Bella Salon", category="salon"),
        "pending": VendorFactory(name="Cedar Clinic", category="clinic", status=VendorStatus.PENDING),
        "suspended": VendorFactory(name="Dune Desks", category="coworking", status=VendorStatus.SUSPENDED),
        "rejected": VendorFactory(name="Echo Rooms", category="hotel", status=VendorStatus.REJECTED),
    }


def test_anyone_sees_only_active_vendors(api_client, catalog):
    response = api_client.get(VENDORS)
    assert names(response) == ["Aurora Hotel", "Bella Salon"]
    assert {v["my_role"] for v in response.json()["results"]} == {None}


def test_members_also_see_their_own_vendor_in_any_status(catalog):
    staff = member_of(catalog["pending"], "staff")
    results = authed(staff).get(VENDORS).json()["results"]
    assert [(v["name"], v["my_role"]) for v in results] == [
        ("Aurora Hotel", None),
        ("Bella Salon", None),
        ("Cedar Clinic", "staff"),
    ]


def test_admins_see_every_vendor_and_filter_by_status(admin_user, catalog):
    client = authed(admin_user)
    assert len(names(client.get(VENDORS))) == 5
    assert names(client.get(VENDORS, {"status": "pending"})) == ["Cedar Clinic"]
    assert names(client.get(VENDORS, {"status": "suspended"})) == ["Dune Desks"]


def test_a_status_filter_never_widens_what_a_customer_sees(user, catalog):
    assert names(authed(user).get(VENDORS, {"status": "pending"})) == []


def test_unknown_status_filter_is_400(api_client, catalog):
    body = assert_problem(api_client.get(VENDORS, {"status": "deleted"}), 400, "validation_error")
    assert "status" in body["errors"]


def test_filter_by_category_ignores_case(api_client, catalog):
    assert names(api_client.get(VENDORS, {"category": "HOTEL"})) == ["Aurora Hotel"]


def test_search_by_name(api_client, catalog):
    assert names(api_client.get(VENDORS, {"q": "salon"})) == ["Bella Salon"]
    assert names(api_client.get(VENDORS, {"q": "clinic"})) == []  # pending: not public


def test_overlong_search_is_400(api_client):
    assert_problem(api_client.get(VENDORS, {"q": "x" * 121}), 400, "validation_error")


def test_pages_walk_every_vendor_once_in_name_order_even_with_equal_names(api_client):
    for name in ["Zeta", "Alpha", "Mid", "Mid", "Mid", "Beta", "Mid"]:
        VendorFactory(name=name)
    seen, url = [], f"{VENDORS}?page_size=2"
    while url:
        page = api_client.get(url).json()
        seen += [(v["name"], v["id"]) for v in page["results"]]
        url = page["next"]
    assert [name for name, _ in seen] == ["Alpha", "Beta", "Mid", "Mid", "Mid", "Mid", "Zeta"]
    assert len({vendor_id for _, vendor_id in seen}) == 7


def test_page_size_is_capped_at_100(api_client):
    VendorFactory.create_batch(101)
    assert len(api_client.get(VENDORS, {"page_size": 500}).json()["results"]) == 100


# --- one vendor -------------------------------------------------------------------------


def test_a_pending_vendor_is_invisible_to_anonymous_and_other_users(api_client, user):
    pending = VendorFactory(status=VendorStatus.PENDING)
    member_of(VendorFactory())  # owners elsewhere get no special view
    assert_problem(api_client.get(detail(pending)), 404, "not_found")
    assert_problem(authed(user).get(detail(pending)), 404, "not_found")


def test_a_pending_vendor_is_visible_to_its_members_and_admins(admin_user):
    pending = VendorFactory(status=VendorStatus.PENDING)
    manager = member_of(pending, "manager")
    assert authed(manager).get(detail(pending)).json()["my_role"] == "manager"
    assert authed(admin_user).get(detail(pending)).json()["my_role"] is None


def test_unknown_and_malformed_ids_are_404(api_client):
    assert_problem(api_client.get(f"{VENDORS}/{uuid.uuid4()}"), 404, "not_found")
    assert_problem(api_client.get(f"{VENDORS}/not-a-uuid"), 404, "not_found")


# --- editing ----------------------------------------------------------------------------


def test_owner_edits_the_profile_and_the_slug_stays():
    vendor = VendorFactory(name="Old Name", slug="old-name")
    client = authed(member_of(vendor))
    response = client.patch(detail(vendor), {"name": "New Name", "timezone": "America/New_York", "description": ""})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["timezone"], body["slug"], body["my_role"]) == (
        "New Name",
        "America/New_York",
        "old-name",
        "owner",
    )


def test_status_cannot_be_changed_by_patch():
    vendor = VendorFactory(status=VendorStatus.PENDING)
    response = authed(member_of(vendor)).patch(detail(vendor), {"status": "active", "status_reason": "trust me"})
    assert response.status_code == 200
    vendor.refresh_from_db()
    assert (vendor.status, vendor.status_reason) == (VendorStatus.PENDING, "")
    assert not VendorStatusEvent.objects.exists()


def test_patch_validates_the_time_zone():
    vendor = VendorFactory()
    body = assert_problem(
        authed(member_of(vendor)).patch(detail(vendor), {"timezone": "Berlin"}), 400, "validation_error"
    )
    assert "timezone" in body["errors"]


def test_put_is_not_offered():
    vendor = VendorFactory()
    assert_problem(authed(member_of(vendor)).put(detail(vendor), APPLICATION), 405, "method_not_allowed")


# --- admin review -----------------------------------------------------------------------


def test_admin_approves_with_a_reason_and_the_vendor_goes_public(admin_user, api_client, outbox_events):
    vendor = VendorFactory(status=VendorStatus.PENDING, name="Cedar Clinic")
    response = authed(admin_user).post(f"{detail(vendor)}/approve", {"reason": "licence checked"})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["status_reason"]) == ("active", "licence checked")
    event = VendorStatusEvent.objects.get(vendor=vendor)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "pending",
        "active",
        admin_user,
        "licence checked",
    )
    assert [e.event_type for e in outbox_events(vendor)] == ["vendor.approved"]
    assert names(api_client.get(VENDORS)) == ["Cedar Clinic"]


def test_admin_rejects_without_a_reason(admin_user):
    vendor = VendorFactory(status=VendorStatus.PENDING)
    response = authed(admin_user).post(f"{detail(vendor)}/reject")
    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    assert VendorStatusEvent.objects.get(vendor=vendor).reason == ""


def test_suspended_vendor_leaves_the_public_list_until_reinstated(admin_user, api_client):
    vendor = VendorFactory(name="Aurora")
    admin = authed(admin_user)
    assert admin.post(f"{detail(vendor)}/suspend", {"reason": "fraud report"}).json()["status"] == "suspended"
    assert names(api_client.get(VENDORS)) == []
    assert_problem(api_client.get(detail(vendor)), 404, "not_found")
    assert admin.post(f"{detail(vendor)}/reinstate", {"reason": "cleared"}).json()["status"] == "active"
    assert names(api_client.get(VENDORS)) == ["Aurora"]
    reasons = list(VendorStatusEvent.objects.filter(vendor=vendor).values_list("to_status", "reason"))
    assert reasons == [("suspended", "fraud report"), ("active", "cleared")]


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("approve", VendorStatus.ACTIVE),
        ("approve", VendorStatus.REJECTED),
        ("reject", VendorStatus.SUSPENDED),
        ("suspend", VendorStatus.PENDING),
        ("reinstate", VendorStatus.ACTIVE),
    ],
)
def test_illegal_review_action_is_409_invalid_transition(admin_user, action, status):
    vendor = VendorFactory(status=status)
    body = assert_problem(authed(admin_user).post(f"{detail(vendor)}/{action}"), 409, "invalid_transition")
    assert body["status"] == 409
    vendor.refresh_from_db()
    assert vendor.status == status


def test_review_reason_is_limited(admin_user):
    vendor = VendorFactory(status=VendorStatus.PENDING)
    body = assert_problem(
        authed(admin_user).post(f"{detail(vendor)}/approve", {"reason": "r" * 501}), 400, "validation_error"
    )
    assert "reason" in body["errors"]
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.PENDING


# --- members ----------------------------------------------------------------------------


@pytest.fixture
def shop(db):
    vendor = VendorFactory()
    owner = member_of(vendor, email="owner@example.com", full_name="Olga Owner")
    manager = member_of(vendor, "manager", email="manager@example.com", full_name="Max Manager")
    return vendor, owner, manager


def test_owner_lists_members_oldest_first(shop):
    vendor, owner, manager = shop
    response = authed(owner).get(f"{detail(vendor)}/members")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(m["user"], m["email"], m["full_name"], m["role"]) for m in results] == [
        (str(owner.pk), "owner@example.com", "Olga Owner", "owner"),
        (str(manager.pk), "manager@example.com", "Max Manager", "manager"),
    ]
    assert all(m["created_at"] for m in results)


def test_owner_adds_a_member_by_email(shop):
    vendor, owner, _ = shop
    newcomer = UserFactory(email="sam@example.com")
    response = authed(owner).post(f"{detail(vendor)}/members", {"email": "SAM@example.com", "role": "staff"})
    assert response.status_code == 201, response.content
    assert (response.json()["user"], response.json()["role"]) == (str(newcomer.pk), "staff")
    assert authed(newcomer).get(detail(vendor)).json()["my_role"] == "staff"


def test_adding_an_unknown_email_is_400_user_not_found(shop):
    vendor, owner, _ = shop
    response = authed(owner).post(f"{detail(vendor)}/members", {"email": "nobody@example.com", "role": "staff"})
    assert_problem(response, 400, "user_not_found")


def test_adding_an_existing_member_is_409_already_member(shop):
    vendor, owner, manager = shop
    response = authed(owner).post(f"{detail(vendor)}/members", {"email": manager.email, "role": "owner"})
    assert_problem(response, 409, "already_member")
    assert Membership.objects.get(vendor=vendor, user=manager).role == MembershipRole.MANAGER


def test_adding_with_an_unknown_role_is_400(shop):
    vendor, owner, _ = shop
    UserFactory(email="sam@example.com")
    response = authed(owner).post(f"{detail(vendor)}/members", {"email": "sam@example.com", "role": "boss"})
    body = assert_problem(response, 400, "validation_error")
    assert "role" in body["errors"]


def test_owner_removes_a_member(shop):
    vendor, owner, manager = shop
    response = authed(owner).delete(f"{detail(vendor)}/members/{manager.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(vendor=vendor, user=manager).exists()


def test_the_last_owner_cannot_remove_themselves(shop):
    vendor, owner, _ = shop
    assert_problem(authed(owner).delete(f"{detail(vendor)}/members/{owner.pk}"), 409, "last_owner")
    assert Membership.objects.filter(vendor=vendor, user=owner).exists()


def test_removing_a_non_member_is_404(shop):
    vendor, owner, _ = shop
    stranger = UserFactory()
    assert_problem(authed(owner).delete(f"{detail(vendor)}/members/{stranger.pk}"), 404, "member_not_found")


def test_listing_costs_the_same_number_of_queries_for_2_or_20_vendors(user):
    client = authed(user)

    def queries_for_listing() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(VENDORS).status_code == 200
        return len(captured)

    for vendor in VendorFactory.create_batch(2):
        Membership.objects.create(vendor=vendor, user=user, role=MembershipRole.STAFF)
    few = queries_for_listing()
    for vendor in VendorFactory.create_batch(18):
        Membership.objects.create(vendor=vendor, user=user, role=MembershipRole.MANAGER)
    assert queries_for_listing() == few


def test_the_browsable_api_renders_for_a_vendor(user):
    vendor = VendorFactory()
    client = authed(member_of(vendor))
    response = client.get(detail(vendor), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"my_role" in response.content
