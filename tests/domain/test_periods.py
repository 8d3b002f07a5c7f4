"""Period arithmetic: unit tests for the edges, hypothesis for the algebra."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.domain.periods import Period, intersect_all, merge, subtract, total_duration

from .builders import BERLIN, local, utc

BASE = utc(2027, 3, 1)


def minutes(start: int, end: int) -> Period:
    """A period from ``start`` to ``end`` minutes after BASE."""
    return Period(BASE + timedelta(minutes=start), BASE + timedelta(minutes=end))


class TestPeriod:
    def test_naive_datetimes_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            Period(datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10))

    @pytest.mark.parametrize(("start", "end"), [(10, 10), (20, 10)])
    def test_start_must_come_before_end(self, start: int, end: int) -> None:
        with pytest.raises(ValueError, match="start before it ends"):
            minutes(start, end)

    def test_is_stored_in_utc_and_compares_by_instant(self) -> None:
        berlin = Period(local(BERLIN, 2027, 3, 1, 10), local(BERLIN, 2027, 3, 1, 11))
        assert berlin.start.tzinfo is not None
        assert berlin.start.utcoffset() == timedelta(0)
        assert berlin == Period(utc(2027, 3, 1, 9), utc(2027, 3, 1, 10))

    def test_duration_across_fall_back_counts_real_time(self) -> None:
        # 01:30 CEST to 02:30 CET on the fall-back night is two real hours, although
        # both ends share the zone and naive subtraction would say one.
        period = Period(local(BERLIN, 2027, 10, 31, 1, 30), local(BERLIN, 2027, 10, 31, 2, 30, fold=1))
        assert period.duration == timedelta(hours=2)

    def test_validity_is_judged_on_instants_not_wall_clock(self) -> None:
        # 02:30 CEST comes before 02:15 CET although the wall clock says otherwise.
        period = Period(local(BERLIN, 2027, 10, 31, 2, 30), local(BERLIN, 2027, 10, 31, 2, 15, fold=1))
        assert period.duration == timedelta(minutes=45)

    def test_touching_periods_do_not_overlap(self) -> None:
        assert not minutes(0, 10).overlaps(minutes(10, 20))
        assert minutes(0, 11).overlaps(minutes(10, 20))

    def test_contains(self) -> None:
        assert minutes(0, 60).contains(minutes(0, 60))
        assert minutes(0, 60).contains(minutes(10, 20))
        assert not minutes(0, 60).contains(minutes(50, 70))

    def test_contains_instant_is_half_open(self) -> None:
        period = minutes(0, 10)
        assert period.contains_instant(period.start)
        assert not period.contains_instant(period.end)

    def test_intersection(self) -> None:
        assert minutes(0, 30).intersection(minutes(20, 50)) == minutes(20, 30)
        assert minutes(0, 30).intersection(minutes(30, 50)) is None

    def test_widen(self) -> None:
        assert minutes(30, 60).widen(timedelta(minutes=10), timedelta(minutes=5)) == minutes(20, 65)

    def test_orders_by_start_then_end(self) -> None:
        assert sorted([minutes(5, 9), minutes(0, 9), minutes(0, 3)]) == [minutes(0, 3), minutes(0, 9), minutes(5, 9)]

    def test_mixed_offsets_are_fine(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        period = Period(datetime(2027, 3, 1, 11, tzinfo=plus_two), utc(2027, 3, 1, 10))
        assert period.duration == timedelta(hours=1)


class TestSetOperations:
    def test_merge_joins_overlapping_and_touching(self) -> None:
        assert merge([minutes(20, 30), minutes(0, 10), minutes(10, 15), minutes(25, 40)]) == [
            minutes(0, 15),
            minutes(20, 40),
        ]

    def test_merge_of_nothing_is_empty(self) -> None:
        assert merge([]) == []

    def test_subtract_cuts_holes(self) -> None:
        assert subtract([minutes(0, 100)], [minutes(10, 20), minutes(50, 60)]) == [
            minutes(0, 10),
            minutes(20, 50),
            minutes(60, 100),
        ]

    def test_subtract_a_removal_spanning_several_periods(self) -> None:
        assert subtract([minutes(0, 10), minutes(20, 30), minutes(40, 50)], [minutes(5, 45)]) == [
            minutes(0, 5),
            minutes(45, 50),
        ]

    def test_subtract_everything(self) -> None:
        assert subtract([minutes(10, 20)], [minutes(0, 30)]) == []

    def test_intersect_all(self) -> None:
        assert intersect_all([minutes(0, 10), minutes(20, 30)], [minutes(5, 25)]) == [minutes(5, 10), minutes(20, 25)]

    def test_total_duration_counts_shared_time_once(self) -> None:
        assert total_duration([minutes(0, 10), minutes(5, 15), minutes(30, 40)]) == timedelta(minutes=25)


# --- properties ------------------------------------------------------------------------

periods = st.builds(
    lambda start, length: minutes(start, start + length),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=1, max_value=120),
)
period_lists = st.lists(periods, max_size=12)
instants = st.integers(min_value=-10, max_value=640).map(lambda offset: BASE + timedelta(minutes=offset))
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def covers(periods_: list[Period], moment: datetime) -> bool:
    return any(period.contains_instant(moment) for period in periods_)


def sample_points(*groups: list[Period]) -> list[datetime]:
    """Every boundary and the instants just around it: where coverage can change."""
    points = {edge for group in groups for period in group for edge in (period.start, period.end)}
    nudge = timedelta(seconds=1)
    return sorted(points | {point - nudge for point in points} | {point + nudge for point in points})


@PROPERTY_SETTINGS
@given(period_lists)
def test_merge_is_sorted_disjoint_not_touching_and_idempotent(items: list[Period]) -> None:
    merged = merge(items)
    assert merge(merged) == merged
    for left, right in pairwise(merged):
        assert left.end < right.start


@PROPERTY_SETTINGS
@given(period_lists, instants)
def test_merge_covers_the_same_instants(items: list[Period], moment: datetime) -> None:
    merged = merge(items)
    for point in [moment, *sample_points(items)]:
        assert covers(merged, point) == covers(items, point)


@PROPERTY_SETTINGS
@given(period_lists, period_lists)
def test_subtract_stays_inside_and_misses_the_removals(items: list[Period], removals: list[Period]) -> None:
    rest = subtract(items, removals)
    assert rest == merge(rest)
    assert not any(kept.overlaps(removed) for kept in rest for removed in removals)
    for point in sample_points(items, removals):
        assert covers(rest, point) == (covers(items, point) and not covers(removals, point))


@PROPERTY_SETTINGS
@given(period_lists, period_lists)
def test_subtract_plus_intersection_gives_back_the_original(items: list[Period], other: list[Period]) -> None:
    rebuilt = merge(subtract(items, other) + intersect_all(items, other))
    assert rebuilt == merge(items)
    assert total_duration(rebuilt) == total_duration(items)
    for point in sample_points(items, other):
        assert covers(rebuilt, point) == covers(items, point)


@PROPERTY_SETTINGS
@given(periods, periods)
def test_overlaps_is_symmetric_and_matches_intersection(a: Period, b: Period) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    assert a.intersection(b) == b.intersection(a)
    assert (a.intersection(b) is not None) == a.overlaps(b)


@PROPERTY_SETTINGS
@given(period_lists, period_lists)
def test_intersect_all_is_commutative_and_inside_both(a: list[Period], b: list[Period]) -> None:
    both = intersect_all(a, b)
    assert both == intersect_all(b, a)
    for point in sample_points(a, b):
        assert covers(both, point) == (covers(a, point) and covers(b, point))
