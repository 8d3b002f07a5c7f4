"""Booking API serializers: separate input and output shapes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Booking, BookingEvent, BookingStatus
from common.fields import AwareDateTimeField, DateOrAwareDateTimeField, StrictCharField, StrictModelSerializer
from common.money import Money, money

MAX_QUANTITY = 1000


class BookingCreateInput(serializers.Serializer):
    resource = serializers.UUIDField()
    start = DateOrAwareDateTimeField()
    end = DateOrAwareDateTimeField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["start"], attrs["end"]
        if type(start) is not type(end):
            raise serializers.ValidationError({"end": ["Give start and end both as dates or both as date-times."]})
        if end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class ReasonInput(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    start = DateOrAwareDateTimeField()
    end = DateOrAwareDateTimeField()

    validate = BookingCreateInput.validate


class MoneyOutput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = StrictCharField()


class BookingOutput(StrictModelSerializer):
    resource = serializers.UUIDField(source="resource_id")
    resource_name = StrictCharField(source="resource.name")
    vendor = serializers.UUIDField(source="resource.vendor_id")
    timezone = StrictCharField(source="resource.timezone")
    customer = serializers.UUIDField(source="customer_id")
    price = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "resource",
            "resource_name",
            "vendor",
            "timezone",
            "customer",
            "start",
            "end",
            "quantity",
            "status",
            "hold_expires_at",
            "price",
            "notes",
            "confirmed_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyOutput)
    def get_price(self, booking: Booking) -> Money:
        return money(booking.price_amount, booking.price_currency)


class BookingEventOutput(StrictModelSerializer):
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    # "" for the event that created the booking. Declared, because a generated read-only field
    # loses allow_blank and the schema then said the value must be a status (schemathesis).
    from_status = serializers.ChoiceField(choices=BookingStatus.choices, allow_blank=True, read_only=True)

    class Meta:
        model = BookingEvent
        fields = ["at", "action", "from_status", "to_status", "actor", "reason", "data"]
        read_only_fields = fields


class BookingListQuery(serializers.Serializer):
    start_after = AwareDateTimeField(required=False)
    start_before = AwareDateTimeField(required=False)
