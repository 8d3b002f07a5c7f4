"""End to end with a real Celery worker consuming the real Redis broker (the test DB index)."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from config.celery import app as celery_app
from notifications import outbox
from notifications.models import DeliveryStatus, OutboxEvent, SentNotification, WebhookDelivery
from notifications.webhooks import webhook_endpoint_create
from tests.factories.notifications import booking_payload


def _wait_for(condition, timeout_seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker(monkeypatch):
    """A worker thread on the test broker (settings.CELERY_BROKER_URL, its own Redis DB index).

    Queue keys get a per-run prefix so concurrent test runs on one machine never consume or
    purge each other's messages; the producer pool is rebuilt to pick the prefix up.
    """
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert not celery_app.conf.task_always_eager
    prefix = f"allot-test-{os.getpid()}:"
    saved = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = {**saved, "global_keyprefix": prefix}
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    try:
        celery_app.control.purge()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15) as running:
            yield running
        celery_app.control.purge()
    finally:
        celery_app.conf.broker_transport_options = saved
        _drop_keys(prefix)


def _drop_keys(prefix: str) -> None:
    """Remove this run's queue bookkeeping from the test broker DB (best effort, TCP URLs)."""
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reaches_email_and_a_signed_webhook_through_a_real_worker(team, receiver, worker, mailoutbox):
    endpoint = webhook_endpoint_create(vendor_id=team.vendor.id, url=receiver.url, events=[outbox.BOOKING_CONFIRMED])
    receiver.secret = endpoint.secret
    receiver.script = [503]  # the first attempt fails: the retry goes through the sweep below

    data = booking_payload(vendor_id=team.vendor.id)
    with transaction.atomic():
        outbox.emit(
            event_type=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data=data, booking_id=uuid.UUID(data["id"])
        )
    # The commit hook published process_outbox_event; the worker fans out and sends.
    assert _wait_for(lambda: len(mailoutbox) == 3 and len(receiver.received) == 1)
    event = OutboxEvent.objects.get()
    assert event.processed_at is not None
    assert event.dispatched_at is not None
    assert SentNotification.objects.filter(event=event, status="sent").count() == 3

    # Retry: the sweep (as beat would run it) hands the due delivery back to the webhooks queue.
    assert _wait_for(lambda: WebhookDelivery.objects.filter(attempts=1, last_status_code=503).exists())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_retry_at=delivery.created_at)
    celery_app.send_task("notifications.tasks.dispatch_due_webhook_deliveries")
    assert _wait_for(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED)
    assert [request["verified"] for request in receiver.received] == [True, True]
    assert len(mailoutbox) == 3  # nothing was sent twice


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_gives_the_worker_nothing_to_do(team, worker, mailoutbox):
    def failing_booking() -> None:
        with transaction.atomic():
            outbox.emit(event_type=outbox.BOOKING_CONFIRMED, vendor_id=team.vendor.id, data=booking_payload())
            raise RuntimeError("booking failed")

    with pytest.raises(RuntimeError):
        failing_booking()
    time.sleep(0.5)
    assert not OutboxEvent.objects.exists()
    assert mailoutbox == []
