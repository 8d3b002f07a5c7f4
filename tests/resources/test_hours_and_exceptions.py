"""Weekly hours (PUT replaces the week) and schedule exceptions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from resources.models import ScheduleException, WeeklyHours
from tests.factories.resources import every_day, make_resource

from .conftest import World, at, iso, next_weekday, utc_z

pytestmark = pytest.mark.django_db


@pytest.fixture
def resource(world: World):
    return make_resource("slots", vendor=world.vendor_a, hours=every_day("08:00", "18:00"))


def hours_url(resource) -> str:
    return f"/api/v1/resources/{resource.pk}/hours"


def test_put_replaces_the_whole_week(resource, owner_a, api_client):
    week = {
        "weekly": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "17:00"},
            {"weekday": 5, "start": "20:00", "end": "24:00"},
            {"weekday": 6, "start": "00:00", "end": "00:00"},
        ]
    }
    response = owner_a.put(hours_url(resource), week, format="json")
    assert response.status_code == 200, response.content
    expected = [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 5, "start": "20:00", "end": "24:00"},
        {"weekday": 6, "start": "00:00", "end": "24:00"},
    ]
    assert response.json() == {"weekly": expected}
    assert api_client.get(hours_url(resource)).json() == {"weekly": expected}
    assert WeeklyHours.objects.filter(resource=resource).count() == 4


def test_put_with_an_empty_week_closes_the_resource(resource, owner_a):
    assert owner_a.put(hours_url(resource), {"weekly": []}, format="json").json() == {"weekly": []}
    assert not WeeklyHours.objects.filter(resource=resource).exists()


@pytest.mark.parametrize(
    ("interval", "field"),
    [
        ({"weekday": 7, "start": "09:00", "end": "17:00"}, "weekday"),
        ({"weekday": -1, "start": "09:00", "end": "17:00"}, "weekday"),
        ({"weekday": 0, "start": "9:00", "end": "17:00"}, "start"),
        ({"weekday": 0, "start": "24:00", "end": "17:00"}, "start"),
        ({"weekday": 0, "start": "09:00", "end": "17:60"}, "end"),
        ({"weekday": 0, "start": "17:00", "end": "09:00"}, "end"),
        ({"weekday": 0, "start": "09:00", "end": "09:00"}, "end"),
    ],
)
def test_invalid_interval_is_400_with_its_index(resource, owner_a, interval: dict, field: str):
    week = {"weekly": [{"weekday": 1, "start": "09:00", "end": "17:00"}, interval]}
    response = owner_a.put(hours_url(resource), week, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]["weekly"]["1"]
    assert WeeklyHours.objects.filter(resource=resource).count() == 7  # unchanged


def test_overlapping_intervals_on_one_day_are_400(resource, owner_a):
    week = {
        "weekly": [
            {"weekday": 2, "start": "09:00", "end": "17:00"},
            {"weekday": 2, "start": "12:00", "end": "13:00"},
            {"weekday": 2, "start": "16:00", "end": "18:00"},
            {"weekday": 3, "start": "12:00", "end": "13:00"},  # another day: fine
        ]
    }
    response = owner_a.put(hours_url(resource), week, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["weekly"]
    assert set(errors) == {"1", "2"}
    assert errors["1"]["start"] == ["Overlaps 09:00-17:00 on the same day."]


def test_touching_intervals_are_fine(resource, owner_a):
    week = {
        "weekly": [{"weekday": 2, "start": "09:00", "end": "12:00"}, {"weekday": 2, "start": "12:00", "end": "15:00"}]
    }
    assert owner_a.put(hours_url(resource), week, format="json").status_code == 200


def test_at_most_28_intervals(resource, owner_a):
    week = {
        "weekly": [{"weekday": day, "start": f"{h:02}:00", "end": f"{h:02}:30"} for day in range(7) for h in range(5)]
    }
    response = owner_a.put(hours_url(resource), week, format="json")
    assert response.status_code == 400
    assert "weekly" in response.json()["errors"]


# --- exceptions --------------------------------------------------------------------------------


def exceptions_url(resource) -> str:
    return f"/api/v1/resources/{resource.pk}/exceptions"


def test_add_list_and_remove_exceptions(resource, owner_a, api_client):
    day = next_weekday(2)
    body = {"start": iso(at(day, 0)), "end": iso(at(day + timedelta(days=1), 0)), "kind": "closed", "reason": "Holiday"}
    response = owner_a.post(exceptions_url(resource), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["start"] == utc_z(at(day, 0))
    assert created["kind"] == "closed"
    assert created["reason"] == "Holiday"
    extra = {"start": iso(at(day - timedelta(days=1), 18)), "end": iso(at(day - timedelta(days=1), 21)), "kind": "open"}
    assert owner_a.post(exceptions_url(resource), extra, format="json").status_code == 201

    listed = api_client.get(exceptions_url(resource)).json()["results"]
    assert [row["kind"] for row in listed] == ["open", "closed"]  # by start

    assert owner_a.delete(f"{exceptions_url(resource)}/{created['id']}").status_code == 204
    assert ScheduleException.objects.filter(resource=resource).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2030-03-01T09:00:00", "end": "2030-03-01T10:00:00+01:00"}, "start"),
        ({"start": "2030-03-01T09:00:00+01:00", "end": "2030-03-01T10:00:00"}, "end"),
        ({"start": "2030-03-01T10:00:00+01:00", "end": "2030-03-01T10:00:00+01:00"}, "end"),
        ({"start": "2030-03-01T10:00:00+01:00", "end": "2030-03-01T09:00:00+01:00"}, "end"),
        ({"start": "2030-01-01T00:00:00Z", "end": "2031-01-03T00:00:00Z"}, "end"),  # over 366 days
        ({"kind": "maybe"}, "kind"),
        ({"reason": "x" * 201}, "reason"),
    ],
)
def test_invalid_exception_is_400_on_the_field(resource, owner_a, body: dict, field: str):
    payload = {"start": "2030-03-01T09:00:00+01:00", "end": "2030-03-01T10:00:00+01:00", "kind": "closed", **body}
    response = owner_a.post(exceptions_url(resource), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_a_year_long_exception_is_fine(resource, owner_a):
    start = datetime.fromisoformat("2030-01-01T00:00:00+00:00")
    body = {"start": iso(start), "end": iso(start + timedelta(days=366)), "kind": "open"}
    assert owner_a.post(exceptions_url(resource), body, format="json").status_code == 201
