"""Creating and changing resources: type defaults, validation, deactivation."""

from __future__ import annotations

from datetime import time

import pytest

from resources.models import Resource, ResourceType
from tests.conftest import authed
from tests.factories.resources import book, every_day, make_resource
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import VendorStatus

from .conftest import World, at, iso, next_weekday, utc_z

pytestmark = pytest.mark.django_db


def create(client, vendor, type_key: str = "desk", **fields):
    return client.post(
        "/api/v1/resources", {"vendor": str(vendor.pk), "type": type_key, "name": "Thing", **fields}, format="json"
    )


def test_unset_policy_comes_from_the_type_then_the_model(world: World, owner_a):
    response = create(owner_a, world.vendor_a, "meeting_room", capacity=1, attributes={"seats": 6})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["booking_mode"] == "range"  # the type's
    assert body["granularity_minutes"] == 15  # type default
    assert body["buffer_after_minutes"] == 10  # type default
    assert body["max_advance_days"] == 365  # model default
    assert body["timezone"] == world.vendor_a.timezone  # the vendor's
    assert body["type"] == "meeting_room"
    assert body["vendor"] == str(world.vendor_a.pk)
    assert body["price"] == {"amount": "0.00", "currency": "EUR"}
    assert body["price_unit"] == "hour"
    assert body["attributes"] == {"seats": 6}
    assert body["is_active"] is True


def test_given_fields_override_the_type(world: World, owner_a):
    response = create(
        owner_a,
        world.vendor_a,
        "hotel_room",
        capacity=8,
        check_in_time="14:00",
        price_amount="120.00",
        currency="CHF",
        timezone="Europe/Zurich",
        attributes={"beds": 2, "view": "sea"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["check_in_time"] == "14:00"
    assert body["check_out_time"] == "11:00"  # still the type's
    assert body["price"] == {"amount": "120.00", "currency": "CHF"}
    assert body["price_unit"] == "night"
    assert body["timezone"] == "Europe/Zurich"


def test_a_pending_vendor_may_prepare_its_catalog(world: World):
    pending = VendorFactory(status=VendorStatus.PENDING)
    owner = member_of(pending)
    assert create(authed(owner), pending).status_code == 201


def test_invisible_vendor_is_a_400_on_the_vendor_field(world: World, owner_a):
    hidden = VendorFactory(status=VendorStatus.PENDING)
    response = create(owner_a, hidden)
    assert response.status_code == 400
    assert response.json()["errors"] == {"vendor": ["Unknown vendor."]}


def test_unknown_type_is_a_400_on_the_type_field(world: World, owner_a):
    response = create(owner_a, world.vendor_a, "spaceship")
    assert response.status_code == 400
    assert "type" in response.json()["errors"]


@pytest.mark.parametrize(
    ("type_key", "fields", "field"),
    [
        ("doctor_appointment", {"slot_minutes": None}, "slot_minutes"),
        ("doctor_appointment", {"slot_minutes": 4}, "slot_minutes"),
        ("hotel_room", {"check_in_time": None}, "check_in_time"),
        ("hotel_room", {"check_out_time": None}, "check_out_time"),
        ("hotel_room", {"check_in_time": "10:00", "check_out_time": "12:00"}, "check_out_time"),
        ("hotel_room", {"check_in_time": "3pm"}, "check_in_time"),
        ("hotel_room", {"min_nights": 5, "max_nights": 2}, "max_nights"),
        ("desk", {"min_minutes": 45}, "min_minutes"),  # granularity 30
        ("desk", {"max_minutes": 610}, "max_minutes"),
        ("desk", {"min_minutes": 600, "max_minutes": 300}, "max_minutes"),
        ("desk", {"buffer_before_minutes": 1441}, "buffer_before_minutes"),
        ("desk", {"buffer_after_minutes": -1}, "buffer_after_minutes"),
        ("desk", {"capacity": 0}, "capacity"),
        ("desk", {"capacity": 1001}, "capacity"),
        ("desk", {"max_advance_days": 731}, "max_advance_days"),
        ("desk", {"hold_minutes": 0}, "hold_minutes"),
        ("desk", {"hold_minutes": 1441}, "hold_minutes"),
        ("desk", {"currency": "eur"}, "currency"),
        ("desk", {"currency": "EURO"}, "currency"),
        ("desk", {"price_amount": "-1.00"}, "price_amount"),
        ("desk", {"price_amount": "1.005"}, "price_amount"),
        ("desk", {"price_unit": "week"}, "price_unit"),
        ("desk", {"timezone": "Mars/Olympus"}, "timezone"),
        ("desk", {"name": ""}, "name"),
        ("desk", {"attributes": {"floor": "second"}}, "attributes"),
        ("desk", {"attributes": {"colour": "red"}}, "attributes"),
        ("doctor_appointment", {"attributes": {}}, "attributes"),  # specialty is required
    ],
)
def test_invalid_resource_is_400_on_the_field(world: World, owner_a, type_key: str, fields: dict, field: str):
    response = create(owner_a, world.vendor_a, type_key, **fields)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in problem["errors"], problem
    assert not Resource.objects.exists()


def test_schema_errors_are_listed(world: World, owner_a):
    response = create(owner_a, world.vendor_a, "meeting_room", attributes={"seats": 0, "equipment": ["laser"]})
    assert response.status_code == 400
    messages = response.json()["errors"]["attributes"]
    assert len(messages) == 2
    assert any(message.startswith("seats:") for message in messages)


def test_patch_validates_the_merged_policy(world: World, owner_a):
    resource = make_resource("range", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="desk"))
    url = f"/api/v1/resources/{resource.pk}"
    assert owner_a.patch(url, {"min_minutes": 90}, format="json").status_code == 200
    response = owner_a.patch(url, {"granularity_minutes": 60}, format="json")  # 90 is not a multiple of 60
    assert response.status_code == 400
    assert "min_minutes" in response.json()["errors"]
    response = owner_a.patch(url, {"capacity": 4, "price_amount": "9.50", "name": "Window desk"}, format="json")
    assert response.status_code == 200
    assert response.json()["price"]["amount"] == "9.50"
    assert response.json()["name"] == "Window desk"


def test_patch_ignores_nothing_silently(world: World, owner_a):
    resource = make_resource("range", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="desk"))
    response = owner_a.patch(f"/api/v1/resources/{resource.pk}", {"check_in_time": "25:00"}, format="json")
    assert response.status_code == 400
    assert "check_in_time" in response.json()["errors"]


def test_lowering_capacity_below_a_booked_unit_is_409(world: World, owner_a):
    resource = make_resource("slots", vendor=world.vendor_a, capacity=3, hours=every_day("08:00", "18:00"))
    day = next_weekday(2)
    book(resource, at(day, 9), at(day, 9, 30), units=[2])
    response = owner_a.patch(f"/api/v1/resources/{resource.pk}", {"capacity": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "capacity_in_use"
    assert owner_a.patch(f"/api/v1/resources/{resource.pk}", {"capacity": 5}, format="json").status_code == 200


def test_delete_deactivates_and_keeps_history(world: World, owner_a, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("08:00", "18:00"))
    day = next_weekday(2)
    booking = book(resource, at(day, 9), at(day, 9, 30))
    assert owner_a.delete(f"/api/v1/resources/{resource.pk}").status_code == 204
    resource.refresh_from_db()
    assert resource.is_active is False
    assert resource.bookings.filter(pk=booking.pk).exists()
    assert api_client.get(f"/api/v1/resources/{resource.pk}").status_code == 404  # out of the catalog
    assert owner_a.get(f"/api/v1/resources/{resource.pk}").json()["is_active"] is False
    response = owner_a.patch(f"/api/v1/resources/{resource.pk}", {"is_active": True}, format="json")
    assert response.json()["is_active"] is True


def test_brand_new_type_is_bookable_data_with_no_code_change(world: World, admin_api, owner_a, api_client):
    kayak = {
        "key": "kayak",
        "name": "Kayak",
        "booking_mode": "range",
        "defaults": {"granularity_minutes": 60, "min_minutes": 60, "max_minutes": 240, "price_unit": "hour"},
        "attribute_schema": {
            "type": "object",
            "properties": {"seats": {"type": "integer", "enum": [1, 2]}},
            "required": ["seats"],
        },
    }
    assert admin_api.post("/api/v1/resource-types", kayak, format="json").status_code == 201
    assert create(owner_a, world.vendor_a, "kayak", capacity=3, attributes={"seats": 3}).status_code == 400
    response = create(owner_a, world.vendor_a, "kayak", capacity=3, attributes={"seats": 2}, price_amount="15.00")
    assert response.status_code == 201, response.content
    resource_id = response.json()["id"]
    hours = {"weekly": [{"weekday": day, "start": "10:00", "end": "18:00"} for day in range(7)]}
    assert owner_a.put(f"/api/v1/resources/{resource_id}/hours", hours, format="json").status_code == 200
    day = next_weekday(5)  # a Saturday
    book(Resource.objects.get(pk=resource_id), at(day, 12), at(day, 14), units=[0, 1, 2])

    response = api_client.get(
        f"/api/v1/resources/{resource_id}/availability", {"start": iso(at(day, 0)), "end": iso(at(day, 23))}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["booking_mode"] == "range"
    assert body["options"] == [
        {"start": utc_z(at(day, 10)), "end": utc_z(at(day, 12)), "available": 3},
        {"start": utc_z(at(day, 14)), "end": utc_z(at(day, 18)), "available": 3},
    ]


def test_resource_output_has_every_policy_field(world: World, api_client):
    resource = make_resource("nightly", vendor=world.vendor_a, check_in_time=time(16), check_out_time=time(10))
    body = api_client.get(f"/api/v1/resources/{resource.pk}").json()
    for field in (
        "capacity",
        "slot_minutes",
        "granularity_minutes",
        "min_minutes",
        "max_minutes",
        "min_nights",
        "max_nights",
        "check_in_time",
        "check_out_time",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "min_notice_minutes",
        "max_advance_days",
        "hold_minutes",
        "requires_approval",
        "cancel_cutoff_minutes",
        "price",
        "price_unit",
    ):
        assert field in body
    assert body["check_in_time"] == "16:00"


def test_staff_role_cannot_create(world: World):
    assert create(world.client("staff_a"), world.vendor_a).status_code == 403
