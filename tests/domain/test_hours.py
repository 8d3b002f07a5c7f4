"""Opening hours in a zone: day-by-day expansion, DST days, exceptions, the wall-clock grid."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bookings.domain.hours import (
    WeeklyRule,
    is_on_wall_clock_grid,
    local_instant,
    opening_periods,
    wall_clock_grid,
)
from bookings.domain.periods import Period, total_duration

from .builders import BERLIN, NEW_YORK, as_local, exception, local, utc, weekly

# Sundays on which the clocks change in 2027.
BERLIN_SPRING, BERLIN_FALL = date(2027, 3, 28), date(2027, 10, 31)
NEW_YORK_SPRING, NEW_YORK_FALL = date(2027, 3, 14), date(2027, 11, 7)
DST_DAYS = [
    (BERLIN, BERLIN_SPRING, timedelta(hours=23)),
    (BERLIN, BERLIN_FALL, timedelta(hours=25)),
    (NEW_YORK, NEW_YORK_SPRING, timedelta(hours=23)),
    (NEW_YORK, NEW_YORK_FALL, timedelta(hours=25)),
]
DST_IDS = ["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"]


def day_window(tz: str, day: date) -> Period:
    """The local day ``day`` with a day's margin on each side."""
    start = local(tz, day.year, day.month, day.day) - timedelta(days=1)
    return Period(start, start + timedelta(days=3))


def spans_on(periods: list[Period], tz: str, day: date) -> list[tuple[str, str]]:
    """The periods starting on local ``day``, as local ("HH:MM", "HH:MM") pairs."""
    zone = ZoneInfo(tz)
    return [(as_local(p.start, tz), as_local(p.end, tz)) for p in periods if p.start.astimezone(zone).date() == day]


def hours_on(tz: str, day: date, start: str, end: str) -> list[Period]:
    rules = weekly(start, end, days=[day.weekday()])
    return opening_periods(rules=rules, exceptions=[], window=day_window(tz, day), tz=tz)


class TestWeeklyRule:
    def test_end_must_follow_start(self) -> None:
        with pytest.raises(ValueError, match="end after it starts"):
            WeeklyRule(0, time(17), time(9))

    def test_midnight_end_means_end_of_day(self) -> None:
        assert WeeklyRule(0, time(22), time(0)).ends_at_midnight

    @pytest.mark.parametrize("weekday", [-1, 7])
    def test_weekday_is_monday_0_to_sunday_6(self, weekday: int) -> None:
        with pytest.raises(ValueError, match="weekday"):
            WeeklyRule(weekday, time(9), time(17))

    def test_times_are_wall_clock_without_zone(self) -> None:
        with pytest.raises(ValueError, match="wall-clock"):
            WeeklyRule(0, time(9, tzinfo=ZoneInfo(BERLIN)), time(17))


class TestOpeningPeriods:
    def test_weekly_rules_expand_to_the_days_of_the_window(self) -> None:
        monday, saturday = local(BERLIN, 2027, 3, 1), local(BERLIN, 2027, 3, 6)
        periods = opening_periods(
            rules=weekly("09:00", "17:00"),
            exceptions=[],
            window=Period(monday, saturday + timedelta(days=2)),
            tz=BERLIN,
        )
        assert [period.start for period in periods] == [monday + timedelta(days=n, hours=9) for n in range(5)]
        assert all(period.duration == timedelta(hours=8) for period in periods)

    def test_periods_are_clipped_to_the_window(self) -> None:
        window = Period(local(BERLIN, 2027, 3, 1, 12), local(BERLIN, 2027, 3, 1, 15))
        assert opening_periods(rules=weekly("09:00", "17:00"), exceptions=[], window=window, tz=BERLIN) == [window]

    def test_several_rules_a_day_and_touching_rules_merge(self) -> None:
        rules = [*weekly("09:00", "12:00"), *weekly("12:00", "13:00"), *weekly("14:00", "18:00")]
        day = date(2027, 3, 3)
        periods = opening_periods(rules=rules, exceptions=[], window=day_window(BERLIN, day), tz=BERLIN)
        assert spans_on(periods, BERLIN, day) == [("09:00", "13:00"), ("14:00", "18:00")]

    def test_overnight_hours_are_two_rules_that_merge_across_midnight(self) -> None:
        rules = [WeeklyRule(4, time(22), time(0)), WeeklyRule(5, time(0), time(2))]  # Fri 22:00 - Sat 02:00
        window = Period(local(BERLIN, 2027, 3, 6), local(BERLIN, 2027, 3, 7))  # Saturday only
        assert opening_periods(rules=rules, exceptions=[], window=window, tz=BERLIN) == [
            Period(local(BERLIN, 2027, 3, 6), local(BERLIN, 2027, 3, 6, 2))
        ]

    def test_a_window_starting_late_in_utc_still_sees_the_local_day(self) -> None:
        # 2027-03-02 03:00 UTC is still Monday evening in New York.
        rules = weekly("20:00", "23:00", days=[0])
        window = Period(utc(2027, 3, 2, 3), utc(2027, 3, 2, 5))
        assert opening_periods(rules=rules, exceptions=[], window=window, tz=NEW_YORK) == [
            Period(utc(2027, 3, 2, 3), utc(2027, 3, 2, 4))
        ]

    def test_closed_exceptions_remove_time_and_win_over_open_ones(self) -> None:
        day = date(2027, 3, 3)
        closed = exception(local(BERLIN, 2027, 3, 3, 12), local(BERLIN, 2027, 3, 3, 19), "closed")
        extra = exception(local(BERLIN, 2027, 3, 3, 17), local(BERLIN, 2027, 3, 3, 20), "open")
        periods = opening_periods(
            rules=weekly("09:00", "17:00"), exceptions=[closed, extra], window=day_window(BERLIN, day), tz=BERLIN
        )
        assert spans_on(periods, BERLIN, day) == [("09:00", "12:00"), ("19:00", "20:00")]

    def test_open_exception_adds_hours_on_a_closed_day(self) -> None:
        sunday = Period(local(BERLIN, 2027, 3, 7, 10), local(BERLIN, 2027, 3, 7, 14))
        periods = opening_periods(
            rules=weekly("09:00", "17:00"),
            exceptions=[exception(sunday.start, sunday.end, "open")],
            window=day_window(BERLIN, date(2027, 3, 7)),
            tz=BERLIN,
        )
        assert sunday in periods


class TestDaylightSavingDays:
    @pytest.mark.parametrize(("tz", "day", "_length"), DST_DAYS, ids=DST_IDS)
    def test_nine_to_five_stays_local_and_lasts_eight_hours(self, tz: str, day: date, _length: timedelta) -> None:
        (period,) = hours_on(tz, day, "09:00", "17:00")
        assert (as_local(period.start, tz), as_local(period.end, tz)) == ("09:00", "17:00")
        assert period.duration == timedelta(hours=8)

    @pytest.mark.parametrize(("tz", "day", "length"), DST_DAYS, ids=DST_IDS)
    def test_whole_day_rule_lasts_as_long_as_the_day(self, tz: str, day: date, length: timedelta) -> None:
        (period,) = hours_on(tz, day, "00:00", "24:00")
        after = day + timedelta(days=1)
        assert period == Period(local(tz, day.year, day.month, day.day), local(tz, after.year, after.month, after.day))
        assert period.duration == length

    @pytest.mark.parametrize(("tz", "day"), [(BERLIN, BERLIN_SPRING), (NEW_YORK, NEW_YORK_SPRING)])
    def test_start_inside_the_spring_gap_opens_when_the_clock_jumps(self, tz: str, day: date) -> None:
        # 02:30 does not exist; the rule opens at the first instant after the gap (03:00),
        # not at 03:30 as plain fold=0 arithmetic would give.
        (period,) = hours_on(tz, day, "02:30", "04:00")
        assert (as_local(period.start, tz), as_local(period.end, tz)) == ("03:00", "04:00")
        assert period.duration == timedelta(hours=1)

    def test_end_inside_the_spring_gap_closes_when_the_clock_jumps(self) -> None:
        (period,) = hours_on(BERLIN, BERLIN_SPRING, "01:00", "02:30")
        assert (as_local(period.start, BERLIN), as_local(period.end, BERLIN)) == ("01:00", "03:00")
        assert period.duration == timedelta(hours=1)

    def test_rule_entirely_inside_the_gap_vanishes(self) -> None:
        assert hours_on(BERLIN, BERLIN_SPRING, "02:10", "02:50") == []

    def test_start_inside_the_repeated_hour_takes_the_first_occurrence(self) -> None:
        # Berlin repeats 02:00-03:00 on 2027-10-31: 02:30 CEST comes first, then 02:30 CET.
        # (Compare in UTC: Python says an ambiguous local time never equals another zone's.)
        (period,) = hours_on(BERLIN, BERLIN_FALL, "02:30", "04:00")
        assert period.start == utc(2027, 10, 31, 0, 30)
        assert period.duration == timedelta(hours=2, minutes=30)

    def test_end_inside_the_repeated_hour_takes_the_first_occurrence(self) -> None:
        (period,) = hours_on(BERLIN, BERLIN_FALL, "01:00", "02:30")
        assert period.end == utc(2027, 10, 31, 0, 30)  # 02:30 CEST, the first one
        assert period.duration == timedelta(hours=1, minutes=30)

    def test_new_york_repeats_one_to_two_and_takes_the_first_occurrence(self) -> None:
        (period,) = hours_on(NEW_YORK, NEW_YORK_FALL, "01:30", "03:00")
        assert period.start == utc(2027, 11, 7, 5, 30)  # 01:30 EDT
        assert period.duration == timedelta(hours=2, minutes=30)

    def test_a_week_of_nine_to_five_over_a_change_is_still_forty_hours(self) -> None:
        window = Period(local(BERLIN, 2027, 10, 25), local(BERLIN, 2027, 11, 1))
        periods = opening_periods(rules=weekly("09:00", "17:00"), exceptions=[], window=window, tz=BERLIN)
        assert total_duration(periods) == timedelta(hours=40)


class TestLocalInstant:
    def test_ordinary_time(self) -> None:
        assert local_instant(date(2027, 3, 1), time(9), ZoneInfo(BERLIN)) == utc(2027, 3, 1, 8)

    @pytest.mark.parametrize("wall", [time(2, 0), time(2, 30), time(2, 59)])
    def test_every_time_in_the_gap_becomes_the_end_of_the_gap(self, wall: time) -> None:
        assert local_instant(BERLIN_SPRING, wall, ZoneInfo(BERLIN)) == utc(2027, 3, 28, 1)


class TestWallClockGrid:
    def test_grid_follows_local_quarter_hours(self) -> None:
        span = Period(local(BERLIN, 2027, 3, 1, 9, 5), local(BERLIN, 2027, 3, 1, 10))
        assert [as_local(point, BERLIN) for point in wall_clock_grid(span, ZoneInfo(BERLIN), 15)] == [
            "09:15",
            "09:30",
            "09:45",
            "10:00",
        ]

    def test_spring_gap_has_no_grid_points(self) -> None:
        span = Period(local(BERLIN, 2027, 3, 28, 1), local(BERLIN, 2027, 3, 28, 4))
        points = wall_clock_grid(span, ZoneInfo(BERLIN), 60)
        assert [as_local(point, BERLIN) for point in points] == ["01:00", "03:00", "04:00"]
        assert points[1] - points[0] == timedelta(hours=1)

    @pytest.mark.parametrize(("tz", "day"), [(BERLIN, BERLIN_SPRING), (NEW_YORK, NEW_YORK_SPRING)])
    def test_grid_times_swallowed_by_the_gap_are_left_out(self, tz: str, day: date) -> None:
        # With 45 minutes, 02:15 falls into the gap; it must not reappear as 03:15 (off the grid).
        zone = ZoneInfo(tz)
        span = Period(local(tz, day.year, day.month, day.day), local(tz, day.year, day.month, day.day, 6))
        points = wall_clock_grid(span, zone, 45)
        assert [as_local(point, tz) for point in points] == [
            "00:00",
            "00:45",
            "01:30",
            "03:00",
            "03:45",
            "04:30",
            "05:15",
            "06:00",
        ]
        assert all(is_on_wall_clock_grid(point, zone, 45) for point in points)

    def test_repeated_hour_has_its_grid_points_twice(self) -> None:
        span = Period(local(BERLIN, 2027, 10, 31, 1), local(BERLIN, 2027, 10, 31, 4))
        points = wall_clock_grid(span, ZoneInfo(BERLIN), 60)
        assert [as_local(point, BERLIN) for point in points] == ["01:00", "02:00", "02:00", "03:00", "04:00"]
        assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(points))

    def test_grid_restarts_at_local_midnight(self) -> None:
        zone = ZoneInfo(BERLIN)
        span = Period(local(BERLIN, 2027, 3, 1, 22), local(BERLIN, 2027, 3, 2, 1))
        assert [as_local(point, BERLIN) for point in wall_clock_grid(span, zone, 50)] == [
            "22:30",
            "23:20",
            "00:00",
            "00:50",
        ]

    def test_on_grid_check_matches_the_grid(self) -> None:
        zone = ZoneInfo(NEW_YORK)
        assert is_on_wall_clock_grid(local(NEW_YORK, 2027, 3, 1, 9, 30), zone, 15)
        assert not is_on_wall_clock_grid(local(NEW_YORK, 2027, 3, 1, 9, 31), zone, 15)
        # 14:30 UTC is 09:30 in New York but 15:30 in Berlin: alignment is local.
        assert is_on_wall_clock_grid(utc(2027, 3, 1, 14, 30), zone, 30)
