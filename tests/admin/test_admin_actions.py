"""Admin actions call the same services as the API: same rules, same history, same outbox events."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from bookings.admin import booking_label
from bookings.models import Allocation, BookingEvent, BookingStatus
from common import admin_tools
from disputes.models import DisputeComment, DisputeEvent
from notifications.models import OutboxEvent
from tests.factories.bookings import make_vendor
from vendors import services as vendor_services
from vendors.admin import VendorAdmin
from vendors.models import Vendor, VendorStatus, VendorStatusEvent

pytestmark = pytest.mark.django_db


def run_action(browser, changelist: str, action: str, objects, **fields):
    """Choose the action (the intermediate form), then submit the form; follow to the changelist."""
    selected = [str(obj.pk) for obj in objects]
    form = browser.post(changelist, {"action": action, "_selected_action": selected})
    assert form.status_code == 200, form.content[:500]
    assert b'name="apply"' in form.content
    return browser.post(
        changelist, {"action": action, "_selected_action": selected, "apply": "yes", **fields}, follow=True
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def outbox_types() -> list[str]:
    return list(OutboxEvent.objects.order_by("created_at").values_list("event_type", flat=True))


# --- vendors -----------------------------------------------------------------------------------

VENDORS = "/admin/vendors/vendor/"


@pytest.mark.parametrize(
    ("action", "start", "end", "event"),
    [
        ("approve", VendorStatus.PENDING, VendorStatus.ACTIVE, "vendor.approved"),
        ("reject", VendorStatus.PENDING, VendorStatus.REJECTED, None),
        ("suspend", VendorStatus.ACTIVE, VendorStatus.SUSPENDED, "vendor.suspended"),
        ("reinstate", VendorStatus.SUSPENDED, VendorStatus.ACTIVE, None),
    ],
)
def test_vendor_review_actions_change_status_with_history_and_events(browser, staff, action, start, end, event):
    vendor = make_vendor(status=start)
    before = OutboxEvent.objects.count()

    response = run_action(browser, VENDORS, action, [vendor], reason="checked the papers")

    vendor.refresh_from_db()
    assert vendor.status == end
    assert vendor.status_reason == "checked the papers"
    history = VendorStatusEvent.objects.get(vendor=vendor)
    assert (history.from_status, history.to_status, history.actor, history.reason) == (
        start,
        end,
        staff,
        "checked the papers",
    )
    new_events = list(OutboxEvent.objects.order_by("created_at").values_list("event_type", flat=True)[before:])
    assert new_events == ([event] if event else [])
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert text.startswith(f"{vendor.name}: ")


def test_suspending_requires_a_reason_and_changes_nothing_without_one(browser):
    vendor = make_vendor()
    response = browser.post(
        VENDORS, {"action": "suspend", "_selected_action": [str(vendor.pk)], "apply": "yes", "reason": ""}
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.ACTIVE


def test_each_vendor_is_reported_on_its_own(browser):
    pending, active = make_vendor(status=VendorStatus.PENDING), make_vendor(status=VendorStatus.ACTIVE)
    response = run_action(browser, VENDORS, "approve", [pending, active], reason="")
    assert sorted(messages_of(response)) == sorted(
        [
            ("success", f"{pending}: approved, now active and bookable."),
            ("error", f"{active}: Cannot approve a vendor that is active."),
        ]
    )
    assert Vendor.objects.filter(status=VendorStatus.ACTIVE).count() == 2


def test_profile_edits_in_the_admin_never_write_the_status_back(staff):
    vendor = make_vendor(status=VendorStatus.PENDING)
    request = RequestFactory().post("/")
    request.user = staff
    model_admin = VendorAdmin(Vendor, admin.site)
    stale = Vendor.objects.get(pk=vendor.pk)  # the admin's form was built from this row…
    vendor_services.vendor_approve(vendor=vendor, actor=staff)  # …then someone approved it
    form_class = model_admin.get_form(request, stale, change=True)
    form = form_class(
        {"name": "Renamed", "category": "test", "timezone": "Europe/Berlin", "description": "", "contact_email": ""},
        instance=stale,
    )
    assert form.is_valid(), form.errors

    model_admin.save_model(request, form.save(commit=False), form, change=True)

    vendor.refresh_from_db()
    assert (vendor.name, vendor.status) == ("Renamed", VendorStatus.ACTIVE)


# --- bookings --------------------------------------------------------------------------------

BOOKINGS = "/admin/bookings/booking/"


def test_cancel_action_cancels_through_the_engine(browser, staff, platform):
    booking = platform.confirmed
    response = run_action(browser, BOOKINGS, "cancel", [booking], reason="venue flooded")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert (booking.cancelled_by, booking.cancel_reason) == (staff, "venue flooded")
    assert not Allocation.objects.filter(booking=booking, is_active=True).exists()
    event = BookingEvent.objects.filter(booking=booking).last()
    assert (event.action, event.actor, event.reason) == ("cancel", staff, "venue flooded")
    cancelled = OutboxEvent.objects.filter(event_type="booking.cancelled", booking_id=booking.pk).get()
    assert cancelled.data["reason"] == "venue flooded"
    assert messages_of(response) == [("success", f"{booking_label(booking)}: cancelled; its units are free again.")]


def test_cancel_action_reports_bookings_that_cannot_be_cancelled(browser, platform):
    response = run_action(browser, BOOKINGS, "cancel", [platform.cancelled, platform.held], reason="cleanup")
    assert sorted(messages_of(response)) == sorted(
        [
            ("error", f"{booking_label(platform.cancelled)}: cannot cancel a cancelled booking"),
            ("success", f"{booking_label(platform.held)}: cancelled; its units are free again."),
        ]
    )


def test_cancel_needs_a_reason(browser, platform):
    response = browser.post(
        BOOKINGS, {"action": "cancel", "_selected_action": [str(platform.held.pk)], "apply": "yes", "reason": " "}
    )
    assert response.status_code == 200
    platform.held.refresh_from_db()
    assert platform.held.status == BookingStatus.HELD


def test_the_change_page_button_opens_the_same_form(browser, platform):
    page = browser.get(f"{BOOKINGS}{platform.held.pk}/change/")
    assert b'value="cancel"' in page.content
    form = browser.post(BOOKINGS, {"action": "cancel", "_selected_action": [str(platform.held.pk)]})
    assert form.status_code == 200
    assert [obj for obj, _ in form.context["objects"]] == [platform.held]


def test_too_large_a_selection_is_refused(browser, platform, monkeypatch):
    monkeypatch.setattr(admin_tools, "MAX_ACTION_OBJECTS", 1)
    response = browser.post(
        BOOKINGS,
        {"action": "cancel", "_selected_action": [str(platform.held.pk), str(platform.confirmed.pk)]},
        follow=True,
    )
    assert [level for level, _ in messages_of(response)] == ["error"]
    platform.held.refresh_from_db()
    assert platform.held.status == BookingStatus.HELD


# --- disputes ---------------------------------------------------------------------------------

DISPUTES = "/admin/disputes/dispute/"


def test_start_review_resolve_and_comment_from_the_admin(browser, staff, platform):
    dispute = platform.open_dispute
    run_action(browser, DISPUTES, "start_review", [dispute], note="on it")
    run_action(browser, DISPUTES, "comment", [dispute], body="Can you both send photos?")
    before = outbox_types()
    response = run_action(
        browser, DISPUTES, "resolve", [dispute], outcome="refund_partial", refund_amount="4.50", note="Half."
    )

    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome, str(dispute.refund_amount), dispute.refund_currency) == (
        "resolved",
        "refund_partial",
        "4.50",
        "EUR",
    )
    assert dispute.resolved_by == staff
    timeline = list(DisputeEvent.objects.filter(dispute=dispute).values_list("action", "actor", "note"))
    assert timeline == [
        ("open", dispute.opened_by_id, ""),
        ("start_review", staff.pk, "on it"),
        ("resolve", staff.pk, "Half."),
    ]
    assert DisputeComment.objects.filter(dispute=dispute, author=staff).count() == 1
    assert outbox_types()[len(before) :] == ["dispute.resolved"]
    assert messages_of(response) == [
        ("success", f"Dispute {str(dispute.pk)[:8]}: resolved; customer and vendor notified.")
    ]


def test_reject_from_the_admin_notifies_like_the_api(browser, staff, platform):
    dispute = platform.reviewed_dispute
    run_action(browser, DISPUTES, "reject", [dispute], note="No evidence.")
    dispute.refresh_from_db()
    assert dispute.status == "rejected"
    event = OutboxEvent.objects.filter(event_type="dispute.resolved", data__id=str(dispute.pk)).get()
    assert event.data["status"] == "rejected"
    assert DisputeEvent.objects.filter(dispute=dispute, action="reject", actor=staff).exists()


def test_a_refund_above_the_price_is_reported_and_changes_nothing(browser, platform):
    dispute = platform.reviewed_dispute
    response = run_action(
        browser, DISPUTES, "resolve", [dispute], outcome="refund_partial", refund_amount="999.00", note="Too much."
    )
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "refund_amount" in text
    assert "cannot exceed" in text
    dispute.refresh_from_db()
    assert dispute.status == "under_review"


def test_resolving_an_open_dispute_directly_is_refused(browser, platform):
    response = run_action(browser, DISPUTES, "resolve", [platform.open_dispute], outcome="no_refund", note="x")
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "Cannot resolve a dispute that is open" in text
