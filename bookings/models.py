"""Bookings, their unit allocations (guarded by an exclusion constraint) and history."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Q

from resources.models import Resource


class BookingStatus(models.TextChoices):
    # Mirrors bookings.domain.lifecycle.BookingStatus (the domain owns the transitions).
    HELD = "held", "Held"
    PENDING = "pending", "Pending approval"
    CONFIRMED = "confirmed", "Confirmed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


ACTIVE_STATUSES = (BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED)


class SeriesFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class SeriesConflictPolicy(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "Every occurrence or none"
    SKIP_CONFLICTS = "skip_conflicts", "Book what is available"


class BookingSeries(models.Model):
    """A bounded recurrence (RFC 5545 subset) expanded into ordinary bookings, its occurrences."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="booking_series")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booking_series")
    # The first occurrence as requested; later ones keep its local wall-clock times.
    start = models.DateTimeField()
    end = models.DateTimeField()
    quantity = models.PositiveIntegerField(default=1)
    frequency = models.CharField(max_length=8, choices=SeriesFrequency.choices)
    interval = models.PositiveSmallIntegerField(default=1)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday … 6 = Sunday (weekly only)")
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    on_conflict = models.CharField(max_length=16, choices=SeriesConflictPolicy.choices)
    confirm = models.BooleanField(default=False)
    notes = models.TextField(blank=True, max_length=2000)
    # Occurrences left out by ``skip_conflicts``: [{start, end, reasons}] as answered at creation.
    skipped = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "booking series"
        indexes = [models.Index(fields=["customer", "-created_at"]), models.Index(fields=["-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="series_start_before_end"),
            models.CheckConstraint(condition=Q(interval__gte=1) & Q(interval__lte=52), name="series_interval_1_52"),
            # Exactly one of count / until bounds the recurrence.
            models.CheckConstraint(
                condition=Q(count__isnull=True) ^ Q(until__isnull=True), name="series_count_xor_until"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.frequency} from {self.start:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    """A customer's claim on ``quantity`` units of a resource for ``[start, end)``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.HELD)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # Price snapshot: later price changes on the resource never change a booking.
    price_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    price_currency = models.CharField(max_length=3, default="EUR")
    notes = models.TextField(blank=True, max_length=2000)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    # Set when the booking is an occurrence of a series (bookings/series.py).
    series = models.ForeignKey(
        BookingSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["resource", "start"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "hold_expires_at"]),
            models.Index(fields=["status", "end"]),
            models.Index(fields=["start"]),
            models.Index(fields=["-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="booking_start_before_end"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="booking_quantity_min_1"),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="booking_hold_has_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M} x{self.quantity} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Allocation(models.Model):
    """One booked unit. PostgreSQL refuses two active allocations of a unit whose blocked periods overlap."""

    id = models.BigAutoField(primary_key=True)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="allocations")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="allocations")
    unit = models.PositiveIntegerField()
    # The booking period widened by the resource's buffers at booking time.
    blocked = DateTimeRangeField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["booking", "unit"]
        constraints = [
            # The core promise: whatever the code above does, no unit is double-booked.
            ExclusionConstraint(
                name="allocation_unit_no_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    ("unit", RangeOperators.EQUAL),
                    ("blocked", RangeOperators.OVERLAPS),
                ],
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"unit {self.unit} of {self.resource_id} {self.blocked}"


class BookingEvent(models.Model):
    """Append-only history of a booking: every status change and reschedule, with who and why."""

    id = models.BigAutoField(primary_key=True)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=BookingStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["booking", "at"])]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.from_status or '∅'} → {self.to_status}"


class IdempotencyRecord(models.Model):
    """The first response to an ``Idempotency-Key``, stored in the same transaction as its effect."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=64, help_text="which endpoint the key was used on")
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the canonical request body")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.scope}/{self.key}"
