"""Email notifications: who hears about what, what it says, exactly once, retried on failure, reminders."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from notifications import emails, outbox, services
from notifications.models import NotificationStatus, OutboxEvent, SentNotification
from notifications.payloads import booking_data, dispute_data, vendor_data, waitlist_offer_data
from notifications.services import (
    notification_send,
    notification_send_reminder,
    notifications_dispatch_due,
    outbox_process_event,
)
from tests.factories.bookings import make_resource
from tests.factories.notifications import OutboxEventFactory, booking_payload
from tests.factories.vendors import member_of
from vendors.models import MembershipRole

pytestmark = pytest.mark.django_db


# --- Formatting and rendering ------------------------------------------------------------


def test_period_is_shown_in_the_resources_zone_with_the_zone_named():
    text = emails.format_period("2027-03-02T08:00:00Z", "2027-03-02T08:20:00Z", "Europe/Berlin")
    assert text == "Tue 2 Mar 2027, 09:00\N{EN DASH}09:20 (Europe/Berlin)"


def test_period_across_days_names_both_days():
    text = emails.format_period("2027-03-01T14:00:00Z", "2027-03-03T10:00:00Z", "Europe/Berlin")
    assert text == "Mon 1 Mar 2027, 15:00 \N{EN DASH} Wed 3 Mar 2027, 11:00 (Europe/Berlin)"


def test_period_follows_daylight_saving_time():
    # 28 March 2027 is the spring-forward day in Berlin: 09:00 local is 07:00 UTC (CEST).
    text = emails.format_period("2027-03-28T07:00:00Z", "2027-03-28T08:00:00+00:00", "Europe/Berlin")
    assert text == "Sun 28 Mar 2027, 09:00\N{EN DASH}10:00 (Europe/Berlin)"


@pytest.mark.parametrize("kind", [k for k, audiences in emails.AUDIENCES.items() if audiences])
def test_every_kind_renders_a_subject_and_body_for_each_audience(kind):
    booking = booking_payload(vendor_name="Salon & Spa", reason="double-booked")
    data: dict = booking
    if kind.startswith("dispute."):
        opened = dt.datetime(2027, 3, 3, 10, tzinfo=dt.UTC)
        data = dict(
            dispute_data(
                dispute_id="d1",
                status="resolved",
                reason="not_as_described",
                description="Cold room.",
                booking=booking,
                opened_at=opened,
                outcome="refund_partial",
                refund_amount=Decimal("20"),
                note="Sorry.",
                resolved_at=opened + dt.timedelta(days=1),
            )
        )
    elif kind == outbox.WAITLIST_OFFERED:
        data = {
            "id": "w1",
            "status": "offered",
            "offer_booking": {**booking, "hold_expires_at": "2027-03-01T10:15:00Z"},
        }
    elif kind.startswith("vendor."):
        data = {"id": "v1", "name": "Salon & Spa", "slug": "salon", "status": "active", "timezone": "UTC", "reason": ""}
    for audience in emails.AUDIENCES[kind]:
        subject, body = emails.render(kind=kind, audience=audience, data=data)
        assert subject
        assert "\n" not in subject
        assert "{" not in subject
        assert body.strip()
        assert "{{" not in body
        assert "{%" not in body
        assert "&amp;" not in subject + body  # plain text: no HTML escaping
        if not kind.startswith("vendor."):
            assert "Tue 2 Mar 2027, 09:00\N{EN DASH}09:20 (Europe/Berlin)" in subject + body


def test_reschedule_email_shows_the_old_and_new_times():
    data = booking_payload(
        start="2027-03-02T09:00:00Z",
        end="2027-03-02T09:20:00Z",
        change={"from": {"start": "2027-03-02T08:00:00Z", "end": "2027-03-02T08:20:00Z"}, "to": {}},
    )
    _, body = emails.render(kind=outbox.BOOKING_RESCHEDULED, audience=emails.CUSTOMER, data=data)
    assert "Before:   Tue 2 Mar 2027, 09:00\N{EN DASH}09:20 (Europe/Berlin)" in body
    assert "When:     Tue 2 Mar 2027, 10:00\N{EN DASH}10:20 (Europe/Berlin)" in body


def test_payload_builders_match_the_contract(team):
    resource = make_resource(vendor=team.vendor)
    from bookings.models import Booking

    start = dt.datetime(2027, 3, 2, 8, 0, tzinfo=dt.UTC)
    booking = Booking.objects.create(
        resource=resource, customer=team.staff, start=start, end=start + dt.timedelta(minutes=20), status="confirmed"
    )
    data = booking_data(booking, reason="moved", previous_start=start, previous_end=start + dt.timedelta(minutes=20))
    assert data["start"] == "2027-03-02T08:00:00Z"
    assert data["price"] == {"amount": "0.00", "currency": "EUR"}
    assert data["resource"]["timezone"] == resource.timezone
    assert data["change"]["from"] == {"start": "2027-03-02T08:00:00Z", "end": "2027-03-02T08:20:00Z"}
    dispute = dispute_data(
        dispute_id=uuid.uuid4(), status="open", reason="no_show_dispute", description="", booking=data, opened_at=start
    )
    assert dispute["refund"] is None
    assert dispute["booking"]["id"] == str(booking.id)
    assert waitlist_offer_data(entry_id="w1", offer=data)["offer_booking"] is data
    assert set(vendor_data(team.vendor)) == {"id", "name", "slug", "status", "timezone", "reason"}


# --- Recipients --------------------------------------------------------------------------


def test_booking_events_go_to_the_customer_and_the_vendors_owners_and_managers(team):
    found = emails.recipients(kind=outbox.BOOKING_CANCELLED, vendor_id=team.vendor.id, data=booking_payload())
    assert dict(found) == {
        "ada@example.com": emails.CUSTOMER,
        "owner@example.com": emails.VENDOR,
        "manager@example.com": emails.VENDOR,
    }  # not the staff member


def test_holds_are_webhook_only_and_expiries_concern_only_the_customer(team):
    assert emails.recipients(kind=outbox.BOOKING_HELD, vendor_id=team.vendor.id, data=booking_payload()) == []
    expired = emails.recipients(kind=outbox.BOOKING_EXPIRED, vendor_id=team.vendor.id, data=booking_payload())
    assert expired == [("ada@example.com", emails.CUSTOMER)]


def test_vendor_status_events_go_to_owners_only(team):
    found = emails.recipients(kind=outbox.VENDOR_SUSPENDED, vendor_id=team.vendor.id, data=vendor_data(team.vendor))
    assert found == [("owner@example.com", emails.VENDOR_OWNER)]


def test_dispute_events_reach_the_customer_inside_the_booking(team):
    data = {"id": "d1", "status": "open", "reason": "x", "booking": booking_payload(customer_email="bo@example.com")}
    found = dict(emails.recipients(kind=outbox.DISPUTE_OPENED, vendor_id=team.vendor.id, data=data))
    assert found["bo@example.com"] == emails.CUSTOMER
    assert "owner@example.com" in found


def test_a_customer_who_is_also_a_manager_gets_one_email_as_the_customer(team):
    data = booking_payload(customer_email="manager@example.com")
    found = emails.recipients(kind=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data=data)
    assert ("manager@example.com", emails.CUSTOMER) in found
    assert len(found) == 2


# --- Exactly once, retries ---------------------------------------------------------------


def _recorded(team, django_capture_on_commit_callbacks, monkeypatch) -> SentNotification:
    """Fan an event out without sending (no inline sends, the send tasks are swallowed), return the customer's row."""
    from notifications.tasks import send_notification

    monkeypatch.setattr(services, "INLINE_EMAILS_MAX", 0)
    monkeypatch.setattr(send_notification, "apply_async", lambda *a, **k: None)
    event = OutboxEventFactory(vendor=team.vendor)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_process_event(event_id=event.pk)
    return SentNotification.objects.get(event=event, recipient="ada@example.com")


def test_a_notification_is_recorded_before_it_is_sent(team, django_capture_on_commit_callbacks, monkeypatch):
    row = _recorded(team, django_capture_on_commit_callbacks, monkeypatch)
    assert row.status == NotificationStatus.PENDING
    assert row.subject.startswith("Booking confirmed: Check-up, Tue 2 Mar 2027, 09:00")
    assert "Hello Ada Lovelace," in row.body


def test_the_same_send_message_delivered_twice_sends_once(
    team, django_capture_on_commit_callbacks, monkeypatch, mailoutbox
):
    row = _recorded(team, django_capture_on_commit_callbacks, monkeypatch)
    assert notification_send(notification_id=row.pk, expected_attempts=0) is True
    assert notification_send(notification_id=row.pk, expected_attempts=0) is False
    assert len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["X-Allot-Notification"] == str(row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.sent_at is not None


def test_a_failed_send_is_retried_with_backoff_then_given_up(
    team, django_capture_on_commit_callbacks, monkeypatch, mailoutbox, settings, eager
):
    settings.ALLOT_EMAIL_MAX_ATTEMPTS = 2
    row = _recorded(team, django_capture_on_commit_callbacks, monkeypatch)
    monkeypatch.undo()  # let the sweep's enqueue run the task (eagerly)

    def smtp_down(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", smtp_down)
    now = timezone.now()
    assert notification_send(notification_id=row.pk, expected_attempts=0, now=now) is False
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert dt.timedelta(seconds=60) <= row.next_attempt_at - now <= dt.timedelta(seconds=75)

    assert notifications_dispatch_due(now=now) == 0  # not due yet
    assert notifications_dispatch_due(now=row.next_attempt_at) == 1  # second attempt, fails again
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 2
    assert row.next_attempt_at is None
    assert mailoutbox == []


def test_a_sweep_takes_over_a_send_whose_worker_died(
    team, django_capture_on_commit_callbacks, monkeypatch, mailoutbox, eager
):
    row = _recorded(team, django_capture_on_commit_callbacks, monkeypatch)
    monkeypatch.undo()
    now = timezone.now()
    # A worker claimed it (attempt 1, status sending, lease) and died before finishing.
    SentNotification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.SENDING, attempts=1, next_attempt_at=now + dt.timedelta(minutes=5)
    )
    assert notifications_dispatch_due(now=now) == 0  # the lease still holds (and the others are not due)
    # Past the lease: this row, plus the two whose first enqueue was lost, are (re)dispatched.
    assert notifications_dispatch_due(now=now + dt.timedelta(minutes=6)) == 3
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "manager@example.com", "owner@example.com"]


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_each_email_once(team, mailoutbox):
    """Four threads (four DB connections) process the same committed event and send its emails."""
    event = OutboxEventFactory(vendor=team.vendor)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            outbox_process_event(event_id=event.pk)
            for row in SentNotification.objects.filter(event=event):
                notification_send(notification_id=row.pk, expected_attempts=0)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "manager@example.com", "owner@example.com"]
    assert OutboxEvent.objects.get().attempts >= 1


# --- Reminders ---------------------------------------------------------------------------


def test_a_reminder_is_sent_once_per_booking(team, eager, django_capture_on_commit_callbacks, mailoutbox):
    data = booking_payload(vendor_id=team.vendor.id)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_reminder(booking_data=data) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_reminder(booking_data=data) is False
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reminder: Check-up, Tue 2 Mar 2027, 09:00\N{EN DASH}09:20 (Europe/Berlin)"
    row = SentNotification.objects.get()
    assert row.kind == outbox.BOOKING_REMINDER
    assert row.event is None
    assert str(row.booking_id) == data["id"]


def test_reminders_of_different_bookings_are_independent(team, eager, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_reminder(booking_data=booking_payload()) is True
        assert notification_send_reminder(booking_data=booking_payload()) is True
    assert len(mailoutbox) == 2


def test_inactive_members_are_not_emailed(team):
    extra = member_of(team.vendor, MembershipRole.MANAGER, email="gone@example.com", is_active=False)
    found = dict(emails.recipients(kind=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data=booking_payload()))
    assert extra.email not in found
