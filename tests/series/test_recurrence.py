"""Series expansion on the resource's wall clock: pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bookings.domain.periods import Period
from bookings.series import MAX_OCCURRENCES, Recurrence, expand_occurrences
from common.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def walls(occurrences):
    return [
        (start.astimezone(BERLIN).strftime("%a %m-%d %H:%M"), end.astimezone(BERLIN).strftime("%H:%M"))
        for start, end in occurrences
    ]


def test_weekly_series_keeps_local_nine_oclock_across_spring_forward():
    first = Period(berlin(2027, 3, 8, 9), berlin(2027, 3, 8, 9, 30))
    occurrences = expand_occurrences(first=first, recurrence=Recurrence("weekly", count=8), zone=BERLIN)
    assert len(occurrences) == 8
    assert set(walls(occurrences)) == {
        (f"Mon {d} 09:00", "09:30") for d in ("03-08", "03-15", "03-22", "03-29", "04-05", "04-12", "04-19", "04-26")
    }
    utc_hours = [start.astimezone(UTC).hour for start, _ in occurrences]
    assert utc_hours == [8, 8, 8, 7, 7, 7, 7, 7]  # CET (+1) until 28 March, CEST (+2) after


def test_daily_series_across_fall_back_keeps_wall_clock_and_length():
    first = Period(berlin(2027, 10, 29, 9), berlin(2027, 10, 29, 17))
    occurrences = expand_occurrences(first=first, recurrence=Recurrence("daily", count=4), zone=BERLIN)
    assert list(walls(occurrences)) == [
        ("Fri 10-29 09:00", "17:00"),
        ("Sat 10-30 09:00", "17:00"),
        ("Sun 10-31 09:00", "17:00"),
        ("Mon 11-01 09:00", "17:00"),
    ]


def test_a_local_time_skipped_by_spring_forward_becomes_the_end_of_the_gap():
    first = Period(berlin(2027, 3, 27, 2, 30), berlin(2027, 3, 27, 3, 30))
    second = expand_occurrences(first=first, recurrence=Recurrence("daily", count=2), zone=BERLIN)[1]
    assert second[0] == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST, the moment the clock jumps
    assert second[1] == berlin(2027, 3, 28, 3, 30)


def test_weekly_on_several_weekdays_with_an_interval_and_an_inclusive_until_date():
    first = Period(berlin(2027, 1, 4, 18), berlin(2027, 1, 4, 19))  # a Monday
    recurrence = Recurrence("weekly", interval=2, weekdays=(0, 3), until=date(2027, 1, 21))
    assert [wall for wall, _ in walls(expand_occurrences(first=first, recurrence=recurrence, zone=BERLIN))] == [
        "Mon 01-04 18:00",
        "Thu 01-07 18:00",
        "Mon 01-18 18:00",
        "Thu 01-21 18:00",
    ]


def test_the_105th_occurrence_is_refused():
    first = Period(berlin(2027, 1, 4, 9), berlin(2027, 1, 4, 10))
    assert (
        len(expand_occurrences(first=first, recurrence=Recurrence("daily", count=MAX_OCCURRENCES), zone=BERLIN)) == 104
    )
    with pytest.raises(InvalidInput) as refused:
        expand_occurrences(first=first, recurrence=Recurrence("daily", until=date(2027, 4, 18)), zone=BERLIN)
    assert "104" in refused.value.detail
    with pytest.raises(InvalidInput):
        expand_occurrences(first=first, recurrence=Recurrence("daily", count=105), zone=BERLIN)


@pytest.mark.parametrize(
    ("recurrence", "message"),
    [
        (Recurrence("weekly", until=date(2029, 1, 5)), "2 years"),
        (Recurrence("weekly", interval=52, count=4), "2 years"),
        (Recurrence("weekly", weekdays=(2,), count=3), "weekdays"),
        (Recurrence("daily", weekdays=(0,), count=3), "weekly"),
        (Recurrence("daily"), "exactly one"),
        (Recurrence("daily", count=3, until=date(2027, 2, 1)), "exactly one"),
        (Recurrence("daily", until=date(2027, 1, 1)), "before"),
    ],
)
def test_recurrences_out_of_bounds_are_refused(recurrence, message):
    first = Period(berlin(2027, 1, 4, 9), berlin(2027, 1, 4, 10))
    with pytest.raises(InvalidInput) as refused:
        expand_occurrences(first=first, recurrence=recurrence, zone=BERLIN)
    assert message in refused.value.detail
    assert refused.value.extra["errors"]["recurrence"]


def test_until_two_years_ahead_to_the_day_is_accepted():
    first = Period(berlin(2027, 1, 4, 9), berlin(2027, 1, 4, 10))
    recurrence = Recurrence("weekly", interval=8, until=datetime.combine(date(2029, 1, 4), time(9), tzinfo=BERLIN))
    occurrences = expand_occurrences(first=first, recurrence=recurrence, zone=BERLIN)
    assert len(occurrences) == 14
