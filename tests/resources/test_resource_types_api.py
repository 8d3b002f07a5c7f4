"""Resource types are data: anyone reads them, platform admins write them."""

from __future__ import annotations

import pytest

from resources.models import ResourceType
from tests.factories.resources import make_resource

from .conftest import ROLES, World

pytestmark = pytest.mark.django_db

KAYAK = {
    "key": "kayak",
    "name": "Kayak",
    "booking_mode": "range",
    "defaults": {"granularity_minutes": 60, "min_minutes": 60, "max_minutes": 480, "capacity": 4},
    "attribute_schema": {
        "type": "object",
        "properties": {"seats": {"type": "integer", "minimum": 1, "maximum": 2}},
        "additionalProperties": False,
    },
}


def test_builtin_types_come_from_the_data_migration(api_client):
    response = api_client.get("/api/v1/resource-types", {"page_size": 100})
    assert response.status_code == 200
    types = {row["key"]: row for row in response.json()["results"]}
    assert {"hotel_room", "doctor_appointment", "salon_chair", "desk", "meeting_room"} <= set(types)
    hotel = types["hotel_room"]
    assert hotel["booking_mode"] == "nightly"
    assert hotel["defaults"]["check_in_time"] == "15:00"
    assert hotel["defaults"]["check_out_time"] == "11:00"
    assert hotel["defaults"]["price_unit"] == "night"
    assert hotel["defaults"]["hold_minutes"] == 15
    assert types["doctor_appointment"]["defaults"]["slot_minutes"] == 20
    assert types["doctor_appointment"]["defaults"]["cancel_cutoff_minutes"] == 1440
    assert types["doctor_appointment"]["defaults"]["requires_approval"] is False
    assert types["salon_chair"]["defaults"]["slot_minutes"] == 30
    assert types["desk"]["defaults"] == {
        "granularity_minutes": 30,
        "min_minutes": 60,
        "max_minutes": 600,
        "capacity": 1,
        "price_unit": "hour",
    }
    assert types["meeting_room"]["defaults"]["buffer_after_minutes"] == 10
    assert types["meeting_room"]["attribute_schema"]["properties"]["seats"]["type"] == "integer"


@pytest.mark.parametrize(
    ("role", "expected"),
    list(zip(ROLES, [401, 403, 403, 403, 403, 403, 201], strict=True)),
)
def test_only_admins_create_types(world: World, role: str, expected: int):
    response = world.client(role).post("/api/v1/resource-types", KAYAK, format="json")
    assert response.status_code == expected, response.content
    assert ResourceType.objects.filter(key="kayak").exists() == (expected == 201)


@pytest.mark.parametrize(
    ("role", "expected"),
    list(zip(ROLES, [401, 403, 403, 403, 403, 403, 200], strict=True)),
)
def test_only_admins_change_types(world: World, role: str, expected: int):
    response = world.client(role).patch("/api/v1/resource-types/desk", {"name": "Hot desk"}, format="json")
    assert response.status_code == expected, response.content
    assert (ResourceType.objects.get(key="desk").name == "Hot desk") == (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_anyone_lists_types(world: World, role: str):
    assert world.client(role).get("/api/v1/resource-types").status_code == 200


def test_retired_types_are_listed_for_admins_only(world: World, admin_api, api_client):
    ResourceType.objects.filter(key="desk").update(is_active=False)
    public = {row["key"] for row in api_client.get("/api/v1/resource-types", {"page_size": 100}).json()["results"]}
    admin = {row["key"] for row in admin_api.get("/api/v1/resource-types", {"page_size": 100}).json()["results"]}
    assert "desk" not in public
    assert "desk" in admin


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"defaults": {"colour": "red"}}, "defaults"),
        ({"defaults": {"slot_minutes": 2}}, "defaults"),
        ({"defaults": {"buffer_after_minutes": 2000}}, "defaults"),
        ({"defaults": {"min_minutes": 90}}, "defaults"),  # not a multiple of the 60-minute granularity
        ({"defaults": {"min_minutes": 240, "max_minutes": 120}}, "defaults"),
        ({"defaults": {"currency": "eur"}}, "defaults"),
        ({"defaults": {"price_amount": "1.234"}}, "defaults"),
        ({"defaults": {"check_in_time": "3pm"}}, "defaults"),
        ({"attribute_schema": {"type": "no-such-type"}}, "attribute_schema"),
        ({"attribute_schema": {"$ref": "https://example.com/schema.json"}}, "attribute_schema"),
        ({"attribute_schema": {"description": "x" * 20_000}}, "attribute_schema"),
        ({"key": "Not A Slug"}, "key"),
        ({"key": "desk"}, "key"),  # taken
        ({"booking_mode": "hourly"}, "booking_mode"),
    ],
)
def test_invalid_type_is_400_on_the_field(admin_api, body: dict, field: str):
    payload = {**KAYAK, **body}
    if "defaults" in body:
        payload["defaults"] = {"granularity_minutes": 60, **body["defaults"]}
    response = admin_api.post("/api/v1/resource-types", payload, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in problem["errors"], problem


def test_type_defaults_are_stored_normalised(admin_api):
    body = {**KAYAK, "key": "sauna", "booking_mode": "slots", "defaults": {"slot_minutes": 45, "price_amount": 12}}
    response = admin_api.post("/api/v1/resource-types", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["defaults"] == {"slot_minutes": 45, "price_amount": "12.00"}


def test_patch_replaces_defaults_and_validates_them_against_the_mode(admin_api):
    defaults = {"granularity_minutes": 30, "min_minutes": 45}
    response = admin_api.patch("/api/v1/resource-types/desk", {"defaults": defaults}, format="json")
    assert response.status_code == 400
    assert "defaults" in response.json()["errors"]


def test_key_cannot_change(admin_api):
    response = admin_api.patch("/api/v1/resource-types/desk", {"key": "table"}, format="json")
    assert response.status_code == 400
    assert "key" in response.json()["errors"]


def test_booking_mode_is_fixed_once_resources_use_the_type(admin_api, world: World):
    make_resource("range", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="desk"))
    response = admin_api.patch("/api/v1/resource-types/desk", {"booking_mode": "slots"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "resource_type_in_use"


def test_unknown_type_is_404(api_client, db):
    assert api_client.get("/api/v1/resource-types/no-such-type").status_code == 404
