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
    event = _history_row(
        booking, action=action, from_status=from_status, to_status=booking.status, actor=actor, reason=reason, data=data
    )
    event.save(force_insert=True)
    if emit:
        _announce(booking, action=action, reason=reason, data=data)
    return event


def record_instant_creation(booking: Booking, *, confirm_action: str, actor: User | None, now: datetime) -> None:
    """History and outbox event of a booking created and confirmed (or sent for approval) in one step.

    Both steps are kept in history, as if the hold had been written and then confirmed
    (``create``: "" → held, then ``confirm_action``: held → the booking's status), in one
    INSERT; only the confirmation is announced (the hold never existed outside the transaction).
    """
    rows = [
        _history_row(booking, action="create", from_status="", to_status=BookingStatus.HELD, actor=actor),
        _history_row(
            booking, action=confirm_action, from_status=BookingStatus.HELD, to_status=booking.status, actor=actor
        ),
    ]
    BookingEvent.objects.bulk_create(rows)
    _announce(booking, action=confirm_action, reason="", data=None)


def _history_row(
    booking: Booking,
    *,
    action: str,
    from_status: str,
    to_status: str,
    actor: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> BookingEvent:
    return BookingEvent(
        booking=booking,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:500],
        data=data or {},
    )


def _announce(booking: Booking, *, action: str, reason: str, data: dict[str, Any] | None) -> None:
    """The outbox event of a history action, if that action (ending in the booking's status) has one."""
    event_type = _EVENT_TYPES.get((action, BookingStatus(booking.status)))
    if event_type is None:
        return
    payload = booking_snapshot(booking)
    if data:
        payload["change"] = data
    if reason:
        payload["reason"] = reason[:500]
    outbox.emit(event_type=event_type, vendor_id=booking.resource.vendor_id, data=payload, booking_id=booking.pk)


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
