"""The fan-out sends the few emails it records itself, after its commit; the queue and the sweep stay the backstop."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import outbox, services
from notifications.models import NotificationStatus, OutboxEvent, SentNotification
from notifications.services import notifications_dispatch_due, outbox_process_event
from notifications.tasks import deliver_webhook, send_notification
from notifications.webhooks import webhook_endpoint_create
from tests.factories.notifications import OutboxEventFactory

pytestmark = pytest.mark.django_db

EVERYONE = ["ada@example.com", "manager@example.com", "owner@example.com"]


@pytest.fixture
def queued(monkeypatch):
    """The ids handed to the send_notification queue (nothing is published)."""
    published: list[tuple] = []
    monkeypatch.setattr(send_notification, "apply_async", lambda *a, **k: published.append(k["args"]))
    return published


def _fan_out(team, django_capture_on_commit_callbacks, **event):
    event = OutboxEventFactory(vendor=team.vendor, **event)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process_event(event_id=event.pk) is True
    return event


def _rows(event):
    return {row.recipient: row for row in SentNotification.objects.filter(event=event)}


def test_the_fan_out_sends_its_emails_itself_without_a_task_each(
    team, django_capture_on_commit_callbacks, mailoutbox, queued
):
    event = _fan_out(team, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == EVERYONE
    assert queued == []  # no send_notification task at all
    for row in _rows(event).values():
        assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == ("sent", 1, None, "")
        assert row.sent_at is not None
    headers = {m.to[0]: m.extra_headers for m in mailoutbox}
    assert headers["ada@example.com"]["X-Allot-Notification"] == str(_rows(event)["ada@example.com"].pk)
    assert headers["ada@example.com"]["X-Allot-Kind"] == outbox.BOOKING_CONFIRMED


def test_emails_beyond_the_inline_limit_go_to_the_queue(
    team, django_capture_on_commit_callbacks, mailoutbox, queued, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_EMAILS_MAX", 1)
    event = _fan_out(team, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    rows = _rows(event)
    sent = [row for row in rows.values() if row.status == NotificationStatus.SENT]
    pending = [row for row in rows.values() if row.status == NotificationStatus.PENDING]
    assert [row.recipient for row in sent] == mailoutbox[0].to
    assert sorted(queued) == sorted((row.pk, 0) for row in pending)
    assert all(row.attempts == 0 and row.next_attempt_at > timezone.now() for row in pending)


def test_a_failed_inline_send_is_retried_by_the_sweep_and_the_rest_go_to_the_queue(
    team, django_capture_on_commit_callbacks, mailoutbox, queued, monkeypatch, eager
):
    calls = []

    def smtp_down(self, messages):
        calls.append(messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as down:
        down.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", smtp_down)
        before = timezone.now()
        event = _fan_out(team, django_capture_on_commit_callbacks)

    assert len(calls) == 1  # the first failure pauses inline sending: the others were not tried here
    rows = _rows(event)
    failed = [row for row in rows.values() if row.attempts == 1]
    handed_over = [row for row in rows.values() if row.attempts == 0]
    assert len(failed) == 1
    assert len(handed_over) == 2
    retry = failed[0]
    # The same retry rule as a failed send_notification: back to pending with a backoff.
    assert retry.status == NotificationStatus.PENDING
    assert "SMTPServerDisconnected" in retry.last_error
    assert dt.timedelta(seconds=60) <= retry.next_attempt_at - before <= dt.timedelta(seconds=76)
    # The other two were released (attempt 0) and handed to the notifications queue.
    assert sorted(queued) == sorted((row.pk, 0) for row in handed_over)
    assert all(row.status == NotificationStatus.PENDING for row in handed_over)

    # While paused, the next event's emails all go through the queue.
    queued.clear()
    second = _fan_out(team, django_capture_on_commit_callbacks)
    assert sorted(queued) == sorted((row.pk, 0) for row in _rows(second).values())
    assert mailoutbox == []

    # The sweep sends the failed one as attempt 2, through the (eager) task.
    monkeypatch.undo()
    SentNotification.objects.exclude(pk=retry.pk).update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    assert notifications_dispatch_due(now=retry.next_attempt_at) == 1
    retry.refresh_from_db()
    assert (retry.status, retry.attempts) == (NotificationStatus.SENT, 2)
    assert [m.to[0] for m in mailoutbox] == [retry.recipient]


def test_a_slow_inline_send_pauses_inline_sending(
    team, django_capture_on_commit_callbacks, mailoutbox, queued, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_SLOW_SECONDS", -1.0)  # every send counts as slow
    event = _fan_out(team, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1  # sent, then the pause handed the other two to the queue
    rows = _rows(event)
    assert rows[mailoutbox[0].to[0]].status == NotificationStatus.SENT
    assert sorted(queued) == sorted((row.pk, 0) for row in rows.values() if row.status == NotificationStatus.PENDING)
    assert len(queued) == 2


def test_a_worker_dying_after_the_fan_out_leaves_its_claimed_emails_to_the_sweep(
    team, django_capture_on_commit_callbacks, mailoutbox, queued, monkeypatch, eager
):
    with monkeypatch.context() as dead:
        dead.setattr(services, "_dispatch_new", lambda *args: None)  # committed, then the worker died
        event = _fan_out(team, django_capture_on_commit_callbacks)
    rows = _rows(event)
    assert all(row.status == NotificationStatus.SENDING and row.attempts == 1 for row in rows.values())
    lease = rows["ada@example.com"].next_attempt_at
    assert lease > timezone.now() + dt.timedelta(minutes=4)  # ALLOT_NOTIFICATION_LEASE_SECONDS
    assert mailoutbox == []

    monkeypatch.undo()  # the real send task, run eagerly by the sweep
    assert notifications_dispatch_due(now=timezone.now()) == 0  # the lease holds
    assert notifications_dispatch_due(now=lease + dt.timedelta(seconds=1)) == 3
    assert sorted(m.to[0] for m in mailoutbox) == EVERYONE
    assert {(row.status, row.attempts) for row in _rows(event).values()} == {(NotificationStatus.SENT, 2)}


def test_reprocessing_an_event_records_nothing_new_and_hands_out_never_attempted_rows_again(
    team, django_capture_on_commit_callbacks, mailoutbox, queued, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_EMAILS_MAX", 0)
    event = _fan_out(team, django_capture_on_commit_callbacks)
    first = sorted(queued)
    assert len(first) == 3
    queued.clear()
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)  # a lost processed flag
    monkeypatch.setattr(services, "INLINE_EMAILS_MAX", 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process_event(event_id=event.pk) is True
    assert SentNotification.objects.filter(event=event).count() == 3
    assert sorted(queued) == first  # as before: the recorded, never attempted rows are handed out again
    assert mailoutbox == []


def test_an_event_nobody_subscribed_to_costs_no_delivery_lookup(team, django_capture_on_commit_callbacks, queued):
    event = OutboxEventFactory(vendor=team.vendor)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        outbox_process_event(event_id=event.pk)
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if 'FROM "notifications_webhookdelivery"' in s]
    # The emails: no read-back of the rows, no claim per email, one UPDATE per email sent.
    assert not [s for s in statements if s.startswith('SELECT "notifications_sentnotification"')]
    assert len([s for s in statements if s.startswith('UPDATE "notifications_sentnotification"')]) == 3


def test_webhooks_still_go_through_their_own_queue(team, django_capture_on_commit_callbacks, receiver, monkeypatch):
    endpoint = webhook_endpoint_create(vendor_id=team.vendor.id, url=receiver.url, events=[outbox.BOOKING_CONFIRMED])
    published = []
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda *a, **k: published.append(k["args"]))
    event = _fan_out(team, django_capture_on_commit_callbacks)
    delivery = event.webhook_deliveries.get()
    assert delivery.endpoint_id == endpoint.pk
    assert published == [(str(delivery.pk), 0)]
    assert receiver.received == []
