"""Who occupies which unit when: active allocations, buffers and free units.

Every allocation blocks its booking's period widened by the buffers that were in force
when it was made (``BusyAllocation.blocked``). A new booking fits a unit when its own
blocked period (its period widened by the policy's current buffers) overlaps none of the
unit's blocked periods: the same rule the database exclusion constraint enforces.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from bookings.domain.periods import Period, merge, subtract
from bookings.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class BusyAllocation:
    """One active allocation of the resource: the booking's own ``period`` and the
    ``blocked`` period (widened by that booking's buffers) it holds on unit ``unit``.
    ``is_hold`` marks unconfirmed holds; ``is_own`` marks the requesting customer's own."""

    period: Period
    blocked: Period
    unit: int
    is_hold: bool
    is_own: bool = False


def blocked_period(period: Period, policy: Policy) -> Period:
    """The time a booking of ``period`` keeps its units: the period widened by the buffers."""
    return period.widen(policy.buffer_before, policy.buffer_after)


def free_units(*, capacity: int, busy: Iterable[BusyAllocation], blocked: Period) -> list[int]:
    """Unit indexes ``0..capacity-1`` none of whose busy blocked periods overlap ``blocked``,
    ascending. The booking service calls this under the resource row lock to pick units;
    allocations on units ``>= capacity`` (capacity was lowered) are ignored."""
    taken = {allocation.unit for allocation in busy if allocation.blocked.overlaps(blocked)}
    return [unit for unit in range(capacity) if unit not in taken]


def unit_free_periods(
    *, policy: Policy, busy: Iterable[BusyAllocation], within: Iterable[Period]
) -> list[list[Period]]:
    """For each unit (list index = unit), the parts of ``within`` where a new booking's own
    period may lie: where its blocked period (with the policy's buffers) hits nothing."""
    merged = merge(within)
    return [subtract(merged, blocks.periods) for blocks in forbidden_by_unit(policy, busy)]


class BusyIndex:
    """Busy allocations sorted by blocked start, so that finding those that overlap a
    period costs a bisection instead of a scan over every allocation of the window."""

    def __init__(self, busy: Iterable[BusyAllocation]) -> None:
        self._items = sorted(busy, key=lambda allocation: allocation.blocked.start)
        self._starts = [allocation.blocked.start for allocation in self._items]
        self._longest = max((allocation.blocked.duration for allocation in self._items), default=timedelta())

    def overlapping(self, period: Period) -> list[BusyAllocation]:
        # Anything that starts before period.start - longest has ended before period.start.
        low = bisect_left(self._starts, period.start - self._longest)
        high = bisect_left(self._starts, period.end)
        return [allocation for allocation in self._items[low:high] if allocation.blocked.end > period.start]

    def free_count(self, blocked: Period, capacity: int) -> int:
        return len(free_units(capacity=capacity, busy=self.overlapping(blocked), blocked=blocked))


class UnitBlocks:
    """One unit's forbidden core times, merged, answering "does this period hit them?"."""

    def __init__(self, periods: Iterable[Period]) -> None:
        self.periods = merge(periods)
        self._ends = [period.end for period in self.periods]

    def hits(self, period: Period) -> bool:
        first_ending_after = bisect_right(self._ends, period.start)
        return first_ending_after < len(self.periods) and self.periods[first_ending_after].start < period.end


def forbidden_by_unit(policy: Policy, busy: Iterable[BusyAllocation]) -> list[UnitBlocks]:
    """Per unit, the core times a NEW booking may not use. An existing blocked period
    [x, y) forbids [x - buffer_after, y + buffer_before): the new booking's own buffers
    (policy's) must not reach into it either."""
    forbidden: list[list[Period]] = [[] for _ in range(policy.capacity)]
    for allocation in busy:
        if allocation.unit < policy.capacity:
            forbidden[allocation.unit].append(allocation.blocked.widen(policy.buffer_after, policy.buffer_before))
    return [UnitBlocks(periods) for periods in forbidden]
