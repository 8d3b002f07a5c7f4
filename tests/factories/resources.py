"""Resource types, resources (through the service, so defaults apply), hours, and
booking rows for availability tests (written directly: no booking engine involved)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import factory
from psycopg.types.range import Range

from accounts.models import User
from bookings.models import Allocation, Booking, BookingStatus
from resources import services
from resources.models import Resource, ResourceType, WeeklyHours
from tests.factories.accounts import UserFactory
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import MembershipRole, Vendor

MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "slots": {"slot_minutes": 30},
    "range": {"granularity_minutes": 30, "min_minutes": 60, "max_minutes": 600},
    "nightly": {"check_in_time": "15:00", "check_out_time": "11:00", "price_unit": "night"},
}


class ResourceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceType
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"test-type-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())
    booking_mode = "slots"
    defaults = factory.LazyAttribute(lambda o: MODE_DEFAULTS[o.booking_mode])
    attribute_schema: dict[str, Any] = {}


def make_resource(
    mode: str = "slots",
    *,
    vendor: Vendor | None = None,
    resource_type: ResourceType | None = None,
    hours: Iterable[tuple[int, str, str]] | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Resource:
    """A resource created through ``resource_create`` (type defaults, validation), with
    weekly ``hours`` as ``(weekday, "HH:MM", "HH:MM")`` if given."""
    vendor = vendor or VendorFactory()
    resource_type = resource_type or ResourceTypeFactory(key=f"test-{mode}", booking_mode=mode)
    actor = actor or member_of(vendor, MembershipRole.OWNER)
    fields.setdefault("name", f"{mode} resource")
    fields.setdefault("min_notice_minutes", 0)
    resource = services.resource_create(actor=actor, vendor=vendor, resource_type=resource_type, **fields)
    if hours:
        WeeklyHours.objects.bulk_create(
            [
                WeeklyHours(
                    resource=resource,
                    weekday=day,
                    start_time=datetime.strptime(start, "%H:%M").time(),
                    end_time=datetime.strptime("00:00" if end == "24:00" else end, "%H:%M").time(),
                )
                for day, start, end in hours
            ]
        )
    return resource


def every_day(start: str, end: str) -> list[tuple[int, str, str]]:
    return [(day, start, end) for day in range(7)]


def book(
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    units: Iterable[int] = (0,),
    status: str = BookingStatus.CONFIRMED,
    customer: User | None = None,
) -> Booking:
    """A booking row plus one active allocation per unit, blocked with the resource's buffers."""
    units = list(units)
    booking = Booking.objects.create(
        resource=resource,
        customer=customer or UserFactory(),
        start=start,
        end=end,
        quantity=len(units),
        status=status,
        hold_expires_at=end if status == BookingStatus.HELD else None,
    )
    blocked = Range(
        start - timedelta(minutes=resource.buffer_before_minutes),
        end + timedelta(minutes=resource.buffer_after_minutes),
        "[)",
    )
    Allocation.objects.bulk_create(
        [Allocation(booking=booking, resource=resource, unit=unit, blocked=blocked) for unit in units]
    )
    return booking
