"""GET /resources/{id}/availability for each booking mode, through the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from resources.models import ResourceType
from tests.factories.resources import book, every_day, make_resource

from .conftest import BERLIN, World, at, iso, next_weekday, utc_z

pytestmark = pytest.mark.django_db


def availability(client, resource, start, end, **params):
    query = {"start": start if isinstance(start, str) else iso(start), "end": end if isinstance(end, str) else iso(end)}
    return client.get(f"/api/v1/resources/{resource.pk}/availability", {**query, **params})


def options(response) -> list[tuple[str, str, int]]:
    assert response.status_code == 200, response.content
    return [(row["start"], row["end"], row["available"]) for row in response.json()["options"]]


def test_slots_skip_taken_ones(world: World, api_client):
    doctor = make_resource(
        "slots",
        vendor=world.vendor_a,
        resource_type=ResourceType.objects.get(key="doctor_appointment"),
        attributes={"specialty": "GP"},
        hours=[(2, "09:00", "10:00")],
    )
    day = next_weekday(2)
    book(doctor, at(day, 9, 20), at(day, 9, 40))
    response = availability(api_client, doctor, at(day, 0), at(day + timedelta(days=1), 0))
    body = response.json()
    assert body["resource"] == str(doctor.pk)
    assert body["timezone"] == "Europe/Berlin"
    assert body["booking_mode"] == "slots"
    assert options(response) == [
        (utc_z(at(day, 9)), utc_z(at(day, 9, 20)), 1),
        (utc_z(at(day, 9, 40)), utc_z(at(day, 10)), 1),
    ]


def test_range_options_respect_buffers(world: World, api_client):
    room = make_resource(
        "range",
        vendor=world.vendor_a,
        resource_type=ResourceType.objects.get(key="meeting_room"),
        hours=[(2, "09:00", "17:00")],
    )
    day = next_weekday(2)
    book(room, at(day, 10), at(day, 11))  # blocks 10:00-11:10 with the 10-minute buffer after
    response = availability(api_client, room, at(day, 0), at(day, 23))
    # A new meeting needs its own 10 minutes after it, so it must end by 09:50 (grid: 09:45),
    # and may start once the buffer is over (grid: 11:15).
    assert options(response) == [
        (utc_z(at(day, 9)), utc_z(at(day, 9, 45)), 1),
        (utc_z(at(day, 11, 15)), utc_z(at(day, 17)), 1),
    ]


def test_nightly_accepts_dates_and_counts_free_rooms(world: World, api_client):
    hotel = make_resource(
        "nightly", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="hotel_room"), capacity=2
    )
    arrival = next_weekday(4)
    second_night = arrival + timedelta(days=1)
    book(hotel, at(second_night, 15), at(second_night + timedelta(days=1), 11), units=[0])
    response = availability(api_client, hotel, arrival.isoformat(), (arrival + timedelta(days=3)).isoformat())
    assert options(response) == [
        (utc_z(at(night, 15)), utc_z(at(night + timedelta(days=1), 11)), 1 if night == second_night else 2)
        for night in (arrival + timedelta(days=n) for n in range(3))
    ]


def test_quantity_filters_options(world: World, api_client):
    hotel = make_resource(
        "nightly", vendor=world.vendor_a, resource_type=ResourceType.objects.get(key="hotel_room"), capacity=2
    )
    arrival = next_weekday(4)
    book(hotel, at(arrival, 15), at(arrival + timedelta(days=1), 11), units=[0])
    response = availability(
        api_client, hotel, arrival.isoformat(), (arrival + timedelta(days=2)).isoformat(), quantity=2
    )
    assert [row[0] for row in options(response)] == [utc_z(at(arrival + timedelta(days=1), 15))]


def _next_dst_change(after: date, tz: ZoneInfo = BERLIN) -> date:
    """The first local date after ``after`` whose UTC offset differs from the day before."""
    day = after
    while True:
        day += timedelta(days=1)
        if at(day, 12, tz=tz).utcoffset() != at(day - timedelta(days=1), 12, tz=tz).utcoffset():
            return day


def test_dst_week_keeps_wall_clock_hours(world: World, api_client):
    change = _next_dst_change(timezone.now().date() + timedelta(days=2))
    clinic = make_resource("slots", vendor=world.vendor_a, slot_minutes=60, hours=every_day("09:00", "11:00"))
    start, end = change - timedelta(days=3), change + timedelta(days=3)
    response = availability(api_client, clinic, at(start, 0), at(end, 0))
    rows = options(response)
    assert len(rows) == 2 * 6
    local = [datetime.fromisoformat(row[0]).astimezone(BERLIN) for row in rows]
    assert {moment.time() for moment in local} == {time(9), time(10)}  # 09:00 local on both sides
    offsets = {moment.utcoffset() for moment in local}
    assert len(offsets) == 2  # the UTC times moved by an hour across the change


def test_dst_day_is_23_or_25_hours_long_for_round_the_clock_resources(world: World, api_client):
    change = _next_dst_change(timezone.now().date() + timedelta(days=2))
    desk = make_resource(
        "range",
        vendor=world.vendor_a,
        granularity_minutes=60,
        min_minutes=60,
        max_minutes=1440,
        hours=every_day("00:00", "24:00"),
    )
    response = availability(api_client, desk, at(change, 0), at(change + timedelta(days=1), 0))
    [(start, end, _)] = options(response)
    length = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    assert length in (timedelta(hours=23), timedelta(hours=25))


def test_responses_are_utc_with_z(world: World, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    day = next_weekday(1)
    start = datetime.combine(day, time(0), ZoneInfo("America/New_York"))
    rows = options(availability(api_client, resource, start, start + timedelta(days=1)))
    assert rows
    assert all(row[0].endswith("Z") and row[1].endswith("Z") for row in rows)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2030-03-01T09:00:00", "end": "2030-03-02T09:00:00+01:00"}, "start"),
        ({"start": "2030-03-01T09:00:00+01:00", "end": "2030-03-02T09:00:00"}, "end"),
        ({"start": "2030-03-01", "end": "2030-03-02"}, "start"),  # dates are for nightly only
        ({"start": "2030-03-02T09:00:00Z", "end": "2030-03-01T09:00:00Z"}, "end"),
        ({"start": "2030-03-01T00:00:00Z", "end": "2030-05-03T00:00:00Z"}, "end"),  # 63 days
        ({"start": "yesterday", "end": "2030-03-01T09:00:00Z"}, "start"),
        ({"quantity": 2}, "quantity"),  # capacity is 1
        ({"quantity": 0}, "quantity"),
    ],
)
def test_invalid_query_is_400_on_the_field(world: World, api_client, params: dict, field: str):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    query = {"start": "2030-03-01T00:00:00Z", "end": "2030-03-02T00:00:00Z", **params}
    for path in ("availability", "availability/explain"):
        response = api_client.get(f"/api/v1/resources/{resource.pk}/{path}", query)
        assert response.status_code == 400, response.content
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert field in problem["errors"], problem


def test_window_over_62_days_says_so(world: World, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    response = availability(api_client, resource, "2030-03-01T00:00:00Z", "2030-05-03T00:00:00Z")
    assert response.json()["errors"]["end"] == ["The window may span at most 62 days."]


def test_a_62_day_window_is_fine(world: World, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    start = at(next_weekday(0), 0)
    assert availability(api_client, resource, start, start + timedelta(days=62)).status_code == 200


def test_unencoded_plus_in_the_offset_is_understood(world: World, api_client):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    day = next_weekday(2)
    url = f"/api/v1/resources/{resource.pk}/availability?start={day}T00:00:00+01:00&end={day}T23:00:00+01:00"
    response = api_client.get(url)  # "+" arrives as a space
    assert response.status_code == 200, response.content
    assert options(response) == [
        (utc_z(at(day, 9)), utc_z(at(day, 9, 30)), 1),
        (utc_z(at(day, 9, 30)), utc_z(at(day, 10)), 1),
    ]


def test_inactive_resource_offers_nothing_to_its_members(world: World, owner_a):
    resource = make_resource("slots", vendor=world.vendor_a, hours=every_day("09:00", "10:00"))
    resource.is_active = False
    resource.save()
    day = next_weekday(2)
    assert options(availability(owner_a, resource, at(day, 0), at(day, 23))) == []
