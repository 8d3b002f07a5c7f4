"""Booking behaviour through the API: modes, buffers, notice, cutoff, approval, prices, scoping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Allocation, Booking, BookingEvent, IdempotencyRecord
from resources.models import ScheduleException
from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.bookings import BERLIN, local_at, make_resource, member

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings"


def book(client, resource, start, end, **extra):
    body = {"resource": str(resource.pk), "start": _iso(start), "end": _iso(end), **extra}
    return client.post(BOOKINGS, body, format="json", **extra.pop("headers", {}))


def _iso(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


@pytest.fixture
def customer():
    return UserFactory()


@pytest.fixture
def client(customer):
    return authed(customer)


def test_slot_booking_is_held_then_confirmed(client):
    resource = make_resource("slots", slot_minutes=30, hold_minutes=10)
    response = book(client, resource, local_at(2, 9), local_at(2, 9, 30))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "held"
    assert body["hold_expires_at"].endswith("Z")
    assert body["price"] == {"amount": "10.00", "currency": "EUR"}
    confirmed = client.post(f"{BOOKINGS}/{body['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["hold_expires_at"] is None


def test_instant_booking_confirms_in_one_request(client):
    resource = make_resource("slots")
    response = book(client, resource, local_at(2, 10), local_at(2, 10, 30), confirm=True)
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"
    history = [e.action for e in BookingEvent.objects.filter(booking_id=response.json()["id"])]
    assert history == ["create", "confirm"]


def test_second_booking_of_last_unit_is_409_with_reasons(client):
    resource = make_resource("slots", capacity=1)
    assert book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).status_code == 201
    other = authed(UserFactory())
    response = book(other, resource, local_at(2, 9), local_at(2, 9, 30))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_unavailable"
    assert {r["code"] for r in body["reasons"]} == {"capacity_reached"}
    assert Booking.objects.count() == 1


def test_misaligned_slot_is_400_invalid_period(client):
    resource = make_resource("slots", slot_minutes=30)
    response = book(client, resource, local_at(2, 9, 10), local_at(2, 9, 40))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"
    assert "misaligned" in {r["code"] for r in response.json()["reasons"]}


def test_capacity_allows_exactly_capacity_units(client):
    resource = make_resource("range", capacity=3)
    start, end = local_at(3, 10), local_at(3, 12)
    assert book(client, resource, start, end, quantity=2).status_code == 201
    assert book(authed(UserFactory()), resource, start, end, quantity=1).status_code == 201
    assert book(authed(UserFactory()), resource, start, end, quantity=1).status_code == 409
    units = sorted(Allocation.objects.filter(resource=resource, is_active=True).values_list("unit", flat=True))
    assert units == [0, 1, 2]


def test_range_booking_prices_per_hour(client):
    resource = make_resource("range", price_amount=Decimal("12.00"), price_unit="hour")
    response = book(client, resource, local_at(3, 10), local_at(3, 12, 30))
    assert response.status_code == 201
    assert response.json()["price"]["amount"] == "30.00"


def test_buffers_block_the_neighbouring_booking(client):
    resource = make_resource("range", buffer_after_minutes=30, granularity_minutes=30)
    assert book(client, resource, local_at(3, 10), local_at(3, 11), confirm=True).status_code == 201
    too_close = book(authed(UserFactory()), resource, local_at(3, 11), local_at(3, 12))
    assert too_close.status_code == 409
    assert "buffer" in {r["code"] for r in too_close.json()["reasons"]}
    assert book(authed(UserFactory()), resource, local_at(3, 11, 30), local_at(3, 12, 30)).status_code == 201


def test_min_notice_and_max_advance_are_enforced(client):
    resource = make_resource("range", min_notice_minutes=24 * 60, max_advance_days=30)
    soon = book(client, resource, local_at(0, 23), local_at(0, 23, 30))
    assert soon.status_code == 409
    assert "too_soon" in {r["code"] for r in soon.json()["reasons"]}
    far = book(client, resource, local_at(40, 10), local_at(40, 11))
    assert far.status_code == 409
    assert "too_far_ahead" in {r["code"] for r in far.json()["reasons"]}


def test_outside_opening_hours_is_refused(client):
    resource = make_resource("range", hours=("09:00", "17:00"))
    response = book(client, resource, local_at(3, 16), local_at(3, 18))
    assert response.status_code == 409
    assert "outside_hours" in {r["code"] for r in response.json()["reasons"]}


def test_closed_exception_is_refused(client):
    resource = make_resource("range")
    ScheduleException.objects.create(resource=resource, start=local_at(3, 0), end=local_at(4, 0), kind="closed")
    response = book(client, resource, local_at(3, 10), local_at(3, 11))
    assert response.status_code == 409
    assert "closed" in {r["code"] for r in response.json()["reasons"]}


def test_nightly_booking_with_dates_spans_check_in_to_check_out(client):
    resource = make_resource("nightly", price_amount=Decimal("100.00"))
    check_in = local_at(10, 0).date()
    response = book(client, resource, check_in.isoformat(), (check_in + timedelta(days=3)).isoformat())
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    zone = ZoneInfo(BERLIN)
    assert booking.start.astimezone(zone).hour == 15
    assert booking.end.astimezone(zone).hour == 11
    assert booking.end.astimezone(zone).date() == check_in + timedelta(days=3)
    assert response.json()["price"]["amount"] == "300.00"


def test_nightly_over_a_dst_change_is_one_night_priced_once(client, settings):
    resource = make_resource("nightly", price_amount=Decimal("80.00"), max_advance_days=730)
    # Europe/Berlin falls back on the last Sunday of October: that night has 25 hours.
    today = timezone.now().date()
    year = today.year if today < date(today.year, 10, 20) else today.year + 1
    last_sunday = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    check_in = last_sunday - timedelta(days=1)
    response = book(client, resource, check_in.isoformat(), last_sunday.isoformat())
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    assert booking.end - booking.start == timedelta(hours=21)  # 15:00 -> 11:00 plus the repeated hour
    assert response.json()["price"]["amount"] == "80.00"


def test_dates_are_refused_for_non_nightly_resources(client):
    resource = make_resource("range")
    response = book(client, resource, "2030-01-01", "2030-01-02")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2030-01-01T10:00:00", "2030-01-01T11:00:00"),  # naive
        ("2030-01-01T11:00:00Z", "2030-01-01T10:00:00Z"),  # end before start
        ("9999-01-01T10:00:00Z", "9999-01-01T11:00:00Z"),  # absurd year
        ("yesterday", "tomorrow"),
    ],
)
def test_bad_periods_are_400_problem(client, start, end):
    resource = make_resource("range")
    response = book(client, resource, start, end)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not Booking.objects.exists()


def test_unknown_resource_is_404(client):
    response = book(
        client, type("R", (), {"pk": "00000000-0000-0000-0000-000000000000"}), local_at(2, 9), local_at(2, 10)
    )
    assert response.status_code == 404


def test_huge_quantity_is_400(client):
    resource = make_resource("range")
    assert book(client, resource, local_at(3, 10), local_at(3, 11), quantity=10**9).status_code == 400


def test_approval_flow_pending_then_approved_by_vendor(client):
    resource = make_resource("slots", requires_approval=True)
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    assert booking["status"] == "pending"
    owner = authed(member(resource.vendor))
    approved = owner.post(f"{BOOKINGS}/{booking['id']}/approve", {"reason": "welcome"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "confirmed"


def test_vendor_rejection_frees_the_units(client):
    resource = make_resource("slots", requires_approval=True)
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    owner = authed(member(resource.vendor, "staff"))
    assert owner.post(f"{BOOKINGS}/{booking['id']}/reject", {"reason": "closed"}, format="json").status_code == 200
    assert not Allocation.objects.filter(booking_id=booking["id"], is_active=True).exists()
    assert book(authed(UserFactory()), resource, local_at(2, 9), local_at(2, 9, 30)).status_code == 201


def test_customer_cannot_approve_own_booking(client):
    resource = make_resource("slots", requires_approval=True)
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    response = client.post(f"{BOOKINGS}/{booking['id']}/approve")
    assert response.status_code == 403


def test_customer_cancel_before_cutoff_frees_units(client):
    resource = make_resource("slots", cancel_cutoff_minutes=60)
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    response = client.post(f"{BOOKINGS}/{booking['id']}/cancel", {"reason": "ill"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "ill"
    assert not Allocation.objects.filter(booking_id=booking["id"], is_active=True).exists()


def test_customer_cancel_after_cutoff_is_409_but_vendor_may(client, customer):
    resource = make_resource("range", cancel_cutoff_minutes=24 * 60)
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    start = start.replace(minute=0) + timedelta(hours=1)
    booking = services.booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(hours=1), confirm=True
    )
    late = client.post(f"{BOOKINGS}/{booking.pk}/cancel")
    assert late.status_code == 409
    assert late.json()["code"] == "cancel_cutoff_passed"
    vendor = authed(member(resource.vendor, "manager"))
    assert vendor.post(f"{BOOKINGS}/{booking.pk}/cancel", {"reason": "flood"}, format="json").status_code == 200


def test_illegal_transition_is_409_invalid_transition(client):
    resource = make_resource("slots")
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    client.post(f"{BOOKINGS}/{booking['id']}/cancel")
    again = client.post(f"{BOOKINGS}/{booking['id']}/confirm")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_confirming_an_expired_hold_is_409_hold_expired(client, customer):
    resource = make_resource("slots", hold_minutes=5)
    booking = services.booking_create(
        customer=customer, resource_id=resource.pk, start=local_at(2, 9), end=local_at(2, 9, 30)
    )
    later = timezone.now() + timedelta(minutes=6)
    with pytest.raises(Exception) as excinfo:
        services.booking_confirm(booking_id=booking.pk, actor=customer, now=later)
    assert getattr(excinfo.value, "code", None) == "hold_expired"
    assert services.booking_expire_hold(booking_id=booking.pk, now=later) is True
    assert services.booking_expire_hold(booking_id=booking.pk, now=later) is False  # idempotent
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert not Allocation.objects.filter(booking=booking, is_active=True).exists()


def test_no_show_only_after_start_and_only_by_vendor(client, customer):
    resource = make_resource("range", min_notice_minutes=0)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    booking = services.booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(hours=1), confirm=True
    )
    vendor_user = member(resource.vendor, "staff")
    vendor = authed(vendor_user)
    early = vendor.post(f"{BOOKINGS}/{booking.pk}/no-show")
    assert early.status_code == 409
    assert client.post(f"{BOOKINGS}/{booking.pk}/no-show").status_code == 403
    done = services.booking_mark_no_show(booking_id=booking.pk, actor=vendor_user, now=start + timedelta(minutes=20))
    assert done.status == "no_show"


def test_reschedule_moves_the_same_booking(client):
    resource = make_resource("slots", capacity=1)
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    moved = client.post(
        f"{BOOKINGS}/{booking['id']}/reschedule",
        {"start": local_at(2, 11).isoformat(), "end": local_at(2, 11, 30).isoformat()},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["id"] == booking["id"]
    # The old slot is free again, the new one is taken.
    assert book(authed(UserFactory()), resource, local_at(2, 9), local_at(2, 9, 30)).status_code == 201
    assert book(authed(UserFactory()), resource, local_at(2, 11), local_at(2, 11, 30)).status_code == 409


def test_reschedule_into_a_taken_period_keeps_the_old_one(client):
    resource = make_resource("slots", capacity=1)
    mine = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    book(authed(UserFactory()), resource, local_at(2, 10), local_at(2, 10, 30), confirm=True)
    response = client.post(
        f"{BOOKINGS}/{mine['id']}/reschedule",
        {"start": local_at(2, 10).isoformat(), "end": local_at(2, 10, 30).isoformat()},
        format="json",
    )
    assert response.status_code == 409
    booking = Booking.objects.get(pk=mine["id"])
    assert booking.start == local_at(2, 9)
    assert Allocation.objects.filter(booking=booking, is_active=True).count() == 1


def test_reschedule_overlapping_its_own_period_works(client):
    resource = make_resource("range", capacity=1)
    mine = book(client, resource, local_at(3, 10), local_at(3, 12), confirm=True).json()
    response = client.post(
        f"{BOOKINGS}/{mine['id']}/reschedule",
        {"start": local_at(3, 11).isoformat(), "end": local_at(3, 13).isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_price_snapshot_survives_later_price_changes(client):
    resource = make_resource("slots", price_amount=Decimal("50.00"))
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    resource.price_amount = Decimal("999.00")
    resource.save()
    assert client.get(f"{BOOKINGS}/{booking['id']}").json()["price"]["amount"] == "50.00"


def test_other_customers_bookings_are_404(client):
    resource = make_resource("slots")
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30)).json()
    stranger = authed(UserFactory())
    for path in ("", "/history", "/calendar.ics"):
        assert stranger.get(f"{BOOKINGS}/{booking['id']}{path}").status_code == 404
    for verb in ("confirm", "cancel", "approve", "reject", "no-show"):
        assert stranger.post(f"{BOOKINGS}/{booking['id']}/{verb}").status_code == 404
    other_vendor = authed(member(make_resource("slots").vendor))
    assert other_vendor.get(f"{BOOKINGS}/{booking['id']}").status_code == 404


def test_invalid_booking_id_is_404(client):
    assert client.get(f"{BOOKINGS}/not-a-uuid").status_code == 404


def test_list_scopes_customer_vendor_admin(client, customer, admin_user):
    resource = make_resource("slots")
    book(client, resource, local_at(2, 9), local_at(2, 9, 30))
    book(authed(UserFactory()), resource, local_at(2, 10), local_at(2, 10, 30))
    assert len(client.get(BOOKINGS).json()["results"]) == 1
    vendor = authed(member(resource.vendor, "staff"))
    assert len(vendor.get(BOOKINGS, {"vendor": str(resource.vendor_id)}).json()["results"]) == 2
    assert client.get(BOOKINGS, {"vendor": str(resource.vendor_id)}).status_code == 404
    assert len(authed(admin_user).get(BOOKINGS).json()["results"]) == 2
    assert len(vendor.get(BOOKINGS, {"vendor": str(resource.vendor_id), "status": "held"}).json()["results"]) == 2


def test_list_page_size_is_capped(client, customer):
    resource = make_resource("range", capacity=200)
    for _ in range(3):
        services.booking_create(customer=customer, resource_id=resource.pk, start=local_at(3, 10), end=local_at(3, 11))
    response = client.get(BOOKINGS, {"page_size": 10**6})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert set(response.json()) == {"results", "next", "previous"}


def test_history_and_calendar(client):
    resource = make_resource("slots")
    booking = book(client, resource, local_at(2, 9), local_at(2, 9, 30), confirm=True).json()
    history = client.get(f"{BOOKINGS}/{booking['id']}/history").json()["results"]
    assert [(e["from_status"], e["to_status"]) for e in history] == [("", "held"), ("held", "confirmed")]
    ics = client.get(f"{BOOKINGS}/{booking['id']}/calendar.ics")
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content
    assert f"UID:{booking['id']}@allot".encode() in ics.content


def test_active_hold_cap_stops_hoarding(client, settings):
    settings.ALLOT_MAX_ACTIVE_HOLDS = 2
    resource = make_resource("range", capacity=10)
    assert book(client, resource, local_at(3, 10), local_at(3, 11)).status_code == 201
    assert book(client, resource, local_at(3, 12), local_at(3, 13)).status_code == 201
    third = book(client, resource, local_at(3, 14), local_at(3, 15))
    assert third.status_code == 409
    assert third.json()["code"] == "too_many_holds"
    # Confirmed bookings do not count.
    assert book(client, resource, local_at(3, 16), local_at(3, 17), confirm=True).status_code == 201


def test_idempotency_key_replays_and_detects_reuse(client):
    resource = make_resource("slots")
    body = {"resource": str(resource.pk), "start": local_at(2, 9).isoformat(), "end": local_at(2, 9, 30).isoformat()}
    first = client.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    other = client.post(BOOKINGS, {**body, "quantity": 1, "notes": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_failed_request_is_not_stored_under_its_key(client):
    resource = make_resource("slots", capacity=1)
    book(authed(UserFactory()), resource, local_at(2, 9), local_at(2, 9, 30), confirm=True)
    body = {"resource": str(resource.pk), "start": local_at(2, 9).isoformat(), "end": local_at(2, 9, 30).isoformat()}
    assert client.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    assert not IdempotencyRecord.objects.exists()


def test_availability_cache_is_invalidated_by_a_booking_at_once(client, django_capture_on_commit_callbacks):
    resource = make_resource("slots", capacity=1, slot_minutes=30, hours=("09:00", "11:00"))
    window = {"start": local_at(2, 0).isoformat(), "end": local_at(3, 0).isoformat()}
    url = f"/api/v1/resources/{resource.pk}/availability"
    before = client.get(url, window).json()["options"]
    assert len(before) == 4
    assert client.get(url, window).json()["options"] == before  # now served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, resource, local_at(2, 9), local_at(2, 9, 30)).status_code == 201
    after = client.get(url, window).json()["options"]
    assert len(after) == 3
    assert local_at(2, 9) not in [datetime.fromisoformat(o["start"]) for o in after]


def test_an_instant_booking_announces_only_its_confirmation(client):
    from notifications.models import OutboxEvent

    resource = make_resource("slots")
    booking = book(client, resource, local_at(2, 10), local_at(2, 10, 30), confirm=True).json()
    assert list(OutboxEvent.objects.filter(booking_id=booking["id"]).values_list("event_type", flat=True)) == [
        "booking.confirmed"
    ]
    held = book(client, resource, local_at(2, 11), local_at(2, 11, 30)).json()
    assert list(OutboxEvent.objects.filter(booking_id=held["id"]).values_list("event_type", flat=True)) == [
        "booking.held"
    ]
