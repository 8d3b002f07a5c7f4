"""Small constructors that keep domain tests readable. Pure Python: no Django here."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bookings.domain.availability import BusyAllocation, ScheduleExceptionValue, WeeklyRule
from bookings.domain.hours import ExceptionKind
from bookings.domain.periods import Period

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
UTC_ZONE = "UTC"
WEEKDAYS = range(5)  # Monday to Friday
EVERY_DAY = range(7)


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """An aware datetime on the wall clock of ``tz`` (``fold=1``: the second of a repeated time)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz), fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return local(UTC_ZONE, year, month, day, hour, minute)


def hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def weekly(start: str, end: str, days: range | list[int] = WEEKDAYS) -> list[WeeklyRule]:
    """The same opening hours ("09:00", "17:00"; "24:00" for midnight) on each of ``days``."""
    end_time = time(0, 0) if end == "24:00" else hm(end)
    return [WeeklyRule(day, hm(start), end_time) for day in days]


def exception(start: datetime, end: datetime, kind: ExceptionKind) -> ScheduleExceptionValue:
    return ScheduleExceptionValue(Period(start, end), kind)


def busy(
    start: datetime,
    end: datetime,
    *,
    unit: int = 0,
    hold: bool = False,
    own: bool = False,
    before_minutes: int = 0,
    after_minutes: int = 0,
) -> BusyAllocation:
    """An existing allocation; its buffers (the minutes) widen its blocked period."""
    period = Period(start, end)
    blocked = period.widen(timedelta(minutes=before_minutes), timedelta(minutes=after_minutes))
    return BusyAllocation(period=period, blocked=blocked, unit=unit, is_hold=hold, is_own=own)


def as_local(moment: datetime, tz: str) -> str:
    """``moment`` as local wall-clock "HH:MM" in ``tz``, for readable assertions."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")
