"""Who may do what on every resource endpoint, as one table per kind of resource.

Columns: anonymous, customer, owner A, manager A, staff A, owner B, admin. The resource
belongs to vendor A. A resource the caller cannot see is 404 whatever the method; a
visible one whose role is not enough is 403; anonymous writes are 401.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from resources.models import ScheduleException
from tests.factories.resources import every_day, make_resource
from vendors.models import VendorStatus

from .conftest import ROLES, World, at, iso, next_weekday

pytestmark = pytest.mark.django_db

Request = Callable[[Any, str, Any], Any]  # (client, resource url, exception) -> response


def _window() -> dict[str, str]:
    day = next_weekday(2)
    return {"start": iso(at(day, 9)), "end": iso(at(day, 17))}


def _exception_body() -> dict[str, str]:
    day = next_weekday(3)
    return {"start": iso(at(day, 0)), "end": iso(at(day + timedelta(days=1), 0)), "kind": "closed"}


HOURS = {"weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]}

ENDPOINTS: dict[str, Request] = {
    "GET resource": lambda c, url, e: c.get(url),
    "PATCH resource": lambda c, url, e: c.patch(url, {"name": "Renamed"}, format="json"),
    "DELETE resource": lambda c, url, e: c.delete(url),
    "GET hours": lambda c, url, e: c.get(f"{url}/hours"),
    "PUT hours": lambda c, url, e: c.put(f"{url}/hours", HOURS, format="json"),
    "GET exceptions": lambda c, url, e: c.get(f"{url}/exceptions"),
    "POST exceptions": lambda c, url, e: c.post(f"{url}/exceptions", _exception_body(), format="json"),
    "DELETE exception": lambda c, url, e: c.delete(f"{url}/exceptions/{e.pk}"),
    "GET availability": lambda c, url, e: c.get(f"{url}/availability", _window()),
    "GET explain": lambda c, url, e: c.get(f"{url}/availability/explain", _window()),
}

#                   anonymous customer owner_a manager_a staff_a owner_b admin
READ = (200, 200, 200, 200, 200, 200, 200)
WRITE_200 = (401, 403, 200, 200, 403, 403, 200)
WRITE_201 = (401, 403, 201, 201, 403, 403, 201)
WRITE_204 = (401, 403, 204, 204, 403, 403, 204)
PUBLIC_TABLE = {
    "GET resource": READ,
    "PATCH resource": WRITE_200,
    "DELETE resource": WRITE_204,
    "GET hours": READ,
    "PUT hours": WRITE_200,
    "GET exceptions": READ,
    "POST exceptions": WRITE_201,
    "DELETE exception": WRITE_204,
    "GET availability": READ,
    "GET explain": READ,
}

# A resource outside the catalog (inactive, or of a pending vendor): only vendor A's
# members and admins can see it; everyone else gets 404 (anonymous writes stay 401).
HIDDEN_READ = (404, 404, 200, 200, 200, 404, 200)
HIDDEN_WRITE_200 = (401, 404, 200, 200, 403, 404, 200)
HIDDEN_WRITE_201 = (401, 404, 201, 201, 403, 404, 201)
HIDDEN_WRITE_204 = (401, 404, 204, 204, 403, 404, 204)
HIDDEN_TABLE = {
    "GET resource": HIDDEN_READ,
    "PATCH resource": HIDDEN_WRITE_200,
    "DELETE resource": HIDDEN_WRITE_204,
    "GET hours": HIDDEN_READ,
    "PUT hours": HIDDEN_WRITE_200,
    "GET exceptions": HIDDEN_READ,
    "POST exceptions": HIDDEN_WRITE_201,
    "DELETE exception": HIDDEN_WRITE_204,
    "GET availability": HIDDEN_READ,
    "GET explain": HIDDEN_READ,
}


def _cases(table: dict[str, tuple[int, ...]]) -> list[Any]:
    return [
        pytest.param(endpoint, role, expected, id=f"{endpoint}-{role}")
        for endpoint, row in table.items()
        for role, expected in zip(ROLES, row, strict=True)
    ]


def _resource(world: World, **fields: Any):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("08:00", "18:00"), **fields)
    day = next_weekday(4)
    exception = ScheduleException.objects.create(
        resource=resource, start=at(day, 12), end=at(day, 13), kind="closed", reason="Team meeting"
    )
    return resource, exception


@pytest.mark.parametrize(("endpoint", "role", "expected"), _cases(PUBLIC_TABLE))
def test_public_resource(world: World, endpoint: str, role: str, expected: int):
    resource, exception = _resource(world)
    response = ENDPOINTS[endpoint](world.client(role), f"/api/v1/resources/{resource.pk}", exception)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("endpoint", "role", "expected"), _cases(HIDDEN_TABLE))
def test_inactive_resource(world: World, endpoint: str, role: str, expected: int):
    resource, exception = _resource(world)
    resource.is_active = False
    resource.save()
    response = ENDPOINTS[endpoint](world.client(role), f"/api/v1/resources/{resource.pk}", exception)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("endpoint", "role", "expected"), _cases(HIDDEN_TABLE))
def test_resource_of_a_pending_vendor(world: World, endpoint: str, role: str, expected: int):
    world.vendor_a.status = VendorStatus.PENDING
    world.vendor_a.save()
    resource, exception = _resource(world)
    response = ENDPOINTS[endpoint](world.client(role), f"/api/v1/resources/{resource.pk}", exception)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, (401, 403, 201, 201, 403, 403, 201), strict=True)))
def test_create_resource(world: World, role: str, expected: int):
    body = {"vendor": str(world.vendor_a.pk), "type": "desk", "name": "Desk 1"}
    response = world.client(role).post("/api/v1/resources", body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ROLES)
def test_list_resources(world: World, role: str):
    assert world.client(role).get("/api/v1/resources").status_code == 200


def test_exception_of_another_resource_is_404(world: World, owner_a):
    resource, _ = _resource(world)
    _, foreign = _resource(world)
    assert owner_a.delete(f"/api/v1/resources/{resource.pk}/exceptions/{foreign.pk}").status_code == 404


def test_malformed_id_is_404(world: World, api_client):
    assert api_client.get("/api/v1/resources/not-a-uuid").status_code == 404
