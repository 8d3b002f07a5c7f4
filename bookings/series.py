"""Booking series: one request books a bounded recurrence as ordinary bookings.

A series is expanded (a small subset of RFC 5545 RRULE, by python-dateutil) on the
resource's LOCAL wall clock, so a 09:00 appointment stays at 09:00 on both sides of a DST
change; each local start is turned into an instant with the domain's ``local_instant``
(a time skipped by spring-forward becomes the end of the gap, a repeated time its first
occurrence). Every occurrence is booked through ``services.book_locked`` under ONE
resource lock in ONE transaction, so the engine's checks, units, prices, history and
outbox apply per occurrence and there is no second path to allocations.

``all_or_nothing``: every occurrence or none (409 listing the conflicting dates).
``skip_conflicts``: each occurrence in its own savepoint, so a conflict drops only it
(reported in ``skipped``); if nothing at all is bookable it is a 409 as well.

Choices:
* Hold cap: a series made with ``confirm=false`` checks ``ALLOT_MAX_ACTIVE_HOLDS`` once, and
  its holds count as one hold afterwards (``services._check_hold_cap``);
  ``POST /bookings/series/{id}/confirm`` confirms them together.
* Cancel: the candidates are the active occurrences that have not started (from ``from``
  on, for scope ``from``); each goes through ``booking_cancel`` (its cutoff and roles, its
  own history row and outbox event). Occurrences the rules refuse (a customer past the cutoff)
  are reported in ``not_cancelled`` while the others are cancelled: a weekly series whose
  next meeting is tomorrow can still be cancelled from the week after.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, WEEKLY, rrule
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from bookings.domain.availability import BAD_DURATION
from bookings.domain.hours import local_date, local_instant
from bookings.domain.periods import Period
from bookings.errors import InvalidPeriod, SlotUnavailable
from bookings.locking import lock_customer, lock_resource
from bookings.models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus, SeriesConflictPolicy
from bookings.services import _check_hold_cap, book_locked, booking_cancel, booking_confirm, constraint_as_conflict
from common.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from resources.models import Resource
from vendors.selectors import member_vendor_ids

MAX_OCCURRENCES = 104
MAX_SPAN = relativedelta(years=2)
MAX_INTERVAL = 52


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _recurrence_error(message: str) -> InvalidInput:
    return InvalidInput(message, code="validation_error", extra={"errors": {"recurrence": [message]}})


class SeriesUnavailable(Conflict):
    """Not every occurrence is bookable (all_or_nothing), or none is (skip_conflicts)."""

    code = "slot_unavailable"
    title = "Not bookable"

    def __init__(self, detail: str, *, conflicts: list[dict[str, Any]]) -> None:
        reasons = [reason for conflict in conflicts for reason in conflict["reasons"]]
        super().__init__(detail, extra={"conflicts": conflicts, "reasons": reasons})


# --- expansion (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """``frequency`` daily|weekly every ``interval``; weekly on ``weekdays`` (0 = Monday,
    default the first occurrence's weekday); bounded by ``count`` or ``until`` (a local
    date, inclusive, or an instant)."""

    frequency: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    count: int | None = None
    until: date | datetime | None = None


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _until_wall(until: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(until, datetime):
        return _wall(until, zone)
    return datetime.combine(until, time.max)  # a date: occurrences starting that local day count


def _check_recurrence(recurrence: Recurrence, first_weekday: int) -> None:
    if (recurrence.count is None) == (recurrence.until is None):
        raise _recurrence_error("Give exactly one of count and until.")
    if not 1 <= recurrence.interval <= MAX_INTERVAL:
        raise _recurrence_error(f"interval must be 1 to {MAX_INTERVAL}.")
    if recurrence.count is not None and not 1 <= recurrence.count <= MAX_OCCURRENCES:
        raise _recurrence_error(f"A series has at most {MAX_OCCURRENCES} occurrences.")
    if recurrence.frequency == "daily" and recurrence.weekdays:
        raise _recurrence_error("weekdays only apply to weekly series.")
    if recurrence.weekdays and first_weekday not in recurrence.weekdays:
        raise _recurrence_error("The first occurrence must fall on one of the weekdays (in the resource's zone).")


def expand_occurrences(*, first: Period, recurrence: Recurrence, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The occurrences' ``(start, end)`` instants, the first one exactly as requested.

    The rule runs over naive local datetimes; each start and end is then placed in
    ``zone`` with ``local_instant``, so wall-clock times survive DST changes. An end that
    a DST gap pulls onto (or before) its start is returned as is: booking reports it."""
    local_start = _wall(first.start, zone)
    _check_recurrence(recurrence, local_start.weekday())
    wall_length = _wall(first.end, zone) - local_start
    if wall_length <= timedelta():  # the first period spans a fall-back: keep its real length
        wall_length = first.duration
    latest = local_start + MAX_SPAN
    until = None if recurrence.until is None else _until_wall(recurrence.until, zone)
    if until is not None and until > latest:
        raise _recurrence_error("A series may last at most 2 years (until is too far ahead).")
    weekly = recurrence.frequency == "weekly"
    rule = rrule(
        WEEKLY if weekly else DAILY,
        dtstart=local_start,
        interval=recurrence.interval,
        byweekday=(recurrence.weekdays or (local_start.weekday(),)) if weekly else None,
        count=recurrence.count,
        until=until,
    )
    starts = list(islice(rule, MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise _recurrence_error(f"A series has at most {MAX_OCCURRENCES} occurrences; this one has more.")
    if not starts:
        raise _recurrence_error("until is before the first occurrence.")
    if starts[-1] > latest:
        raise _recurrence_error("A series may last at most 2 years.")
    occurrences = [(first.start, first.end)]
    for wall_start in starts[1:]:
        wall_end = wall_start + wall_length
        occurrences.append(
            (
                local_instant(wall_start.date(), wall_start.time(), zone),
                local_instant(wall_end.date(), wall_end.time(), zone),
            )
        )
    return occurrences


# --- create ------------------------------------------------------------------------------


@dataclass
class SeriesOutcome:
    """What ``series_create`` did: the series, its booked occurrences and the skipped ones."""

    series: BookingSeries
    occurrences: list[Booking]
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _skipped(start: datetime, end: datetime, zone: ZoneInfo, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """A refused occurrence: its instants, its local date (in the resource's zone) and why."""
    return {"date": local_date(start, zone).isoformat(), "start": _iso(start), "end": _iso(end), "reasons": reasons}


def _book_occurrence(
    *,
    series: BookingSeries,
    resource: Resource,
    customer: User,
    start: datetime,
    end: datetime,
    is_first: bool,
    now: datetime,
) -> Booking | dict[str, Any]:
    """One occurrence in its own savepoint: the booking, or a ``skipped`` entry with reasons."""
    zone = ZoneInfo(resource.timezone)
    if start >= end:
        detail = "a DST change swallows this occurrence's local time"
        return _skipped(start, end, zone, [{"code": BAD_DURATION, "detail": detail}])
    try:
        # The savepoint rolls back a refused occurrence's rows (and its on_commit hooks) only.
        with constraint_as_conflict("Those units were just taken."), transaction.atomic():
            return book_locked(
                resource=resource,
                customer=customer,
                period=Period(start, end),
                quantity=series.quantity,
                notes=series.notes,
                confirm=series.confirm,
                now=now,
                series=series,
            )
    except InvalidPeriod as exc:
        if is_first:  # the request's own shape is wrong: 400, as for a single booking
            raise
        return _skipped(start, end, zone, exc.extra.get("reasons", []))
    except SlotUnavailable as exc:
        return _skipped(start, end, zone, exc.extra.get("reasons", []))


def series_create(
    *,
    customer: User,
    resource_id: uuid.UUID,
    start: datetime,
    end: datetime,
    recurrence: Recurrence,
    on_conflict: str,
    quantity: int = 1,
    notes: str = "",
    confirm: bool = False,
    now: datetime | None = None,
) -> SeriesOutcome:
    """Book every occurrence of ``recurrence`` (one transaction, one resource lock)."""
    now = now or timezone.now()
    first = Period(start, end)
    with transaction.atomic():
        # Lock order as in booking_create: customer (hold cap), then the resource row.
        lock_customer(customer.pk)
        resource = lock_resource(resource_id)
        occurrences = expand_occurrences(first=first, recurrence=recurrence, zone=ZoneInfo(resource.timezone))
        if not confirm:
            _check_hold_cap(customer, now)  # the whole series counts as one hold
        series = BookingSeries.objects.create(
            resource=resource,
            customer=customer,
            start=first.start,
            end=first.end,
            quantity=quantity,
            frequency=recurrence.frequency,
            interval=recurrence.interval,
            weekdays=list(recurrence.weekdays),
            count=recurrence.count,
            until=_until_instant(recurrence.until, ZoneInfo(resource.timezone)),
            on_conflict=on_conflict,
            confirm=confirm,
            notes=notes,
        )
        outcome = SeriesOutcome(series=series, occurrences=[])
        for index, (occurrence_start, occurrence_end) in enumerate(occurrences):
            result = _book_occurrence(
                series=series,
                resource=resource,
                customer=customer,
                start=occurrence_start,
                end=occurrence_end,
                is_first=index == 0,
                now=now,
            )
            if isinstance(result, Booking):
                outcome.occurrences.append(result)
            else:
                outcome.skipped.append(result)
        _settle(outcome, on_conflict=on_conflict, total=len(occurrences))
    return outcome


def _until_instant(until: date | datetime | None, zone: ZoneInfo) -> datetime | None:
    """``until`` as stored: an instant (a date means the end of that local day)."""
    if until is None or isinstance(until, datetime):
        return until
    return local_instant(until + timedelta(days=1), time(0), zone)


def _settle(outcome: SeriesOutcome, *, on_conflict: str, total: int) -> None:
    """Raise (rolling the whole series back) when the conflict policy says so."""
    if outcome.skipped and on_conflict == SeriesConflictPolicy.ALL_OR_NOTHING:
        dates = ", ".join(skipped["date"] for skipped in outcome.skipped)
        raise SeriesUnavailable(
            f"{len(outcome.skipped)} of {total} occurrences are not bookable ({dates}); nothing was booked.",
            conflicts=outcome.skipped,
        )
    if not outcome.occurrences:
        raise SeriesUnavailable("No occurrence of this series is bookable.", conflicts=outcome.skipped)
    if outcome.skipped:
        outcome.series.skipped = outcome.skipped
        outcome.series.save(update_fields=["skipped"])


# --- reads -------------------------------------------------------------------------------


def series_occurrences(series: BookingSeries) -> QuerySet[Booking]:
    return series.occurrences.select_related("resource", "resource__vendor").order_by("start")


# --- cancel and confirm ------------------------------------------------------------------


@dataclass
class SeriesCancelOutcome:
    """Which occurrences a series cancel cancelled, and which the rules kept (with why)."""

    series: BookingSeries
    cancelled: list[Booking] = field(default_factory=list)
    not_cancelled: list[dict[str, Any]] = field(default_factory=list)


def _cancel_candidates(series: BookingSeries, *, from_start: datetime | None, now: datetime) -> list[Booking]:
    """Active occurrences that have not started (and start at/after ``from_start``), in order."""
    occurrences = series.occurrences.filter(status__in=ACTIVE_STATUSES, start__gt=now)
    if from_start is not None:
        occurrences = occurrences.filter(start__gte=from_start)
    return list(occurrences.order_by("start"))


def series_cancel(
    *,
    series_id: uuid.UUID,
    actor: User,
    scope: str,
    from_start: datetime | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> SeriesCancelOutcome:
    """Cancel the series' upcoming occurrences (``all``) or those from ``from_start`` on.

    One transaction; every occurrence through ``booking_cancel`` in its own savepoint, so
    each is checked (roles, customer cutoff), recorded and announced like a single cancel.
    Occurrences the rules refuse are reported and kept; the others are cancelled."""
    now = now or timezone.now()
    if scope == "from" and from_start is None:
        raise InvalidInput(
            "from is required with scope 'from'.", code="validation_error", extra={"errors": {"from": ["required"]}}
        )
    with transaction.atomic():
        series = _series_for(series_id, actor)
        outcome = SeriesCancelOutcome(series=series)
        for booking in _cancel_candidates(series, from_start=from_start if scope == "from" else None, now=now):
            try:
                outcome.cancelled.append(booking_cancel(booking_id=booking.pk, actor=actor, reason=reason, now=now))
            except DomainError as exc:  # cutoff passed, or a racing change won: keep and report
                outcome.not_cancelled.append(
                    {
                        "id": str(booking.pk),
                        "start": _iso(booking.start),
                        "end": _iso(booking.end),
                        "code": exc.code,
                        "detail": exc.detail,
                    }
                )
    return outcome


def series_confirm(*, series_id: uuid.UUID, actor: User, now: datetime | None = None) -> list[Booking]:
    """Confirm every held occurrence at once (all or none: they were held together)."""
    now = now or timezone.now()
    with transaction.atomic():
        series = _series_for(series_id, actor)
        if series.customer_id != actor.pk:
            raise PermissionDenied("Only the customer confirms a series.")
        held = series.occurrences.filter(status=BookingStatus.HELD).order_by("start").values_list("pk", flat=True)
        return [booking_confirm(booking_id=pk, actor=actor, now=now) for pk in held]


def _series_for(series_id: uuid.UUID, actor: User) -> BookingSeries:
    """The series if ``actor`` may see it (its customer, the vendor's members, admins)."""
    series = series_visible_to(actor).filter(pk=series_id).first()
    if series is None:
        raise NotFound("No such series.")
    return series


def series_visible_to(user: User) -> QuerySet[BookingSeries]:
    """Series as bookings are seen: the customer's own, the vendor's to its members, all to admins."""
    qs = BookingSeries.objects.select_related("resource", "resource__vendor")
    if user.is_staff:
        return qs
    return qs.filter(Q(customer=user) | Q(resource__vendor_id__in=member_vendor_ids(user=user)))
