"""Disputes through the API: lifecycle, who may do what, refund bounds, notifications."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from disputes.models import Dispute, DisputeComment, DisputeEvent
from notifications.models import OutboxEvent, SentNotification
from notifications.services import outbox_process_event
from tests.conftest import authed
from tests.disputes.conftest import ROLES
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource, member
from tests.factories.disputes import confirmed_booking, dispute_under_review, open_dispute
from vendors.models import MembershipRole

pytestmark = pytest.mark.django_db

DISPUTES = "/api/v1/disputes"
OPEN_BODY = {"reason": "not_as_described", "description": "The desk had no monitor although the listing said so."}


def open_url(booking) -> str:
    return f"/api/v1/bookings/{booking.pk}/disputes"


@pytest.fixture
def admin(world):
    return world.users["admin"]


# --- lifecycle ---------------------------------------------------------------------------


def test_customer_opens_admin_reviews_and_resolves_with_a_partial_refund(world, admin):
    customer = world.client("customer")
    opened = customer.post(open_url(world.booking), OPEN_BODY, format="json")
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    assert body["status"] == "open"
    assert body["opened_by_role"] == "customer"
    assert body["booking"]["id"] == str(world.booking.pk)
    assert body["booking"]["price"] == {"amount": "80.00", "currency": "EUR"}
    assert body["outcome"] is None
    assert body["refund"] is None
    dispute_url = f"{DISPUTES}/{body['id']}"

    vendor = world.client("vendor_member")
    assert vendor.post(f"{dispute_url}/comments", {"body": "The monitor was there."}).status_code == 201
    staff = authed(admin)
    assert staff.post(f"{dispute_url}/start-review", {"note": "Asking both sides."}).json()["status"] == "under_review"
    resolved = staff.post(
        f"{dispute_url}/resolve", {"outcome": "refund_partial", "refund_amount": "20.00", "note": "Half the desk."}
    )
    assert resolved.status_code == 200, resolved.json()
    result = resolved.json()
    assert result["status"] == "resolved"
    assert result["outcome"] == "refund_partial"
    assert result["refund"] == {"amount": "20.00", "currency": "EUR"}
    assert result["admin_note"] == "Half the desk."
    assert result["resolved_by"] == str(admin.pk)

    detail = customer.get(dispute_url).json()
    assert [(c["author_role"], c["body"]) for c in detail["comments"]] == [("vendor", "The monitor was there.")]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in detail["timeline"]] == [
        ("open", "", "open"),
        ("start_review", "open", "under_review"),
        ("resolve", "under_review", "resolved"),
    ]


def test_opening_and_resolving_write_outbox_events_with_the_booking_snapshot(world, admin):
    dispute = dispute_under_review(world.booking, admin=admin)
    authed(admin).post(f"{DISPUTES}/{dispute.pk}/resolve", {"outcome": "refund_full", "note": "Fair."})

    events = list(OutboxEvent.objects.filter(event_type__startswith="dispute.").order_by("created_at"))
    assert [e.event_type for e in events] == ["dispute.opened", "dispute.resolved"]
    resolved = events[1]
    assert resolved.vendor_id == world.booking.resource.vendor_id
    assert resolved.booking_id == world.booking.pk
    assert resolved.data["id"] == str(dispute.pk)
    assert resolved.data["status"] == "resolved"
    assert resolved.data["outcome"] == "refund_full"
    assert resolved.data["refund"] == {"amount": "80.00", "currency": "EUR"}
    assert resolved.data["booking"]["customer"]["email"] == world.booking.customer.email
    assert resolved.data["booking"]["vendor"]["id"] == str(world.booking.resource.vendor_id)


def test_rejection_is_notified_as_resolved_with_status_rejected_and_no_outcome(world, admin):
    dispute = dispute_under_review(world.booking, admin=admin)
    response = authed(admin).post(f"{DISPUTES}/{dispute.pk}/reject", {"note": "The booking took place as described."})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["outcome"] is None
    event = OutboxEvent.objects.filter(event_type="dispute.resolved").get()
    assert event.data["status"] == "rejected"
    assert event.data["outcome"] is None
    assert event.data["note"] == "The booking took place as described."


def test_a_second_open_dispute_on_a_booking_is_409_but_a_new_one_after_closing_is_fine(world, admin):
    customer = world.client("customer")
    first = customer.post(open_url(world.booking), OPEN_BODY).json()
    second = world.client("vendor_member").post(open_url(world.booking), OPEN_BODY)
    assert second.status_code == 409
    assert second.json()["code"] == "dispute_already_open"
    assert second.json()["dispute_id"] == first["id"]

    staff = authed(admin)
    staff.post(f"{DISPUTES}/{first['id']}/start-review", {})
    staff.post(f"{DISPUTES}/{first['id']}/reject", {"note": "No grounds."})
    assert customer.post(open_url(world.booking), OPEN_BODY).status_code == 201
    assert Dispute.objects.filter(booking=world.booking).count() == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("resolve", {"outcome": "no_refund", "note": "x"}),
        ("reject", {"note": "x"}),
    ],
)
def test_deciding_an_open_dispute_before_review_is_409_invalid_transition(world, admin, path, body):
    dispute = open_dispute(world.booking)
    response = authed(admin).post(f"{DISPUTES}/{dispute.pk}/{path}", body)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["current_status"] == "open"


def test_a_closed_dispute_cannot_be_reviewed_decided_again_or_commented(world, admin):
    dispute = dispute_under_review(world.booking, admin=admin)
    staff = authed(admin)
    assert staff.post(f"{DISPUTES}/{dispute.pk}/resolve", {"outcome": "no_refund", "note": "x"}).status_code == 200
    for path, body in [
        ("start-review", {}),
        ("resolve", {"outcome": "no_refund", "note": "y"}),
        ("reject", {"note": "y"}),
    ]:
        response = staff.post(f"{DISPUTES}/{dispute.pk}/{path}", body)
        assert response.status_code == 409, path
        assert response.json()["code"] == "invalid_transition"
    comment = world.client("customer").post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "But…"})
    assert comment.status_code == 409
    assert comment.json()["code"] == "dispute_closed"
    assert DisputeEvent.objects.filter(dispute=dispute).count() == 3


def _booking_in(status: str):
    """A booking brought to ``status`` by the engine itself."""
    resource = make_resource("slots", requires_approval=(status == "pending"))
    customer = UserFactory()
    start = local_at(3, 10)
    booking = booking_services.booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(minutes=30)
    )
    if status == "pending":
        booking_services.booking_confirm(booking_id=booking.pk, actor=customer)
    if status == "expired":
        assert booking_services.booking_expire_hold(booking_id=booking.pk, now=timezone.now() + timedelta(days=1))
    booking.refresh_from_db()
    assert booking.status == status
    return booking


@pytest.mark.parametrize("status", ["held", "pending", "expired"])
def test_bookings_that_never_became_firm_cannot_be_disputed(status):
    booking = _booking_in(status)
    response = authed(booking.customer).post(open_url(booking), OPEN_BODY)
    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_disputable"


def test_a_cancelled_booking_can_be_disputed(world):
    world.client("customer").post(f"/api/v1/bookings/{world.booking.pk}/cancel", {"reason": "changed plans"})
    assert world.client("vendor_member").post(open_url(world.booking), OPEN_BODY).status_code == 201


# --- refund bounds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field_error"),
    [
        ({"outcome": "refund_partial", "refund_amount": "80.01"}, True),
        ({"outcome": "refund_partial", "refund_amount": "0.00"}, True),
        ({"outcome": "refund_partial"}, True),
        ({"outcome": "refund_partial", "refund_amount": None}, True),
        ({"outcome": "refund_partial", "refund_amount": "-1.00"}, True),
        ({"outcome": "refund_full", "refund_amount": "50.00"}, True),
        ({"outcome": "no_refund", "refund_amount": "5.00"}, True),
        ({"outcome": "refund_partial", "refund_amount": "1e3"}, True),
        ({"outcome": "refund_partial", "refund_amount": "abc"}, True),
    ],
)
def test_refunds_out_of_bounds_are_400_on_refund_amount(world, admin, body, field_error):
    dispute = dispute_under_review(world.booking, admin=admin)
    response = authed(admin).post(f"{DISPUTES}/{dispute.pk}/resolve", {**body, "note": "Decision."}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert "refund_amount" in response.json()["errors"]
    dispute.refresh_from_db()
    assert dispute.status == "under_review"


@pytest.mark.parametrize(
    ("body", "refund"),
    [
        ({"outcome": "refund_partial", "refund_amount": "80.00"}, "80.00"),
        ({"outcome": "refund_partial", "refund_amount": "0.01"}, "0.01"),
        ({"outcome": "refund_full"}, "80.00"),
        ({"outcome": "refund_full", "refund_amount": "80.00"}, "80.00"),
        ({"outcome": "no_refund"}, "0.00"),
        ({"outcome": "no_refund", "refund_amount": "0"}, "0.00"),
    ],
)
def test_refunds_within_bounds_are_recorded(world, admin, body, refund):
    dispute = dispute_under_review(world.booking, admin=admin)
    response = authed(admin).post(f"{DISPUTES}/{dispute.pk}/resolve", {**body, "note": "Decision."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["refund"] == {"amount": refund, "currency": "EUR"}


def test_the_refund_currency_is_the_bookings(admin):
    booking = confirmed_booking(price=Decimal("120.00"), currency="USD")
    dispute = dispute_under_review(booking, admin=admin)
    response = authed(admin).post(
        f"{DISPUTES}/{dispute.pk}/resolve",
        {"outcome": "refund_partial", "refund_amount": "30.00", "note": "Partly.", "currency": "EUR"},
    )
    assert response.status_code == 200
    assert response.json()["refund"] == {"amount": "30.00", "currency": "USD"}
    dispute.refresh_from_db()
    assert (dispute.refund_amount, dispute.refund_currency) == (Decimal("30.00"), "USD")


# --- permission matrix ---------------------------------------------------------------------

OPEN_EXPECTED = {
    "anonymous": 401,
    "customer": 201,
    "other_customer": 404,
    "vendor_member": 201,
    "other_vendor_member": 404,
    "admin": 403,  # sees every booking but is not a party to it
}
READ_EXPECTED = {
    "anonymous": 401,
    "customer": 200,
    "other_customer": 404,
    "vendor_member": 200,
    "other_vendor_member": 404,
    "admin": 200,
}
COMMENT_EXPECTED = {**READ_EXPECTED, "customer": 201, "vendor_member": 201, "admin": 201}
ADMIN_ONLY_EXPECTED = {**READ_EXPECTED, "customer": 403, "vendor_member": 403}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_a_dispute(world, role):
    response = world.client(role).post(open_url(world.booking), OPEN_BODY)
    assert response.status_code == OPEN_EXPECTED[role], response.json()
    assert Dispute.objects.count() == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_a_dispute_in_the_list(world, role):
    dispute = open_dispute(world.booking)
    open_dispute(confirmed_booking())  # someone else's, visible to admins only
    response = world.client(role).get(DISPUTES)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    if role == "admin":
        assert len(ids) == 2
    elif READ_EXPECTED[role] == 200:
        assert ids == {str(dispute.pk)}
    else:
        assert ids == set()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_dispute_and_its_comments(world, role):
    dispute = open_dispute(world.booking)
    client = world.client(role)
    assert client.get(f"{DISPUTES}/{dispute.pk}").status_code == READ_EXPECTED[role]
    assert client.get(f"{DISPUTES}/{dispute.pk}/comments").status_code == READ_EXPECTED[role]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_comment(world, role):
    dispute = open_dispute(world.booking)
    response = world.client(role).post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "A word."})
    assert response.status_code == COMMENT_EXPECTED[role]
    assert DisputeComment.objects.count() == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_start_a_review(world, role):
    dispute = open_dispute(world.booking)
    response = world.client(role).post(f"{DISPUTES}/{dispute.pk}/start-review", {})
    assert response.status_code == ADMIN_ONLY_EXPECTED[role]
    dispute.refresh_from_db()
    assert dispute.status == ("under_review" if response.status_code == 200 else "open")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "body"), [("resolve", {"outcome": "refund_full", "note": "x"}), ("reject", {"note": "x"})]
)
def test_who_may_decide(world, role, path, body):
    dispute = dispute_under_review(world.booking, admin=world.users["admin"])
    response = world.client(role).post(f"{DISPUTES}/{dispute.pk}/{path}", body)
    assert response.status_code == ADMIN_ONLY_EXPECTED[role]
    dispute.refresh_from_db()
    assert (dispute.status != "under_review") == (response.status_code == 200)


# --- lists, input limits, odd input ----------------------------------------------------------


def test_admins_filter_the_list_by_status(world, admin):
    open_dispute(world.booking)
    reviewed = dispute_under_review(confirmed_booking(), admin=admin)
    staff = authed(admin)
    ids = [d["id"] for d in staff.get(DISPUTES, {"status": "under_review"}).json()["results"]]
    assert ids == [str(reviewed.pk)]
    assert len(staff.get(DISPUTES, {"status": ["open", "under_review"]}).json()["results"]) == 2
    assert staff.get(DISPUTES, {"status": "bogus"}).status_code == 400


def test_the_list_is_paginated_newest_first(admin):
    for _ in range(3):
        open_dispute(confirmed_booking())
    page = authed(admin).get(DISPUTES, {"page_size": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"]
    assert page["results"][0]["created_at"] >= page["results"][1]["created_at"]
    rest = authed(admin).get(page["next"]).json()
    assert len(rest["results"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "not_as_described", "description": "x" * 5001},
        {"reason": "not_as_described", "description": ""},
        {"reason": "because", "description": "Something happened."},
        {"description": "Something happened."},
    ],
)
def test_bad_open_requests_are_400(world, body):
    response = world.client("customer").post(open_url(world.booking), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_comment_and_note_limits_are_enforced(world, admin):
    dispute = open_dispute(world.booking)
    customer = world.client("customer")
    assert customer.post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "x" * 5001}).status_code == 400
    assert customer.post(f"{DISPUTES}/{dispute.pk}/comments", {"body": ""}).status_code == 400
    staff = authed(admin)
    assert staff.post(f"{DISPUTES}/{dispute.pk}/start-review", {"note": "x" * 2001}).status_code == 400
    staff.post(f"{DISPUTES}/{dispute.pk}/start-review", {})
    missing_note = staff.post(f"{DISPUTES}/{dispute.pk}/resolve", {"outcome": "no_refund"})
    assert missing_note.status_code == 400
    assert "note" in missing_note.json()["errors"]
    assert staff.post(f"{DISPUTES}/{dispute.pk}/resolve", {"outcome": "maybe", "note": "x"}).status_code == 400


def test_unknown_ids_are_404_problems(world):
    customer = world.client("customer")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert customer.post(f"/api/v1/bookings/{unknown}/disputes", OPEN_BODY).status_code == 404
    assert customer.get(f"{DISPUTES}/{unknown}").status_code == 404
    assert customer.post(f"{DISPUTES}/{unknown}/comments", {"body": "x"}).status_code == 404
    assert customer.get(f"{DISPUTES}/not-a-uuid").status_code == 404
    response = customer.post("/api/v1/bookings/not-a-uuid/disputes", OPEN_BODY)
    assert response.status_code == 404


def test_an_idempotent_retry_of_open_replays_the_first_response(world):
    customer = world.client("customer")
    first = customer.post(open_url(world.booking), OPEN_BODY, HTTP_IDEMPOTENCY_KEY="open-1")
    again = customer.post(open_url(world.booking), OPEN_BODY, HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Dispute.objects.count() == 1


def test_comments_show_who_wrote_them_without_emails(world, admin):
    dispute = open_dispute(world.booking)
    world.client("customer").post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "one"})
    authed(admin).post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "two"})
    world.client("vendor_member").post(f"{DISPUTES}/{dispute.pk}/comments", {"body": "three"})
    page = world.client("vendor_member").get(f"{DISPUTES}/{dispute.pk}/comments").json()
    assert [(c["author_role"], c["body"]) for c in page["results"]] == [
        ("customer", "one"),
        ("admin", "two"),
        ("vendor", "three"),
    ]
    assert "email" not in str(page)


def test_a_vendor_member_opening_is_recorded_as_the_vendor(world):
    response = world.client("vendor_member").post(open_url(world.booking), OPEN_BODY)
    assert response.json()["opened_by_role"] == "vendor"
    assert response.json()["opened_by"] == str(world.users["vendor_member"].pk)


def test_a_user_who_is_customer_and_vendor_member_may_open(world):
    owner_customer = member(world.booking.resource.vendor, MembershipRole.OWNER)
    booking = confirmed_booking(resource=world.booking.resource, customer=owner_customer)
    assert authed(owner_customer).post(open_url(booking), OPEN_BODY).status_code == 201


def test_dispute_events_become_emails_to_the_customer_and_the_vendor(world, admin):
    owner = member(world.booking.resource.vendor, MembershipRole.OWNER)
    dispute = dispute_under_review(world.booking, admin=admin)
    authed(admin).post(f"{DISPUTES}/{dispute.pk}/reject", {"note": "No grounds."})
    for event in OutboxEvent.objects.filter(event_type__startswith="dispute."):
        assert outbox_process_event(event_id=event.pk)

    sent = {(n.kind, n.recipient) for n in SentNotification.objects.all()}
    for kind in ("dispute.opened", "dispute.resolved"):
        assert (kind, world.booking.customer.email) in sent
        assert (kind, owner.email) in sent
    closed = SentNotification.objects.get(kind="dispute.resolved", recipient=world.booking.customer.email)
    assert "closed" in closed.subject
    assert "No grounds." in closed.body
