"""Availability answers are cached in Redis per resource version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from resources.cache import availability_version, bump_availability_version, minute_bucket
from tests.factories.resources import book, every_day, make_resource

from .conftest import World, at, iso, next_weekday

pytestmark = pytest.mark.django_db

AVAILABILITY_TABLES = ("bookings_allocation", "resources_weeklyhours", "resources_scheduleexception")


def availability_queries(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries if any(table in q["sql"] for table in AVAILABILITY_TABLES)]


@pytest.fixture
def resource(world: World):
    return make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "11:00"))


@pytest.fixture
def get(api_client, resource):
    day = next_weekday(2)
    query = {"start": iso(at(day, 0)), "end": iso(at(day, 23))}

    def call(path: str = "availability"):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"/api/v1/resources/{resource.pk}/{path}", query)
        assert response.status_code == 200, response.content
        return response.json(), availability_queries(queries)

    call.day = day  # type: ignore[attr-defined]
    return call


def test_second_call_is_served_from_the_cache(get):
    first, first_queries = get()
    second, second_queries = get()
    assert first_queries  # the first call read hours, exceptions and allocations
    assert second_queries == []
    assert second == first


def test_explain_is_cached_too(get):
    _, first_queries = get("availability/explain")
    _, second_queries = get("availability/explain")
    assert first_queries
    assert second_queries == []


def test_bump_makes_the_next_call_recompute(get, resource, django_capture_on_commit_callbacks):
    first, _ = get()
    assert len(first["options"]) == 4
    book(resource, at(get.day, 9), at(get.day, 9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        bump_availability_version(resource.pk)
    second, queries = get()
    assert queries
    assert len(second["options"]) == 3


def test_bump_waits_for_the_commit(get, resource, django_capture_on_commit_callbacks):
    get()
    version = availability_version(resource.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bump_availability_version(resource.pk)
    assert availability_version(resource.pk) == version  # not yet: the transaction is open
    callbacks[0]()
    assert availability_version(resource.pk) == version + 1


@pytest.mark.django_db(transaction=True)
def test_bump_outside_a_transaction_is_immediate():
    resource_id = uuid.uuid4()  # the version lives in the cache only: no rows needed
    version = availability_version(resource_id)
    assert version is not None
    bump_availability_version(resource_id)
    assert availability_version(resource_id) == version + 1


def test_api_changes_invalidate(get, resource, owner_a, django_capture_on_commit_callbacks):
    first, _ = get()
    hours = {"weekly": [{"weekday": day, "start": "09:00", "end": "10:00"} for day in range(7)]}
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_a.put(f"/api/v1/resources/{resource.pk}/hours", hours, format="json").status_code == 200
    second, _ = get()
    assert len(first["options"]) == 4
    assert len(second["options"]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_a.patch(f"/api/v1/resources/{resource.pk}", {"slot_minutes": 60}, format="json").status_code == 200
    third, _ = get()
    assert len(third["options"]) == 1


def test_a_lost_version_key_starts_fresh_and_never_reuses_old_entries(resource):
    old = availability_version(resource.pk)
    cache.delete(f"availability:version:{resource.pk}")
    new = availability_version(resource.pk)
    assert new is not None
    assert new != old


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1, "IGNORE_EXCEPTIONS": True},
        }
    }
)
def test_redis_down_means_misses_not_errors(get, resource):
    assert availability_version(resource.pk) is None
    first, first_queries = get()
    second, second_queries = get()
    assert len(first["options"]) == 4
    assert second == first
    assert first_queries
    assert second_queries  # every call reads PostgreSQL
    bump_availability_version(resource.pk)  # no error either


def test_minute_bucket_is_the_end_of_the_minute():
    assert minute_bucket(datetime(2030, 1, 1, 9, 0, 0, tzinfo=UTC)) == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    assert minute_bucket(datetime(2030, 1, 1, 9, 0, 1, tzinfo=UTC)) == datetime(2030, 1, 1, 9, 1, tzinfo=UTC)
    assert minute_bucket(datetime(2030, 1, 1, 9, 59, 59, 999, tzinfo=UTC)) == datetime(2030, 1, 1, 10, 0, tzinfo=UTC)


def test_the_notice_is_never_shown_too_generously(world: World, api_client):
    # A slot that starts exactly at now + notice (rounded up to the minute) is the first one offered.
    resource = make_resource(
        "slots", vendor=world.vendor_a, hours=every_day("00:00", "24:00"), slot_minutes=5, min_notice_minutes=60
    )
    now = timezone.now()
    response = api_client.get(
        f"/api/v1/resources/{resource.pk}/availability",
        {"start": iso(now), "end": iso(now + timedelta(hours=3))},
    )
    first = datetime.fromisoformat(response.json()["options"][0]["start"])
    assert first >= now + timedelta(minutes=60)
    assert first < now + timedelta(minutes=66)


# --- whole public answers: a hit needs no database ------------------------------------------


def _availability(client, resource, day):
    return client.get(
        f"/api/v1/resources/{resource.pk}/availability", {"start": iso(at(day, 0)), "end": iso(at(day, 23))}
    )


def test_a_public_answer_is_served_again_without_the_database(api_client, resource):
    day = next_weekday(2)
    first = _availability(api_client, resource, day)
    with CaptureQueriesContext(connection) as queries:
        second = _availability(api_client, resource, day)
    assert first.status_code == second.status_code == 200
    assert queries.captured_queries == []
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"


def test_a_deactivated_resource_is_not_served_from_the_cache(
    api_client, resource, owner_a, django_capture_on_commit_callbacks
):
    day = next_weekday(2)
    assert _availability(api_client, resource, day).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_a.delete(f"/api/v1/resources/{resource.pk}").status_code == 204
    assert _availability(api_client, resource, day).status_code == 404


def test_a_suspended_vendors_resources_are_not_served_from_the_cache(
    world: World, api_client, resource, django_capture_on_commit_callbacks
):
    from vendors.services import vendor_reinstate, vendor_suspend

    day = next_weekday(2)
    other = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "11:00"))
    assert _availability(api_client, resource, day).status_code == 200
    assert _availability(api_client, other, day).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        vendor_suspend(vendor=world.vendor_a, actor=None, reason="audit")
    assert _availability(api_client, resource, day).status_code == 404
    assert _availability(api_client, other, day).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        vendor_reinstate(vendor=world.vendor_a, actor=None)
    assert _availability(api_client, resource, day).status_code == 200


def test_what_members_see_of_a_hidden_resource_is_never_served_to_others(
    world: World, api_client, owner_a, django_capture_on_commit_callbacks
):
    day = next_weekday(2)
    hidden = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "11:00"))
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_a.delete(f"/api/v1/resources/{hidden.pk}").status_code == 204
    assert _availability(owner_a, hidden, day).status_code == 200  # members still see it
    assert _availability(owner_a, hidden, day).status_code == 200
    assert _availability(api_client, hidden, day).status_code == 404


def test_another_spelling_of_the_id_shares_the_version(
    api_client, resource, owner_a, django_capture_on_commit_callbacks
):
    day = next_weekday(2)
    shouting = str(resource.pk).upper()
    query = {"start": iso(at(day, 0)), "end": iso(at(day, 23))}
    assert api_client.get(f"/api/v1/resources/{shouting}/availability", query).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_a.delete(f"/api/v1/resources/{resource.pk}").status_code == 204
    assert api_client.get(f"/api/v1/resources/{shouting}/availability", query).status_code == 404
