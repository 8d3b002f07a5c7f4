"""Disputes about bookings: the case, its comment thread and its status timeline."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from bookings.models import Booking


class DisputeStatus(models.TextChoices):
    # Mirrors disputes.lifecycle.DisputeStatus (the lifecycle owns the transitions).
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


# A booking has at most one dispute in these statuses (a partial unique index says so).
OPEN_STATUSES = (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)


class DisputeOutcome(models.TextChoices):
    REFUND_FULL = "refund_full", "Full refund"
    REFUND_PARTIAL = "refund_partial", "Partial refund"
    NO_REFUND = "no_refund", "No refund"


class DisputeReason(models.TextChoices):
    NOT_PROVIDED = "not_provided", "Service not provided"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    WRONG_PRICE = "wrong_price", "Charged the wrong price"
    CANCELLATION = "cancellation", "Cancellation"
    NO_SHOW = "no_show", "No-show"
    OTHER = "other", "Other"


class Dispute(models.Model):
    """A party's complaint about a booking, settled by a platform admin with a recorded outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=32, choices=DisputeReason.choices)
    description = models.TextField(max_length=5000)
    status = models.CharField(max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices, blank=True)
    # A recorded decision, not a money movement (payments are out of scope). Always in the
    # booking's price currency and never above its price snapshot (disputes.lifecycle).
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund_currency = models.CharField(max_length=3, blank=True)
    admin_note = models.TextField(blank=True, max_length=2000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="when it was resolved or rejected")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["-created_at"]),
        ]
        constraints = [
            # Two parties opening a dispute at the same moment: the index lets one insert win.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status__in=["open", "under_review"]),
                name="dispute_one_open_per_booking",
            ),
            # An outcome and a refund exist exactly when the dispute is resolved.
            models.CheckConstraint(
                condition=(Q(status="resolved", refund_amount__isnull=False) & ~Q(outcome="") & ~Q(refund_currency=""))
                | (~Q(status="resolved") & Q(outcome="", refund_amount__isnull=True)),
                name="dispute_outcome_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0), name="dispute_refund_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute {str(self.pk)[:8]} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DisputeComment(models.Model):
    """One message in a dispute's thread, by a party or an admin."""

    id = models.BigAutoField(primary_key=True)
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dispute", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.dispute_id}"


class DisputeEvent(models.Model):
    """Append-only timeline of a dispute: every status change, with who and why."""

    id = models.BigAutoField(primary_key=True)
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, choices=DisputeStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=DisputeStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True, max_length=2000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dispute", "at"])]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.from_status or '∅'} → {self.to_status}"
