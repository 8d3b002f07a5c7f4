"""Webhook endpoint and delivery serializers (separate input and output)."""

from __future__ import annotations

from rest_framework import serializers

from common.fields import StrictCharField, StrictModelSerializer, StrictURLField
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.outbox import EVENT_TYPES


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = StrictURLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        allow_empty=False,
        max_length=len(EVENT_TYPES),
        help_text="Event types to receive (API.md, Webhooks).",
    )


class WebhookEndpointOutputSerializer(StrictModelSerializer):
    events = serializers.ListField(child=StrictCharField())

    class Meta:
        model = WebhookEndpoint
        fields: tuple[str, ...] = ("id", "url", "events", "is_active", "created_at")
        read_only_fields: tuple[str, ...] = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = StrictCharField(
        read_only=True,
        help_text="HMAC-SHA256 signing secret. Shown only in this response: store it now.",
    )

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = (*WebhookEndpointOutputSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookDeliveryOutputSerializer(StrictModelSerializer):
    event = serializers.UUIDField(source="event_id", read_only=True, help_text="the event id receivers see")
    event_type = StrictCharField(source="event.event_type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_retry_at",
            "delivered_at",
            "created_at",
        )
        read_only_fields = fields
