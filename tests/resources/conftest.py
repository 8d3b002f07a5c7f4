"""Fixtures for the catalog tests: two vendors with a member of every role, and dates in
the near future (the API reads the real clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import MembershipRole, Vendor

BERLIN = ZoneInfo("Europe/Berlin")
ROLES = ("anonymous", "customer", "owner_a", "manager_a", "staff_a", "owner_b", "admin")


def next_weekday(weekday: int, *, weeks_ahead: int = 1, tz: ZoneInfo = BERLIN) -> date:
    """That weekday (0 = Monday) in the week ``weeks_ahead`` weeks after this one."""
    today = timezone.now().astimezone(tz).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead, days=weekday)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def utc_z(moment: datetime) -> str:
    """How the API writes an instant: UTC with ``Z``."""
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


@dataclass
class World:
    vendor_a: Vendor
    vendor_b: Vendor
    users: dict[str, User | None]

    def client(self, role: str) -> APIClient:
        user = self.users[role]
        return APIClient() if user is None else authed(user)


@pytest.fixture
def world(db) -> World:
    vendor_a, vendor_b = VendorFactory(name="Vendor A"), VendorFactory(name="Vendor B")
    users: dict[str, User | None] = {
        "anonymous": None,
        "customer": UserFactory(),
        "owner_a": member_of(vendor_a, MembershipRole.OWNER),
        "manager_a": member_of(vendor_a, MembershipRole.MANAGER),
        "staff_a": member_of(vendor_a, MembershipRole.STAFF),
        "owner_b": member_of(vendor_b, MembershipRole.OWNER),
        "admin": UserFactory(is_staff=True),
    }
    return World(vendor_a, vendor_b, users)


@pytest.fixture
def owner_a(world: World) -> APIClient:
    return world.client("owner_a")


@pytest.fixture
def admin_api(world: World) -> APIClient:
    return world.client("admin")
