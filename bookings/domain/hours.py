"""Opening hours: weekly wall-clock rules and dated exceptions, expanded into UTC periods.

Rules are wall-clock times in the resource's IANA zone and are expanded one local day
at a time, so a 09:00-17:00 rule stays 09:00-17:00 local on both sides of a DST change
(8 hours either way) while a 00:00-24:00 rule lasts 23 or 25 hours on change days.

Local times that a DST change makes ambiguous are resolved by ``local_instant``:

* a time that does not exist (spring-forward gap, e.g. 02:30 in Europe/Berlin on
  2027-03-28) becomes the first instant after the gap, the moment the clock jumps
  to 03:00. Plain ``fold=0`` would give 03:30 instead (the pre-transition offset
  applied to 02:30); we prefer the first moment the clock has passed the rule's time,
  so a shop "opening at 02:30" opens at 03:00 and one "closing at 02:30" closes then.
* a time that happens twice (fall-back, e.g. 02:30 on 2027-10-31 in Berlin) is its
  first occurrence (``fold=0``), for a rule's start and for its end alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bookings.domain.periods import Period, intersect_all, merge, subtract

ExceptionKind = Literal["closed", "open"]

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Open every ``weekday`` (0 = Monday) from ``start`` to ``end``, local wall clock.

    ``end == time(0, 0)`` means midnight at the end of that day (24:00); any other end
    must be later than ``start``. A span across midnight is two rules (22:00-24:00 and
    the next day's 00:00-02:00); expansion merges them into one period.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("weekly hours are wall-clock times without a timezone")
        if not self.ends_at_midnight and self.end <= self.start:
            raise ValueError(f"a rule must end after it starts: {self.start}-{self.end}")

    @property
    def ends_at_midnight(self) -> bool:
        return self.end == time(0, 0)


@dataclass(frozen=True, slots=True)
class ScheduleExceptionValue:
    """A concrete period that is ``closed`` (holiday) or ``open`` (extra opening)."""

    period: Period
    kind: ExceptionKind


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant when the clock in ``zone`` shows ``wall`` on ``day``.

    A repeated time (fall-back) resolves to its first occurrence; a time skipped by a
    spring-forward gap resolves to the end of the gap. See the module docstring.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_clock(first, zone) == naive:
        return first
    return _end_of_gap(naive, zone)


def _wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _end_of_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant of the gap that swallows ``naive``: the first instant whose
    wall clock is past it. Binary search on whole seconds (tzdata transitions are whole
    seconds), between the readings of ``naive`` with the offsets after and before the gap."""
    low = math.floor(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = math.ceil(naive.replace(tzinfo=zone, fold=0).astimezone(UTC).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def local_days(span: Period, zone: ZoneInfo) -> Iterator[date]:
    """Every local date from the day before ``span`` starts to the day it ends.

    The day before is included so that a caller never misses a period that begins on
    the previous local day (a window starting at 00:30 UTC is still "yesterday" west
    of Greenwich)."""
    day, last = local_date(span.start, zone) - timedelta(days=1), local_date(span.end, zone)
    while day <= last:
        yield day
        day += timedelta(days=1)


def rule_period(rule: WeeklyRule, day: date, zone: ZoneInfo) -> Period | None:
    """``rule`` on ``day`` as a UTC period; ``None`` when a DST gap swallows it entirely."""
    start = local_instant(day, rule.start, zone)
    if rule.ends_at_midnight:
        end = local_instant(day + timedelta(days=1), time(0, 0), zone)
    else:
        end = local_instant(day, rule.end, zone)
    return Period(start, end) if start < end else None


def weekly_periods(rules: Iterable[WeeklyRule], span: Period, zone: ZoneInfo) -> list[Period]:
    """The weekly rules expanded day by day over (at least) ``span``, merged, not clipped."""
    by_weekday: dict[int, list[WeeklyRule]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    periods = []
    for day in local_days(span, zone):
        for rule in by_weekday.get(day.weekday(), []):
            period = rule_period(rule, day, zone)
            if period is not None:
                periods.append(period)
    return merge(periods)


def closed_periods(exceptions: Iterable[ScheduleExceptionValue]) -> list[Period]:
    return merge(exception.period for exception in exceptions if exception.kind == "closed")


def opening_periods(
    *,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[ScheduleExceptionValue],
    window: Period,
    tz: str,
) -> list[Period]:
    """When the resource is open within ``window``: weekly rules expanded in zone ``tz``,
    plus ``open`` exceptions, minus ``closed`` exceptions (closed wins), clipped to
    ``window``; sorted and merged, in UTC."""
    exceptions = list(exceptions)
    weekly = weekly_periods(rules, window, ZoneInfo(tz))
    extra = [exception.period for exception in exceptions if exception.kind == "open"]
    opened = subtract([*weekly, *extra], closed_periods(exceptions))
    return intersect_all(opened, [window])


def is_on_wall_clock_grid(moment: datetime, zone: ZoneInfo, step_minutes: int) -> bool:
    """True when ``moment``'s local time is a whole multiple of ``step_minutes`` after
    local midnight (the grid restarts at every local midnight)."""
    local = moment.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    return local.second == 0 and local.microsecond == 0 and minutes % step_minutes == 0


def wall_clock_grid(span: Period, zone: ZoneInfo, step_minutes: int) -> list[datetime]:
    """The instants in ``[span.start, span.end]`` (both ends included) that are on the
    wall-clock grid of ``step_minutes``, sorted, in UTC.

    Grid times skipped by a spring-forward gap do not exist and are left out; grid times
    repeated by a fall-back exist twice and both are kept, so the grid never has a hole
    longer than one step in real time except where the gap itself is."""
    points: set[datetime] = set()
    for day in local_days(span, zone):
        for minutes in range(0, MINUTES_PER_DAY, step_minutes):
            naive = datetime.combine(day, time(minutes // 60, minutes % 60))
            for fold in (0, 1):
                moment = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                if _wall_clock(moment, zone) == naive and span.start <= moment <= span.end:
                    points.add(moment)
    return sorted(points)


# Slot grids ------------------------------------------------------------------------
#
# Slots are cut from each opening run (a merged opening period), starting at the run's
# start and stepping by the slot length. To see a run's true start the hours are
# expanded from SLOT_LOOKBACK_DAYS before the period of interest; a run that was already
# open then (round-the-clock hours, a long "open" exception) has no start we can see, so
# its grid is anchored at a fixed instant instead, midnight of 2000-01-03 (a Monday) in
# the resource zone, which keeps its slots the same whatever window is asked for.

SLOT_LOOKBACK_DAYS = 8
_SLOT_EPOCH = date(2000, 1, 3)


@dataclass(frozen=True, slots=True)
class SlotRun:
    """An opening run and the instant its slot grid counts from."""

    period: Period
    anchor: datetime  # slots start at anchor + k * slot length

    def slots(self, length: timedelta, not_before: datetime) -> Iterator[Period]:
        """The run's slots of ``length`` that start at or after ``not_before``, in order."""
        start = ceil_to_grid(max(self.period.start, not_before), self.anchor, length)
        while start + length <= self.period.end:
            yield Period(start, start + length)
            start += length

    def is_on_grid(self, moment: datetime, length: timedelta) -> bool:
        return (moment - self.anchor) % length == timedelta()


def ceil_to_grid(moment: datetime, anchor: datetime, step: timedelta) -> datetime:
    """The first instant ``anchor + k * step`` (any integer k) at or after ``moment``."""
    return moment + (anchor - moment) % step


def slot_runs(
    *,
    rules: Iterable[WeeklyRule],
    exceptions: Iterable[ScheduleExceptionValue],
    around: Period,
    tz: str,
    slot_length: timedelta,
) -> list[SlotRun]:
    """The opening runs where slots starting in ``around`` can lie, with their anchors."""
    zone = ZoneInfo(tz)
    lookback_day = local_date(around.start, zone) - timedelta(days=SLOT_LOOKBACK_DAYS)
    # One second before midnight, so hours that really open at midnight are seen to open
    # there, while a run starting at the very beginning of the expansion was cut off by it.
    lookback = local_instant(lookback_day, time(0), zone) - timedelta(seconds=1)
    # A slot starting inside `around` may end up to one slot length after it.
    span = Period(lookback, around.end + slot_length + timedelta(days=1))
    runs = opening_periods(rules=rules, exceptions=exceptions, window=span, tz=tz)
    epoch = local_instant(_SLOT_EPOCH, time(0), zone)
    return [SlotRun(run, run.start if run.start > lookback else epoch) for run in runs]
