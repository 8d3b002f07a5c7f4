"""Admin: the outbox, sent emails, webhook endpoints and their delivery log (read-only records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import OutboxEvent, SentNotification, WebhookDelivery, WebhookEndpoint
from notifications.webhooks import webhook_delivery_redeliver


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the system: viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event_type",
        "vendor",
        "booking_id",
        "created_at",
        "dispatched_at",
        "processed_at",
        "attempts",
    )
    list_filter = ("event_type", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=id", "=booking_id", "vendor__name")
    date_hierarchy = "created_at"
    list_select_related = ("vendor",)


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "status", "attempts", "booking_id", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("recipient", "=booking_id", "=event__id")
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "vendor", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "vendor__name")
    # The secret is never shown again after creation, not even here.
    fields = ("vendor", "url", "events", "is_active", "created_at")
    readonly_fields = ("vendor", "url", "events", "created_at")
    list_select_related = ("vendor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created by vendors through the API, which shows them the secret


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "last_status_code", "next_retry_at", "delivered_at")
    list_filter = ("status",)
    search_fields = ("=event__id", "endpoint__url", "endpoint__vendor__name")
    date_hierarchy = "created_at"
    list_select_related = ("event", "endpoint")
    actions = ("redeliver",)

    @admin.action(description="Redeliver now (fresh attempt budget)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = sum(webhook_delivery_redeliver(delivery_id=delivery.pk) for delivery in queryset)
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)
