"""GET /resources: the catalog, its filters, and the availability search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.domain.periods import Period
from resources.models import Resource, ResourceType
from resources.selectors import busy_units_in
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
    queryset = Resource.objects.annotate(busy_units=busy_units_in(period))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables would be scanned anyway
        plan = queryset.explain()
    assert "allocation_unit_no_overlap" in plan


def _walk(client, direction: str = "next", **params) -> list[list[str]]:
    """Every page of a search, following ``next`` (or, from the last page, ``previous``)."""
    pages, url, query = [], "/api/v1/resources", params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["name"] for row in body["results"]])
        url, query = body[direction], None
    return pages


@pytest.fixture
def mixed_catalog(world: World):
    """Forty resources, newest first N39 .. N00: every third is booked, every fifth closed."""
    day = next_weekday(2)
    hours = every_day("08:00", "18:00")
    base = at(day, 0) - timedelta(days=30)
    bookable = []
    for n in range(40):
        resource = make_resource("range", vendor=world.vendor_a, name=f"N{n:02d}", capacity=1, hours=hours)
        Resource.objects.filter(pk=resource.pk).update(created_at=base + timedelta(minutes=n))
        if n % 3 == 0:
            book(resource, at(day, 9), at(day, 10))
        elif n % 5 == 0:
            resource.exceptions.create(start=at(day, 0), end=at(day + timedelta(days=1), 0), kind="closed")
        else:
            bookable.append(f"N{n:02d}")
    return day, list(reversed(bookable))


def test_search_pages_are_full_and_in_catalog_order_whatever_is_filtered_out(mixed_catalog, api_client):
    day, bookable = mixed_catalog
    pages = _walk(api_client, page_size=5, available_from=iso(at(day, 9)), available_to=iso(at(day, 10)))
    assert [name for page in pages for name in page] == bookable  # newest first, none skipped or repeated
    assert [len(page) for page in pages[:-1]] == [5] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= 5


def test_search_previous_links_walk_back_over_the_same_pages(mixed_catalog, api_client):
    day, bookable = mixed_catalog
    period = {"available_from": iso(at(day, 9)), "available_to": iso(at(day, 10))}
    forward = _walk(api_client, page_size=4, **period)
    response = api_client.get("/api/v1/resources", {"page_size": 4, **period})
    while response.json()["next"]:
        response = api_client.get(response.json()["next"])
    last = response.json()
    backward = [[row["name"] for row in last["results"]]]
    url = last["previous"]
    while url:
        body = api_client.get(url).json()
        backward.append([row["name"] for row in body["results"]])
        url = body["previous"]
    assert [name for page in reversed(backward) for name in page] == bookable
    assert forward[0] == backward[-1]


def test_search_pages_through_resources_created_at_the_same_instant(world: World, api_client):
    day = next_weekday(2)
    created = [
        make_resource("range", vendor=world.vendor_a, name=f"T{n:02d}", hours=every_day("08:00", "18:00"))
        for n in range(13)
    ]
    Resource.objects.filter(pk__in=[r.pk for r in created]).update(created_at=at(day, 0) - timedelta(days=1))
    pages = _walk(api_client, page_size=5, available_from=iso(at(day, 9)), available_to=iso(at(day, 10)))
    found = [name for page in pages for name in page]
    assert sorted(found) == sorted(r.name for r in created)
    assert len(found) == len(set(found))


def test_search_finds_the_few_free_resources_of_a_mostly_booked_catalog(world: World, api_client):
    day = next_weekday(2)
    hours = every_day("08:00", "18:00")
    free = []
    for n in range(70):  # more than the first two batches
        resource = make_resource("range", vendor=world.vendor_a, name=f"B{n:02d}", capacity=1, hours=hours)
        Resource.objects.filter(pk=resource.pk).update(created_at=at(day, 0) - timedelta(days=30, minutes=-n))
        if n in (0, 1):  # the two oldest: the last ones examined
            free.append(resource.name)
        else:
            book(resource, at(day, 9), at(day, 10))
    response = search(api_client, available_from=iso(at(day, 9)), available_to=iso(at(day, 10)))
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["B01", "B00"]
    assert response.json()["next"] is None


def test_search_counts_free_units_only_for_the_resources_it_examines(world: World, api_client):
    """The free-units count is a SELECT-list expression computed after the LIMIT: the first
    batch examines a bounded number of rows however large the catalog is."""
    day = next_weekday(2)
    for n in range(60):
        make_resource("range", vendor=world.vendor_a, name=f"C{n:02d}", hours=every_day("08:00", "18:00"))
    with CaptureQueriesContext(connection) as queries:
        response = search(api_client, page_size=5, available_from=iso(at(day, 9)), available_to=iso(at(day, 10)))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5
    (catalog_sql,) = [q["sql"] for q in queries.captured_queries if "bookings_allocation" in q["sql"]]
    assert catalog_sql.rstrip().endswith("LIMIT 25")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + catalog_sql)
        plan = cursor.fetchone()[0][0]["Plan"]

    def subplan_loops(node) -> int:
        own = node["Actual Loops"] if node.get("Parent Relationship") == "SubPlan" else 0
        return own + sum(subplan_loops(child) for child in node.get("Plans", []))

    assert 0 < subplan_loops(plan) <= 25
