"""Booking series through the API and the service: DST, conflict policies, cancel scopes, limits."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import resolve
from django.utils import timezone

from bookings import series as series_services
from bookings import services
from bookings.models import Allocation, Booking, BookingEvent, BookingSeries, BookingStatus, IdempotencyRecord
from notifications.models import OutboxEvent
from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.bookings import BERLIN, local_at, make_resource, member

pytestmark = pytest.mark.django_db

SERIES = "/api/v1/bookings/series"
BOOKINGS = "/api/v1/bookings"
ZONE = ZoneInfo(BERLIN)


@pytest.fixture
def customer():
    return UserFactory()


@pytest.fixture
def client(customer):
    return authed(customer)


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[series] {text}")


def body(resource, start, end, *, on_conflict="all_or_nothing", **recurrence):
    extra = {key: recurrence.pop(key) for key in ("confirm", "quantity", "notes") if key in recurrence}
    recurrence.setdefault("frequency", "weekly")
    if "until" not in recurrence:
        recurrence.setdefault("count", 8)
    return {
        "resource": str(resource.pk),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "recurrence": recurrence,
        "on_conflict": on_conflict,
        **extra,
    }


def local(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(ZONE)


def next_dst_change(after: date) -> date:
    """The first local date after ``after`` whose UTC offset differs from the day before."""
    day = after
    while True:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE)
        if (noon + timedelta(days=1)).utcoffset() != noon.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)


# --- DST -------------------------------------------------------------------------------


def test_weekly_series_for_8_weeks_across_a_dst_change_stays_at_local_nine(client, capsys):
    resource = make_resource("slots", slot_minutes=30, max_advance_days=400)
    today = timezone.now().astimezone(ZONE).date()
    change = next_dst_change(today + timedelta(days=2))
    first_day = max(today + timedelta(days=2), change - timedelta(days=21))
    start = datetime(first_day.year, first_day.month, first_day.day, 9, tzinfo=ZONE)

    response = client.post(SERIES, body(resource, start, start + timedelta(minutes=30), confirm=True), format="json")

    assert response.status_code == 201, response.json()
    occurrences = response.json()["occurrences"]
    assert len(occurrences) == 8
    assert all(o["status"] == "confirmed" for o in occurrences)
    assert {local(o["start"]).strftime("%H:%M") for o in occurrences} == {"09:00"}
    assert {local(o["end"]).strftime("%H:%M") for o in occurrences} == {"09:30"}
    offsets = {local(o["start"]).utcoffset() for o in occurrences}
    assert len(offsets) == 2  # both sides of the change
    assert [local(o["start"]).date() for o in occurrences] == [first_day + timedelta(weeks=i) for i in range(8)]
    utc = [o["start"][11:16] for o in occurrences]
    report(capsys, f"weekly x8 from {first_day} across the DST change of {change}: local 09:00 each, UTC {utc}")


def test_series_service_with_fixed_dates_across_the_last_sunday_of_march_2027(customer):
    resource = make_resource("slots", slot_minutes=30, max_advance_days=800)
    now = datetime(2027, 2, 1, tzinfo=UTC)
    outcome = series_services.series_create(
        customer=customer,
        resource_id=resource.pk,
        start=datetime(2027, 3, 8, 9, tzinfo=ZONE),
        end=datetime(2027, 3, 8, 9, 30, tzinfo=ZONE),
        recurrence=series_services.Recurrence("weekly", count=8),
        on_conflict="all_or_nothing",
        confirm=True,
        now=now,
    )
    starts = [booking.start for booking in outcome.occurrences]
    assert [s.astimezone(ZONE).hour for s in starts] == [9] * 8
    assert [s.astimezone(UTC).hour for s in starts] == [8, 8, 8, 7, 7, 7, 7, 7]
    assert Booking.objects.filter(series=outcome.series).count() == 8


# --- conflict policies ---------------------------------------------------------------


def _taken_fifth(resource, start):
    """Another customer holds the 5th weekly occurrence."""
    fifth = start + timedelta(weeks=4)
    return services.booking_create(
        customer=UserFactory(),
        resource_id=resource.pk,
        start=fifth,
        end=fifth + timedelta(minutes=30),
        confirm=True,
    )


def test_all_or_nothing_with_one_conflict_books_nothing_and_lists_the_date(client, customer, capsys):
    resource = make_resource("slots", capacity=1)
    start = local_at(3, 9)
    taken = _taken_fifth(resource, start)

    response = client.post(SERIES, body(resource, start, start + timedelta(minutes=30)), format="json")

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "slot_unavailable"
    assert [c["start"] for c in problem["conflicts"]] == [
        taken.start.astimezone(UTC).isoformat().replace("+00:00", "Z")
    ]
    assert problem["conflicts"][0]["date"] == taken.start.astimezone(ZONE).date().isoformat()
    assert {r["code"] for r in problem["conflicts"][0]["reasons"]} == {"capacity_reached"}
    assert not Booking.objects.filter(customer=customer).exists()
    assert not BookingSeries.objects.exists()
    assert Allocation.objects.filter(is_active=True).count() == 1
    report(
        capsys,
        f"all_or_nothing, 1 of 8 taken: 409, nothing booked, conflicts {[c['date'] for c in problem['conflicts']]}",
    )


def test_skip_conflicts_books_7_of_8_and_reports_the_8th_with_its_reason(client, customer, capsys):
    resource = make_resource("slots", capacity=1)
    start = local_at(3, 9)
    taken = _taken_fifth(resource, start)

    response = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), on_conflict="skip_conflicts"), format="json"
    )

    assert response.status_code == 201, response.json()
    created = response.json()
    assert len(created["occurrences"]) == 7
    assert taken.start not in {local(o["start"]) for o in created["occurrences"]}
    (skipped,) = created["skipped"]
    assert local(skipped["start"]) == taken.start
    assert [r["code"] for r in skipped["reasons"]] == ["capacity_reached"]
    shown = client.get(f"{SERIES}/{created['id']}").json()
    assert [o["id"] for o in shown["occurrences"]] == [o["id"] for o in created["occurrences"]]
    assert shown["skipped"] == created["skipped"]
    assert Booking.objects.filter(customer=customer, series_id=created["id"]).count() == 7
    reason = skipped["reasons"][0]["code"]
    report(capsys, f"skip_conflicts: booked {len(created['occurrences'])} of 8, skipped {skipped['start']} ({reason})")


def test_skip_conflicts_with_nothing_bookable_is_409(client):
    resource = make_resource("slots", hours=("10:00", "12:00"))
    start = local_at(3, 9)
    response = client.post(
        SERIES,
        body(resource, start, start + timedelta(minutes=30), on_conflict="skip_conflicts", count=3),
        format="json",
    )
    assert response.status_code == 409
    assert len(response.json()["conflicts"]) == 3
    assert {r["code"] for r in response.json()["reasons"]} == {"outside_hours"}


def test_a_misshapen_first_occurrence_is_400_like_a_single_booking(client):
    resource = make_resource("slots", slot_minutes=30)
    start = local_at(3, 9, 10)
    response = client.post(SERIES, body(resource, start, start + timedelta(minutes=30)), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"


def test_a_series_of_104_daily_occurrences_books_in_one_transaction(client, capsys):
    resource = make_resource("slots", max_advance_days=200)
    start = local_at(2, 9)
    began = clock.perf_counter()
    response = client.post(
        SERIES,
        body(resource, start, start + timedelta(minutes=30), frequency="daily", count=104, confirm=True),
        format="json",
    )
    elapsed = clock.perf_counter() - began
    assert response.status_code == 201, response.json()
    assert len(response.json()["occurrences"]) == 104
    assert BookingEvent.objects.filter(booking__series_id=response.json()["id"]).count() == 208  # create + confirm
    assert OutboxEvent.objects.filter(event_type="booking.confirmed").count() == 104
    report(capsys, f"104 daily occurrences booked in one request: {elapsed * 1000:.0f} ms (resource locked throughout)")


# --- limits ----------------------------------------------------------------------------


def test_the_105th_occurrence_is_refused_with_400(client):
    resource = make_resource("slots", max_advance_days=400)
    start = local_at(2, 9)
    by_count = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), frequency="daily", count=105), format="json"
    )
    assert by_count.status_code == 400
    assert by_count.json()["code"] == "validation_error"
    until = (start + timedelta(days=104)).date().isoformat()  # 105 days, both ends included
    by_until = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), frequency="daily", until=until), format="json"
    )
    assert by_until.status_code == 400
    assert "104" in by_until.json()["errors"]["recurrence"][0]
    assert not Booking.objects.exists()


def test_until_more_than_two_years_ahead_is_400(client):
    resource = make_resource("slots")
    start = local_at(2, 9)
    until = (start + timedelta(days=2 * 365 + 2)).isoformat()
    response = client.post(SERIES, body(resource, start, start + timedelta(minutes=30), until=until), format="json")
    assert response.status_code == 400
    assert "2 years" in response.json()["errors"]["recurrence"][0]


@pytest.mark.parametrize(
    "recurrence",
    [
        {"frequency": "weekly"},
        {"frequency": "weekly", "count": 3, "until": "2030-01-01"},
        {"frequency": "daily", "count": 3, "weekdays": [1]},
        {"frequency": "weekly", "count": 3, "interval": 53},
        {"frequency": "weekly", "count": 3, "weekdays": [7]},
        {"frequency": "hourly", "count": 3},
    ],
)
def test_malformed_recurrences_are_400(client, recurrence):
    resource = make_resource("slots")
    start = local_at(2, 9)
    request = body(resource, start, start + timedelta(minutes=30))
    request["recurrence"] = recurrence
    response = client.post(SERIES, request, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# --- idempotency and holds ----------------------------------------------------------------


def test_a_replayed_series_request_returns_the_first_response(client, customer):
    resource = make_resource("slots")
    start = local_at(2, 9)
    request = body(resource, start, start + timedelta(minutes=30), count=4)
    first = client.post(SERIES, request, format="json", HTTP_IDEMPOTENCY_KEY="series-1")
    again = client.post(SERIES, request, format="json", HTTP_IDEMPOTENCY_KEY="series-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert BookingSeries.objects.count() == 1
    assert Booking.objects.filter(customer=customer).count() == 4
    assert IdempotencyRecord.objects.get().scope == "bookings.series.create"
    other = client.post(SERIES, {**request, "notes": "changed"}, format="json", HTTP_IDEMPOTENCY_KEY="series-1")
    assert other.status_code == 422


def test_holds_of_one_series_count_once_against_the_hold_cap(client, customer, settings):
    settings.ALLOT_MAX_ACTIVE_HOLDS = 2
    resource = make_resource("slots", hold_minutes=10)
    start = local_at(2, 9)
    created = client.post(SERIES, body(resource, start, start + timedelta(minutes=30)), format="json")
    assert created.status_code == 201
    assert {o["status"] for o in created.json()["occurrences"]} == {"held"}
    single = client.post(
        BOOKINGS,
        {"resource": str(resource.pk), "start": local_at(2, 12).isoformat(), "end": local_at(2, 12, 30).isoformat()},
        format="json",
    )
    assert single.status_code == 201  # 8 series holds count as 1
    third = client.post(SERIES, body(resource, local_at(2, 14), local_at(2, 14, 30)), format="json")
    assert third.status_code == 409
    assert third.json()["code"] == "too_many_holds"

    confirmed = client.post(f"{SERIES}/{created.json()['id']}/confirm")
    assert confirmed.status_code == 200
    assert {o["status"] for o in confirmed.json()["occurrences"]} == {"confirmed"}


def test_only_the_customer_confirms_a_series(customer):
    resource = make_resource("slots")
    start = local_at(2, 9)
    created = authed(customer).post(
        SERIES, body(resource, start, start + timedelta(minutes=30), count=2), format="json"
    )
    vendor = authed(member(resource.vendor))
    assert vendor.post(f"{SERIES}/{created.json()['id']}/confirm").status_code == 403


# --- reading ---------------------------------------------------------------------------


def test_a_series_is_seen_by_its_customer_vendor_members_and_admins_only(client, admin_user):
    resource = make_resource("slots")
    start = local_at(2, 9)
    series_id = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), count=2), format="json"
    ).json()["id"]
    assert client.get(f"{SERIES}/{series_id}").status_code == 200
    assert authed(member(resource.vendor, "staff")).get(f"{SERIES}/{series_id}").status_code == 200
    assert authed(admin_user).get(f"{SERIES}/{series_id}").status_code == 200
    assert authed(UserFactory()).get(f"{SERIES}/{series_id}").status_code == 404
    assert (
        authed(UserFactory()).post(f"{SERIES}/{series_id}/cancel", {"scope": "all"}, format="json").status_code == 404
    )


def test_series_routes_come_before_the_booking_detail_route():
    assert resolve(SERIES).url_name == "booking-series-list"
    some_id = "0b7e2e36-3f1c-4f39-9d59-8d8d0f1f7a10"
    assert resolve(f"{SERIES}/{some_id}").url_name == "booking-series-detail"
    assert resolve(f"{SERIES}/{some_id}/cancel").url_name == "booking-series-cancel"
    assert resolve(f"{BOOKINGS}/{some_id}").url_name == "booking-detail"


def test_an_occurrence_shows_its_series_statuses_after_a_single_cancel(client):
    resource = make_resource("slots")
    start = local_at(2, 9)
    created = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), count=3, confirm=True), format="json"
    ).json()
    second = created["occurrences"][1]["id"]
    assert client.post(f"{BOOKINGS}/{second}/cancel", {"reason": "away"}, format="json").status_code == 200
    shown = client.get(f"{SERIES}/{created['id']}").json()
    assert [o["status"] for o in shown["occurrences"]] == ["confirmed", "cancelled", "confirmed"]


# --- cancel ------------------------------------------------------------------------------


def test_cancel_from_an_occurrence_then_all_cancels_each_with_history(client, capsys):
    resource = make_resource("slots")
    start = local_at(2, 9)
    created = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), confirm=True), format="json"
    ).json()
    fifth = created["occurrences"][4]

    from_fifth = client.post(
        f"{SERIES}/{created['id']}/cancel", {"scope": "from", "from": fifth["start"], "reason": "moving"}, format="json"
    )

    assert from_fifth.status_code == 200, from_fifth.json()
    result = from_fifth.json()
    assert result["cancelled"] == [o["id"] for o in created["occurrences"][4:]]
    assert result["not_cancelled"] == []
    assert [o["status"] for o in result["occurrences"]] == ["confirmed"] * 4 + ["cancelled"] * 4
    for occurrence in created["occurrences"][4:]:
        event = BookingEvent.objects.get(booking_id=occurrence["id"], action="cancel")
        assert (event.from_status, event.to_status, event.reason) == ("confirmed", "cancelled", "moving")
    assert Allocation.objects.filter(booking__series_id=created["id"], is_active=True).count() == 4

    everything = client.post(f"{SERIES}/{created['id']}/cancel", {"scope": "all"}, format="json").json()
    assert everything["cancelled"] == [o["id"] for o in created["occurrences"][:4]]
    assert {o["status"] for o in everything["occurrences"]} == {"cancelled"}
    assert OutboxEvent.objects.filter(event_type="booking.cancelled").count() == 8
    report(
        capsys, "cancel scopes: from 5th -> 4 cancelled, then all -> remaining 4 cancelled; 8 history rows, 8 events"
    )


def test_customer_cutoff_applies_per_occurrence_and_vendors_may_cancel_all(client):
    resource = make_resource("slots", cancel_cutoff_minutes=3 * 24 * 60)
    start = local_at(2, 9)  # the first occurrence is inside the 3-day cutoff, the others are not
    created = client.post(
        SERIES,
        body(resource, start, start + timedelta(minutes=30), frequency="daily", count=5, confirm=True),
        format="json",
    ).json()
    ids = [o["id"] for o in created["occurrences"]]

    mine = client.post(f"{SERIES}/{created['id']}/cancel", {"scope": "all"}, format="json").json()

    late = list(mine["not_cancelled"])
    assert [item["code"] for item in late] == ["cancel_cutoff_passed"] * len(late)
    assert len(late) in (1, 2)  # the occurrences starting within 3 days of now
    assert mine["cancelled"] == ids[len(late) :]
    assert [item["id"] for item in late] == ids[: len(late)]
    vendor = authed(member(resource.vendor, "staff"))
    theirs = vendor.post(
        f"{SERIES}/{created['id']}/cancel", {"scope": "all", "reason": "closing"}, format="json"
    ).json()
    assert theirs["cancelled"] == ids[: len(late)]
    assert Booking.objects.filter(series_id=created["id"], status=BookingStatus.CONFIRMED).count() == 0


def test_cancel_scope_from_needs_a_from(client):
    resource = make_resource("slots")
    start = local_at(2, 9)
    series_id = client.post(
        SERIES, body(resource, start, start + timedelta(minutes=30), count=2), format="json"
    ).json()["id"]
    response = client.post(f"{SERIES}/{series_id}/cancel", {"scope": "from"}, format="json")
    assert response.status_code == 400
    assert "from" in response.json()["errors"]


def test_a_nightly_series_takes_dates_and_books_each_stay_at_check_in_and_check_out(client):
    resource = make_resource("nightly", price_amount="80.00")
    friday = timezone.now().astimezone(ZONE).date() + timedelta(days=7)
    while friday.weekday() != 4:
        friday += timedelta(days=1)
    request = body(resource, friday, friday + timedelta(days=2), count=3, confirm=True)
    request["start"], request["end"] = friday.isoformat(), (friday + timedelta(days=2)).isoformat()

    response = client.post(SERIES, request, format="json")

    assert response.status_code == 201, response.json()
    stays = response.json()["occurrences"]
    assert [(local(s["start"]).strftime("%a %H:%M"), local(s["end"]).strftime("%a %H:%M")) for s in stays] == [
        ("Fri 15:00", "Sun 11:00")
    ] * 3
    assert {s["price"]["amount"] for s in stays} == {"160.00"}  # two nights each, priced per occurrence
