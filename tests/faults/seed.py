"""Seed a fault test's database through the service's own settings (run as a subprocess).

``python tests/faults/seed.py CUSTOMERS CAPACITY`` creates an active vendor (UTC) with an
owner, a platform admin, one ``slots`` resource (30-minute slots, open around the clock, ``CAPACITY`` units,
no notice), and ``CUSTOMERS`` customers, and prints one JSON line with their ids and
access tokens (the environment sets a long access-token lifetime).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from accounts.models import User  # noqa: E402
from accounts.tokens import tokens_for_login  # noqa: E402
from resources.models import Resource, ResourceType, WeeklyHours  # noqa: E402
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus  # noqa: E402


def main(customers: int, capacity: int) -> dict:
    tag = uuid.uuid4().hex[:8]
    owner = User.objects.create_user(email=f"owner-{tag}@example.com", password=None, full_name="Owner")
    vendor = Vendor.objects.create(
        name=f"Fault Clinic {tag}", slug=f"fault-{tag}", category="clinic", timezone="UTC", status=VendorStatus.ACTIVE
    )
    Membership.objects.create(user=owner, vendor=vendor, role=MembershipRole.OWNER)
    rtype, _ = ResourceType.objects.get_or_create(
        key="fault-slots", defaults={"name": "Fault slots", "booking_mode": "slots"}
    )
    resource = Resource.objects.create(
        vendor=vendor,
        resource_type=rtype,
        name=f"Chair {tag}",
        timezone="UTC",
        booking_mode="slots",
        capacity=capacity,
        slot_minutes=30,
        min_notice_minutes=0,
        max_advance_days=365,
        hold_minutes=30,
        price_amount=Decimal("10.00"),
        currency="EUR",
    )
    WeeklyHours.objects.bulk_create(
        [WeeklyHours(resource=resource, weekday=day, start_time=time(0, 0), end_time=time(0, 0)) for day in range(7)]
    )
    admin = User.objects.create_user(
        email=f"admin-{tag}@example.com", password=None, full_name="Admin", is_staff=True, is_superuser=True
    )
    people = [
        User.objects.create_user(email=f"customer{i}-{tag}@example.com", password=None, full_name=f"Customer {i}")
        for i in range(customers)
    ]
    return {
        "vendor": str(vendor.pk),
        "resource": str(resource.pk),
        "owner": {"id": str(owner.pk), "email": owner.email, "token": tokens_for_login(owner)["access"]},
        "admin": {"id": str(admin.pk), "email": admin.email, "token": tokens_for_login(admin)["access"]},
        "customers": [
            {"id": str(user.pk), "email": user.email, "token": tokens_for_login(user)["access"]} for user in people
        ],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
