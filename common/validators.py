"""Validators shared by several apps."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def iana_zones() -> frozenset[str]:
    """Every zone name the system knows. ``available_timezones()`` walks the tz database on
    disk (milliseconds per call), so it is read once per process."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """An IANA zone name such as ``Europe/Berlin``."""
    if not value or value not in iana_zones():
        raise ValidationError(f"{value!r} is not an IANA time zone.", code="invalid_timezone")
