"""Outbox events, sent-notification records, vendor webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from vendors.models import Vendor


class OutboxEvent(models.Model):
    """One domain event, written in the transaction of the change it describes; ``id`` is what receivers see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    # Nullable and SET_NULL: the event log must never block deleting a vendor.
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # No FK on purpose: the outbox stays independent of the bookings schema (and of purges).
    booking_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="last handed to the broker")
    processed_at = models.DateTimeField(null=True, blank=True, help_text="fanned out to emails and webhooks")
    attempts = models.PositiveIntegerField(default=0, help_text="processing attempts")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The relay's scan: unprocessed rows oldest first. Partial, so it stays tiny.
            models.Index(fields=["created_at"], condition=Q(processed_at__isnull=True), name="outbox_unprocessed_idx"),
            # The purge's scan.
            models.Index(fields=["processed_at"], name="outbox_processed_at_idx"),
            models.Index(fields=["booking_id"], name="outbox_booking_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SentNotification(models.Model):
    """One email to one recipient, recorded (rendered) before it is sent: the record is the dedupe key."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        OutboxEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    booking_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=64, help_text="an event type, or booking.reminder")
    recipient = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When a sweep may (re)dispatch it: a backoff after a failure, or a lease while one worker sends.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "kind"],
                condition=Q(event__isnull=False),
                name="notification_once_per_event_recipient_kind",
            ),
            # Reminders have no outbox event: one per booking and recipient.
            models.UniqueConstraint(
                fields=["booking_id", "recipient", "kind"],
                condition=Q(event__isnull=True, kind="booking.reminder"),
                name="notification_reminder_once_per_booking",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due_idx",
            ),
            models.Index(fields=["booking_id"], name="notification_booking_idx"),
            models.Index(fields=["created_at"], name="notification_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"


class WebhookEndpoint(models.Model):
    """A vendor's URL that receives signed event deliveries for the event types it subscribed to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=64), size=32)
    # Needed in clear to sign; shown to the vendor once, at creation, never again.
    secret = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["vendor", "is_active"], name="webhook_endpoint_vendor_idx")]

    def __str__(self) -> str:
        return f"{self.vendor_id} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts; retried with backoff until 2xx or the attempt limit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="webhook_deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # When the next attempt is due; while an attempt runs it is a lease that lets a sweep retry a dead worker.
    next_retry_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # [{attempt, at, status_code, error, retry_in_seconds}], at most the attempt limit long.
    attempt_log = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint_event"),
        ]
        indexes = [
            models.Index(fields=["next_retry_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
