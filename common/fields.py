"""Serializer fields shared by the APIs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MIN_YEAR, MAX_YEAR = 2000, 2200


@extend_schema_field({"type": "string", "format": "date-time"})
class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; naive datetimes are refused (API.md)."""

    default_error_messages = {
        "naive": "Give the time zone offset, e.g. 2027-03-01T09:00:00+01:00 or …Z.",
        "range": f"Year must be between {MIN_YEAR} and {MAX_YEAR}.",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid", format="ISO 8601")
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and parsed.tzinfo is None:
            self.fail("naive")
        result = super().to_internal_value(value)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            self.fail("range")
        return result


@extend_schema_field({"type": "string", "description": "ISO 8601 date-time with offset, or a date (YYYY-MM-DD)"})
class DateOrAwareDateTimeField(serializers.Field):
    """A date (``2027-03-01``) or an aware datetime; nightly resources take dates."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or a date-time with an offset."}

    def to_internal_value(self, value: Any) -> date | datetime:
        if isinstance(value, str) and len(value) == 10:
            parsed = parse_date(value) if value.count("-") == 2 else None
            if parsed is None:
                self.fail("invalid")
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                raise serializers.ValidationError(f"Year must be between {MIN_YEAR} and {MAX_YEAR}.")
            return parsed
        return AwareDateTimeField().to_internal_value(value)

    def to_representation(self, value: Any) -> str:
        return value.isoformat()
