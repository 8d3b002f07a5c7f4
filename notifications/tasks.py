"""Celery tasks: thin callers of the services; ids in, safe to run twice.

Queues and routes, retry defaults (``config.celery.AllotTask``) and the beat schedule are in
``config/celery.py``. Periodic sweeps take a short Redis lock so two beats or workers do not
repeat the same sweep; without Redis they skip a round (the next one catches up).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from celery import shared_task

from notifications.locks import periodic_lock
from notifications.services import (
    notification_send,
    notifications_dispatch_due,
    outbox_process_event,
    outbox_relay,
    records_purge,
)
from notifications.webhooks import webhook_deliveries_dispatch_due, webhook_delivery_attempt

# Longer than a sweep may run (its hard time limit), shorter than the gap a lost lock may cost.
SWEEP_LOCK_SECONDS = 60
# Sweeps are not retried: the next beat tick is the retry.
SWEEP_OPTIONS: dict[str, Any] = {"autoretry_for": (), "max_retries": 0, "soft_time_limit": 50, "time_limit": 60}


def _exclusively(name: str, sweep: Callable[[], Any]) -> Any:
    with periodic_lock(name, timeout_seconds=SWEEP_LOCK_SECONDS) as acquired:
        return sweep() if acquired else None


@shared_task(name="notifications.tasks.process_outbox_event")
def process_outbox_event(event_id: str) -> bool:
    return outbox_process_event(event_id=uuid.UUID(event_id))


@shared_task(name="notifications.tasks.send_notification", soft_time_limit=60, time_limit=90)
def send_notification(notification_id: int, expected_attempts: int = 0) -> bool:
    return notification_send(notification_id=notification_id, expected_attempts=expected_attempts)


@shared_task(name="notifications.tasks.deliver_webhook", soft_time_limit=30, time_limit=45)
def deliver_webhook(delivery_id: str, expected_attempts: int = 0) -> bool:
    return webhook_delivery_attempt(delivery_id=uuid.UUID(delivery_id), expected_attempts=expected_attempts)


@shared_task(name="notifications.tasks.relay_outbox", **SWEEP_OPTIONS)
def relay_outbox() -> int | None:
    return _exclusively("relay_outbox", outbox_relay)


@shared_task(name="notifications.tasks.dispatch_due_notifications", **SWEEP_OPTIONS)
def dispatch_due_notifications() -> int | None:
    return _exclusively("dispatch_due_notifications", notifications_dispatch_due)


@shared_task(name="notifications.tasks.dispatch_due_webhook_deliveries", **SWEEP_OPTIONS)
def dispatch_due_webhook_deliveries() -> int | None:
    return _exclusively("dispatch_due_webhook_deliveries", webhook_deliveries_dispatch_due)


@shared_task(
    name="notifications.tasks.purge_old_records", **{**SWEEP_OPTIONS, "soft_time_limit": 600, "time_limit": 660}
)
def purge_old_records() -> dict[str, int] | None:
    with periodic_lock("purge_old_records", timeout_seconds=700) as acquired:
        return records_purge() if acquired else None
