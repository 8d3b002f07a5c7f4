"""Waitlist services: join, leave, offer freed units, and follow what happens to offers.

The queue is first come, first served per resource: ``created_at`` is set once when a
customer joins and a retried join returns the same entry, so nobody moves up by retrying.
When units free up (a cancel, an expiry, a rejection, a reschedule, more capacity), the
freeing transaction's outbox event reaches ``on_booking_event`` after it commits, which asks
a worker to run ``waitlist_offer_freed``: under the SAME resource lock as every booking it
walks the waiting entries in order and gives each one that now fits a hold made through
``bookings.services.book_locked`` (the one path to allocations). A direct booking racing an
offer for the freed unit therefore queues on that lock; whoever comes second finds the unit
taken, and the exclusion constraint backs it. An offer is an ordinary hold: confirming it
is the normal confirm endpoint, and if it lapses the entry is ``expired`` and the next
entry gets its turn.

Entry status is updated from the booking events (``on_booking_event``): the offered hold
confirmed (or sent for approval) → ``booked``; expired → ``expired``; cancelled (declined)
→ ``left``. ``waitlist_reconcile`` derives the same from the booking's status as a
backstop for events that were lost or are late, and retries offers.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from bookings.domain.availability import BAD_DURATION, BUFFER, CAPACITY_REACHED, HELD, MISALIGNED, TOO_SOON, Reason
from bookings.domain.periods import Period
from bookings.errors import InvalidPeriod, SlotUnavailable
from bookings.locking import lock_customer, lock_resource
from bookings.models import Booking, BookingStatus
from bookings.services import book_locked, booking_cancel, constraint_as_conflict
from common.errors import NotFound, PermissionDenied
from common.transactions import on_commit_robust
from notifications import outbox
from notifications.payloads import booking_data, waitlist_offer_data
from notifications.queueing import enqueue
from resources.models import Resource
from resources.selectors import resource_explain
from waitlist.errors import SlotAvailable, TooManyWaitlistEntries, WaitlistEntryClosed
from waitlist.models import ACTIVE_ENTRY_STATUSES, WaitlistEntry, WaitlistStatus
from waitlist.selectors import entries_visible_to

logger = logging.getLogger("allot.waitlist")

# Reasons that mean "full": waiting makes sense. Anything else (closed, too soon…) does not.
CAPACITY_REASONS = frozenset({CAPACITY_REACHED, HELD, BUFFER})
SHAPE_REASONS = frozenset({BAD_DURATION, MISALIGNED})
# How many waiting entries one offer round looks at (the front of the queue).
OFFER_BATCH = 200

# Booking events that free units of the resource: time to look at the queue.
FREEING_EVENTS = frozenset(
    {outbox.BOOKING_CANCELLED, outbox.BOOKING_EXPIRED, outbox.BOOKING_REJECTED, outbox.BOOKING_RESCHEDULED}
)
# What an event on an OFFERED hold means for its entry.
OFFER_OUTCOMES = {
    outbox.BOOKING_CONFIRMED: WaitlistStatus.BOOKED,
    outbox.BOOKING_PENDING_APPROVAL: WaitlistStatus.BOOKED,
    outbox.BOOKING_EXPIRED: WaitlistStatus.EXPIRED,
    outbox.BOOKING_CANCELLED: WaitlistStatus.LEFT,  # declined (or cancelled by the vendor)
}
# The same, derived from the booking's status (the reconcile backstop).
STATUS_OUTCOMES: dict[str, WaitlistStatus] = {
    BookingStatus.CONFIRMED: WaitlistStatus.BOOKED,
    BookingStatus.PENDING: WaitlistStatus.BOOKED,
    BookingStatus.COMPLETED: WaitlistStatus.BOOKED,
    BookingStatus.NO_SHOW: WaitlistStatus.BOOKED,
    BookingStatus.REJECTED: WaitlistStatus.BOOKED,  # it was taken; the vendor said no later
    BookingStatus.EXPIRED: WaitlistStatus.EXPIRED,
    BookingStatus.CANCELLED: WaitlistStatus.LEFT,
}


def _max_entries() -> int:
    return int(getattr(settings, "ALLOT_MAX_WAITLIST_ENTRIES", 10))


# --- join and leave ----------------------------------------------------------------------


def _check_joinable(reasons: list[Reason]) -> None:
    """Only a period that is full may be waited for: bookable now is 409 ``slot_available``,
    a period that is not bookable for other reasons is refused as a booking would be."""
    if not reasons:
        raise SlotAvailable("This period can be booked now; book it instead of waiting.")
    if all(reason.code in CAPACITY_REASONS for reason in reasons):
        return
    if all(reason.code in SHAPE_REASONS for reason in reasons):
        raise InvalidPeriod("The period does not fit this resource's booking rules.", reasons=reasons)
    raise SlotUnavailable("This period cannot be booked, so it cannot be waited for.", reasons=reasons)


def waitlist_join(
    *,
    customer: User,
    resource_id: uuid.UUID,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    now: datetime | None = None,
) -> tuple[WaitlistEntry, bool]:
    """Queue ``customer`` for ``[start, end)``; ``(entry, created)``. An active entry for the
    same period is returned unchanged (its place in the queue is kept, never renewed)."""
    now = now or timezone.now()
    period = Period(start, end)
    with transaction.atomic():
        lock_customer(customer.pk)
        # Under the resource lock the answer "full" cannot be overtaken by an offer round:
        # a round that starts after a unit frees up waits here and then sees this entry.
        resource = lock_resource(resource_id)
        existing = WaitlistEntry.objects.filter(
            customer=customer,
            resource=resource,
            start=period.start,
            end=period.end,
            status__in=ACTIVE_ENTRY_STATUSES,
        ).first()
        if existing is not None:
            return existing, False
        active = WaitlistEntry.objects.filter(customer=customer, status__in=ACTIVE_ENTRY_STATUSES).count()
        if active >= _max_entries():
            raise TooManyWaitlistEntries(
                f"You are already waiting for {active} periods; leave one first.", extra={"limit": _max_entries()}
            )
        _check_joinable(
            resource_explain(resource=resource, requested=period, quantity=quantity, now=now, customer_id=customer.pk)
        )
        entry = WaitlistEntry.objects.create(
            resource=resource, customer=customer, start=period.start, end=period.end, quantity=quantity
        )
    return entry, True


def waitlist_leave(*, entry_id: uuid.UUID, actor: User, now: datetime | None = None) -> WaitlistEntry:
    """The customer leaves the queue (status ``left``); an open offer's hold is released,
    which frees the unit for the next entry. Leaving twice is a no-op."""
    now = now or timezone.now()
    with transaction.atomic():
        if not entries_visible_to(actor).filter(pk=entry_id).exists():
            raise NotFound("No such waitlist entry.")
        # The row lock orders this with an offer round, which locks the entries it walks.
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
        if entry.customer_id != actor.pk:
            raise PermissionDenied("Only the customer can leave the waitlist.")
        if entry.status == WaitlistStatus.LEFT:
            return entry
        if entry.status not in ACTIVE_ENTRY_STATUSES:
            raise WaitlistEntryClosed(f"This entry is {entry.status}.")
        if entry.status == WaitlistStatus.OFFERED:
            _release_offer(entry, actor=actor, now=now)
        _close(entry, WaitlistStatus.LEFT, now)
    return entry


def _release_offer(entry: WaitlistEntry, *, actor: User, now: datetime) -> None:
    offer_id = entry.offer_booking_id
    offer = Booking.objects.filter(pk=offer_id).values_list("status", flat=True).first() if offer_id else None
    if offer_id and offer == BookingStatus.HELD:
        booking_cancel(booking_id=offer_id, actor=actor, reason="left the waitlist", now=now)
    elif offer is not None:  # confirmed or lapsed already; the events will say so
        raise WaitlistEntryClosed(f"The offered booking is already {offer}.")


def _close(entry: WaitlistEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.closed_at = now
    entry.save(update_fields=["status", "closed_at", "updated_at"])


# --- offers ------------------------------------------------------------------------------


def waitlist_offer_freed(*, resource_id: uuid.UUID | str, now: datetime | None = None) -> int:
    """Offer freed units of a resource to its waiting entries, first come first served.

    Takes the resource lock (the one every booking takes), walks the waiting entries in
    queue order and gives each entry that now fits a hold for its customer; an entry that
    does not fit keeps its place and a later one that fits is served (FIFO among those
    that fit). Entries whose start is too close or past are expired. Returns the number of
    offers made. Safe to run any number of times, concurrently too."""
    now = now or timezone.now()
    offers = 0
    with transaction.atomic():
        resource = lock_resource(uuid.UUID(str(resource_id)))
        # Entry rows are locked too, so a customer leaving waits for this round (and then
        # releases the offer it may have received).
        waiting = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(resource=resource, status=WaitlistStatus.WAITING)
            .order_by("created_at", "id")[:OFFER_BATCH]
        )
        for entry in waiting:
            if entry.start <= now:
                _close(entry, WaitlistStatus.EXPIRED, now)
            elif _offer(entry, resource=resource, now=now):
                offers += 1
    if offers:
        logger.info("waitlist: %d offer(s) on resource %s", offers, resource_id)
    return offers


def _offer(entry: WaitlistEntry, *, resource: Resource, now: datetime) -> bool:
    """Hold the entry's period for its customer if it fits now; True when offered."""
    try:
        # A savepoint: a refusal leaves no trace. The hold cap is not applied: the
        # customer asked to wait, and an offer is limited by ALLOT_MAX_WAITLIST_ENTRIES.
        with constraint_as_conflict("Those units were just taken."), transaction.atomic():
            booking = book_locked(
                resource=resource,
                customer=entry.customer,
                period=Period(entry.start, entry.end),
                quantity=entry.quantity,
                notes="waitlist offer",
                confirm=False,
                now=now,
            )
    except (SlotUnavailable, InvalidPeriod) as exc:
        codes = {reason["code"] for reason in exc.extra.get("reasons", [])}
        if TOO_SOON in codes:  # it will only get sooner
            _close(entry, WaitlistStatus.EXPIRED, now)
        return False
    entry.status = WaitlistStatus.OFFERED
    entry.offer_booking = booking
    entry.offered_at = now
    entry.save(update_fields=["status", "offer_booking", "offered_at", "updated_at"])
    outbox.emit(
        event_type=outbox.WAITLIST_OFFERED,
        vendor_id=resource.vendor_id,
        data=dict(waitlist_offer_data(entry_id=entry.pk, offer=booking_data(booking))),
        booking_id=booking.pk,
    )
    return True


def request_offers(*, resource_id: uuid.UUID | str) -> None:
    """After the current transaction commits (at once outside one), ask a worker to offer
    the resource's freed units. Call it from any change that adds room: capacity raised,
    hours widened, a closure removed. A lost enqueue is caught by the reconcile sweep."""
    from waitlist.tasks import offer_freed_units

    on_commit_robust(enqueue, offer_freed_units, str(resource_id))


# --- following offered bookings ------------------------------------------------------------


def on_booking_event(event_type: str, data: dict[str, Any]) -> None:
    """The outbox fan-out's hook, for every ``booking.*`` event (``data`` is the booking
    snapshot). Settles the entry whose offered hold the event is about, and when the event
    freed units asks for an offer round. Idempotent: run it any number of times."""
    booking_id = data.get("id")
    resource_id = (data.get("resource") or {}).get("id")
    now = timezone.now()
    with transaction.atomic():
        outcome = OFFER_OUTCOMES.get(event_type)
        if outcome is not None and booking_id:
            # Compare-and-set from offered: a repeated or late event changes nothing.
            WaitlistEntry.objects.filter(offer_booking_id=booking_id, status=WaitlistStatus.OFFERED).update(
                status=outcome, closed_at=now, updated_at=now
            )
        if event_type in (outbox.BOOKING_HELD, outbox.BOOKING_CONFIRMED, outbox.BOOKING_PENDING_APPROVAL):
            _settle_direct_booking(data, now=now)
        if event_type in FREEING_EVENTS and resource_id:
            request_offers(resource_id=resource_id)


def _settle_direct_booking(data: dict[str, Any], *, now: datetime) -> None:
    """A waiting customer who booked their period directly no longer waits for it."""
    start, end = parse_datetime(data.get("start") or ""), parse_datetime(data.get("end") or "")
    customer_id = (data.get("customer") or {}).get("id")
    resource_id = (data.get("resource") or {}).get("id")
    if start is None or end is None or not customer_id or not resource_id:
        return
    WaitlistEntry.objects.filter(
        customer_id=customer_id, resource_id=resource_id, start=start, end=end, status=WaitlistStatus.WAITING
    ).update(status=WaitlistStatus.BOOKED, closed_at=now, updated_at=now)


def waitlist_reconcile(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Backstop sweep: derive offered entries' status from their booking (events lost or
    late), expire entries whose period has started, and run an offer round for every
    resource that still has waiting entries."""
    now = now or timezone.now()
    settled = 0
    with transaction.atomic():
        offered = WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).exclude(
            offer_booking__status=BookingStatus.HELD
        )
        for entry_id, booking_status in offered.values_list("pk", "offer_booking__status")[:limit]:
            outcome = STATUS_OUTCOMES.get(booking_status, WaitlistStatus.EXPIRED)
            settled += WaitlistEntry.objects.filter(pk=entry_id, status=WaitlistStatus.OFFERED).update(
                status=outcome, closed_at=now, updated_at=now
            )
        expired = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, start__lte=now).update(
            status=WaitlistStatus.EXPIRED, closed_at=now, updated_at=now
        )
    offers = 0
    for resource_id in _resources_with_waiting(limit):
        try:
            offers += waitlist_offer_freed(resource_id=resource_id, now=now)
        except (SlotUnavailable, NotFound):  # a busy (lock timeout) or deleted resource: next sweep
            logger.info("waitlist: offer round on %s skipped", resource_id)
    return {"settled": settled, "expired": expired, "offers": offers}


def _resources_with_waiting(limit: int) -> list[uuid.UUID]:
    waiting = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).order_by()
    return list(waiting.values_list("resource_id", flat=True).distinct()[:limit])
