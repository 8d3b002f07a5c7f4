"""Booking jobs. Thin: ids in, a service call, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from bookings import services
from bookings.models import Booking, BookingStatus

logger = logging.getLogger("allot.bookings")
SWEEP_BATCH = 500


@shared_task(name="bookings.tasks.expire_hold", acks_late=True, ignore_result=True)
def expire_hold(booking_id: str) -> bool:
    """Expire one hold at its expiry time (a no-op if it was confirmed or cancelled)."""
    return services.booking_expire_hold(booking_id=booking_id)  # type: ignore[arg-type]


def sweep_expired_holds_now(*, limit: int = SWEEP_BATCH) -> int:
    """Expire every hold past its time; the backstop for expiry tasks that never ran."""
    now = timezone.now()
    due = Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lte=now).order_by("hold_expires_at")
    return sum(services.booking_expire_hold(booking_id=pk, now=now) for pk in due.values_list("pk", flat=True)[:limit])


def complete_finished_now(*, limit: int = SWEEP_BATCH) -> int:
    """Move confirmed bookings whose end has passed to completed."""
    now = timezone.now()
    done = Booking.objects.filter(status=BookingStatus.CONFIRMED, end__lte=now).order_by("end")
    return sum(services.booking_complete(booking_id=pk, now=now) for pk in done.values_list("pk", flat=True)[:limit])
