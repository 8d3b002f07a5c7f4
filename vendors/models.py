"""Vendors (the businesses that own resources) and their members."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from common.validators import validate_timezone


class VendorStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REJECTED = "rejected", "Rejected"


class Vendor(models.Model):
    """A business on the platform; only ``active`` vendors are public and bookable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    category = models.CharField(max_length=60, help_text="Free label: hotel, clinic, salon, coworking…")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    description = models.TextField(blank=True, max_length=5000)
    contact_email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=VendorStatus.choices, default=VendorStatus.PENDING)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "name"]), models.Index(fields=["category"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == VendorStatus.ACTIVE


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    """A user's role at a vendor: owners manage members, owners/managers manage resources."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "vendor"], name="vendors_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor} ({self.role})"


class VendorStatusEvent(models.Model):
    """Append-only history of a vendor's status changes, with who and why."""

    id = models.BigAutoField(primary_key=True)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=16, choices=VendorStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=VendorStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.from_status or '∅'} → {self.to_status}"
