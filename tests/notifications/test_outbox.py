"""The transactional outbox: rows commit with the change, enqueue after commit, survive a broker outage."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app as celery_app
from notifications import outbox
from notifications.models import OutboxEvent, SentNotification, WebhookDelivery
from notifications.services import outbox_process_event, outbox_relay
from notifications.tasks import process_outbox_event, relay_outbox
from notifications.webhooks import webhook_endpoint_create
from tests.factories.notifications import OutboxEventFactory, booking_payload

pytestmark = pytest.mark.django_db


def _emit(team, **extra):
    data = booking_payload(vendor_id=team.vendor.id, **extra)
    outbox.emit(
        event_type=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data=data, booking_id=uuid.UUID(data["id"])
    )
    return data


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(team):
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        outbox.emit(event_type=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data={})
    assert not OutboxEvent.objects.exists()


def test_unknown_event_type_is_refused(team):
    with pytest.raises(ValueError, match="Unknown outbox event type"):
        outbox.emit(event_type="booking.teleported", vendor_id=team.vendor.id, data={})


def _booking_that_fails_after_emitting(team) -> None:
    with transaction.atomic():
        _emit(team)
        raise ZeroDivisionError("the booking transaction fails after emitting")


def test_rolled_back_emit_leaves_no_row_and_enqueues_nothing(team, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(process_outbox_event, "apply_async", lambda *a, **k: published.append(a))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ZeroDivisionError):
        _booking_that_fails_after_emitting(team)
    assert callbacks == []
    assert published == []
    assert not OutboxEvent.objects.exists()


def test_nothing_is_enqueued_before_commit_and_the_event_is_processed_after(
    team, eager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        data = _emit(team)
        assert mailoutbox == []  # not before commit
        assert OutboxEvent.objects.get().processed_at is None

    event = OutboxEvent.objects.get()
    assert event.dispatched_at is not None
    assert event.processed_at is not None
    assert event.booking_id == uuid.UUID(data["id"])
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "manager@example.com", "owner@example.com"]


def test_a_broker_outage_at_commit_is_swallowed_and_the_relay_delivers_later(
    team, eager, django_capture_on_commit_callbacks, mailoutbox, monkeypatch, settings
):
    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(process_outbox_event, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            _emit(team)  # the caller sees no error: its booking committed

    event = OutboxEvent.objects.get()
    assert event.dispatched_at is None
    assert event.processed_at is None
    assert mailoutbox == []

    settings.ALLOT_OUTBOX_RELAY_GRACE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert relay_outbox.delay().get() == 1

    event.refresh_from_db()
    assert event.processed_at is not None
    assert len(mailoutbox) == 3


def test_during_an_outage_a_transaction_with_many_events_pays_the_broker_timeout_once(
    team, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(args)
        raise BrokerError("down")

    monkeypatch.setattr(process_outbox_event, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(20):  # e.g. a booking series
            _emit(team)
    assert len(calls) == 1  # the circuit breaker skipped the other 19 publishes
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 20


def test_a_dead_broker_port_costs_the_caller_no_exception(
    team, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """A real publish to a port nobody listens on: logged, swallowed, quick; the row waits for the relay."""
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _emit(team)
    assert timezone.now() - started < dt.timedelta(seconds=5)
    assert OutboxEvent.objects.get().dispatched_at is None
    assert "broker unavailable" in caplog.text


def test_relay_leaves_young_rows_to_the_commit_hook_and_skips_processed_ones(eager):
    now = timezone.now()
    young = OutboxEventFactory()
    done = OutboxEventFactory(processed_at=now)
    OutboxEvent.objects.filter(pk=done.pk).update(created_at=now - dt.timedelta(minutes=1))
    assert outbox_relay(now=now) == 0
    young.refresh_from_db()
    assert young.dispatched_at is None


def test_relay_does_not_redispatch_a_recently_dispatched_event(monkeypatch):
    now = timezone.now()
    event = OutboxEventFactory(dispatched_at=now - dt.timedelta(seconds=30))
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=now - dt.timedelta(minutes=1))
    published = []
    monkeypatch.setattr(process_outbox_event, "apply_async", lambda *a, **k: published.append(k["args"]))
    assert outbox_relay(now=now) == 0
    # …but does once it has sat unprocessed past the redispatch window (a lost message).
    assert outbox_relay(now=now + dt.timedelta(minutes=10)) == 1
    assert published == [(str(event.pk),)]


def test_relay_unclaims_rows_it_could_not_publish(monkeypatch):
    now = timezone.now()
    event = OutboxEventFactory()
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=now - dt.timedelta(minutes=1))

    def broker_down(*args, **kwargs):
        raise BrokerError("down")

    monkeypatch.setattr(process_outbox_event, "apply_async", broker_down)
    assert outbox_relay(now=now) == 0
    event.refresh_from_db()
    assert event.dispatched_at is None


def test_relay_gives_up_on_a_poison_event(settings):
    now = timezone.now()
    event = OutboxEventFactory(attempts=settings.ALLOT_OUTBOX_MAX_ATTEMPTS)
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=now - dt.timedelta(minutes=1))
    assert outbox_relay(now=now) == 0


def test_processing_an_event_twice_sends_one_email_per_recipient_and_one_delivery(
    team, eager, django_capture_on_commit_callbacks, mailoutbox, receiver
):
    endpoint = webhook_endpoint_create(vendor_id=team.vendor.id, url=receiver.url, events=[outbox.BOOKING_CONFIRMED])
    receiver.secret = endpoint.secret
    event = OutboxEventFactory(vendor=team.vendor)

    with django_capture_on_commit_callbacks(execute=True):
        assert process_outbox_event.delay(str(event.pk)).get() is True
    with django_capture_on_commit_callbacks(execute=True):
        assert process_outbox_event.delay(str(event.pk)).get() is False

    assert len(mailoutbox) == 3
    assert SentNotification.objects.filter(event=event).count() == 3
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert len(receiver.received) == 1


def test_a_lost_processed_flag_still_produces_no_second_email(
    team, eager, django_capture_on_commit_callbacks, mailoutbox
):
    """Even if processing is forced to run again (processed_at cleared), the unique records hold."""
    event = OutboxEventFactory(vendor=team.vendor)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_process_event(event_id=event.pk)
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_process_event(event_id=event.pk)
    assert len(mailoutbox) == 3
    assert SentNotification.objects.filter(event=event).count() == 3


def test_event_without_vendor_makes_no_deliveries(eager, django_capture_on_commit_callbacks):
    event = OutboxEventFactory(vendor=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process_event(event_id=event.pk) is True
    assert not WebhookDelivery.objects.exists()
