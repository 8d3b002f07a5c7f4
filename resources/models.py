"""Resource types (platform data), resources with their booking policy, and opening hours."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from common.validators import validate_timezone
from vendors.models import Vendor


class BookingMode(models.TextChoices):
    SLOTS = "slots", "Fixed slots"
    RANGE = "range", "Any range on a granularity"
    NIGHTLY = "nightly", "Nights (check-in / check-out)"


class PriceUnit(models.TextChoices):
    BOOKING = "booking", "Per booking"
    HOUR = "hour", "Per hour"
    NIGHT = "night", "Per night"
    SLOT = "slot", "Per slot"


# Every policy field a resource carries; a type's ``defaults`` may set any of them.
POLICY_FIELDS = (
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
    "price_amount",
    "currency",
    "price_unit",
)


class ResourceType(models.Model):
    """A kind of bookable thing (``hotel_room``, ``desk``…): a booking mode plus defaults. Data, not code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    booking_mode = models.CharField(max_length=16, choices=BookingMode.choices)
    defaults = models.JSONField(default=dict, blank=True)
    attribute_schema = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


def _nonneg(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0}), name=f"resource_{field}_nonneg")


class Resource(models.Model):
    """Something a vendor rents out, with its own policy (copied from its type's defaults)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="resources")
    resource_type = models.ForeignKey(ResourceType, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=5000)
    is_active = models.BooleanField(default=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    attributes = models.JSONField(default=dict, blank=True)

    booking_mode = models.CharField(max_length=16, choices=BookingMode.choices)
    capacity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    slot_minutes = models.PositiveIntegerField(null=True, blank=True)
    granularity_minutes = models.PositiveIntegerField(null=True, blank=True)
    min_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_minutes = models.PositiveIntegerField(null=True, blank=True)
    min_nights = models.PositiveIntegerField(null=True, blank=True)
    max_nights = models.PositiveIntegerField(null=True, blank=True)
    check_in_time = models.TimeField(null=True, blank=True)
    check_out_time = models.TimeField(null=True, blank=True)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=0)
    max_advance_days = models.PositiveIntegerField(default=365)
    hold_minutes = models.PositiveIntegerField(default=15, validators=[MinValueValidator(1)])
    requires_approval = models.BooleanField(default=False)
    cancel_cutoff_minutes = models.PositiveIntegerField(default=0)
    price_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="EUR")
    price_unit = models.CharField(max_length=16, choices=PriceUnit.choices, default=PriceUnit.BOOKING)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vendor", "name"]
        indexes = [
            models.Index(fields=["vendor", "is_active"]),
            models.Index(fields=["resource_type", "is_active"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_min_1"),
            models.CheckConstraint(condition=Q(hold_minutes__gte=1), name="resource_hold_minutes_min_1"),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="resource_price_nonneg"),
            models.CheckConstraint(
                condition=~Q(booking_mode="slots") | Q(slot_minutes__gte=1), name="resource_slots_need_slot_minutes"
            ),
            models.CheckConstraint(
                condition=~Q(booking_mode="nightly")
                | (Q(check_in_time__isnull=False) & Q(check_out_time__isnull=False)),
                name="resource_nightly_needs_check_times",
            ),
            _nonneg("buffer_before_minutes"),
            _nonneg("buffer_after_minutes"),
        ]

    def __str__(self) -> str:
        return self.name


class WeeklyHours(models.Model):
    """One opening interval on a weekday, in the resource's local wall-clock time."""

    id = models.BigAutoField(primary_key=True)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start_time = models.TimeField()
    end_time = models.TimeField(help_text="00:00 means midnight at the end of the day")

    class Meta:
        ordering = ["resource_id", "weekday", "start_time"]
        verbose_name_plural = "weekly hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="weeklyhours_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", "Closed"
    OPEN = "open", "Extra opening"


class ScheduleException(models.Model):
    """A concrete datetime range that is closed (holiday, maintenance) or additionally open."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=ExceptionKind.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource_id", "start"]
        indexes = [models.Index(fields=["resource", "start", "end"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="exception_start_before_end")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"
