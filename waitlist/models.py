"""Waitlist entries: a customer queued for a full period of a resource, offered a hold when units free up."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from bookings.models import Booking
from resources.models import Resource


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a hold"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    LEFT = "left", "Left"


ACTIVE_ENTRY_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    """One customer waiting for ``quantity`` units of ``[start, end)``; ``created_at`` is the queue order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="waitlist_entries")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries")
    start = models.DateTimeField()
    end = models.DateTimeField()
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    # The hold made for this entry when it reached the front (kept after it is confirmed or lapses).
    offer_booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="waitlist_offers"
    )
    # Set once, on joining, and never reset: retrying a join returns the same entry.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    offered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="when it became booked, expired or left")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(fields=["resource", "status", "created_at"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="waitlist_start_before_end"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="waitlist_quantity_min_1"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_booking__isnull=False), name="waitlist_offer_has_booking"
            ),
            # One active entry per customer and period: a second join is the first one.
            models.UniqueConstraint(
                fields=["customer", "resource", "start", "end"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_active_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} waits for {self.resource_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ENTRY_STATUSES
