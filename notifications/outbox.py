"""The transactional outbox: the only way side effects leave a state change.

Services call ``emit()`` inside their ``transaction.atomic()`` block; the row commits or
rolls back with the state change. After commit the row is handed to Celery; a periodic
relay picks up anything that was not (broker down at commit time), so side effects are
delayed, never lost. Consumers must be idempotent (at-least-once delivery).
"""

from __future__ import annotations

import uuid
from typing import Any

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


def emit(
    *, event_type: str, vendor_id: uuid.UUID | None, data: dict[str, Any], booking_id: uuid.UUID | None = None
) -> None:
    """Record one domain event in the current transaction. Must be called inside ``atomic()``.

    ``data`` is the JSON snapshot of the object (what a webhook receiver gets as ``data``).
    Placeholder until the notifications issue lands: a no-op that keeps the call sites honest.
    """
    del event_type, vendor_id, data, booking_id
