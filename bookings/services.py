"""Booking services: every write to a booking goes through one of these functions.

Each owns its transaction. Creation and rescheduling lock the resource row so that
"is there room, then insert" is one step per resource; status changes are
compare-and-set UPDATEs whose row count says who won. The exclusion constraint on
allocations is the last word either way. Side effects leave through the outbox and
``on_commit`` hooks, never from inside the transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from psycopg.types.range import Range

from accounts.models import User
from bookings import events
from bookings.domain import availability
from bookings.domain.availability import Reason
from bookings.domain.hours import local_date
from bookings.domain.lifecycle import BookingAction, InvalidTransition, next_status
from bookings.domain.lifecycle import BookingStatus as DomainStatus
from bookings.domain.occupancy import blocked_period, free_units
from bookings.domain.periods import Period
from bookings.domain.policy import BookingMode, Policy
from bookings.domain.pricing import booking_price
from bookings.errors import (
    BookingChanged,
    CancelCutoffPassed,
    HoldExpired,
    InvalidPeriod,
    NotStartedYet,
    SlotUnavailable,
    TooManyHolds,
)
from bookings.locking import lock_customer, lock_resource
from bookings.models import ACTIVE_STATUSES, Allocation, Booking, BookingSeries, BookingStatus
from bookings.permissions import BookingRole, booking_roles
from bookings.selectors import busy_allocations
from common.errors import NotFound, PermissionDenied
from resources.cache import bump_availability_version
from resources.models import Resource
from resources.selectors import policy_for, resource_explain

logger = logging.getLogger("allot.bookings")

EXCLUSION_VIOLATION = "23P01"
# Problems with the shape of the request (400); everything else is "not bookable now" (409).
SHAPE_REASONS = frozenset({availability.BAD_DURATION, availability.MISALIGNED})


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _max_active_holds() -> int:
    return int(getattr(settings, "ALLOT_MAX_ACTIVE_HOLDS", 5))


# --- create -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What a validated request will write: the period, the units and the price."""

    period: Period
    blocked: Period
    units: list[int]
    price_amount: Decimal


def _raise_for(reasons: list[Reason]) -> None:
    if not reasons:
        return
    if all(reason.code in SHAPE_REASONS for reason in reasons):
        raise InvalidPeriod("The period does not fit this resource's booking rules.", reasons=reasons)
    raise SlotUnavailable("The requested period is not bookable.", reasons=reasons)


def _price(*, resource: Resource, policy: Policy, period: Period, quantity: int) -> Decimal:
    nights = 0
    if policy.booking_mode is BookingMode.NIGHTLY:
        nights = (local_date(period.end, policy.zone) - local_date(period.start, policy.zone)).days
    return booking_price(
        amount=resource.price_amount,
        unit=resource.price_unit,
        period=period,
        quantity=quantity,
        nights=nights,
        slot_minutes=resource.slot_minutes,
    )


def _plan(
    *,
    resource: Resource,
    period: Period,
    quantity: int,
    now: datetime,
    customer_id: uuid.UUID | None,
    ignore_booking: uuid.UUID | None = None,
) -> _Plan:
    """Validate a period against the locked resource and choose free units. Raises if not bookable."""
    policy = policy_for(resource)
    window = blocked_period(period, policy)
    busy = busy_allocations(
        resource_id=resource.pk, window=window, customer_id=customer_id, exclude_booking_id=ignore_booking
    )
    _raise_for(
        resource_explain(
            resource=resource, requested=period, quantity=quantity, now=now, customer_id=customer_id, busy=busy
        )
    )
    units = free_units(capacity=resource.capacity, busy=busy, blocked=window)[:quantity]
    if len(units) < quantity:  # explain() agreed it fits; this is a belt-and-braces check
        raise SlotUnavailable("Not enough free units for this period.")
    return _Plan(
        period=period,
        blocked=window,
        units=units,
        price_amount=_price(resource=resource, policy=policy, period=period, quantity=quantity),
    )


def _insert_allocations(booking: Booking, plan: _Plan) -> None:
    blocked = Range(plan.blocked.start, plan.blocked.end, "[)")
    Allocation.objects.bulk_create(
        [
            Allocation(booking=booking, resource_id=booking.resource_id, unit=unit, blocked=blocked)
            for unit in plan.units
        ]
    )


def _check_hold_cap(customer: User, now: datetime) -> None:
    holds = Booking.objects.filter(customer=customer, status=BookingStatus.HELD, hold_expires_at__gt=now)
    # The holds of one series were asked for in one request and are confirmed together
    # (bookings/series.py): they count as one, so a weekly series does not use up the cap.
    counts = holds.aggregate(single=Count("pk", filter=Q(series__isnull=True)), series=Count("series", distinct=True))
    open_holds = counts["single"] + counts["series"]
    if open_holds >= _max_active_holds():
        raise TooManyHolds(
            f"You already hold {open_holds} unconfirmed bookings; confirm or cancel one first.",
            extra={"limit": _max_active_holds()},
        )


def book_locked(
    *,
    resource: Resource,
    customer: User,
    period: Period,
    quantity: int = 1,
    notes: str = "",
    confirm: bool = False,
    now: datetime,
    series: BookingSeries | None = None,
) -> Booking:
    """Create one booking on a resource row the caller has locked (``lock_resource``).

    The single path to allocations: ``booking_create``, series and waitlist offers all
    come through here, so every booking gets the same checks, units, price and history.
    ``series`` links an occurrence to its ``BookingSeries``.
    """
    plan = _plan(resource=resource, period=period, quantity=quantity, now=now, customer_id=customer.pk)
    # An instant booking's hold never exists outside this transaction, so its row is written
    # in its final state (what confirming the hold leaves) instead of inserting a hold and
    # updating it a statement later. History keeps both steps; only the confirmation is
    # announced (one outbox event, one email, one webhook).
    action = _confirm_action(resource) if confirm else None
    state: dict[str, Any] = {
        "status": BookingStatus.HELD,
        "hold_expires_at": now + timedelta(minutes=resource.hold_minutes),
    }
    if action is not None:
        state = {"status": str(next_status(DomainStatus.HELD, action)), **_confirmation_fields(action, now)}
    booking = Booking.objects.create(
        resource=resource,
        customer=customer,
        start=period.start,
        end=period.end,
        quantity=quantity,
        **state,
        price_amount=plan.price_amount,
        price_currency=resource.currency,
        notes=notes,
        series=series,
    )
    _insert_allocations(booking, plan)
    if action is not None:
        events.record_instant_creation(booking, confirm_action=str(action), actor=customer, now=now)
    else:
        events.record(booking, action="create", from_status="", actor=customer, now=now)
        events.schedule_hold_expiry(booking)
    bump_availability_version(resource.pk)
    return booking


@contextmanager
def constraint_as_conflict(detail: str) -> Iterator[None]:
    """An exclusion violation (23P01) becomes a clean 409. Only reachable if something
    bypassed the resource lock: the constraint held, nothing was double-booked."""
    try:
        yield
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotUnavailable(detail) from exc
        raise


def booking_create(
    *,
    customer: User,
    resource_id: uuid.UUID,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    notes: str = "",
    confirm: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Hold ``quantity`` units for ``[start, end)``; with ``confirm`` also confirm (one transaction)."""
    now = _now(now)
    period = Period(start, end)
    with constraint_as_conflict("Those units were just taken; try another period."), transaction.atomic():
        # The customer lock only serialises the hold-cap check. An instant booking holds nothing
        # open (its hold never outlives this transaction), so it cannot hoard: no cap, no lock.
        if not confirm:
            lock_customer(customer.pk)
        resource = lock_resource(resource_id)
        if not confirm:
            _check_hold_cap(customer, now)
        return book_locked(
            resource=resource,
            customer=customer,
            period=period,
            quantity=quantity,
            notes=notes,
            confirm=confirm,
            now=now,
        )


# --- status changes -------------------------------------------------------------------


def _load_for(booking_id: uuid.UUID, actor: User | None) -> tuple[Booking, frozenset[BookingRole]]:
    """The booking and the actor's roles on it; another party's booking does not exist (404)."""
    booking = Booking.objects.select_related("resource", "resource__vendor", "customer").filter(pk=booking_id).first()
    roles = booking_roles(booking, actor) if booking is not None else frozenset()
    if booking is None or not roles:
        raise NotFound("No such booking.")
    return booking, roles


def _transition(
    booking: Booking,
    *,
    action: BookingAction,
    actor: User | None,
    now: datetime,
    reason: str = "",
    extra_filter: dict[str, object] | None = None,
    fields: dict[str, object] | None = None,
) -> None:
    """Compare-and-set ``booking.status`` along the lifecycle table; raise if someone else won."""
    current = DomainStatus(booking.status)
    target = next_status(current, action)  # InvalidTransition (409) for illegal pairs
    fields = fields or {}
    updated = Booking.objects.filter(pk=booking.pk, status=current, **(extra_filter or {})).update(
        status=target, updated_at=now, **fields
    )
    if updated == 0:
        # A racing confirm/cancel/expire changed the row first: report the winner's outcome.
        booking.refresh_from_db(fields=["status", "hold_expires_at"])
        next_status(DomainStatus(booking.status), action)  # InvalidTransition if the status moved on
        if action in (BookingAction.CONFIRM, BookingAction.CONFIRM_PENDING):
            raise HoldExpired("The hold has expired; book again.")
        raise BookingChanged("The booking changed while we were updating it; reload it.")
    booking.status = str(target)
    for name, value in fields.items():
        setattr(booking, name, value)
    if str(target) not in ACTIVE_STATUSES:
        Allocation.objects.filter(booking=booking, is_active=True).update(is_active=False)
    events.record(booking, action=str(action), from_status=str(current), actor=actor, reason=reason, now=now)
    bump_availability_version(booking.resource_id)


def _confirm_action(resource: Resource) -> BookingAction:
    return BookingAction.CONFIRM_PENDING if resource.requires_approval else BookingAction.CONFIRM


def _confirmation_fields(action: BookingAction, now: datetime) -> dict[str, Any]:
    """What confirming a hold writes besides the status: no hold expiry any more, and
    ``confirmed_at`` unless the booking now waits for the vendor's approval."""
    return {"hold_expires_at": None, "confirmed_at": now if action is BookingAction.CONFIRM else None}


def _confirm_held(booking: Booking, *, actor: User | None, now: datetime) -> None:
    action = _confirm_action(booking.resource)
    fields = _confirmation_fields(action, now)
    _transition(booking, action=action, actor=actor, now=now, extra_filter={"hold_expires_at__gt": now}, fields=fields)


def booking_confirm(*, booking_id: uuid.UUID, actor: User, now: datetime | None = None) -> Booking:
    """The customer confirms a hold: confirmed, or pending when the vendor must approve."""
    now = _now(now)
    with transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        if BookingRole.CUSTOMER not in roles:
            raise PermissionDenied("Only the customer confirms a hold.")
        if booking.status == BookingStatus.HELD and booking.hold_expires_at and booking.hold_expires_at <= now:
            raise HoldExpired("The hold has expired; book again.")
        _confirm_held(booking, actor=actor, now=now)
    return booking


def _require_vendor(roles: frozenset[BookingRole], what: str) -> None:
    if not roles & {BookingRole.VENDOR, BookingRole.ADMIN}:
        raise PermissionDenied(f"Only the vendor can {what} bookings.")


def booking_approve(*, booking_id: uuid.UUID, actor: User, reason: str = "", now: datetime | None = None) -> Booking:
    now = _now(now)
    with transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        _require_vendor(roles, "approve")
        _transition(
            booking, action=BookingAction.APPROVE, actor=actor, now=now, reason=reason, fields={"confirmed_at": now}
        )
    return booking


def booking_reject(*, booking_id: uuid.UUID, actor: User, reason: str = "", now: datetime | None = None) -> Booking:
    now = _now(now)
    with transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        _require_vendor(roles, "reject")
        _transition(booking, action=BookingAction.REJECT, actor=actor, now=now, reason=reason)
    return booking


def _check_customer_cutoff(booking: Booking, roles: frozenset[BookingRole], now: datetime, what: str) -> None:
    """Customers may change a booking until the cutoff; vendors and admins at any time."""
    if roles & {BookingRole.VENDOR, BookingRole.ADMIN} or booking.status == BookingStatus.HELD:
        return
    cutoff = booking.start - timedelta(minutes=booking.resource.cancel_cutoff_minutes)
    if now > cutoff:
        raise CancelCutoffPassed(
            f"Customers can {what} until {booking.resource.cancel_cutoff_minutes} minutes before the start.",
            extra={"cutoff": cutoff.isoformat().replace("+00:00", "Z")},
        )


def booking_cancel(*, booking_id: uuid.UUID, actor: User, reason: str = "", now: datetime | None = None) -> Booking:
    """Customers until the cutoff (holds any time), vendor members and admins at any time."""
    now = _now(now)
    with transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        _check_customer_cutoff(booking, roles, now, "cancel")
        _transition(
            booking,
            action=BookingAction.CANCEL,
            actor=actor,
            now=now,
            reason=reason,
            fields={"cancelled_at": now, "cancelled_by": actor, "cancel_reason": reason[:500], "hold_expires_at": None},
        )
    return booking


def booking_mark_no_show(
    *, booking_id: uuid.UUID, actor: User, reason: str = "", now: datetime | None = None
) -> Booking:
    now = _now(now)
    with transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        _require_vendor(roles, "mark no-show on")
        if now < booking.start:
            raise NotStartedYet("A no-show can only be recorded after the booking has started.")
        _transition(booking, action=BookingAction.NO_SHOW, actor=actor, now=now, reason=reason)
    return booking


def booking_expire_hold(*, booking_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Expire a hold whose time has passed. True if this call expired it (safe to repeat)."""
    now = _now(now)
    with transaction.atomic():
        booking = Booking.objects.select_related("resource").filter(pk=booking_id).first()
        if booking is None or booking.status != BookingStatus.HELD or not booking.hold_expires_at:
            return False
        if booking.hold_expires_at > now:
            return False
        try:
            _transition(
                booking,
                action=BookingAction.EXPIRE,
                actor=None,
                now=now,
                reason="hold time passed",
                extra_filter={"hold_expires_at__lte": now},
                fields={"hold_expires_at": None},
            )
        except (BookingChanged, InvalidTransition):
            return False  # a confirm or cancel won the race
    return True


def booking_complete(*, booking_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Move a confirmed booking whose end has passed to completed. True if this call did."""
    now = _now(now)
    with transaction.atomic():
        booking = Booking.objects.select_related("resource").filter(pk=booking_id).first()
        if booking is None or booking.status != BookingStatus.CONFIRMED or booking.end > now:
            return False
        try:
            _transition(booking, action=BookingAction.COMPLETE, actor=None, now=now, reason="ended")
        except (BookingChanged, InvalidTransition):
            return False
    return True


# --- reschedule -----------------------------------------------------------------------


def booking_reschedule(
    *, booking_id: uuid.UUID, actor: User, start: datetime, end: datetime, now: datetime | None = None
) -> Booking:
    """Move a confirmed booking to a new period: fully moved, or untouched (one transaction)."""
    now = _now(now)
    period = Period(start, end)
    conflict = constraint_as_conflict("Those units were just taken; the booking keeps its old period.")
    with conflict, transaction.atomic():
        booking, roles = _load_for(booking_id, actor)
        # Lock order: resource, then the booking row (same as creation).
        resource = lock_resource(booking.resource_id)
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        booking.resource = resource
        next_status(DomainStatus(booking.status), BookingAction.RESCHEDULE)
        _check_customer_cutoff(booking, roles, now, "reschedule")
        plan = _plan(
            resource=resource,
            period=period,
            quantity=booking.quantity,
            now=now,
            customer_id=booking.customer_id,
            ignore_booking=booking.pk,
        )
        old = {"start": booking.start.isoformat(), "end": booking.end.isoformat()}
        Allocation.objects.filter(booking=booking, is_active=True).update(is_active=False)
        _insert_allocations(booking, plan)
        same_length = (booking.end - booking.start) == period.duration
        booking.start, booking.end = period.start, period.end
        if not same_length:
            booking.price_amount = plan.price_amount
            booking.price_currency = resource.currency
        booking.save(update_fields=["start", "end", "price_amount", "price_currency", "updated_at"])
        events.record(
            booking,
            action=str(BookingAction.RESCHEDULE),
            from_status=booking.status,
            actor=actor,
            now=now,
            data={"from": old, "to": {"start": period.start.isoformat(), "end": period.end.isoformat()}},
        )
        bump_availability_version(resource.pk)
    return booking
