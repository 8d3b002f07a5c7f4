"""Waitlist API serializers: separate input and output shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bookings.api.serializers import MAX_QUANTITY
from common.fields import DateOrAwareDateTimeField, StrictModelSerializer
from waitlist.models import WaitlistEntry, WaitlistStatus


class WaitlistJoinInput(serializers.Serializer):
    resource = serializers.UUIDField()
    start = DateOrAwareDateTimeField()
    end = DateOrAwareDateTimeField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["start"], attrs["end"]
        if type(start) is not type(end):
            raise serializers.ValidationError({"end": ["Give start and end both as dates or both as date-times."]})
        if end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class WaitlistQuery(serializers.Serializer):
    resource = serializers.UUIDField(required=False, help_text="a resource of your vendor: its whole waitlist")
    status = serializers.MultipleChoiceField(choices=WaitlistStatus.choices, required=False)


class WaitlistEntryOutput(StrictModelSerializer):
    resource = serializers.UUIDField(source="resource_id")
    customer = serializers.UUIDField(source="customer_id")
    offer_booking = serializers.UUIDField(source="offer_booking_id", allow_null=True)
    position = serializers.IntegerField(
        allow_null=True, help_text="1 = next to be offered; null once the entry is no longer waiting"
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "resource",
            "customer",
            "start",
            "end",
            "quantity",
            "status",
            "position",
            "offer_booking",
            "created_at",
            "offered_at",
            "closed_at",
        ]
        read_only_fields = fields
