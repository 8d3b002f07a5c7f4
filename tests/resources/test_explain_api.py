"""GET /resources/{id}/availability/explain: one test per reason code."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bookings.models import BookingStatus
from resources.models import ResourceType, ScheduleException
from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.resources import book, every_day, make_resource
from vendors.models import VendorStatus

from .conftest import World, at, iso, next_weekday, utc_z

pytestmark = pytest.mark.django_db

DAY = 2  # a Wednesday


def explain(client, resource, start: datetime, end: datetime, **params):
    response = client.get(
        f"/api/v1/resources/{resource.pk}/availability/explain", {"start": iso(start), "end": iso(end), **params}
    )
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


@pytest.fixture
def day():
    return next_weekday(DAY)


@pytest.fixture
def slots(world: World):
    """30-minute slots, 09:00-17:00 every day, one unit."""
    return make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "17:00"))


def test_a_free_slot_is_bookable(slots, day, api_client):
    assert explain(api_client, slots, at(day, 10), at(day, 10, 30)) == {"bookable": True, "reasons": []}


def test_closed(slots, day, api_client):
    ScheduleException.objects.create(resource=slots, start=at(day, 0), end=at(day, 23), kind="closed", reason="Holiday")
    body = explain(api_client, slots, at(day, 10), at(day, 10, 30))
    assert body["bookable"] is False
    assert codes(body) == ["closed"]
    assert body["reasons"][0]["start"] == utc_z(at(day, 0))
    assert body["reasons"][0]["end"] == utc_z(at(day, 23))


def test_outside_hours(slots, day, api_client):
    body = explain(api_client, slots, at(day, 8), at(day, 8, 30))
    assert codes(body) == ["outside_hours"]
    assert body["reasons"][0]["detail"]


def test_too_soon(world: World, day, api_client):
    resource = make_resource(
        "slots", vendor=world.vendor_a, hours=every_day("09:00", "17:00"), min_notice_minutes=60 * 24 * 30
    )
    assert codes(explain(api_client, resource, at(day, 10), at(day, 10, 30))) == ["too_soon"]


def test_too_far_ahead(world: World, day, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "17:00"), max_advance_days=1)
    assert codes(explain(api_client, resource, at(day, 10), at(day, 10, 30))) == ["too_far_ahead"]


def test_bad_duration(slots, day, api_client):
    assert codes(explain(api_client, slots, at(day, 10), at(day, 11))) == ["bad_duration"]


def test_misaligned(slots, day, api_client):
    assert codes(explain(api_client, slots, at(day, 10, 15), at(day, 10, 45))) == ["misaligned"]


def test_capacity_reached(slots, day, api_client):
    book(slots, at(day, 10), at(day, 10, 30))
    body = explain(api_client, slots, at(day, 10), at(day, 10, 30))
    assert codes(body) == ["capacity_reached"]
    assert body["reasons"][0]["start"] == utc_z(at(day, 10))


def test_capacity_reached_for_a_quantity(world: World, day, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "17:00"), capacity=3)
    book(resource, at(day, 10), at(day, 10, 30), units=[0, 1])
    assert explain(api_client, resource, at(day, 10), at(day, 10, 30), quantity=1)["bookable"] is True
    assert codes(explain(api_client, resource, at(day, 10), at(day, 10, 30), quantity=2)) == ["capacity_reached"]


def test_held_by_another_customer(slots, day, api_client):
    book(slots, at(day, 10), at(day, 10, 30), status=BookingStatus.HELD)
    assert codes(explain(api_client, slots, at(day, 10), at(day, 10, 30))) == ["held"]


def test_own_hold_is_not_reported_as_held(slots, day):
    customer = UserFactory()
    book(slots, at(day, 10), at(day, 10, 30), status=BookingStatus.HELD, customer=customer)
    assert codes(explain(authed(customer), slots, at(day, 10), at(day, 10, 30))) == ["capacity_reached"]
    assert codes(explain(authed(UserFactory()), slots, at(day, 10), at(day, 10, 30))) == ["held"]


def test_buffer(world: World, day, api_client):
    room = make_resource(
        "range",
        vendor=world.vendor_a,
        resource_type=ResourceType.objects.get(key="meeting_room"),
        hours=every_day("09:00", "17:00"),
    )
    book(room, at(day, 10), at(day, 11))  # blocked until 11:10
    body = explain(api_client, room, at(day, 11), at(day, 11, 30))
    assert codes(body) == ["buffer"]
    assert explain(api_client, room, at(day, 11, 15), at(day, 11, 45))["bookable"] is True


def test_resource_inactive(slots, day, owner_a):
    slots.is_active = False
    slots.save()
    body = explain(owner_a, slots, at(day, 10), at(day, 10, 30))
    assert codes(body) == ["resource_inactive"]
    assert "start" not in body["reasons"][0]


def test_vendor_inactive(world: World, slots, day, owner_a):
    world.vendor_a.status = VendorStatus.SUSPENDED
    world.vendor_a.save()
    assert codes(explain(owner_a, slots, at(day, 10), at(day, 10, 30))) == ["vendor_inactive"]


def test_every_reason_is_listed(world: World, day, owner_a):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "17:00"), max_advance_days=1)
    resource.is_active = False
    resource.save()
    body = explain(owner_a, resource, at(day, 8, 15), at(day, 9, 15))
    assert codes(body) == ["resource_inactive", "too_far_ahead", "bad_duration", "outside_hours"]


def test_nightly_explain_takes_dates(world: World, api_client):
    hotel = make_resource("nightly", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="hotel_room"))
    arrival = next_weekday(4)
    book(hotel, at(arrival + timedelta(days=1), 15), at(arrival + timedelta(days=2), 11))  # the second night

    def stay(nights: int) -> dict:
        query = {"start": arrival.isoformat(), "end": (arrival + timedelta(days=nights)).isoformat()}
        return api_client.get(f"/api/v1/resources/{hotel.pk}/availability/explain", query).json()

    assert stay(1) == {"bookable": True, "reasons": []}
    assert codes(stay(2)) == ["capacity_reached"]
