"""Properties of option generation over random hours, bookings, notice, horizons and zones.

Windows are drawn from all of 2027, so DST changes in Berlin and New York come up often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.domain.availability import (
    BookingMode,
    Option,
    Policy,
    blocked_period,
    compute_options,
    explain,
    free_units,
)
from bookings.domain.hours import ScheduleExceptionValue, WeeklyRule, is_on_wall_clock_grid, opening_periods
from bookings.domain.occupancy import BusyAllocation
from bookings.domain.periods import Period

from .builders import BERLIN, NEW_YORK, busy, utc

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
ZONES = [BERLIN, NEW_YORK, "UTC", "Asia/Kolkata"]
YEAR_START = utc(2027, 1, 1)


@dataclass(frozen=True)
class Scenario:
    tz: str
    rules: list[WeeklyRule]
    exceptions: list[ScheduleExceptionValue]
    busy: list[BusyAllocation]
    window: Period
    now: datetime
    notice_minutes: int
    advance_days: int | None


def minutes_after(moment: datetime, minutes: int) -> datetime:
    return moment + timedelta(minutes=minutes)


@st.composite
def weekly_rules(draw: st.DrawFn) -> WeeklyRule:
    start = draw(st.integers(0, 95)) * 15
    end = draw(st.integers(start // 15 + 1, 96)) * 15
    end_time = time(0) if end == 24 * 60 else time(end // 60, end % 60)
    return WeeklyRule(draw(st.integers(0, 6)), time(start // 60, start % 60), end_time)


@st.composite
def daily_hours(draw: st.DrawFn) -> list[WeeklyRule]:
    """The same hours every day; never round the clock, so every run has a start."""
    start = draw(st.integers(1, 48)) * 15
    end = draw(st.integers(start // 15 + 1, 96)) * 15
    end_time = time(0) if end == 24 * 60 else time(end // 60, end % 60)
    return [WeeklyRule(day, time(start // 60, start % 60), end_time) for day in range(7)]


@st.composite
def scenarios(draw: st.DrawFn, *, capacity: int) -> Scenario:
    window_start = minutes_after(YEAR_START, draw(st.integers(0, 364 * 24 * 4)) * 15)
    window_minutes = draw(st.integers(1, 4 * 24 * 4)) * 15
    window = Period(window_start, minutes_after(window_start, window_minutes))

    def near_window(length_minutes: st.SearchStrategy[int], *, before_minutes: int) -> st.SearchStrategy[Period]:
        return st.builds(
            lambda offset, length: Period(
                minutes_after(window_start, offset), minutes_after(window_start, offset + length)
            ),
            st.integers(-before_minutes, window_minutes),
            length_minutes,
        )

    # Exceptions stay under 6 hours so no run of opening hours lasts a week: the test's
    # independent expansion then sees every run's true start.
    exception_periods = near_window(st.integers(15, 360), before_minutes=24 * 60)
    exceptions = draw(
        st.lists(st.builds(ScheduleExceptionValue, exception_periods, st.sampled_from(["closed", "open"])), max_size=3)
    )
    allocations = draw(
        st.lists(
            st.builds(
                lambda period, unit, before, after: busy(
                    period.start, period.end, unit=unit, before_minutes=before, after_minutes=after
                ),
                near_window(st.integers(5, 300), before_minutes=6 * 60),
                st.integers(0, capacity - 1),
                st.integers(0, 60),
                st.integers(0, 60),
            ),
            max_size=12,
        )
    )
    return Scenario(
        tz=draw(st.sampled_from(ZONES)),
        rules=draw(st.one_of(st.lists(weekly_rules(), min_size=1, max_size=8), daily_hours())),
        exceptions=exceptions,
        busy=allocations,
        window=window,
        now=minutes_after(window_start, draw(st.integers(-2 * 24 * 60, 6 * 60))),
        notice_minutes=draw(st.one_of(st.just(0), st.integers(0, 600))),
        advance_days=draw(st.one_of(st.none(), st.integers(1, 6))),
    )


def wide_opening(scenario: Scenario) -> list[Period]:
    """Opening hours expanded well beyond the window, independently of the code under test."""
    wide = scenario.window.widen(timedelta(days=10), timedelta(days=2))
    return opening_periods(rules=scenario.rules, exceptions=scenario.exceptions, window=wide, tz=scenario.tz)


def containing(periods: list[Period], option: Option) -> Period | None:
    return next((p for p in periods if p.contains(Period(option.start, option.end))), None)


def starts_in_bounds(scenario: Scenario, start: datetime) -> bool:
    latest_ok = scenario.advance_days is None or start <= scenario.now + timedelta(days=scenario.advance_days)
    return start >= scenario.now + timedelta(minutes=scenario.notice_minutes) and latest_ok


def run_options(scenario: Scenario, policy: Policy, quantity: int = 1) -> list[Option]:
    return compute_options(
        policy=policy,
        rules=scenario.rules,
        exceptions=scenario.exceptions,
        busy=scenario.busy,
        window=scenario.window,
        now=scenario.now,
        quantity=quantity,
    )


def is_explained_bookable(scenario: Scenario, policy: Policy, option: Option, quantity: int = 1) -> bool:
    found = explain(
        policy=policy,
        rules=scenario.rules,
        exceptions=scenario.exceptions,
        busy=scenario.busy,
        requested=Period(option.start, option.end),
        now=scenario.now,
        quantity=quantity,
    )
    return found == []


def expected_slots(scenario: Scenario, policy: Policy) -> list[datetime]:
    """Slot starts computed the slow, obvious way: every grid step of every opening run."""
    length, found = policy.slot_length, []
    for run in wide_opening(scenario):
        start = run.start
        while start + length <= run.end:
            slot = blocked_period(Period(start, start + length), policy)
            free = not any(allocation.blocked.overlaps(slot) for allocation in scenario.busy)
            if scenario.window.contains_instant(start) and starts_in_bounds(scenario, start) and free:
                found.append(start)
            start += length
    return found


@PROPERTY_SETTINGS
@given(
    scenarios(capacity=1),
    st.sampled_from([15, 20, 30, 45, 50, 60, 90]),
    st.integers(0, 45),
    st.integers(0, 45),
)
def test_slot_options_are_inside_hours_aligned_free_and_complete(
    scenario: Scenario, slot_minutes: int, buffer_before: int, buffer_after: int
) -> None:
    policy = Policy(
        BookingMode.SLOTS,
        scenario.tz,
        slot_minutes=slot_minutes,
        buffer_before_minutes=buffer_before,
        buffer_after_minutes=buffer_after,
        min_notice_minutes=scenario.notice_minutes,
        max_advance_days=scenario.advance_days,
    )
    result = run_options(scenario, policy)
    opening = wide_opening(scenario)
    for option in result:
        run = containing(opening, option)
        assert run is not None, "slot outside opening hours"
        assert (option.start - run.start) % policy.slot_length == timedelta(), "slot off its run's grid"
        assert option.end - option.start == policy.slot_length
        assert scenario.window.contains_instant(option.start)
        assert starts_in_bounds(scenario, option.start)
        widened = blocked_period(Period(option.start, option.end), policy)
        assert not any(allocation.blocked.overlaps(widened) for allocation in scenario.busy)
        assert option.available == 1
        assert is_explained_bookable(scenario, policy, option)
    assert [option.start for option in result] == expected_slots(scenario, policy)


@PROPERTY_SETTINGS
@given(
    scenarios(capacity=3),
    st.sampled_from([15, 30, 45, 60]),
    st.integers(0, 45),
    st.integers(0, 45),
    st.one_of(st.none(), st.integers(15, 180)),
    st.integers(1, 3),
)
def test_range_options_are_inside_hours_aligned_and_free_throughout(
    scenario: Scenario, granularity: int, buffer_before: int, buffer_after: int, min_minutes: int | None, quantity: int
) -> None:
    policy = Policy(
        BookingMode.RANGE,
        scenario.tz,
        capacity=3,
        granularity_minutes=granularity,
        min_minutes=min_minutes,
        buffer_before_minutes=buffer_before,
        buffer_after_minutes=buffer_after,
        min_notice_minutes=scenario.notice_minutes,
        max_advance_days=scenario.advance_days,
    )
    zone = ZoneInfo(scenario.tz)
    result = run_options(scenario, policy, quantity)
    opening = wide_opening(scenario)
    for option in result:
        assert containing(opening, option) is not None, "interval outside opening hours"
        assert is_on_wall_clock_grid(option.start, zone, granularity)
        assert is_on_wall_clock_grid(option.end, zone, granularity)
        assert option.end - option.start >= timedelta(minutes=max(granularity, min_minutes or 0))
        assert scenario.window.contains(Period(option.start, option.end))
        assert starts_in_bounds(scenario, option.start)
        if scenario.advance_days is not None:
            assert option.end <= scenario.now + timedelta(days=scenario.advance_days)
        # The same units are free for the whole interval, not just at each instant.
        units = free_units(
            capacity=3, busy=scenario.busy, blocked=blocked_period(Period(option.start, option.end), policy)
        )
        assert len(units) == option.available >= quantity
        assert is_explained_bookable(scenario, policy, option, quantity)
    for earlier, later in pairwise(result):
        assert earlier.end <= later.start


@PROPERTY_SETTINGS
@given(scenarios(capacity=2), st.integers(0, 120), st.integers(1, 2))
def test_night_options_are_bookable_stays(scenario: Scenario, buffer_after: int, quantity: int) -> None:
    policy = Policy(
        BookingMode.NIGHTLY,
        scenario.tz,
        capacity=2,
        check_in_time=time(15),
        check_out_time=time(11),
        buffer_after_minutes=buffer_after,
        min_notice_minutes=scenario.notice_minutes,
        max_advance_days=scenario.advance_days,
    )
    for option in run_options(scenario, policy, quantity):
        assert scenario.window.contains_instant(option.start)
        assert timedelta(hours=19) <= option.end - option.start <= timedelta(hours=21)
        assert is_explained_bookable(scenario, policy, option, quantity)
