"""Input and output serializers for resource types, resources, hours, exceptions and availability.

Input serializers check shapes and the per-field limits (from ``resources.validation``);
the services check combinations and everything else, with the same error shape.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.domain.hours import local_instant
from bookings.domain.periods import Period
from common.fields import (
    AwareDateTimeField,
    DateOrAwareDateTimeField,
    StrictCharField,
    StrictModelSerializer,
    StrictRegexField,
)
from resources.models import BookingMode, ExceptionKind, PriceUnit, Resource, ResourceType, WeeklyHours
from resources.selectors import policy_for
from resources.validation import CURRENCY_RE, HHMM_RE, INT_LIMITS, NULLABLE_FIELDS, PRICE_DECIMALS, PRICE_MAX_DIGITS

MAX_WINDOW = timedelta(days=62)
HHMM = "%H:%M"


# --- resource types --------------------------------------------------------------------------


class ResourceTypeOutput(StrictModelSerializer):
    class Meta:
        model = ResourceType
        fields = [
            "key",
            "name",
            "booking_mode",
            "defaults",
            "attribute_schema",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResourceTypeCreateInput(serializers.Serializer):
    key = StrictCharField(max_length=50)
    name = StrictCharField(max_length=100)
    booking_mode = serializers.ChoiceField(choices=BookingMode.choices)
    defaults = serializers.DictField(required=False, default=dict, help_text="Policy fields of new resources")
    attribute_schema = serializers.DictField(required=False, default=dict, help_text="JSON Schema (2020-12)")
    is_active = serializers.BooleanField(required=False, default=True)


class ResourceTypeUpdateInput(serializers.Serializer):
    key = StrictCharField(max_length=50, required=False, help_text="Cannot change; accepted if unchanged")
    name = StrictCharField(max_length=100, required=False)
    booking_mode = serializers.ChoiceField(choices=BookingMode.choices, required=False)
    defaults = serializers.DictField(required=False)
    attribute_schema = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)


# --- resources --------------------------------------------------------------------------------


def _int(field: str) -> serializers.IntegerField:
    low, high = INT_LIMITS[field]
    return serializers.IntegerField(min_value=low, max_value=high, required=False, allow_null=field in NULLABLE_FIELDS)


def _time() -> serializers.TimeField:
    return serializers.TimeField(format=HHMM, input_formats=[HHMM, "%H:%M:%S"], required=False, allow_null=True)


class PolicyInput(serializers.Serializer):
    """Every policy field, all optional (unset ones come from the type, then the model)."""

    capacity = _int("capacity")
    slot_minutes = _int("slot_minutes")
    granularity_minutes = _int("granularity_minutes")
    min_minutes = _int("min_minutes")
    max_minutes = _int("max_minutes")
    min_nights = _int("min_nights")
    max_nights = _int("max_nights")
    check_in_time = _time()
    check_out_time = _time()
    buffer_before_minutes = _int("buffer_before_minutes")
    buffer_after_minutes = _int("buffer_after_minutes")
    min_notice_minutes = _int("min_notice_minutes")
    max_advance_days = _int("max_advance_days")
    hold_minutes = _int("hold_minutes")
    requires_approval = serializers.BooleanField(required=False)
    cancel_cutoff_minutes = _int("cancel_cutoff_minutes")
    price_amount = serializers.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMALS, min_value=0, required=False
    )
    currency = StrictCharField(
        min_length=3,
        max_length=3,
        required=False,
        validators=[RegexValidator(CURRENCY_RE, "Use an ISO 4217 code of three capital letters, e.g. EUR.")],
    )
    price_unit = serializers.ChoiceField(choices=PriceUnit.choices, required=False)


class ResourceCreateInput(PolicyInput):
    vendor = serializers.UUIDField()
    type = StrictCharField(max_length=50, help_text="Resource type key")
    name = StrictCharField(max_length=120)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    timezone = StrictCharField(max_length=64, required=False, help_text="IANA zone; default: the vendor's")
    attributes = serializers.DictField(required=False, help_text="Validated against the type's attribute_schema")


class ResourceUpdateInput(PolicyInput):
    name = StrictCharField(max_length=120, required=False)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    timezone = StrictCharField(max_length=64, required=False)
    attributes = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)


class ResourcePriceOutput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMALS)
    currency = StrictCharField()


class ResourceOutput(StrictModelSerializer):
    vendor = serializers.UUIDField(source="vendor_id")
    type = StrictCharField(source="resource_type.key")
    check_in_time = serializers.TimeField(format=HHMM, allow_null=True)
    check_out_time = serializers.TimeField(format=HHMM, allow_null=True)
    price = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "vendor",
            "type",
            "name",
            "description",
            "timezone",
            "attributes",
            "booking_mode",
            "capacity",
            "slot_minutes",
            "granularity_minutes",
            "min_minutes",
            "max_minutes",
            "min_nights",
            "max_nights",
            "check_in_time",
            "check_out_time",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "min_notice_minutes",
            "max_advance_days",
            "hold_minutes",
            "requires_approval",
            "cancel_cutoff_minutes",
            "price",
            "price_unit",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ResourcePriceOutput)
    def get_price(self, resource: Resource) -> dict[str, Any]:
        return ResourcePriceOutput({"amount": resource.price_amount, "currency": resource.currency}).data


# --- opening hours ------------------------------------------------------------------------------


class WeeklyIntervalInput(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start = StrictRegexField(HHMM_RE, max_length=5, help_text='"HH:MM", local time')
    end = StrictRegexField(
        r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", max_length=5, help_text='"HH:MM"; "24:00" or "00:00" is midnight'
    )


class WeeklyHoursInput(serializers.Serializer):
    weekly = serializers.ListField(child=WeeklyIntervalInput(), max_length=28, allow_empty=True)


class WeeklyIntervalOutput(serializers.Serializer):
    weekday = serializers.IntegerField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()

    def get_start(self, row: WeeklyHours) -> str:
        return row.start_time.strftime(HHMM)

    def get_end(self, row: WeeklyHours) -> str:
        return "24:00" if row.end_time.hour == row.end_time.minute == 0 else row.end_time.strftime(HHMM)


class WeeklyHoursOutput(serializers.Serializer):
    weekly = WeeklyIntervalOutput(many=True)


# --- schedule exceptions --------------------------------------------------------------------------


class ScheduleExceptionInput(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    kind = serializers.ChoiceField(choices=ExceptionKind.choices)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class ScheduleExceptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    kind = StrictCharField()
    reason = StrictCharField()
    created_at = serializers.DateTimeField()


# --- availability ---------------------------------------------------------------------------------


class AvailabilityQuery(serializers.Serializer):
    """``start``/``end`` with offsets (nightly resources also take dates: check-in and
    check-out dates), ``quantity`` 1..capacity. Needs ``context["resource"]``."""

    start = DateOrAwareDateTimeField()
    end = DateOrAwareDateTimeField()
    quantity = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        resource: Resource = self.context["resource"]
        policy = policy_for(resource)
        bounds: dict[str, datetime] = {}
        errors: dict[str, list[str]] = {}
        for field, wall in (("start", policy.check_in), ("end", policy.check_out)):
            value = attrs[field]
            if isinstance(value, datetime):
                bounds[field] = value
            elif resource.booking_mode == BookingMode.NIGHTLY and isinstance(value, date):
                bounds[field] = local_instant(value, wall, policy.zone)
            else:
                errors[field] = ["Give a date-time with an offset, e.g. 2027-03-01T09:00:00+01:00."]
        if errors:
            raise serializers.ValidationError(errors)
        if bounds["end"] <= bounds["start"]:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if bounds["end"] - bounds["start"] > MAX_WINDOW:
            raise serializers.ValidationError({"end": [f"The window may span at most {MAX_WINDOW.days} days."]})
        if attrs["quantity"] > resource.capacity:
            raise serializers.ValidationError(
                {"quantity": [f"This resource has {resource.capacity} unit(s); ask for 1 to {resource.capacity}."]}
            )
        attrs["period"] = Period(bounds["start"], bounds["end"])
        return attrs


class OptionOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    available = serializers.IntegerField(help_text="Units free throughout the option")


class AvailabilityOutput(serializers.Serializer):
    resource = serializers.UUIDField()
    timezone = StrictCharField()
    booking_mode = serializers.ChoiceField(choices=BookingMode.choices)
    options = OptionOutput(many=True)


class ReasonOutput(serializers.Serializer):
    code = StrictCharField()
    detail = StrictCharField()
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class ExplainOutput(serializers.Serializer):
    bookable = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
