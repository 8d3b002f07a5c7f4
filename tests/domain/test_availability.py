"""Option generation for the three booking modes, and the small helpers around it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from bookings.domain.availability import (
    BookingMode,
    Option,
    Policy,
    blocked_period,
    compute_options,
    free_units,
    nights_period,
    unit_free_periods,
)
from bookings.domain.hours import ScheduleExceptionValue, WeeklyRule
from bookings.domain.occupancy import BusyAllocation
from bookings.domain.periods import Period

from .builders import BERLIN, EVERY_DAY, NEW_YORK, as_local, busy, exception, local, utc, weekly

NOW = utc(2027, 2, 28, 12)  # the Sunday before Monday 2027-03-01


def at(hour: int, minute: int = 0, *, day: int = 1, month: int = 3, tz: str = BERLIN) -> datetime:
    """A wall-clock instant in 2027 (Monday 1 March unless told otherwise)."""
    return local(tz, 2027, month, day, hour, minute)


def day_of(day: int, month: int = 3, tz: str = BERLIN) -> Period:
    """Local day ``day`` (of March 2027 by default), midnight to midnight."""
    start = local(tz, 2027, month, day)
    return Period(start, start + timedelta(days=1))


def starts(options: list[Option], tz: str = BERLIN) -> list[str]:
    return [as_local(option.start, tz) for option in options]


def spans(options: list[Option], tz: str = BERLIN) -> list[tuple[str, str, int]]:
    return [(as_local(option.start, tz), as_local(option.end, tz), option.available) for option in options]


def slot_policy(**overrides: Any) -> Policy:
    return Policy(BookingMode.SLOTS, overrides.pop("tz", BERLIN), **({"slot_minutes": 30} | overrides))


def range_policy(**overrides: Any) -> Policy:
    return Policy(BookingMode.RANGE, overrides.pop("tz", BERLIN), **({"granularity_minutes": 30} | overrides))


def night_policy(**overrides: Any) -> Policy:
    times = {"check_in_time": time(15), "check_out_time": time(11)}
    return Policy(BookingMode.NIGHTLY, overrides.pop("tz", BERLIN), **(times | overrides))


def options(
    policy: Policy,
    *,
    rules: list[WeeklyRule] | None = None,
    exceptions: list[ScheduleExceptionValue] | None = None,
    taken: list[BusyAllocation] | None = None,
    window: Period | None = None,
    now: datetime = NOW,
    quantity: int = 1,
) -> list[Option]:
    return compute_options(
        policy=policy,
        rules=weekly("09:00", "17:00") if rules is None else rules,
        exceptions=exceptions or [],
        busy=taken or [],
        window=window or day_of(1),
        now=now,
        quantity=quantity,
    )


class TestPolicy:
    def test_defaults(self) -> None:
        policy = Policy(BookingMode.RANGE, BERLIN)
        assert (policy.capacity, policy.step_minutes, policy.max_advance_days) == (1, 15, 365)
        assert (policy.check_in, policy.check_out) == (time(15), time(11))
        assert policy.buffer_before == policy.buffer_after == timedelta(0)

    def test_accepts_the_mode_as_stored_string(self) -> None:
        assert Policy("slots", BERLIN, slot_minutes=30).booking_mode is BookingMode.SLOTS  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("mode", "tz", "fields", "problem"),
        [
            (BookingMode.SLOTS, BERLIN, {}, "slot_minutes"),
            (BookingMode.RANGE, BERLIN, {"capacity": 0}, "capacity"),
            (BookingMode.RANGE, "Mars/Olympus", {}, "timezone"),
            (BookingMode.RANGE, BERLIN, {"buffer_after_minutes": -5}, "buffer_after_minutes"),
            (BookingMode.RANGE, BERLIN, {"granularity_minutes": 0}, "granularity_minutes"),
        ],
    )
    def test_nonsense_is_rejected(self, mode: BookingMode, tz: str, fields: dict[str, Any], problem: str) -> None:
        with pytest.raises(ValueError, match=problem):
            Policy(mode, tz, **fields)


class TestHelpers:
    def test_blocked_period_adds_the_buffers(self) -> None:
        policy = range_policy(buffer_before_minutes=15, buffer_after_minutes=30)
        assert blocked_period(Period(at(10), at(11)), policy) == Period(at(9, 45), at(11, 30))

    def test_free_units_skips_overlapping_units_but_not_touching_ones(self) -> None:
        taken = [busy(at(10), at(11), unit=0), busy(at(11), at(12), unit=2), busy(at(10), at(11), unit=7)]
        assert free_units(capacity=3, busy=taken, blocked=Period(at(10, 30), at(11))) == [1, 2]

    def test_unit_free_periods_per_unit(self) -> None:
        policy = range_policy(capacity=2)
        within = [Period(at(9), at(12))]
        free = unit_free_periods(policy=policy, busy=[busy(at(10), at(11), unit=0)], within=within)
        assert free == [[Period(at(9), at(10)), Period(at(11), at(12))], within]

    def test_nights_period_runs_from_check_in_to_check_out_local(self) -> None:
        stay = nights_period(check_in=at(0, day=27).date(), check_out=at(0, day=29).date(), policy=night_policy())
        assert stay == Period(at(15, day=27), at(11, day=29))
        assert stay.duration == timedelta(hours=43)  # two nights, one of them an hour short

    def test_nights_period_needs_a_night(self) -> None:
        with pytest.raises(ValueError, match="check-out"):
            nights_period(check_in=at(0).date(), check_out=at(0).date(), policy=night_policy())

    def test_quantity_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="quantity"):
            options(slot_policy(), quantity=0)


class TestSlots:
    def test_slots_are_cut_from_each_opening_period(self) -> None:
        rules = [*weekly("09:00", "12:00"), *weekly("13:00", "17:00")]
        result = options(slot_policy(), rules=rules)
        assert starts(result) == [f"{h:02}:{m:02}" for h in (9, 10, 11, 13, 14, 15, 16) for m in (0, 30)]
        assert all(option.end - option.start == timedelta(minutes=30) for option in result)
        assert all(option.available == 1 for option in result)

    def test_slots_align_to_the_opening_and_must_fit_inside_it(self) -> None:
        result = options(slot_policy(slot_minutes=45), rules=weekly("09:10", "12:00"))
        assert starts(result) == ["09:10", "09:55", "10:40"]

    def test_a_window_starting_midway_keeps_the_grid(self) -> None:
        result = options(slot_policy(slot_minutes=45), rules=weekly("09:10", "12:00"), window=Period(at(10), at(12)))
        assert starts(result) == ["10:40"]

    def test_a_slot_starting_in_the_window_may_end_after_it(self) -> None:
        assert starts(options(slot_policy(), window=Period(at(9), at(9, 15)))) == ["09:00"]

    def test_a_booking_takes_its_slot(self) -> None:
        result = options(slot_policy(), taken=[busy(at(10), at(10, 30))])
        assert "10:00" not in starts(result)
        assert len(result) == 15

    def test_buffers_block_the_neighbouring_slots(self) -> None:
        # The existing booking keeps 15 minutes after it, and new bookings want 15 after them.
        taken = [busy(at(10), at(10, 30), after_minutes=15)]
        result = options(slot_policy(buffer_after_minutes=15), taken=taken)
        assert {"09:30", "10:00", "10:30"}.isdisjoint(starts(result))
        assert {"09:00", "11:00"} <= set(starts(result))

    def test_buffer_before_blocks_the_slot_after_a_booking(self) -> None:
        result = options(slot_policy(buffer_before_minutes=30), taken=[busy(at(10), at(10, 30))])
        assert {"10:00", "10:30"}.isdisjoint(starts(result))
        assert {"09:30", "11:00"} <= set(starts(result))

    def test_capacity_counts_free_units(self) -> None:
        taken = [busy(at(9), at(9, 30), unit=0), busy(at(9), at(9, 30), unit=1)]
        result = options(slot_policy(capacity=3), taken=taken)
        assert (result[0].available, result[1].available) == (1, 3)
        assert starts(options(slot_policy(capacity=3), taken=taken, quantity=2))[0] == "09:30"

    def test_quantity_above_capacity_gives_nothing(self) -> None:
        assert options(slot_policy(capacity=2), quantity=3) == []

    def test_minimum_notice(self) -> None:
        assert starts(options(slot_policy(min_notice_minutes=120), now=at(8)))[0] == "10:00"
        assert starts(options(slot_policy(min_notice_minutes=120), now=at(8, 10)))[0] == "10:30"

    def test_horizon(self) -> None:
        result = options(slot_policy(max_advance_days=1), now=at(10, day=28, month=2))
        assert starts(result) == ["09:00", "09:30", "10:00"]

    def test_closed_exception_removes_slots_and_the_grid_restarts_after_it(self) -> None:
        closed = exception(at(11), at(14, 10), "closed")
        result = options(slot_policy(), exceptions=[closed])
        assert starts(result) == ["09:00", "09:30", "10:00", "10:30", "14:10", "14:40", "15:10", "15:40", "16:10"]

    def test_open_exception_adds_slots(self) -> None:
        extra = exception(at(10, day=6), at(12, day=6), "open")  # a Saturday
        assert starts(options(slot_policy(), exceptions=[extra], window=day_of(6))) == [
            "10:00",
            "10:30",
            "11:00",
            "11:30",
        ]

    def test_round_the_clock_slots_do_not_depend_on_the_window(self) -> None:
        policy, rules = slot_policy(slot_minutes=50), weekly("00:00", "24:00", days=EVERY_DAY)
        whole_day = options(policy, rules=rules, window=day_of(3))
        afternoon = options(policy, rules=rules, window=Period(at(12, day=3), at(0, day=4)))
        assert afternoon == [option for option in whole_day if option.start >= at(12, day=3)]

    def test_nine_to_five_slots_on_dst_days_stay_local(self) -> None:
        for day, month in [(28, 3), (31, 10)]:
            rules = weekly("09:00", "17:00", days=EVERY_DAY)
            result = options(slot_policy(slot_minutes=60), rules=rules, window=day_of(day, month), now=at(0, day=1))
            assert starts(result) == [f"{hour:02}:00" for hour in range(9, 17)]

    def test_whole_day_slots_on_dst_days(self) -> None:
        sunday_only = weekly("00:00", "24:00", days=[6])
        spring = options(slot_policy(slot_minutes=60), rules=sunday_only, window=day_of(28))
        assert len(spring) == 23
        assert "02:00" not in starts(spring)
        fall = options(slot_policy(slot_minutes=60), rules=sunday_only, window=day_of(31, 10), now=at(0, day=1))
        assert len(fall) == 25
        assert starts(fall).count("02:00") == 2


class TestRange:
    DESK_HOURS = weekly("08:00", "18:00")

    def range_options(self, policy: Policy, **kwargs: Any) -> list[Option]:
        return options(policy, rules=self.DESK_HOURS, **kwargs)

    def test_free_intervals_around_a_booking(self) -> None:
        result = self.range_options(range_policy(), taken=[busy(at(10), at(11))])
        assert spans(result) == [("08:00", "10:00", 1), ("11:00", "18:00", 1)]

    def test_new_bookings_buffers_push_the_intervals_away(self) -> None:
        taken = [busy(at(10), at(11))]
        after = self.range_options(range_policy(buffer_after_minutes=15), taken=taken)
        assert spans(after) == [("08:00", "09:30", 1), ("11:00", "18:00", 1)]
        before = self.range_options(range_policy(buffer_before_minutes=15), taken=taken)
        assert spans(before) == [("08:00", "10:00", 1), ("11:30", "18:00", 1)]

    def test_existing_bookings_buffers_count(self) -> None:
        result = self.range_options(range_policy(), taken=[busy(at(10), at(11), after_minutes=20)])
        assert spans(result) == [("08:00", "10:00", 1), ("11:30", "18:00", 1)]

    def test_capacity_splits_where_the_free_units_change(self) -> None:
        taken = [busy(at(10), at(11), unit=0), busy(at(12), at(13), unit=1)]
        result = self.range_options(range_policy(capacity=2), taken=taken)
        assert spans(result) == [
            ("08:00", "10:00", 2),
            ("10:00", "11:00", 1),
            ("11:00", "12:00", 2),
            ("12:00", "13:00", 1),
            ("13:00", "18:00", 2),
        ]
        two = self.range_options(range_policy(capacity=2), taken=taken, quantity=2)
        assert spans(two) == [("08:00", "10:00", 2), ("11:00", "12:00", 2), ("13:00", "18:00", 2)]

    def test_same_count_on_another_unit_is_a_separate_option(self) -> None:
        # One unit is free 10-11, the other 11-12: nobody can book 10-12 on one unit.
        taken = [busy(at(10), at(11), unit=0), busy(at(11), at(12), unit=1)]
        result = self.range_options(range_policy(capacity=2), taken=taken)
        assert spans(result)[1:3] == [("10:00", "11:00", 1), ("11:00", "12:00", 1)]

    def test_intervals_shorter_than_min_minutes_are_dropped(self) -> None:
        result = self.range_options(range_policy(min_minutes=60), taken=[busy(at(9), at(17, 30))])
        assert spans(result) == [("08:00", "09:00", 1)]

    def test_notice_clips_the_start_up_to_the_grid(self) -> None:
        result = self.range_options(range_policy(), now=at(9, 7))
        assert spans(result) == [("09:30", "18:00", 1)]

    def test_horizon_clips_the_end(self) -> None:
        result = self.range_options(range_policy(max_advance_days=1), now=at(12, day=28, month=2))
        assert spans(result) == [("08:00", "12:00", 1)]

    def test_default_granularity_is_a_quarter_hour(self) -> None:
        result = options(Policy(BookingMode.RANGE, BERLIN), rules=weekly("08:05", "09:00"))
        assert spans(result) == [("08:15", "09:00", 1)]

    def test_grid_is_the_local_wall_clock(self) -> None:
        # New York is UTC-5 in March before the change: 09:00 local is 14:00 UTC.
        policy = range_policy(tz=NEW_YORK, granularity_minutes=60)
        result = options(policy, rules=weekly("09:20", "12:00"), window=day_of(1, tz=NEW_YORK))
        assert spans(result, NEW_YORK) == [("10:00", "12:00", 1)]

    def test_whole_day_on_the_spring_change_is_23_hours(self) -> None:
        result = options(range_policy(granularity_minutes=60), rules=weekly("00:00", "24:00", [6]), window=day_of(28))
        assert spans(result) == [("00:00", "00:00", 1)]
        assert result[0].end - result[0].start == timedelta(hours=23)


class TestNightly:
    def test_one_option_per_night_ignoring_weekly_hours(self) -> None:
        result = options(night_policy(capacity=2), rules=weekly("09:00", "10:00"), window=Period(at(0), at(0, day=4)))
        assert [(option.start, option.end, option.available) for option in result] == [
            (at(15, day=day), at(11, day=day + 1), 2) for day in (1, 2, 3)
        ]

    @pytest.mark.parametrize(
        ("tz", "month", "first_day", "changed"),
        [(BERLIN, 3, 27, -1), (BERLIN, 10, 30, +1), (NEW_YORK, 3, 13, -1), (NEW_YORK, 11, 6, +1)],
        ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
    )
    def test_the_dst_night_is_still_one_night(self, tz: str, month: int, first_day: int, changed: int) -> None:
        window_start = local(tz, 2027, month, first_day - 1)
        window = Period(window_start, window_start + timedelta(days=3))  # wall-clock days
        result = options(night_policy(tz=tz), window=window, now=at(0))
        lengths = [option.end - option.start for option in result]
        assert lengths == [timedelta(hours=20), timedelta(hours=20 + changed), timedelta(hours=20)]
        assert {as_local(option.start, tz) for option in result} == {"15:00"}
        assert {as_local(option.end, tz) for option in result} == {"11:00"}

    def test_booked_units_reduce_availability(self) -> None:
        taken = [busy(at(15, day=2), at(11, day=3), unit=0), busy(at(15, day=3), at(11, day=4), unit=0)]
        taken.append(busy(at(15, day=3), at(11, day=4), unit=1))
        result = options(night_policy(capacity=2), taken=taken, window=Period(at(0), at(0, day=4)))
        assert [(option.start.day, option.available) for option in result] == [(1, 2), (2, 1)]

    def test_closed_exception_removes_the_nights_it_touches(self) -> None:
        renovation = exception(at(10, day=2), at(16, day=2), "closed")  # overlaps nights 1 and 2
        daytime = exception(at(12, day=3), at(14, day=3), "closed")  # between check-out and check-in
        result = options(night_policy(), exceptions=[renovation, daytime], window=Period(at(0), at(0, day=5)))
        assert [option.start for option in result] == [at(15, day=3), at(15, day=4)]

    def test_notice_applies_to_the_check_in(self) -> None:
        result = options(night_policy(min_notice_minutes=60), now=at(14, 30), window=Period(at(0), at(0, day=3)))
        assert [option.start for option in result] == [at(15, day=2)]

    def test_only_nights_checking_in_inside_the_window(self) -> None:
        result = options(night_policy(), window=Period(at(16), at(16, day=2)))
        assert [option.start for option in result] == [at(15, day=2)]

    def test_buffers_keep_turnover_time_between_stays(self) -> None:
        # Five hours of cleaning before a stay does not fit after an 11:00 check-out.
        policy = night_policy(buffer_before_minutes=300)
        result = options(policy, taken=[busy(at(15), at(11, day=2))], window=Period(at(0, day=2), at(0, day=4)))
        assert [option.start for option in result] == [at(15, day=3)]
