"""Vendor webhook endpoints and signed deliveries with retries (API.md, Webhooks).

A delivery is one (endpoint, event) row — the unique constraint makes fan-out idempotent.
An attempt claims the row with a compare-and-set on ``attempts`` (one winner among
duplicate messages), POSTs outside any transaction with short timeouts and no redirects,
then records the outcome: 2xx → ``succeeded``; anything else → ``next_retry_at`` after an
exponential backoff with jitter, until ``ALLOT_WEBHOOK_MAX_ATTEMPTS``, then ``failed``.
Receivers get at-least-once delivery: the same event id may arrive more than once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.transactions import on_commit_robust
from notifications import signing
from notifications.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from notifications.outbox import EVENT_TYPES
from notifications.payloads import iso
from notifications.queueing import enqueue
from notifications.retries import backoff_seconds, claim_due, setting_seconds
from notifications.targets import TargetRefused, guarded_session, validate_url
from vendors.models import Vendor

logger = logging.getLogger("allot.webhooks")

USER_AGENT = "Allot-Webhooks/1.0"


# --- Endpoints -------------------------------------------------------------------------


def webhook_endpoint_create(*, vendor_id: uuid.UUID, url: str, events: Sequence[str]) -> WebhookEndpoint:
    """Register an endpoint with a fresh signing secret (the caller shows it once)."""
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if not events or unknown:
        message = f"Unknown or missing event types: {unknown or 'none given'}."
        raise InvalidInput(
            "Unknown or missing event types.",
            code="validation_error",
            extra={"errors": {"events": [message]}},
        )
    # Resolving the host is network I/O: done before the transaction, never inside it.
    try:
        validate_url(url)
    except TargetRefused as exc:
        raise InvalidInput(str(exc), code="webhook_url_not_allowed", extra={"errors": {"url": [str(exc)]}}) from exc
    with transaction.atomic():
        # The vendor row lock makes the count-then-insert below safe against a concurrent create.
        Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if WebhookEndpoint.objects.filter(vendor_id=vendor_id).count() >= settings.ALLOT_WEBHOOK_MAX_ENDPOINTS:
            raise Conflict(
                f"A vendor may have at most {settings.ALLOT_WEBHOOK_MAX_ENDPOINTS} webhook endpoints.",
                code="webhook_limit_reached",
            )
        return WebhookEndpoint.objects.create(
            vendor_id=vendor_id, url=url, events=list(dict.fromkeys(events)), secret=signing.new_secret()
        )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log; queued attempts for it find nothing and stop."""
    with transaction.atomic():
        endpoint.delete()


def webhook_endpoints_for_vendor(*, vendor_id: uuid.UUID) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(vendor_id=vendor_id)


def webhook_deliveries_for_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")


# --- Deliveries ------------------------------------------------------------------------


def webhook_deliveries_record(*, event: OutboxEvent, now: dt.datetime) -> list[uuid.UUID]:
    """Create one pending delivery per subscribed active endpoint (inside the fan-out transaction)."""
    if event.vendor_id is None:
        return []
    endpoint_ids = WebhookEndpoint.objects.filter(
        vendor_id=event.vendor_id, is_active=True, events__contains=[event.event_type]
    ).values_list("id", flat=True)
    # The on-commit enqueue sends them now; next_retry_at only tells the sweep when to step in.
    retry_at = now + setting_seconds("ALLOT_WEBHOOK_REDISPATCH_SECONDS")
    rows = [WebhookDelivery(endpoint_id=pk, event=event, next_retry_at=retry_at) for pk in endpoint_ids]
    if not rows:  # no subscriber (the common case): nothing to record, nothing to look up
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    fresh = WebhookDelivery.objects.filter(event=event, status=DeliveryStatus.PENDING, attempts=0)
    return list(fresh.values_list("id", flat=True))


def webhook_delivery_attempt(*, delivery_id: uuid.UUID, expected_attempts: int, now: dt.datetime | None = None) -> bool:
    """Make attempt number ``expected_attempts + 1`` of one delivery; True if it succeeded."""
    now = now or timezone.now()
    max_attempts = settings.ALLOT_WEBHOOK_MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.attempts != expected_attempts:
        return False  # done, deleted, or a stale duplicate message
    pending = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
    if not delivery.endpoint.is_active:
        pending.update(status=DeliveryStatus.FAILED, next_retry_at=None, last_error="endpoint disabled")
        return False
    # Compare-and-set claim: exactly one of two workers holding the same (id, attempts) wins.
    # The lease in next_retry_at lets the sweep retry if this worker dies mid-request.
    lease_until = now + setting_seconds("ALLOT_WEBHOOK_LEASE_SECONDS")
    claimed = pending.filter(attempts=expected_attempts, attempts__lt=max_attempts).update(
        attempts=F("attempts") + 1, next_retry_at=lease_until
    )
    if not claimed:
        return False
    attempt = expected_attempts + 1
    status_code, error = _post(delivery, attempt=attempt)
    succeeded = status_code is not None and 200 <= status_code < 300
    retry_in = None
    if not succeeded and attempt < max_attempts:
        retry_in = backoff_seconds(
            attempt,
            base_seconds=settings.ALLOT_WEBHOOK_RETRY_BASE_SECONDS,
            max_seconds=settings.ALLOT_WEBHOOK_RETRY_MAX_SECONDS,
        )
    entry = {
        "attempt": attempt,
        "at": iso(now),
        "status_code": status_code,
        "error": error,
        "retry_in_seconds": retry_in,
    }
    fields: dict[str, Any] = {
        "last_status_code": status_code,
        "last_error": error,
        "attempt_log": [*delivery.attempt_log, entry],
    }
    if succeeded:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=timezone.now(), next_retry_at=None)
    elif retry_in is None:
        fields.update(status=DeliveryStatus.FAILED, next_retry_at=None)
        logger.warning("webhook delivery %s failed for good after %d attempts: %s", delivery_id, attempt, error)
    else:
        fields.update(next_retry_at=now + dt.timedelta(seconds=retry_in))
    pending.filter(attempts=attempt).update(**fields)
    return succeeded


def webhook_payload(event: OutboxEvent) -> dict[str, Any]:
    """The JSON body receivers get: ``{"id", "type", "created_at", "data"}``."""
    return {"id": str(event.id), "type": event.event_type, "created_at": iso(event.created_at), "data": event.data}


def _post(delivery: WebhookDelivery, *, attempt: int) -> tuple[int | None, str]:
    """POST the signed event; (status code or None, short error or "")."""
    event, endpoint = delivery.event, delivery.endpoint
    body = signing.body_bytes(webhook_payload(event))
    # Signed at send time (not event time): receivers reject timestamps older than 5 minutes,
    # and retries can come hours later.
    headers = signing.signed_headers(secret=endpoint.secret, timestamp=int(time.time()), body=body)
    headers.update(
        {
            "User-Agent": USER_AGENT,
            "X-Allot-Event": event.event_type,
            "X-Allot-Event-Id": str(event.id),
            "X-Allot-Delivery": str(delivery.id),
            "X-Allot-Attempt": str(attempt),
        }
    )
    timeout = (settings.ALLOT_WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.ALLOT_WEBHOOK_READ_TIMEOUT_SECONDS)
    try:
        with guarded_session() as session:
            response = session.post(
                endpoint.url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
            )
            response.close()  # the status is all we need; never read an arbitrary body
    except TargetRefused as exc:
        return None, str(exc)[:500]
    except requests.Timeout:
        return None, "timeout"
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def webhook_deliveries_dispatch_due(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Enqueue deliveries whose retry time (or a dead worker's lease) has come; fail exhausted ones."""
    from notifications.tasks import deliver_webhook

    now = now or timezone.now()
    due = claim_due(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_retry_at__lte=now).order_by("next_retry_at"),
        time_field="next_retry_at",
        retry_at=now + setting_seconds("ALLOT_WEBHOOK_REDISPATCH_SECONDS"),
        batch_size=batch_size,
        max_attempts=settings.ALLOT_WEBHOOK_MAX_ATTEMPTS,
        failed={"status": DeliveryStatus.FAILED, "next_retry_at": None},
    )
    for delivery_id, attempts in due:
        enqueue(deliver_webhook, str(delivery_id), attempts)
    return len(due)


def webhook_delivery_redeliver(*, delivery_id: uuid.UUID, now: dt.datetime | None = None) -> bool:
    """Admin action: give a delivery a fresh attempt budget and send it now."""
    from notifications.tasks import deliver_webhook

    now = now or timezone.now()
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_retry_at=now + setting_seconds("ALLOT_WEBHOOK_REDISPATCH_SECONDS"),
        )
        if updated:
            on_commit_robust(enqueue, deliver_webhook, str(delivery_id), 0)
    return bool(updated)
