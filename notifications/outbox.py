"""The transactional outbox: the only way side effects leave a state change.

Services call ``emit()`` inside their ``transaction.atomic()`` block; the row commits or
rolls back with the state change. After commit the row is handed to Celery; a periodic
relay picks up anything that was not (broker down at commit time), so side effects are
delayed, never lost. Consumers must be idempotent (at-least-once delivery).

What ``data`` must contain for each event type is in ``notifications/README.md``;
``notifications.payloads`` builds it from model instances.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from common.transactions import on_commit_robust

# Event types (API.md, Webhooks). Services pass one of these as ``event_type``.
BOOKING_HELD = "booking.held"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_PENDING_APPROVAL = "booking.pending_approval"
BOOKING_REJECTED = "booking.rejected"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_RESCHEDULED = "booking.rescheduled"
BOOKING_EXPIRED = "booking.expired"
BOOKING_COMPLETED = "booking.completed"
BOOKING_NO_SHOW = "booking.no_show"
WAITLIST_OFFERED = "waitlist.offered"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_RESOLVED = "dispute.resolved"
VENDOR_APPROVED = "vendor.approved"
VENDOR_SUSPENDED = "vendor.suspended"

# Every event type ``emit()`` accepts; each is also a webhook event vendors may subscribe to.
EVENT_TYPES: tuple[str, ...] = (
    BOOKING_HELD,
    BOOKING_CONFIRMED,
    BOOKING_PENDING_APPROVAL,
    BOOKING_REJECTED,
    BOOKING_CANCELLED,
    BOOKING_RESCHEDULED,
    BOOKING_EXPIRED,
    BOOKING_COMPLETED,
    BOOKING_NO_SHOW,
    WAITLIST_OFFERED,
    DISPUTE_OPENED,
    DISPUTE_RESOLVED,
    VENDOR_APPROVED,
    VENDOR_SUSPENDED,
)

# An email kind only (never an outbox event or a webhook): sent by the reminder job.
BOOKING_REMINDER = "booking.reminder"

logger = logging.getLogger("allot.outbox")


def emit(
    *, event_type: str, vendor_id: uuid.UUID | None, data: dict[str, Any], booking_id: uuid.UUID | None = None
) -> None:
    """Record one domain event in the current transaction. Must be called inside ``atomic()``.

    ``data`` is the JSON snapshot of the object (what a webhook receiver gets as ``data``).
    After commit the event is enqueued for processing; if the broker is down then, the
    periodic relay enqueues it later. A rollback discards both the row and the enqueue.
    """
    # Outside a transaction the row would commit on its own, before (or without) the
    # change it describes: exactly the inconsistency the outbox exists to prevent.
    if not connection.in_atomic_block:
        raise RuntimeError("notifications.outbox.emit() must be called inside transaction.atomic().")
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown outbox event type {event_type!r}.")

    from notifications.models import OutboxEvent

    event = OutboxEvent.objects.create(event_type=event_type, vendor_id=vendor_id, booking_id=booking_id, data=data)
    # robust=True: a failure after commit is logged, never raised into a caller whose change already committed.
    on_commit_robust(dispatch_event, event.id)


def dispatch_event(event_id: uuid.UUID) -> bool:
    """Hand one committed event to Celery and note when. False (logged) if the broker is unreachable."""
    from notifications.models import OutboxEvent
    from notifications.queueing import enqueue
    from notifications.tasks import process_outbox_event

    if not enqueue(process_outbox_event, str(event_id)):
        return False  # the relay picks it up: dispatched_at stays NULL
    try:
        OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    except DatabaseError:  # bookkeeping only: a NULL here just lets the relay enqueue it once more
        logger.warning("could not mark outbox event %s dispatched", event_id, exc_info=True)
    return True


# --- consumers ---------------------------------------------------------------------------
# Other apps react to committed events without notifications depending on them: they
# register here (in AppConfig.ready) and run inside the fan-out transaction of each event,
# so they see every event at least once and must be idempotent.

_consumers: list[tuple[str, Callable[[str, dict[str, Any]], None]]] = []


def register_consumer(*, prefix: str, handler: Callable[[str, dict[str, Any]], None]) -> None:
    """Call ``handler(event_type, data)`` for every processed event whose type starts with ``prefix``."""
    if (prefix, handler) not in _consumers:
        _consumers.append((prefix, handler))


def run_consumers(event_type: str, data: dict[str, Any]) -> None:
    for prefix, handler in _consumers:
        if event_type.startswith(prefix):
            handler(event_type, data)
