"""Signed webhook deliveries: verified by an independent receiver, retried with growing backoff, SSRF-guarded."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from notifications import outbox
from notifications.models import DeliveryStatus, WebhookDelivery
from notifications.services import outbox_process_event
from notifications.tasks import deliver_webhook
from notifications.webhooks import (
    webhook_deliveries_dispatch_due,
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
)
from tests.factories.notifications import OutboxEventFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(team, receiver):
    created = webhook_endpoint_create(
        vendor_id=team.vendor.id, url=receiver.url, events=[outbox.BOOKING_CONFIRMED, outbox.BOOKING_CANCELLED]
    )
    receiver.secret = created.secret
    return created


def _fan_out(team, django_capture_on_commit_callbacks, event_type=outbox.BOOKING_CONFIRMED):
    event = OutboxEventFactory(vendor=team.vendor, event_type=event_type)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_process_event(event_id=event.pk)
    return event


def test_delivery_is_signed_so_an_independent_receiver_accepts_it(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks
):
    event = _fan_out(team, django_capture_on_commit_callbacks)

    [request] = receiver.received
    assert request["verified"] is True
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"]["id"] == str(event.id)
    assert request["json"]["type"] == "booking.confirmed"
    assert request["json"]["data"] == event.data
    assert request["json"]["created_at"].endswith("Z")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None


def test_a_receiver_with_another_secret_rejects_the_delivery_which_is_retried(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks
):
    receiver.secret = "not-the-endpoint-secret"
    _fan_out(team, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received[0]["verified"] is False
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 401


def test_only_subscribed_event_types_are_delivered(team, endpoint, receiver, eager, django_capture_on_commit_callbacks):
    _fan_out(team, django_capture_on_commit_callbacks, event_type=outbox.BOOKING_HELD)
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_inactive_endpoints_and_other_vendors_endpoints_get_nothing(
    team, receiver, eager, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(vendor=team.vendor, url=receiver.url, is_active=False)
    WebhookEndpointFactory(url=receiver.url)  # another vendor
    _fan_out(team, django_capture_on_commit_callbacks)
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_failing_twice_then_succeeding_takes_three_attempts_with_growing_backoff(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks
):
    receiver.script = [500, 503]
    started = timezone.now()
    _fan_out(team, django_capture_on_commit_callbacks)  # attempt 1 → 500
    delivery = WebhookDelivery.objects.get()
    first_wait = delivery.next_retry_at - started
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1

    assert webhook_deliveries_dispatch_due(now=delivery.next_retry_at - dt.timedelta(seconds=1)) == 0  # not yet
    assert webhook_deliveries_dispatch_due(now=delivery.next_retry_at) == 1  # attempt 2 → 503
    delivery.refresh_from_db()
    second_attempt_at = timezone.now()
    second_wait = delivery.next_retry_at - second_attempt_at
    assert webhook_deliveries_dispatch_due(now=delivery.next_retry_at) == 1  # attempt 3 → 200

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert len(receiver.received) == 3
    assert all(request["verified"] for request in receiver.received)
    assert len({request["json"]["id"] for request in receiver.received}) == 1  # the same event id each time
    backoffs = [entry["retry_in_seconds"] for entry in delivery.attempt_log]
    assert [entry["status_code"] for entry in delivery.attempt_log] == [500, 503, 200]
    assert 30 <= backoffs[0] <= 37.5
    assert 60 <= backoffs[1] <= 75
    assert backoffs[2] is None
    assert backoffs[0] < backoffs[1]
    assert dt.timedelta(seconds=29) < first_wait < second_wait


def test_a_delivery_that_never_succeeds_fails_after_the_attempt_limit(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks, settings
):
    settings.ALLOT_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = [500] * 10
    _fan_out(team, django_capture_on_commit_callbacks)
    for _ in range(5):
        delivery = WebhookDelivery.objects.get()
        if delivery.next_retry_at is None:
            break
        webhook_deliveries_dispatch_due(now=delivery.next_retry_at)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert delivery.next_retry_at is None
    assert delivery.last_error == "HTTP 500"
    assert len(receiver.received) == 3


def test_the_same_attempt_message_twice_makes_one_request(team, endpoint, receiver, monkeypatch):
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda *a, **k: None)
    event = OutboxEventFactory(vendor=team.vendor)
    outbox_process_event(event_id=event.pk)
    delivery = WebhookDelivery.objects.get()
    assert webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=0) is True
    assert webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=0) is False
    assert len(receiver.received) == 1


def test_redirects_are_not_followed(team, endpoint, receiver, eager, django_capture_on_commit_callbacks):
    receiver.script = [302]
    _fan_out(team, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert len(receiver.received) == 1
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302


def test_a_slow_receiver_times_out_and_is_retried(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks, settings
):
    settings.ALLOT_WEBHOOK_READ_TIMEOUT_SECONDS = 0.2
    receiver.delay_seconds = 0.6
    _fan_out(team, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "timeout"
    assert delivery.last_status_code is None
    assert delivery.status == DeliveryStatus.PENDING


def test_delivery_to_a_private_address_is_refused_at_send_time(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks, settings
):
    """Created while allowed (or a name that later re-resolves to loopback): the socket check stops it."""
    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    _fan_out(team, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert "non-public address 127.0.0.1" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING


def test_disabled_endpoint_fails_its_pending_deliveries(team, endpoint, receiver, monkeypatch):
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda *a, **k: None)
    outbox_process_event(event_id=OutboxEventFactory(vendor=team.vendor).pk)
    endpoint.is_active = False
    endpoint.save()
    delivery = WebhookDelivery.objects.get()
    assert webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=0) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert receiver.received == []


def test_admin_redeliver_sends_a_failed_delivery_again(
    team, endpoint, receiver, eager, django_capture_on_commit_callbacks, settings
):
    settings.ALLOT_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.script = [500]
    _fan_out(team, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_redeliver(delivery_id=delivery.pk) is True
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.received) == 2


def test_the_body_sent_is_exactly_the_bytes_signed(team, endpoint, receiver, eager, django_capture_on_commit_callbacks):
    _fan_out(team, django_capture_on_commit_callbacks)
    raw = receiver.received[0]["body"]
    assert json.loads(raw) == receiver.received[0]["json"]
    assert raw.startswith(b'{"id":')  # compact JSON, as signed


def test_the_reference_verifier_rejects_tampered_and_stale_requests():
    from notifications import signing

    body, now = b'{"id":"e1"}', 1_800_000_000
    header = signing.signature(secret="s3cret", timestamp=now, body=body)
    check = {"secret": "s3cret", "timestamp_header": str(now), "signature_header": header}
    assert signing.verify(**check, body=body, now=now + 299)
    assert not signing.verify(**check, body=body + b" ", now=now)
    assert not signing.verify(**check, body=body, now=now + 301)
    assert not signing.verify(**{**check, "timestamp_header": "soon"}, body=body, now=now)
