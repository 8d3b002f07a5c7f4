"""Builders for booking-engine tests: a bookable resource in one call, bookings via the service."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from resources.models import Resource, ResourceType, WeeklyHours
from tests.factories.accounts import UserFactory
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

BERLIN = "Europe/Berlin"
_counter = iter(range(10**9))

MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "slots": {"slot_minutes": 30},
    "range": {"granularity_minutes": 30, "min_minutes": 30, "max_minutes": 600},
    "nightly": {"check_in_time": time(15, 0), "check_out_time": time(11, 0), "price_unit": "night"},
}


def make_vendor(*, status: str = VendorStatus.ACTIVE, tz: str = BERLIN) -> Vendor:
    n = next(_counter)
    return Vendor.objects.create(name=f"Vendor {n}", slug=f"vendor-{n}", category="test", timezone=tz, status=status)


def make_resource(
    mode: str = "slots",
    *,
    vendor: Vendor | None = None,
    tz: str = BERLIN,
    hours: tuple[str, str] | None = ("00:00", "24:00"),
    weekdays: range = range(7),
    **policy: Any,
) -> Resource:
    """An active resource of an active vendor, open ``hours`` every day unless told otherwise."""
    vendor = vendor or make_vendor(tz=tz)
    rtype, _ = ResourceType.objects.get_or_create(key=f"test_{mode}", defaults={"name": mode, "booking_mode": mode})
    fields: dict[str, Any] = {
        "price_amount": Decimal("10.00"),
        "currency": "EUR",
        "min_notice_minutes": 0,
        "max_advance_days": 365,
        **MODE_DEFAULTS[mode],
        **policy,
    }
    resource = Resource.objects.create(
        vendor=vendor, resource_type=rtype, name=f"{mode} {next(_counter)}", timezone=tz, booking_mode=mode, **fields
    )
    if hours:
        start = time.fromisoformat(hours[0])
        end = time(0, 0) if hours[1] == "24:00" else time.fromisoformat(hours[1])
        WeeklyHours.objects.bulk_create(
            [WeeklyHours(resource=resource, weekday=d, start_time=start, end_time=end) for d in weekdays]
        )
    return resource


def member(vendor: Vendor, role: str = MembershipRole.OWNER):
    user = UserFactory()
    Membership.objects.create(user=user, vendor=vendor, role=role)
    return user


def local_at(days_ahead: int, hour: int, minute: int = 0, tz: str = BERLIN) -> datetime:
    """A local wall-clock time ``days_ahead`` days from today, as an aware datetime."""
    day = timezone.now().astimezone(ZoneInfo(tz)).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))
