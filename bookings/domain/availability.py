"""What can be booked, and why a given period cannot: pure functions over plain values.

Inputs are a resource's ``Policy``, its weekly rules and exceptions (``hours``), the
active allocations of the resource (``BusyAllocation``, one per booked unit) and ``now``;
nothing here reads the clock or the database. The values and helpers these functions
are built from live in ``policy``, ``occupancy`` and ``hours`` and are importable from
here too, so callers need one import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby, pairwise

from bookings.domain.hours import (
    ScheduleExceptionValue,
    SlotRun,
    WeeklyRule,
    ceil_to_grid,
    closed_periods,
    is_on_wall_clock_grid,
    local_date,
    local_days,
    local_instant,
    opening_periods,
    slot_runs,
    wall_clock_grid,
)
from bookings.domain.occupancy import (
    BusyAllocation,
    BusyIndex,
    UnitBlocks,
    blocked_period,
    forbidden_by_unit,
    free_units,
    unit_free_periods,
)
from bookings.domain.periods import Period, subtract
from bookings.domain.policy import BookingMode, Policy, nights_period

__all__ = [
    "BAD_DURATION",
    "BUFFER",
    "CAPACITY_REACHED",
    "CLOSED",
    "HELD",
    "MISALIGNED",
    "OUTSIDE_HOURS",
    "RESOURCE_INACTIVE",
    "TOO_FAR_AHEAD",
    "TOO_SOON",
    "VENDOR_INACTIVE",
    "BookingMode",
    "BusyAllocation",
    "Option",
    "Policy",
    "Reason",
    "ScheduleExceptionValue",
    "WeeklyRule",
    "blocked_period",
    "compute_options",
    "explain",
    "free_units",
    "nights_period",
    "opening_periods",
    "unit_free_periods",
]

# Reason codes (the API contract). The last two are decided by the caller, not here.
CLOSED = "closed"
OUTSIDE_HOURS = "outside_hours"
TOO_SOON = "too_soon"
TOO_FAR_AHEAD = "too_far_ahead"
BAD_DURATION = "bad_duration"
MISALIGNED = "misaligned"
CAPACITY_REACHED = "capacity_reached"
HELD = "held"
BUFFER = "buffer"
RESOURCE_INACTIVE = "resource_inactive"
VENDOR_INACTIVE = "vendor_inactive"


@dataclass(frozen=True, slots=True)
class Option:
    """A bookable slot, interval or night with ``available`` units free throughout it."""

    start: datetime
    end: datetime
    available: int


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a requested period is not bookable; ``start``/``end`` locate the problem."""

    code: str
    detail: str
    start: datetime | None = None
    end: datetime | None = None


# --- options -------------------------------------------------------------------------


def compute_options(
    *,
    policy: Policy,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[ScheduleExceptionValue],
    busy: Iterable[BusyAllocation],
    window: Period,
    now: datetime,
    quantity: int = 1,
) -> list[Option]:
    """The bookable options in ``window``, sorted by start, each with at least ``quantity``
    units free throughout: slots (``slots``) and nights from check-in to check-out
    (``nightly``) that start in the window, or maximal free intervals clipped to the
    window (``range``). Options respect the minimum notice and the horizon."""
    _check_quantity(quantity)
    rule_list, exception_list, busy_list = list(rules), list(exceptions), list(busy)
    if policy.booking_mode is BookingMode.SLOTS:
        options = _slot_options(policy, rule_list, exception_list, busy_list, window, now, quantity)
    elif policy.booking_mode is BookingMode.RANGE:
        options = _range_options(policy, rule_list, exception_list, busy_list, window, now, quantity)
    else:
        options = _night_options(policy, exception_list, busy_list, window, now, quantity)
    return sorted(options, key=lambda option: (option.start, option.end))


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise ValueError("quantity must be at least 1")


def _slot_runs(
    policy: Policy, rules: list[WeeklyRule], exceptions: list[ScheduleExceptionValue], around: Period
) -> list[SlotRun]:
    return slot_runs(
        rules=rules, exceptions=exceptions, around=around, tz=policy.timezone, slot_length=policy.slot_length
    )


# Slots: cut from the opening runs on each run's grid (see hours.slot_runs); a slot is
# offered when enough units are free for it widened by the policy's buffers.
def _slot_options(
    policy: Policy,
    rules: list[WeeklyRule],
    exceptions: list[ScheduleExceptionValue],
    busy: list[BusyAllocation],
    window: Period,
    now: datetime,
    quantity: int,
) -> list[Option]:
    index = BusyIndex(busy)
    not_before = max(window.start, policy.earliest_start(now))
    options = []
    for run in _slot_runs(policy, rules, exceptions, window):
        for slot in run.slots(policy.slot_length, not_before):
            if slot.start >= window.end or not policy.may_start_at(slot.start, now):
                break
            available = index.free_count(blocked_period(slot, policy), policy.capacity)
            if available >= quantity:
                options.append(Option(slot.start, slot.end, available))
    return options


# Range: a booking starts and ends on the granularity grid of the resource's wall clock
# (local times that are whole multiples of granularity_minutes after local midnight).
# Options are the maximal runs of grid steps over which the SAME set of units stays free
# (not merely the same number: a booking cannot change unit halfway), so any aligned
# sub-interval of an option that respects min/max minutes is bookable. Options are
# clipped to the notice and the horizon: they start at or after now + min_notice and end
# by now + max_advance_days. They are not cut to max_minutes.
def _bookable_span(policy: Policy, window: Period, now: datetime) -> Period | None:
    start = max(window.start, policy.earliest_start(now))
    latest = policy.latest_start(now)
    end = window.end if latest is None else min(window.end, latest)
    return Period(start, end) if start < end else None


def _range_options(
    policy: Policy,
    rules: list[WeeklyRule],
    exceptions: list[ScheduleExceptionValue],
    busy: list[BusyAllocation],
    window: Period,
    now: datetime,
    quantity: int,
) -> list[Option]:
    span = _bookable_span(policy, window, now)
    if span is None:
        return []
    forbidden = forbidden_by_unit(policy, busy)
    shortest = timedelta(minutes=max(policy.step_minutes, policy.min_minutes or 0))
    options = []
    for opening in opening_periods(rules=rules, exceptions=exceptions, window=span, tz=policy.timezone):
        grid = wall_clock_grid(opening, policy.zone, policy.step_minutes)
        options += [run for run in _free_runs(grid, forbidden, quantity) if run.end - run.start >= shortest]
    return options


def _free_runs(grid: Sequence[datetime], forbidden: list[UnitBlocks], quantity: int) -> Iterator[Option]:
    steps = [Period(start, end) for start, end in pairwise(grid)]
    free_sets = [frozenset(unit for unit, blocks in enumerate(forbidden) if not blocks.hits(step)) for step in steps]
    position = 0
    for units, group in groupby(free_sets):
        length = len(list(group))
        if len(units) >= quantity:
            yield Option(steps[position].start, steps[position + length - 1].end, len(units))
        position += length


# Nightly: hotels are always open, so weekly hours are ignored and only "closed"
# exceptions remove nights. One option per local date whose check-in lies in the window.
def _night(day: date, policy: Policy) -> Period | None:
    start = local_instant(day, policy.check_in, policy.zone)
    end = local_instant(day + timedelta(days=1), policy.check_out, policy.zone)
    return Period(start, end) if start < end else None


def _night_options(
    policy: Policy,
    exceptions: list[ScheduleExceptionValue],
    busy: list[BusyAllocation],
    window: Period,
    now: datetime,
    quantity: int,
) -> list[Option]:
    index = BusyIndex(busy)
    closed = closed_periods(exceptions)
    options = []
    for day in local_days(window, policy.zone):
        night = _night(day, policy)
        if night is None or not window.contains_instant(night.start) or not policy.may_start_at(night.start, now):
            continue
        if any(night.overlaps(period) for period in closed):
            continue
        available = index.free_count(blocked_period(night, policy), policy.capacity)
        if available >= quantity:
            options.append(Option(night.start, night.end, available))
    return options


# --- explain -------------------------------------------------------------------------


def explain(
    *,
    policy: Policy,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[ScheduleExceptionValue],
    busy: Iterable[BusyAllocation],
    requested: Period,
    now: datetime,
    quantity: int = 1,
) -> list[Reason]:
    """Every reason why ``quantity`` units of ``requested`` cannot be booked now; an empty
    list means it can. Reasons come in a fixed order: notice, horizon, shape, closed,
    outside hours, then capacity (capacity_reached / held / buffer)."""
    _check_quantity(quantity)
    rule_list, exception_list = list(rules), list(exceptions)
    return [
        *_notice_reasons(policy, requested, now),
        *_shape_reasons(policy, rule_list, exception_list, requested),
        *_closed_reasons(exception_list, requested),
        *_hours_reasons(policy, rule_list, exception_list, requested),
        *_capacity_reasons(policy, list(busy), requested, quantity),
    ]


def _minutes(duration: timedelta) -> str:
    return f"{duration / timedelta(minutes=1):g} minutes"


def _notice_reasons(policy: Policy, requested: Period, now: datetime) -> list[Reason]:
    reasons = []
    earliest, latest = policy.earliest_start(now), policy.latest_start(now)
    if requested.start < earliest:
        detail = f"bookings must start at least {policy.min_notice_minutes} minutes ahead, at {earliest.isoformat()}"
        reasons.append(Reason(TOO_SOON, detail, requested.start, requested.end))
    if latest is not None and requested.start > latest:
        detail = f"bookings may start at most {policy.max_advance_days} days ahead, by {latest.isoformat()}"
        reasons.append(Reason(TOO_FAR_AHEAD, detail, requested.start, requested.end))
    return reasons


def _shape_reasons(
    policy: Policy, rules: list[WeeklyRule], exceptions: list[ScheduleExceptionValue], requested: Period
) -> list[Reason]:
    if policy.booking_mode is BookingMode.SLOTS:
        return _slot_shape_reasons(policy, rules, exceptions, requested)
    if policy.booking_mode is BookingMode.RANGE:
        return _range_shape_reasons(policy, requested)
    return _night_shape_reasons(policy, requested)


def _slot_shape_reasons(
    policy: Policy, rules: list[WeeklyRule], exceptions: list[ScheduleExceptionValue], requested: Period
) -> list[Reason]:
    reasons = []
    if requested.duration != policy.slot_length:
        detail = f"a slot lasts {_minutes(policy.slot_length)}, not {_minutes(requested.duration)}"
        reasons.append(Reason(BAD_DURATION, detail, requested.start, requested.end))
    # Only a start inside opening hours has a grid to be off; otherwise outside_hours says it.
    runs = [
        run for run in _slot_runs(policy, rules, exceptions, requested) if run.period.contains_instant(requested.start)
    ]
    if runs and not runs[0].is_on_grid(requested.start, policy.slot_length):
        first = ceil_to_grid(runs[0].period.start, runs[0].anchor, policy.slot_length)
        detail = f"slots start every {_minutes(policy.slot_length)} from {first.isoformat()}"
        reasons.append(Reason(MISALIGNED, detail, requested.start, requested.end))
    return reasons


def _range_shape_reasons(policy: Policy, requested: Period) -> list[Reason]:
    reasons = []
    step = timedelta(minutes=policy.step_minutes)
    shortest = max(step, timedelta(minutes=policy.min_minutes or 0))
    longest = None if policy.max_minutes is None else timedelta(minutes=policy.max_minutes)
    if requested.duration < shortest or (longest is not None and requested.duration > longest):
        limits = f"at least {_minutes(shortest)}" + ("" if longest is None else f" and at most {_minutes(longest)}")
        detail = f"a booking must last {limits}, not {_minutes(requested.duration)}"
        reasons.append(Reason(BAD_DURATION, detail, requested.start, requested.end))
    on_grid = [
        is_on_wall_clock_grid(moment, policy.zone, policy.step_minutes) for moment in (requested.start, requested.end)
    ]
    if not all(on_grid):
        detail = f"start and end must be on the {_minutes(step)} grid of the local clock"
        reasons.append(Reason(MISALIGNED, detail, requested.start, requested.end))
    return reasons


def _night_shape_reasons(policy: Policy, requested: Period) -> list[Reason]:
    reasons = []
    zone = policy.zone
    arrival, departure = local_date(requested.start, zone), local_date(requested.end, zone)
    nights = (departure - arrival).days
    too_many = policy.max_nights is not None and nights > policy.max_nights
    if nights < 1 or nights < policy.min_nights or too_many:
        limits = f"at least {policy.min_nights}" + (
            "" if policy.max_nights is None else f" and at most {policy.max_nights}"
        )
        detail = f"a stay must be {limits} nights from check-in to check-out, not {nights}"
        reasons.append(Reason(BAD_DURATION, detail, requested.start, requested.end))
    expected_start = local_instant(arrival, policy.check_in, zone)
    expected_end = local_instant(departure, policy.check_out, zone)
    if requested.start != expected_start or requested.end != expected_end:
        detail = f"a stay starts at check-in ({policy.check_in:%H:%M}) and ends at check-out ({policy.check_out:%H:%M})"
        reasons.append(Reason(MISALIGNED, detail, requested.start, requested.end))
    return reasons


def _closed_reasons(exceptions: list[ScheduleExceptionValue], requested: Period) -> list[Reason]:
    return [
        Reason(CLOSED, "the resource is closed at this time", exception.period.start, exception.period.end)
        for exception in exceptions
        if exception.kind == "closed" and exception.period.overlaps(requested)
    ]


def _hours_reasons(
    policy: Policy, rules: list[WeeklyRule], exceptions: list[ScheduleExceptionValue], requested: Period
) -> list[Reason]:
    if policy.booking_mode is BookingMode.NIGHTLY:
        return []  # hotels are always open; closures are reported as `closed`
    opening = opening_periods(rules=rules, exceptions=exceptions, window=requested, tz=policy.timezone)
    outside = subtract(subtract([requested], opening), closed_periods(exceptions))
    return [Reason(OUTSIDE_HOURS, "outside opening hours", period.start, period.end) for period in outside]


# Capacity: which allocations stand in the way, and would the request fit without them?
# Holds of other customers may still expire, and buffer-only conflicts are about the
# turnover time around neighbours, so each is reported as such when it alone is the cause.


def _is_foreign_hold(allocation: BusyAllocation) -> bool:
    return allocation.is_hold and not allocation.is_own


def _capacity_reasons(policy: Policy, busy: list[BusyAllocation], requested: Period, quantity: int) -> list[Reason]:
    wanted = blocked_period(requested, policy)
    conflicts = [a for a in busy if a.unit < policy.capacity and a.blocked.overlaps(wanted)]

    def free_without(excluded: list[BusyAllocation]) -> int:
        excluded_ids = {id(allocation) for allocation in excluded}
        kept = [allocation for allocation in conflicts if id(allocation) not in excluded_ids]
        return len(free_units(capacity=policy.capacity, busy=kept, blocked=wanted))

    free_now = free_without([])
    if free_now >= quantity:
        return []
    holds = [a for a in conflicts if _is_foreign_hold(a)]
    buffer_only = [a for a in conflicts if not _is_foreign_hold(a) and not a.period.overlaps(requested)]
    held = _conflict_reason(HELD, "held by another customer (the hold may still expire)", holds, requested, wanted)
    buffer = _conflict_reason(BUFFER, "too close to another booking's buffer time", buffer_only, requested, wanted)
    if free_without(holds) >= quantity:
        return [held]
    if free_without(buffer_only) >= quantity:
        return [buffer]
    if free_without(holds + buffer_only) >= quantity:
        return [held, buffer]
    explained = {id(allocation) for allocation in holds + buffer_only}
    booked = [allocation for allocation in conflicts if id(allocation) not in explained]
    detail = f"{free_now} of {policy.capacity} units free, {quantity} requested"
    reasons = [_conflict_reason(CAPACITY_REACHED, detail, booked, requested, wanted)]
    if free_without(holds) > free_now:
        reasons.append(held)
    return reasons


def _conflict_reason(
    code: str, detail: str, allocations: list[BusyAllocation], requested: Period, wanted: Period
) -> Reason:
    """A reason spanning where ``allocations`` meet the request: their periods inside the
    requested period, or for buffer-only conflicts their blocked time inside ``wanted``."""
    spans = [a.period.intersection(requested) or a.blocked.intersection(wanted) for a in allocations]
    found = [span for span in spans if span is not None]
    if not found:
        return Reason(code, detail, requested.start, requested.end)
    return Reason(code, detail, min(span.start for span in found), max(span.end for span in found))
