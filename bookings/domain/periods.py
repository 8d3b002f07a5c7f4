"""Half-open time periods ``[start, end)`` and the set algebra availability is built on.

Every ``Period`` is stored in UTC. Two datetimes that share a ``ZoneInfo`` compare and
subtract by wall clock, which is wrong across a DST change (02:30 before and after a
fall-back compare equal); normalising to UTC makes all arithmetic work on instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; ``ValueError`` for a naive datetime (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {moment}")
    return moment.astimezone(UTC)


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """The instants ``start <= t < end``; both ends aware, ``start < end``, kept in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start))
        object.__setattr__(self, "end", as_utc(self.end))
        # Compared only now: in one shared zone 02:30 CEST and 02:15 CET compare by wall clock.
        if not self.start < self.end:
            raise ValueError(f"a period must start before it ends: {self.start} >= {self.end}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Period) -> bool:
        """True when the periods share an instant; touching ends do not overlap."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def contains_instant(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def intersection(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    def widen(self, before: timedelta, after: timedelta) -> Period:
        """This period with ``before`` added in front and ``after`` behind (e.g. buffers)."""
        return Period(self.start - before, self.end + after)


def merge(periods: Iterable[Period]) -> list[Period]:
    """Sorted, disjoint periods covering the same instants; overlapping or touching ones join."""
    merged: list[Period] = []
    for period in sorted(periods):
        if merged and period.start <= merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return merged


def subtract(periods: Iterable[Period], removals: Iterable[Period]) -> list[Period]:
    """The instants of ``periods`` that are in none of ``removals``, sorted and merged."""
    kept: list[Period] = []
    holes = merge(removals)
    first_hole = 0
    for period in merge(periods):
        # Both lists are sorted and disjoint, so holes that end before this period
        # also end before every later one and never need looking at again.
        while first_hole < len(holes) and holes[first_hole].end <= period.start:
            first_hole += 1
        cursor = period.start
        for hole in holes[first_hole:]:
            if hole.start >= period.end:
                break
            if hole.start > cursor:
                kept.append(Period(cursor, hole.start))
            cursor = max(cursor, hole.end)
        if cursor < period.end:
            kept.append(Period(cursor, period.end))
    return kept


def intersect_all(a: Iterable[Period], b: Iterable[Period]) -> list[Period]:
    """The instants covered by both ``a`` and ``b``, sorted and merged."""
    left, right = merge(a), merge(b)
    common: list[Period] = []
    i = j = 0
    while i < len(left) and j < len(right):
        overlap = left[i].intersection(right[j])
        if overlap is not None:
            common.append(overlap)
        # Advance whichever ends first: it cannot meet anything further on the other side.
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return common


def total_duration(periods: Iterable[Period]) -> timedelta:
    """How much time the periods cover; time covered by several periods counts once."""
    return sum((period.duration for period in merge(periods)), timedelta())
