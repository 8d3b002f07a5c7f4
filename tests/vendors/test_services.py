"""Vendor services without HTTP: onboarding, slugs, the review lifecycle, memberships."""

from __future__ import annotations

import pytest

from common.errors import Conflict, InvalidInput, NotFound
from notifications import outbox
from tests.factories.accounts import UserFactory
from tests.factories.vendors import MembershipFactory, VendorFactory, member_of
from vendors import services
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus, VendorStatusEvent

pytestmark = pytest.mark.django_db


def apply(user, name="Hotel Adlon", **fields):
    defaults = {"category": "hotel", "timezone": "Europe/Berlin"}
    return services.vendor_apply(user=user, name=name, **{**defaults, **fields})


# --- onboarding -------------------------------------------------------------------------


def test_apply_creates_a_pending_vendor_owned_by_the_applicant(customer):
    vendor = apply(customer, contact_email="desk@adlon.example", description="Rooms by the gate")

    assert vendor.status == VendorStatus.PENDING
    assert vendor.slug == "hotel-adlon"
    assert vendor.status_changed_at is not None
    assert Membership.objects.get(vendor=vendor).user == customer
    assert Membership.objects.get(vendor=vendor).role == MembershipRole.OWNER


def test_apply_records_the_initial_status_event(customer):
    vendor = apply(customer)
    event = VendorStatusEvent.objects.get(vendor=vendor)
    assert (event.from_status, event.to_status, event.actor) == ("", VendorStatus.PENDING, customer)


def test_slugs_get_a_numeric_suffix_on_collision(customer):
    slugs = [apply(customer, name="Café Zürich").slug for _ in range(3)]
    assert slugs == ["cafe-zurich", "cafe-zurich-2", "cafe-zurich-3"]


def test_slug_suffix_skips_numbers_already_taken(customer):
    VendorFactory(slug="acme")
    VendorFactory(slug="acme-2")
    assert apply(customer, name="ACME").slug == "acme-3"


def test_a_name_without_slug_characters_still_gets_a_slug(customer):
    assert apply(customer, name="東京").slug == "vendor"
    assert apply(customer, name="!!!").slug == "vendor-2"


def test_a_long_name_gives_a_slug_that_fits_with_its_suffix(customer):
    first = apply(customer, name="x" * 120)
    second = apply(customer, name="x" * 120)
    assert len(second.slug) <= Vendor._meta.get_field("slug").max_length
    assert second.slug == f"{first.slug}-2"


def test_apply_retries_with_the_next_slug_when_a_concurrent_insert_took_it(customer, monkeypatch):
    # Simulate the race: the free-slug check ran before a concurrent application
    # committed "acme", so the first insert hits the unique index.
    real_free_slug = services._free_slug
    calls = []

    def stale_then_fresh(base):
        calls.append(base)
        if len(calls) == 1:
            VendorFactory(slug="acme")
            return "acme"
        return real_free_slug(base)

    monkeypatch.setattr(services, "_free_slug", stale_then_fresh)
    vendor = apply(customer, name="Acme")
    assert vendor.slug == "acme-2"
    assert len(calls) == 2
    assert Membership.objects.filter(vendor=vendor, user=customer).exists()


def test_apply_rejects_an_unknown_time_zone(customer):
    with pytest.raises(InvalidInput) as exc:
        apply(customer, timezone="Mars/Olympus_Mons")
    assert "timezone" in exc.value.extra["errors"]
    assert not Vendor.objects.exists()


# --- profile ----------------------------------------------------------------------------


def test_update_changes_profile_fields_but_keeps_the_slug():
    vendor = VendorFactory(name="Old", slug="old")
    services.vendor_update(vendor=vendor, actor=None, name="New name", timezone="Asia/Tokyo")
    vendor.refresh_from_db()
    assert (vendor.name, vendor.timezone, vendor.slug) == ("New name", "Asia/Tokyo", "old")


def test_update_cannot_change_status():
    vendor = VendorFactory(status=VendorStatus.PENDING)
    with pytest.raises(InvalidInput) as exc:
        services.vendor_update(vendor=vendor, actor=None, status=VendorStatus.ACTIVE)
    assert "status" in exc.value.extra["errors"]
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.PENDING


def test_update_does_not_undo_a_status_change_made_meanwhile(admin_user):
    stale = VendorFactory(status=VendorStatus.PENDING)
    services.vendor_approve(vendor=Vendor.objects.get(pk=stale.pk), actor=admin_user)
    services.vendor_update(vendor=stale, actor=None, description="edited from an old copy")
    fresh = Vendor.objects.get(pk=stale.pk)
    assert fresh.status == VendorStatus.ACTIVE
    assert fresh.description == "edited from an old copy"


# --- review lifecycle -------------------------------------------------------------------

ALLOWED = [
    ("vendor_approve", VendorStatus.PENDING, VendorStatus.ACTIVE),
    ("vendor_reject", VendorStatus.PENDING, VendorStatus.REJECTED),
    ("vendor_suspend", VendorStatus.ACTIVE, VendorStatus.SUSPENDED),
    ("vendor_reinstate", VendorStatus.SUSPENDED, VendorStatus.ACTIVE),
]


@pytest.mark.parametrize(("service", "before", "after"), ALLOWED)
def test_allowed_transition_records_actor_and_reason(admin_user, service, before, after):
    vendor = VendorFactory(status=before)
    result = getattr(services, service)(vendor=vendor, actor=admin_user, reason="checked the papers")

    assert result.status == after
    assert result.status_reason == "checked the papers"
    assert result.status_changed_at is not None
    event = VendorStatusEvent.objects.get(vendor=vendor)
    assert (event.from_status, event.to_status) == (before, after)
    assert (event.actor, event.reason) == (admin_user, "checked the papers")


ILLEGAL = [(service, status) for service, before, _ in ALLOWED for status in VendorStatus.values if status != before]


@pytest.mark.parametrize(("service", "status"), ILLEGAL)
def test_illegal_transition_is_a_409_invalid_transition_and_changes_nothing(admin_user, outbox_events, service, status):
    vendor = VendorFactory(status=status, status_reason="as it was")
    with pytest.raises(Conflict) as exc:
        getattr(services, service)(vendor=vendor, actor=admin_user, reason="nope")

    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409
    vendor.refresh_from_db()
    assert (vendor.status, vendor.status_reason) == (status, "as it was")
    assert not VendorStatusEvent.objects.exists()
    assert outbox_events(vendor) == []


def test_transition_of_a_vendor_that_no_longer_exists_is_404(admin_user):
    gone = VendorFactory.build(status=VendorStatus.PENDING)  # never saved: as if deleted meanwhile
    with pytest.raises(NotFound):
        services.vendor_approve(vendor=gone, actor=admin_user)


def test_approve_writes_a_vendor_approved_outbox_event_with_a_snapshot(admin_user, outbox_events):
    vendor = VendorFactory(status=VendorStatus.PENDING, name="Clinic")
    services.vendor_approve(vendor=vendor, actor=admin_user, reason="ok")

    [event] = outbox_events(vendor)
    assert event.event_type == outbox.VENDOR_APPROVED
    assert event.data == {
        "id": str(vendor.pk),
        "name": "Clinic",
        "slug": vendor.slug,
        "status": "active",
        "timezone": "Europe/Berlin",
        "reason": "ok",
    }


def test_suspend_writes_a_vendor_suspended_outbox_event(admin_user, outbox_events):
    vendor = VendorFactory()
    services.vendor_suspend(vendor=vendor, actor=admin_user, reason="complaints")
    assert [(e.event_type, e.data["status"], e.data["reason"]) for e in outbox_events(vendor)] == [
        (outbox.VENDOR_SUSPENDED, "suspended", "complaints")
    ]


def test_reject_and_reinstate_write_no_outbox_event(admin_user, outbox_events):
    rejected = VendorFactory(status=VendorStatus.PENDING)
    reinstated = VendorFactory(status=VendorStatus.SUSPENDED)
    services.vendor_reject(vendor=rejected, actor=admin_user)
    services.vendor_reinstate(vendor=reinstated, actor=admin_user)
    assert outbox_events(rejected) == outbox_events(reinstated) == []


def test_a_failed_transition_rolls_back_its_outbox_event(admin_user, outbox_events, monkeypatch):
    vendor = VendorFactory(status=VendorStatus.PENDING)

    def emit_then_fail(**kwargs):
        real_emit(**kwargs)
        raise RuntimeError("crash after the event was written")

    real_emit = outbox.emit
    monkeypatch.setattr(outbox, "emit", emit_then_fail)
    with pytest.raises(RuntimeError):
        services.vendor_approve(vendor=vendor, actor=admin_user)

    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.PENDING
    assert not VendorStatusEvent.objects.filter(vendor=vendor).exists()
    assert outbox_events(vendor) == []


def test_a_full_history_reads_in_order(admin_user, customer):
    vendor = apply(customer)
    services.vendor_approve(vendor=vendor, actor=admin_user, reason="welcome")
    services.vendor_suspend(vendor=vendor, actor=admin_user, reason="unpaid invoices")
    services.vendor_reinstate(vendor=vendor, actor=admin_user, reason="paid")

    history = list(VendorStatusEvent.objects.filter(vendor=vendor).values_list("from_status", "to_status", "reason"))
    assert history == [
        ("", "pending", ""),
        ("pending", "active", "welcome"),
        ("active", "suspended", "unpaid invoices"),
        ("suspended", "active", "paid"),
    ]


# --- memberships ------------------------------------------------------------------------


def test_owner_adds_an_existing_user_by_email_case_insensitively():
    vendor = VendorFactory()
    owner = member_of(vendor)
    newcomer = UserFactory(email="new.hire@example.com")
    membership = services.membership_add(vendor=vendor, actor=owner, email=" New.Hire@Example.com ", role="manager")
    assert (membership.user, membership.role) == (newcomer, MembershipRole.MANAGER)


def test_adding_an_unknown_email_is_400_user_not_found():
    vendor = VendorFactory()
    with pytest.raises(InvalidInput) as exc:
        services.membership_add(vendor=vendor, actor=None, email="ghost@example.com", role="staff")
    assert (exc.value.code, exc.value.status) == ("user_not_found", 400)


def test_adding_a_deactivated_user_is_user_not_found():
    vendor = VendorFactory()
    UserFactory(email="gone@example.com", is_active=False)
    with pytest.raises(InvalidInput) as exc:
        services.membership_add(vendor=vendor, actor=None, email="gone@example.com", role="staff")
    assert exc.value.code == "user_not_found"


def test_adding_an_existing_member_is_409_already_member():
    vendor = VendorFactory()
    staff = member_of(vendor, "staff")
    with pytest.raises(Conflict) as exc:
        services.membership_add(vendor=vendor, actor=None, email=staff.email, role="manager")
    assert (exc.value.code, exc.value.status) == ("already_member", 409)
    assert Membership.objects.get(vendor=vendor, user=staff).role == MembershipRole.STAFF


def test_adding_with_an_unknown_role_is_refused():
    vendor = VendorFactory()
    UserFactory(email="someone@example.com")
    with pytest.raises(InvalidInput):
        services.membership_add(vendor=vendor, actor=None, email="someone@example.com", role="emperor")


def test_removing_a_member():
    vendor = VendorFactory()
    member_of(vendor)
    manager = member_of(vendor, "manager")
    services.membership_remove(vendor=vendor, actor=None, user_id=manager.pk)
    assert not Membership.objects.filter(vendor=vendor, user=manager).exists()


def test_the_last_owner_cannot_be_removed():
    vendor = VendorFactory()
    owner = member_of(vendor)
    member_of(vendor, "manager")
    with pytest.raises(Conflict) as exc:
        services.membership_remove(vendor=vendor, actor=owner, user_id=owner.pk)
    assert (exc.value.code, exc.value.status) == ("last_owner", 409)
    assert Membership.objects.filter(vendor=vendor, user=owner).exists()


def test_an_owner_can_leave_when_another_owner_remains():
    vendor = VendorFactory()
    first, second = member_of(vendor), member_of(vendor)
    services.membership_remove(vendor=vendor, actor=first, user_id=first.pk)
    assert list(Membership.objects.filter(vendor=vendor).values_list("user", flat=True)) == [second.pk]


def test_removing_someone_who_is_not_a_member_is_404():
    vendor = VendorFactory()
    outsider = MembershipFactory().user  # a member of another vendor
    with pytest.raises(NotFound) as exc:
        services.membership_remove(vendor=vendor, actor=None, user_id=outsider.pk)
    assert exc.value.code == "member_not_found"
