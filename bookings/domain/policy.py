"""A resource's booking policy: the shape of a valid booking and when one may be made."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bookings.domain.hours import local_instant
from bookings.domain.periods import Period, as_utc

DEFAULT_GRANULARITY_MINUTES = 15
DEFAULT_CHECK_IN_TIME = time(15, 0)
DEFAULT_CHECK_OUT_TIME = time(11, 0)


class BookingMode(StrEnum):
    SLOTS = "slots"
    RANGE = "range"
    NIGHTLY = "nightly"


@dataclass(frozen=True)
class Policy:
    """The booking rules of one resource. Unset optional limits mean "no limit", an unset
    granularity means 15 minutes, unset check-in/out times mean 15:00 / 11:00."""

    booking_mode: BookingMode
    timezone: str
    _: KW_ONLY
    capacity: int = 1
    slot_minutes: int | None = None
    granularity_minutes: int | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    min_nights: int = 1
    max_nights: int | None = None
    check_in_time: time | None = None
    check_out_time: time | None = None
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    max_advance_days: int | None = 365

    def __post_init__(self) -> None:
        # Accept the plain strings stored on models as well as the enum.
        object.__setattr__(self, "booking_mode", BookingMode(self.booking_mode))
        problems = _policy_problems(self)
        if problems:
            raise ValueError("invalid policy: " + "; ".join(problems))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances per key

    @property
    def slot_length(self) -> timedelta:
        if self.slot_minutes is None:
            raise ValueError("slot_minutes is not set")
        return timedelta(minutes=self.slot_minutes)

    @property
    def step_minutes(self) -> int:
        """The range-mode granularity, in minutes."""
        return self.granularity_minutes or DEFAULT_GRANULARITY_MINUTES

    @property
    def check_in(self) -> time:
        return self.check_in_time or DEFAULT_CHECK_IN_TIME

    @property
    def check_out(self) -> time:
        return self.check_out_time or DEFAULT_CHECK_OUT_TIME

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    # `now` goes to UTC first: adding minutes to a zoned datetime moves its wall clock,
    # which lands in a DST gap or an hour off on change days.
    def earliest_start(self, now: datetime) -> datetime:
        return as_utc(now) + timedelta(minutes=self.min_notice_minutes)

    def latest_start(self, now: datetime) -> datetime | None:
        """The horizon (days are 24-hour days); ``None`` when there is none."""
        if self.max_advance_days is None:
            return None
        return as_utc(now) + timedelta(days=self.max_advance_days)

    def may_start_at(self, start: datetime, now: datetime) -> bool:
        """True when ``start`` respects both the minimum notice and the horizon."""
        latest = self.latest_start(now)
        return start >= self.earliest_start(now) and (latest is None or start <= latest)


def _policy_problems(policy: Policy) -> list[str]:
    problems = []
    if policy.capacity < 1:
        problems.append("capacity must be at least 1")
    if policy.booking_mode is BookingMode.SLOTS and not policy.slot_minutes:
        problems.append("slots mode needs slot_minutes")
    positive = ("slot_minutes", "granularity_minutes", "min_minutes", "max_minutes", "min_nights", "max_nights")
    problems += [f"{name} must be positive" for name in positive if _below(getattr(policy, name), 1)]
    not_negative = ("buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes", "max_advance_days")
    problems += [f"{name} must not be negative" for name in not_negative if _below(getattr(policy, name), 0)]
    try:
        ZoneInfo(policy.timezone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        problems.append(f"unknown timezone {policy.timezone!r}")
    return problems


def _below(value: int | None, minimum: int) -> bool:
    return value is not None and value < minimum


def nights_period(*, check_in: date, check_out: date, policy: Policy) -> Period:
    """From ``check_in`` at the check-in time to ``check_out`` at the check-out time, local
    to the resource's zone (so a night across a DST change is an hour shorter or longer)."""
    if check_out <= check_in:
        raise ValueError("check-out must be at least one day after check-in")
    start = local_instant(check_in, policy.check_in, policy.zone)
    return Period(start, local_instant(check_out, policy.check_out, policy.zone))
