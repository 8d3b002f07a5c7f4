"""History rows, outbox events and after-commit scheduling for booking changes."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.models import User
from bookings.models import Booking, BookingEvent, BookingStatus
from notifications import outbox
from notifications.payloads import booking_data

logger = logging.getLogger("allot.bookings")

# Which webhook/notification event a history action produces.
_EVENT_TYPES = {
    ("create", BookingStatus.HELD): outbox.BOOKING_HELD,
    ("confirm", BookingStatus.CONFIRMED): outbox.BOOKING_CONFIRMED,
    ("confirm_pending", BookingStatus.PENDING): outbox.BOOKING_PENDING_APPROVAL,
    ("approve", BookingStatus.CONFIRMED): outbox.BOOKING_CONFIRMED,
    ("reject", BookingStatus.REJECTED): outbox.BOOKING_REJECTED,
    ("cancel", BookingStatus.CANCELLED): outbox.BOOKING_CANCELLED,
    ("expire", BookingStatus.EXPIRED): outbox.BOOKING_EXPIRED,
    ("complete", BookingStatus.COMPLETED): outbox.BOOKING_COMPLETED,
    ("no_show", BookingStatus.NO_SHOW): outbox.BOOKING_NO_SHOW,
    ("reschedule", BookingStatus.CONFIRMED): outbox.BOOKING_RESCHEDULED,
}


def booking_snapshot(booking: Booking) -> dict[str, Any]:
    """The ``data`` of booking events (the contract in notifications/README.md)."""
    return dict(booking_data(booking))


def record(
    booking: Booking,
    *,
    action: str,
    from_status: str,
    actor: User | None,
    now: datetime,
    reason: str = "",
    data: dict[str, Any] | None = None,
    emit: bool = True,
) -> BookingEvent:
    """Append a history row and, for state changes others care about (``emit``), an outbox event."""
    event = BookingEvent.objects.create(
        booking=booking,
        action=action,
        from_status=from_status,
        to_status=booking.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:500],
        data=data or {},
    )
    event_type = _EVENT_TYPES.get((action, BookingStatus(booking.status)))
    if event_type and emit:
        payload = booking_snapshot(booking)
        if data:
            payload["change"] = data
        if reason:
            payload["reason"] = reason[:500]
        outbox.emit(event_type=event_type, vendor_id=booking.resource.vendor_id, data=payload, booking_id=booking.pk)
    return event


def schedule_hold_expiry(booking: Booking) -> None:
    """After commit, ask Celery to expire the hold on time. The sweeper is the backstop,
    so a broker outage here only makes the expiry a little late."""
    booking_id, eta = booking.pk, booking.hold_expires_at
    if eta is None:
        return

    def enqueue() -> None:
        from bookings.tasks import expire_hold

        try:
            expire_hold.apply_async(args=(str(booking_id),), eta=eta, retry=False)
        except Exception:  # noqa: BLE001 - broker down: the sweeper will catch it
            logger.warning("could not schedule hold expiry for %s; the sweeper will", booking_id)

    transaction.on_commit(enqueue)
