"""Builders for waitlist tests: a full slot, customers queued for it, the booking-event hook."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from bookings import services
from bookings.events import booking_snapshot
from bookings.models import Booking
from resources.models import Resource
from tests.factories.accounts import UserFactory
from waitlist import services as waitlist_services
from waitlist.models import WaitlistEntry


def fill(
    resource: Resource, start: datetime, end: datetime, *, quantity: int = 1, holder: User | None = None
) -> Booking:
    """A confirmed booking of ``quantity`` units of ``[start, end)`` (through the engine)."""
    return services.booking_create(
        customer=holder or UserFactory(),
        resource_id=resource.pk,
        start=start,
        end=end,
        quantity=quantity,
        confirm=True,
    )


def join(customer: User, resource: Resource, start: datetime, end: datetime, *, quantity: int = 1) -> WaitlistEntry:
    entry, _ = waitlist_services.waitlist_join(
        customer=customer, resource_id=resource.pk, start=start, end=end, quantity=quantity
    )
    return entry


def announce(event_type: str, booking: Booking) -> None:
    """What the outbox fan-out does after the freeing commit: hand the event to the waitlist."""
    booking = Booking.objects.select_related("resource__vendor", "customer").get(pk=booking.pk)
    waitlist_services.on_booking_event(event_type, booking_snapshot(booking))


def statuses(resource: Resource) -> list[str]:
    """Entry statuses in queue order."""
    return list(
        WaitlistEntry.objects.filter(resource=resource).order_by("created_at", "id").values_list("status", flat=True)
    )
