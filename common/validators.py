"""Validators shared by several apps."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    """An IANA zone name such as ``Europe/Berlin``."""
    if not value or value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone.", code="invalid_timezone")
