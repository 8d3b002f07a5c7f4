"""Booking jobs. Thin: ids in, a service call, safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bookings import services
from bookings.events import booking_snapshot
from bookings.models import Booking, BookingStatus
from notifications import outbox
from notifications.locks import periodic_lock
from notifications.models import SentNotification
from notifications.services import notification_send_reminder

logger = logging.getLogger("allot.bookings")
SWEEP_BATCH = 500
SWEEP_LOCK_SECONDS = 120  # longer than a sweep takes; a lost lock only means an overlap


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


def send_reminders_now(*, lead: timedelta | None = None, limit: int = SWEEP_BATCH) -> int:
    """One reminder per confirmed booking starting within ``lead`` (default 24 h), exactly once:
    bookings that already have a reminder are skipped here, and the unique constraint on
    (booking, recipient, kind) settles overlapping sweeps."""
    lead = lead or timedelta(minutes=int(getattr(settings, "ALLOT_REMINDER_LEAD_MINUTES", 24 * 60)))
    now = timezone.now()
    reminded = SentNotification.objects.filter(kind=outbox.BOOKING_REMINDER, booking_id=OuterRef("pk"))
    due = (
        Booking.objects.filter(status=BookingStatus.CONFIRMED, start__gt=now, start__lte=now + lead)
        .exclude(Exists(reminded))
        .select_related("resource", "resource__vendor", "customer")
        .order_by("start")[:limit]
    )
    return sum(notification_send_reminder(booking_data=booking_snapshot(booking), now=now) for booking in due)


def _locked_sweep(name: str, sweep: Callable[[], int]) -> int:
    with periodic_lock(name, timeout_seconds=SWEEP_LOCK_SECONDS) as acquired:
        if not acquired:
            return 0
        count = sweep()
    if count:
        logger.info("%s: %d", name, count)
    return count


@shared_task(name="bookings.tasks.sweep_expired_holds", ignore_result=True)
def sweep_expired_holds() -> int:
    return _locked_sweep("sweep-expired-holds", sweep_expired_holds_now)


@shared_task(name="bookings.tasks.complete_finished_bookings", ignore_result=True)
def complete_finished_bookings() -> int:
    return _locked_sweep("complete-finished-bookings", complete_finished_now)


@shared_task(name="bookings.tasks.send_reminders", ignore_result=True)
def send_reminders() -> int:
    return _locked_sweep("send-reminders", send_reminders_now)
