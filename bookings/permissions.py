"""Who is the actor to a booking: its customer, a member of its vendor, an admin, or nobody."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from bookings.models import Booking
from vendors.selectors import is_vendor_member


class BookingRole(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    ADMIN = "admin"


def booking_roles(booking: Booking, user: User | AnonymousUser | None) -> frozenset[BookingRole]:
    """Every role ``user`` has on ``booking`` (a vendor owner may also be its customer)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    roles = set()
    if booking.customer_id == user.pk:
        roles.add(BookingRole.CUSTOMER)
    if is_vendor_member(user=user, vendor_id=booking.resource.vendor_id):
        roles.add(BookingRole.VENDOR)
    if user.is_staff:
        roles.add(BookingRole.ADMIN)
    return frozenset(roles)
