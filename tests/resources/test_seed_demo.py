"""manage.py seed_demo builds the demo platform once; running it again creates nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from bookings.models import Booking
from resources.models import Resource, ScheduleException, WeeklyHours
from vendors.models import Membership, Vendor, VendorStatus

pytestmark = pytest.mark.django_db

MODELS = (User, Vendor, Membership, Resource, WeeklyHours, ScheduleException, Booking)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent(monkeypatch):
    monkeypatch.setenv("ALLOT_DEMO_PASSWORD", "another-demo-secret")
    output = seed()
    first = counts()
    seed()
    assert counts() == first
    assert "admin@allot.local" in output
    assert "customer@allot.local" in output
    assert "another-demo-secret" in output


def test_seed_demo_builds_every_kind_of_vendor():
    seed()
    assert User.objects.get(email="admin@allot.local").is_staff
    assert User.objects.get(email="customer@allot.local").check_password("allot-demo-password")
    vendors = {vendor.category: vendor for vendor in Vendor.objects.all()}
    assert set(vendors) == {"hotel", "clinic", "salon", "coworking"}
    assert all(vendor.status == VendorStatus.ACTIVE for vendor in vendors.values())

    rooms = {r.name: r for r in Resource.objects.filter(vendor=vendors["hotel"])}
    assert rooms["Standard double"].capacity == 8
    assert rooms["Suite"].capacity == 2
    assert {r.booking_mode for r in rooms.values()} == {"nightly"}
    doctors = Resource.objects.filter(vendor=vendors["clinic"])
    assert doctors.count() == 3
    assert {d.slot_minutes for d in doctors} == {20}
    assert {r.slot_minutes for r in Resource.objects.filter(vendor=vendors["salon"])} == {30, 60}
    desk = Resource.objects.get(vendor=vendors["coworking"], name="Hot desk")
    assert desk.capacity == 12
    assert Resource.objects.filter(vendor=vendors["coworking"], resource_type__key="meeting_room").count() == 2

    assert all(resource.weekly_hours.exists() for resource in Resource.objects.all())
    assert ScheduleException.objects.filter(kind="closed", reason="Christmas").exists()
