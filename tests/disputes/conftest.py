"""A booking with every kind of caller around it, for the dispute permission matrix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from bookings.models import Booking
from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.bookings import make_vendor, member
from tests.factories.disputes import confirmed_booking
from vendors.models import MembershipRole

ROLES = ["anonymous", "customer", "other_customer", "vendor_member", "other_vendor_member", "admin"]


@dataclass
class World:
    booking: Booking
    users: dict[str, User]

    def client(self, role: str) -> APIClient:
        return APIClient() if role == "anonymous" else authed(self.users[role])


@pytest.fixture
def world(db) -> World:
    booking = confirmed_booking()
    vendor = booking.resource.vendor
    other_booking = confirmed_booking()  # another vendor, another customer: strangers to `booking`
    return World(
        booking=booking,
        users={
            "customer": booking.customer,
            "other_customer": other_booking.customer,
            "vendor_member": member(vendor, MembershipRole.STAFF),
            "other_vendor_member": member(make_vendor(), MembershipRole.OWNER),
            "admin": UserFactory(is_staff=True),
        },
    )
