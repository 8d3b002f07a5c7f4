"""Serializer fields shared by the APIs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MIN_YEAR, MAX_YEAR = 2000, 2200


# The year range stays in the description: as a ``pattern`` next to ``format`` it made
# generated test data (schemathesis) almost never valid.
AWARE_DATETIME_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "description": f"ISO 8601 with an offset (Z or ±hh:mm), years {MIN_YEAR}–{MAX_YEAR}",  # noqa: RUF001
}


@extend_schema_field(AWARE_DATETIME_SCHEMA)
class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; naive datetimes are refused (API.md)."""

    default_error_messages = {
        "naive": "Give the time zone offset, e.g. 2027-03-01T09:00:00+01:00 or …Z.",
        "range": f"Year must be between {MIN_YEAR} and {MAX_YEAR}.",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid", format="ISO 8601")
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well-formed but impossible: 2031-02-30, an offset of +99:00 (a 500 before)
            self.fail("invalid", format="ISO 8601")
        if parsed is not None and parsed.tzinfo is None:
            self.fail("naive")
        result = super().to_internal_value(value)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            self.fail("range")
        return result


@extend_schema_field(
    {
        "oneOf": [AWARE_DATETIME_SCHEMA, {"type": "string", "format": "date"}],
        "description": "ISO 8601 date-time with offset, or a date (YYYY-MM-DD) for nightly resources",
    }
)
class DateOrAwareDateTimeField(serializers.Field):
    """A date (``2027-03-01``) or an aware datetime; nightly resources take dates."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or a date-time with an offset."}

    def to_internal_value(self, value: Any) -> date | datetime:
        if isinstance(value, str) and len(value) == 10:
            try:
                parsed = parse_date(value) if value.count("-") == 2 else None
            except ValueError:  # well-formed but impossible: 2031-02-30
                parsed = None
            if parsed is None:
                self.fail("invalid")
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                raise serializers.ValidationError(f"Year must be between {MIN_YEAR} and {MAX_YEAR}.")
            return parsed
        return AwareDateTimeField().to_internal_value(value)

    def to_representation(self, value: Any) -> str:
        return value.isoformat()


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "format": "email", "maxLength": 254}, {"type": "string", "enum": [""]}],
        "description": "An email address, or empty",
    }
)
class OptionalEmailField(serializers.EmailField):
    """An email address or ``""`` (the schema says so: ``format: email`` alone rejects the empty string)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)


class StrictTextMixin:
    """Text fields take JSON strings only, as the OpenAPI schema says (``type: string``).

    DRF's text fields quietly turn a number into text (``{"reason": 0}`` stored as ``"0"``),
    so the API accepted bodies its own schema calls invalid (schemathesis,
    negative_data_rejection). Every text field of our serializers uses these classes.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc,no-any-return]


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictURLField(StrictTextMixin, serializers.URLField):
    pass


class StrictSlugField(StrictTextMixin, serializers.SlugField):
    pass


class StrictRegexField(StrictTextMixin, serializers.RegexField):
    pass


class StrictModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A ModelSerializer whose generated text fields are strict too."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
    }
