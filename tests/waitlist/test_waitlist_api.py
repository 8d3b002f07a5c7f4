"""The waitlist through the API and the services: joining, positions, leaving, offers and their outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookings import services
from bookings.models import Booking, BookingStatus
from notifications.models import OutboxEvent, SentNotification
from notifications.services import outbox_process_event
from resources.models import ScheduleException
from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource, member
from tests.factories.waitlist import announce, fill, join, statuses
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.services import on_booking_event, waitlist_offer_freed, waitlist_reconcile

pytestmark = pytest.mark.django_db

WAITLIST = "/api/v1/waitlist"
BOOKINGS = "/api/v1/bookings"


@pytest.fixture
def slot():
    """A capacity-1 slot resource, its 09:00 slot in three days taken."""
    resource = make_resource("slots", capacity=1, hold_minutes=10)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    taken = fill(resource, start, end)
    return resource, start, end, taken


def request(resource, start, end, **extra):
    return {"resource": str(resource.pk), "start": start.isoformat(), "end": end.isoformat(), **extra}


def positions(client, **params):
    return [entry["position"] for entry in client.get(WAITLIST, params).json()["results"]]


# --- joining -----------------------------------------------------------------------------


def test_customers_join_a_full_slot_in_order_and_see_their_position(slot):
    resource, start, end, _ = slot
    first, second = authed(UserFactory()), authed(UserFactory())

    one = first.post(WAITLIST, request(resource, start, end), format="json")
    two = second.post(WAITLIST, request(resource, start, end), format="json")

    assert one.status_code == two.status_code == 201
    assert (one.json()["status"], one.json()["position"]) == ("waiting", 1)
    assert (two.json()["status"], two.json()["position"]) == ("waiting", 2)
    assert positions(second) == [2]


def test_joining_again_returns_the_same_entry_and_place(slot):
    resource, start, end, _ = slot
    first, second = authed(UserFactory()), authed(UserFactory())
    original = first.post(WAITLIST, request(resource, start, end), format="json").json()
    second.post(WAITLIST, request(resource, start, end), format="json")

    again = first.post(WAITLIST, request(resource, start, end), format="json")

    assert again.status_code == 200
    assert again.json()["id"] == original["id"]
    assert again.json()["created_at"] == original["created_at"]
    assert again.json()["position"] == 1
    assert WaitlistEntry.objects.count() == 2


def test_a_bookable_period_is_409_slot_available():
    resource = make_resource("slots", capacity=2)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    fill(resource, start, end)
    response = authed(UserFactory()).post(WAITLIST, request(resource, start, end), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_available"


def test_a_period_held_by_someone_else_can_be_waited_for():
    resource = make_resource("slots", capacity=1)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    services.booking_create(customer=UserFactory(), resource_id=resource.pk, start=start, end=end)
    response = authed(UserFactory()).post(WAITLIST, request(resource, start, end), format="json")
    assert response.status_code == 201


def test_a_period_closed_or_too_soon_is_409_slot_unavailable_with_reasons(slot):
    resource, start, end, _ = slot
    ScheduleException.objects.create(resource=resource, start=start - timedelta(hours=1), end=end, kind="closed")
    response = authed(UserFactory()).post(WAITLIST, request(resource, start, end), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert "closed" in {reason["code"] for reason in response.json()["reasons"]}


def test_a_misaligned_period_is_400(slot):
    resource, start, _, _ = slot
    later = start + timedelta(hours=2, minutes=10)
    response = authed(UserFactory()).post(
        WAITLIST, request(resource, later, later + timedelta(minutes=30)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"


def test_active_entries_per_customer_are_capped(settings):
    settings.ALLOT_MAX_WAITLIST_ENTRIES = 2
    resource = make_resource("slots", capacity=1)
    client = authed(UserFactory())
    for hour in (9, 10):
        fill(resource, local_at(3, hour), local_at(3, hour, 30))
        assert (
            client.post(
                WAITLIST, request(resource, local_at(3, hour), local_at(3, hour, 30)), format="json"
            ).status_code
            == 201
        )
    fill(resource, local_at(3, 11), local_at(3, 11, 30))
    response = client.post(WAITLIST, request(resource, local_at(3, 11), local_at(3, 11, 30)), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_waitlist_entries"


# --- reading and leaving ------------------------------------------------------------------


def test_vendor_members_see_a_resources_waitlist_and_others_get_404(slot):
    resource, start, end, _ = slot
    for _ in range(3):
        join(UserFactory(), resource, start, end)
    staff = authed(member(resource.vendor, "staff"))
    assert positions(staff, resource=str(resource.pk)) == [1, 2, 3]
    outsider = authed(UserFactory())
    assert outsider.get(WAITLIST, {"resource": str(resource.pk)}).status_code == 404
    assert outsider.get(WAITLIST).json()["results"] == []
    entry = WaitlistEntry.objects.first()
    assert outsider.get(f"{WAITLIST}/{entry.pk}").status_code == 404
    assert staff.get(f"{WAITLIST}/{entry.pk}").status_code == 200


def test_leaving_marks_the_entry_left_and_moves_the_others_up(slot):
    resource, start, end, _ = slot
    customers = [UserFactory() for _ in range(3)]
    entries = [join(customer, resource, start, end) for customer in customers]

    response = authed(customers[0]).delete(f"{WAITLIST}/{entries[0].pk}")

    assert response.status_code == 204
    assert statuses(resource) == ["left", "waiting", "waiting"]
    assert positions(authed(customers[1])) == [1]
    assert positions(authed(customers[2])) == [2]
    assert authed(customers[0]).delete(f"{WAITLIST}/{entries[0].pk}").status_code == 204  # already left
    assert positions(authed(customers[0]), status="left") == [None]


def test_only_the_customer_leaves_vendors_get_403_and_others_404(slot):
    resource, start, end, _ = slot
    entry = join(UserFactory(), resource, start, end)
    assert authed(member(resource.vendor)).delete(f"{WAITLIST}/{entry.pk}").status_code == 403
    assert authed(UserFactory()).delete(f"{WAITLIST}/{entry.pk}").status_code == 404
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


def test_rejoining_after_leaving_goes_to_the_back(slot):
    resource, start, end, _ = slot
    first, second = UserFactory(), UserFactory()
    entry = join(first, resource, start, end)
    join(second, resource, start, end)
    authed(first).delete(f"{WAITLIST}/{entry.pk}")
    back = authed(first).post(WAITLIST, request(resource, start, end), format="json")
    assert back.status_code == 201
    assert back.json()["position"] == 2


# --- offers --------------------------------------------------------------------------------


def test_a_cancellation_offers_the_first_entry_a_hold_with_the_resources_hold_time(
    slot, offers_requested, django_capture_on_commit_callbacks
):
    resource, start, end, taken = slot
    first, second = UserFactory(), UserFactory()
    entry = join(first, resource, start, end)
    join(second, resource, start, end)

    services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
    with django_capture_on_commit_callbacks(execute=True):
        announce("booking.cancelled", taken)
    assert offers_requested == [str(resource.pk)]
    assert waitlist_offer_freed(resource_id=resource.pk) == 1

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    hold = entry.offer_booking
    assert (hold.customer, hold.status, hold.start, hold.end) == (first, BookingStatus.HELD, start, end)
    assert hold.hold_expires_at - entry.offered_at == timedelta(minutes=10)
    event = OutboxEvent.objects.get(event_type="waitlist.offered")
    assert event.data["id"] == str(entry.pk)
    assert event.data["offer_booking"]["id"] == str(hold.pk)
    assert event.data["customer"]["email"] == first.email
    assert outbox_process_event(event_id=event.pk)  # the fan-out renders the customer's email
    assert SentNotification.objects.get(event=event).recipient == first.email
    assert positions(authed(second)) == [1]
    assert authed(first).get(WAITLIST).json()["results"][0]["offer_booking"] == str(hold.pk)
    assert waitlist_offer_freed(resource_id=resource.pk) == 0  # a second round finds nothing free


def test_confirming_the_offer_through_the_normal_endpoint_books_the_entry(slot):
    resource, start, end, taken = slot
    customer = UserFactory()
    entry = join(customer, resource, start, end)
    services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
    waitlist_offer_freed(resource_id=resource.pk)
    entry.refresh_from_db()

    confirmed = authed(customer).post(f"{BOOKINGS}/{entry.offer_booking_id}/confirm")
    assert confirmed.status_code == 200
    announce("booking.confirmed", entry.offer_booking)

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    on_booking_event("booking.confirmed", {"id": str(entry.offer_booking_id)})  # a repeated event changes nothing
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED


def test_an_entry_that_does_not_fit_keeps_its_place_and_a_later_one_that_fits_is_offered():
    resource = make_resource("slots", capacity=2)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    first_holder = fill(resource, start, end)
    fill(resource, start, end)
    wants_two = join(UserFactory(), resource, start, end, quantity=2)
    wants_one = join(UserFactory(), resource, start, end)

    services.booking_cancel(booking_id=first_holder.pk, actor=first_holder.customer)
    assert waitlist_offer_freed(resource_id=resource.pk) == 1

    wants_two.refresh_from_db()
    wants_one.refresh_from_db()
    assert (wants_two.status, wants_one.status) == (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def test_leaving_with_an_open_offer_releases_the_hold_for_the_next_entry(slot):
    resource, start, end, taken = slot
    first, second = UserFactory(), UserFactory()
    entry = join(first, resource, start, end)
    following = join(second, resource, start, end)
    services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
    waitlist_offer_freed(resource_id=resource.pk)
    entry.refresh_from_db()

    assert authed(first).delete(f"{WAITLIST}/{entry.pk}").status_code == 204

    assert Booking.objects.get(pk=entry.offer_booking_id).status == BookingStatus.CANCELLED
    announce("booking.cancelled", entry.offer_booking)
    assert waitlist_offer_freed(resource_id=resource.pk) == 1
    following.refresh_from_db()
    assert statuses(resource) == ["left", "offered"]
    assert following.offer_booking.customer == second


def test_a_customer_who_books_the_period_directly_stops_waiting(slot):
    resource, start, end, taken = slot
    customer = UserFactory()
    join(customer, resource, start, end)
    services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
    direct = services.booking_create(customer=customer, resource_id=resource.pk, start=start, end=end)
    announce("booking.held", direct)
    assert statuses(resource) == ["booked"]


def test_reconcile_derives_offer_outcomes_from_booking_status_and_expires_stale_entries(slot):
    resource, start, end, taken = slot
    customer = UserFactory()
    entry = join(customer, resource, start, end)
    services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
    waitlist_offer_freed(resource_id=resource.pk)
    entry.refresh_from_db()
    services.booking_confirm(booking_id=entry.offer_booking_id, actor=customer)  # the event never arrives
    stale = WaitlistEntry.objects.create(
        resource=resource, customer=UserFactory(), start=local_at(-1, 9), end=local_at(-1, 9, 30)
    )

    counts = waitlist_reconcile()

    entry.refresh_from_db()
    stale.refresh_from_db()
    assert (entry.status, stale.status) == (WaitlistStatus.BOOKED, WaitlistStatus.EXPIRED)
    assert counts == {"settled": 1, "expired": 1, "offers": 0}
