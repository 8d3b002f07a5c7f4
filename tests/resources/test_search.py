"""GET /resources: the catalog, its filters, and the availability search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.domain.periods import Period
from resources.models import Resource, ResourceType
from resources.selectors import resources_with_free_units
from tests.factories.resources import book, every_day, make_resource
from tests.factories.vendors import VendorFactory
from vendors.models import VendorStatus

from .conftest import World, at, iso, next_weekday

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def search(client, **params):
    return client.get("/api/v1/resources", {"page_size": 100, **params})


@pytest.fixture
def catalog(world: World):
    desk = ResourceType.objects.get(key="desk")
    make_resource("range", vendor=world.vendor_a, resource_type=desk, name="Quiet desk", description="Near the window")
    make_resource("range", vendor=world.vendor_a, resource_type=desk, name="Loud desk")
    make_resource("slots", vendor=world.vendor_b, name="Haircut", description="A quiet salon")
    retired = make_resource("slots", vendor=world.vendor_a, name="Old chair")
    Resource.objects.filter(pk=retired.pk).update(is_active=False)
    pending = VendorFactory(status=VendorStatus.PENDING, category="salon")
    make_resource("slots", vendor=pending, name="Pending chair")
    return world


def test_lists_only_bookable_resources(catalog, api_client):
    assert names(search(api_client)) == ["Haircut", "Loud desk", "Quiet desk"]


def test_filters_by_vendor_type_category_and_text(catalog, api_client):
    catalog.vendor_b.category = "salon"
    catalog.vendor_b.save()
    assert names(search(api_client, vendor=str(catalog.vendor_b.pk))) == ["Haircut"]
    assert names(search(api_client, type="desk")) == ["Loud desk", "Quiet desk"]
    assert names(search(api_client, category="SALON")) == ["Haircut"]
    assert names(search(api_client, q="quiet")) == ["Haircut", "Quiet desk"]  # name or description


def test_members_see_their_inactive_resources_through_the_vendor_filter(catalog):
    vendor_a = str(catalog.vendor_a.pk)
    assert "Old chair" in names(search(catalog.client("staff_a"), vendor=vendor_a))
    assert "Old chair" in names(search(catalog.client("admin"), vendor=vendor_a))
    assert "Old chair" not in names(search(catalog.client("owner_b"), vendor=vendor_a))
    assert "Old chair" not in names(search(catalog.client("staff_a")))  # the plain catalog stays public


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 101}, "q"),
        ({"vendor": "not-a-uuid"}, "vendor"),
        ({"available_from": "2030-03-01T09:00:00"}, "available_from"),
        ({"available_from": "2030-03-01T09:00:00Z"}, "available_to"),
        ({"available_from": "2030-03-01T09:00:00Z", "available_to": "2030-03-01T08:00:00Z"}, "available_to"),
        ({"available_from": "2030-03-01T00:00:00Z", "available_to": "2030-05-03T00:00:00Z"}, "available_to"),
        ({"quantity": 0}, "quantity"),
    ],
)
def test_invalid_search_is_400_on_the_field(catalog, api_client, params: dict, field: str):
    response = search(api_client, **params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_availability_filter_keeps_resources_with_enough_free_units(world: World, api_client):
    day = next_weekday(2)
    hours = every_day("08:00", "18:00")
    desks = make_resource("range", vendor=world.vendor_a, name="Desks", capacity=3, hours=hours)
    single = make_resource("range", vendor=world.vendor_a, name="Single", capacity=1, hours=hours)
    make_resource("range", vendor=world.vendor_a, name="Evening only", capacity=5, hours=every_day("17:00", "22:00"))
    book(desks, at(day, 9), at(day, 12), units=[0])
    book(desks, at(day, 11), at(day, 15), units=[1])  # two units busy at 11:00-12:00
    book(single, at(day, 14), at(day, 15))
    period = {"available_from": iso(at(day, 10)), "available_to": iso(at(day, 12))}
    assert names(search(api_client, **period)) == ["Desks", "Single"]
    assert names(search(api_client, **period, quantity=2)) == []
    later = {"available_from": iso(at(day, 15)), "available_to": iso(at(day, 16))}
    assert names(search(api_client, **later, quantity=3)) == ["Desks"]
    assert names(search(api_client, **later, quantity=2)) == ["Desks"]


def test_availability_filter_counts_buffers(world: World, api_client):
    day = next_weekday(2)
    room = make_resource(
        "range",
        vendor=world.vendor_a,
        resource_type=ResourceType.objects.get(key="meeting_room"),
        hours=every_day("08:00", "18:00"),
    )
    book(room, at(day, 10), at(day, 11))  # blocked until 11:10
    assert names(search(api_client, available_from=iso(at(day, 11)), available_to=iso(at(day, 12)))) == []
    assert names(search(api_client, available_from=iso(at(day, 11, 15)), available_to=iso(at(day, 12)))) == [room.name]


def test_availability_filter_skips_closed_resources(world: World, api_client):
    day = next_weekday(2)
    open_ = make_resource("range", vendor=world.vendor_a, name="Open", hours=every_day("08:00", "18:00"))
    make_resource("range", vendor=world.vendor_a, name="Closed", hours=every_day("08:00", "18:00")).exceptions.create(
        start=at(day, 0), end=at(day + timedelta(days=1), 0), kind="closed"
    )
    found = names(search(api_client, available_from=iso(at(day, 9)), available_to=iso(at(day, 10))))
    assert found == [open_.name]


def test_quantity_alone_filters_by_capacity(world: World, api_client):
    make_resource("range", vendor=world.vendor_a, name="Small", capacity=2)
    make_resource("range", vendor=world.vendor_a, name="Big", capacity=10)
    assert names(search(api_client, quantity=5)) == ["Big"]


def _search_queries(client, day) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = search(client, available_from=iso(at(day, 9)), available_to=iso(at(day, 10)))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_search_query_count_does_not_grow_with_the_catalog(world: World, api_client):
    day = next_weekday(2)
    hours = every_day("08:00", "18:00")

    def add(count: int) -> None:
        for n in range(count):
            resource = make_resource("range", vendor=world.vendor_a, name=f"Desk {n}", capacity=2, hours=hours)
            book(resource, at(day, 9), at(day, 10))

    add(5)
    few = _search_queries(api_client, day)
    add(45)
    many = _search_queries(api_client, day)
    assert few == many
    assert (
        len(search(api_client, available_from=iso(at(day, 9)), available_to=iso(at(day, 10))).json()["results"]) == 50
    )


def test_free_units_subquery_uses_the_exclusion_gist_index(world: World):
    day = next_weekday(2)
    period = Period(at(day, 9), at(day, 10))
    queryset = resources_with_free_units(Resource.objects.all(), period=period, quantity=1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables would be scanned anyway
        plan = queryset.explain()
    assert "allocation_unit_no_overlap" in plan
