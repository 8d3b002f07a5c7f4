"""explain(): every reason a requested period is not bookable, and none when it is."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from bookings.domain import availability as av
from bookings.domain.availability import BookingMode, Policy, Reason, explain
from bookings.domain.hours import ScheduleExceptionValue, WeeklyRule
from bookings.domain.occupancy import BusyAllocation
from bookings.domain.periods import Period

from .builders import BERLIN, busy, exception, local, utc, weekly

NOW = utc(2027, 2, 28, 12)  # the Sunday before Monday 2027-03-01


def at(hour: int, minute: int = 0, *, day: int = 1, month: int = 3, fold: int = 0) -> datetime:
    """A Berlin wall-clock instant in 2027 (Monday 1 March unless told otherwise)."""
    return local(BERLIN, 2027, month, day, hour, minute, fold=fold)


SHAPES: dict[BookingMode, dict[str, Any]] = {
    BookingMode.SLOTS: {"slot_minutes": 30},
    BookingMode.RANGE: {"granularity_minutes": 15},
    BookingMode.NIGHTLY: {"check_in_time": time(15), "check_out_time": time(11)},
}


def policy_for(mode: BookingMode, **fields: Any) -> Policy:
    return Policy(mode, BERLIN, **(SHAPES[mode] | fields))


def reasons(
    start: datetime,
    end: datetime,
    *,
    mode: BookingMode = BookingMode.SLOTS,
    rules: list[WeeklyRule] | None = None,
    exceptions: list[ScheduleExceptionValue] | None = None,
    taken: list[BusyAllocation] | None = None,
    now: datetime = NOW,
    quantity: int = 1,
    **policy_fields: Any,
) -> list[Reason]:
    return explain(
        policy=policy_for(mode, **policy_fields),
        rules=weekly("09:00", "17:00") if rules is None else rules,
        exceptions=exceptions or [],
        busy=taken or [],
        requested=Period(start, end),
        now=now,
        quantity=quantity,
    )


def codes(found: list[Reason]) -> list[str]:
    return [reason.code for reason in found]


class TestBookable:
    @pytest.mark.parametrize(
        ("mode", "start", "end"),
        [
            (BookingMode.SLOTS, at(10), at(10, 30)),
            (BookingMode.RANGE, at(10, 15), at(12, 45)),
            (BookingMode.NIGHTLY, at(15), at(11, day=3)),
        ],
    )
    def test_a_free_well_shaped_request_has_no_reasons(self, mode: BookingMode, start: datetime, end: datetime) -> None:
        assert reasons(start, end, mode=mode) == []

    def test_a_stay_across_the_spring_change_is_fine(self) -> None:
        assert reasons(at(15, day=27), at(11, day=29), mode=BookingMode.NIGHTLY) == []

    def test_the_second_two_oclock_of_the_fall_back_is_on_the_grid(self) -> None:
        sunday_all_day = weekly("00:00", "24:00", days=[6])
        found = reasons(
            at(2, day=31, month=10, fold=1),
            at(3, day=31, month=10),
            mode=BookingMode.RANGE,
            rules=sunday_all_day,
            granularity_minutes=60,
        )
        assert found == []


class TestOneReasonEach:
    def test_too_soon(self) -> None:
        found = reasons(at(10), at(10, 30), now=at(9, 50), min_notice_minutes=30)
        assert codes(found) == [av.TOO_SOON]
        assert (found[0].start, found[0].end) == (at(10), at(10, 30))

    def test_too_far_ahead(self) -> None:
        assert codes(reasons(at(10, day=5, month=4), at(10, 30, day=5, month=4), max_advance_days=30)) == [
            av.TOO_FAR_AHEAD
        ]

    @pytest.mark.parametrize(
        ("mode", "start", "end", "fields"),
        [
            (BookingMode.SLOTS, at(10), at(11), {}),
            (BookingMode.RANGE, at(10), at(10, 30), {"min_minutes": 60}),
            (BookingMode.RANGE, at(10), at(13), {"max_minutes": 120}),
            (BookingMode.NIGHTLY, at(15), at(11, day=2), {"min_nights": 2}),
            (BookingMode.NIGHTLY, at(15), at(11, day=5), {"max_nights": 3}),
        ],
        ids=["slot-length", "range-too-short", "range-too-long", "too-few-nights", "too-many-nights"],
    )
    def test_bad_duration(self, mode: BookingMode, start: datetime, end: datetime, fields: dict[str, Any]) -> None:
        assert codes(reasons(start, end, mode=mode, **fields)) == [av.BAD_DURATION]

    @pytest.mark.parametrize(
        ("mode", "start", "end"),
        [
            (BookingMode.SLOTS, at(10, 10), at(10, 40)),
            (BookingMode.RANGE, at(10, 10), at(11, 10)),
            (BookingMode.NIGHTLY, at(14), at(11, day=2)),
            (BookingMode.NIGHTLY, at(15), at(12, day=2)),
        ],
        ids=["off-the-slot-grid", "off-the-granularity", "early-check-in", "late-check-out"],
    )
    def test_misaligned(self, mode: BookingMode, start: datetime, end: datetime) -> None:
        assert codes(reasons(start, end, mode=mode)) == [av.MISALIGNED]

    def test_closed_reports_the_closure_and_not_outside_hours(self) -> None:
        closure = exception(at(10), at(12), "closed")
        found = reasons(at(10), at(10, 30), exceptions=[closure])
        assert found == [Reason(av.CLOSED, found[0].detail, at(10), at(12))]

    def test_closed_applies_to_nights(self) -> None:
        closure = exception(at(0, day=2), at(0, day=3), "closed")
        assert codes(reasons(at(15), at(11, day=3), mode=BookingMode.NIGHTLY, exceptions=[closure])) == [av.CLOSED]

    def test_outside_hours_reports_the_part_outside(self) -> None:
        found = reasons(at(16, 30), at(17, 30), mode=BookingMode.RANGE)
        assert codes(found) == [av.OUTSIDE_HOURS]
        assert (found[0].start, found[0].end) == (at(17), at(17, 30))

    def test_outside_hours_on_a_closed_weekday(self) -> None:
        assert codes(reasons(at(10, day=6), at(10, 30, day=6))) == [av.OUTSIDE_HOURS]

    def test_capacity_reached(self) -> None:
        found = reasons(at(10), at(10, 30), taken=[busy(at(9, 30), at(10, 30))])
        assert codes(found) == [av.CAPACITY_REACHED]
        assert (found[0].start, found[0].end) == (at(10), at(10, 30))

    def test_held_by_another_customer(self) -> None:
        found = reasons(at(10), at(10, 30), taken=[busy(at(10), at(10, 30), hold=True)])
        assert codes(found) == [av.HELD]

    def test_own_hold_is_not_reported_as_held(self) -> None:
        found = reasons(at(10), at(10, 30), taken=[busy(at(10), at(10, 30), hold=True, own=True)])
        assert codes(found) == [av.CAPACITY_REACHED]

    def test_buffer_of_the_new_booking(self) -> None:
        found = reasons(at(10), at(10, 30), taken=[busy(at(10, 30), at(11))], buffer_after_minutes=15)
        assert codes(found) == [av.BUFFER]
        assert (found[0].start, found[0].end) == (at(10, 30), at(10, 45))

    def test_buffer_of_the_existing_booking(self) -> None:
        found = reasons(at(9, 30), at(10), taken=[busy(at(9), at(9, 30), after_minutes=15)])
        assert codes(found) == [av.BUFFER]


class TestAgreesWithOptions:
    def test_round_the_clock_slots_are_bookable_and_off_grid_ones_misaligned(self) -> None:
        policy, rules = policy_for(BookingMode.SLOTS, slot_minutes=50), weekly("00:00", "24:00", days=range(7))
        window = Period(at(0, day=3), at(0, day=4))
        offered = av.compute_options(policy=policy, rules=rules, exceptions=[], busy=[], window=window, now=NOW)
        for option in offered:
            requested = Period(option.start, option.end)
            assert explain(policy=policy, rules=rules, exceptions=[], busy=[], requested=requested, now=NOW) == []
        shifted = Period(offered[5].start + timedelta(minutes=10), offered[5].end + timedelta(minutes=10))
        found = explain(policy=policy, rules=rules, exceptions=[], busy=[], requested=shifted, now=NOW)
        assert codes(found) == [av.MISALIGNED]


class TestCombinations:
    def test_all_applicable_reasons_are_reported_in_order(self) -> None:
        found = reasons(at(16, 50), at(17, 50), now=at(16, 45), min_notice_minutes=30)
        assert codes(found) == [av.TOO_SOON, av.BAD_DURATION, av.MISALIGNED, av.OUTSIDE_HOURS]

    def test_capacity_and_holds_together(self) -> None:
        taken = [busy(at(10), at(10, 30), unit=0), busy(at(10), at(10, 30), unit=1, hold=True)]
        found = reasons(at(10), at(10, 30), taken=taken, capacity=2, quantity=2)
        assert codes(found) == [av.CAPACITY_REACHED, av.HELD]

    def test_only_held_when_the_holds_alone_are_in_the_way(self) -> None:
        taken = [busy(at(10), at(10, 30), unit=0), busy(at(10), at(10, 30), unit=1, hold=True)]
        assert codes(reasons(at(10), at(10, 30), taken=taken, capacity=2)) == [av.HELD]

    def test_held_and_buffer_when_only_both_together_block(self) -> None:
        taken = [busy(at(10), at(10, 30), unit=0, hold=True), busy(at(10, 30), at(11), unit=1)]
        found = reasons(at(10), at(10, 30), taken=taken, capacity=2, quantity=2, buffer_after_minutes=15)
        assert codes(found) == [av.HELD, av.BUFFER]

    def test_more_units_than_exist(self) -> None:
        found = reasons(at(10), at(10, 30), capacity=2, quantity=3)
        assert codes(found) == [av.CAPACITY_REACHED]
        assert (found[0].start, found[0].end) == (at(10), at(10, 30))

    def test_allocations_on_retired_units_are_ignored(self) -> None:
        assert reasons(at(10), at(10, 30), taken=[busy(at(10), at(10, 30), unit=3)], capacity=2) == []

    def test_every_reason_has_a_human_detail(self) -> None:
        found = reasons(at(16, 50), at(17, 50), now=at(16, 45), min_notice_minutes=30, taken=[busy(at(16), at(17))])
        assert all(reason.detail for reason in found)
        assert av.CAPACITY_REACHED in codes(found)

    def test_explain_accepts_now_in_any_zone(self) -> None:
        # Notice is computed on instants: 60 minutes after 01:30 CET on the spring change is 03:30 CEST.
        found = reasons(
            at(3, 15, day=28),
            at(3, 45, day=28),
            mode=BookingMode.RANGE,
            rules=weekly("00:00", "24:00", days=[6]),
            now=at(1, 30, day=28),
            min_notice_minutes=60,
        )
        assert codes(found) == [av.TOO_SOON]
        assert (
            reasons(
                at(3, 30, day=28),
                at(4, day=28),
                mode=BookingMode.RANGE,
                rules=weekly("00:00", "24:00", days=[6]),
                now=at(1, 30, day=28),
                min_notice_minutes=60,
            )
            == []
        )


def test_reason_codes_match_the_api_contract() -> None:
    contract = {
        "closed",
        "outside_hours",
        "too_soon",
        "too_far_ahead",
        "bad_duration",
        "misaligned",
        "capacity_reached",
        "held",
        "buffer",
        "resource_inactive",
        "vendor_inactive",
    }
    constants = {
        av.CLOSED,
        av.OUTSIDE_HOURS,
        av.TOO_SOON,
        av.TOO_FAR_AHEAD,
        av.BAD_DURATION,
        av.MISALIGNED,
        av.CAPACITY_REACHED,
        av.HELD,
        av.BUFFER,
        av.RESOURCE_INACTIVE,
        av.VENDOR_INACTIVE,
    }
    assert constants == contract


def test_durations_in_details_read_in_minutes() -> None:
    found = reasons(at(10), at(10, 45))
    assert "30 minutes" in found[0].detail
    assert "45 minutes" in found[0].detail
