"""What an instant booking writes, and how few statements it takes to write it."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import services
from bookings.models import Booking, BookingEvent
from notifications.models import OutboxEvent
from resources.models import ScheduleException, WeeklyHours
from resources.selectors import exceptions_of, weekly_hours_of
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource

pytestmark = pytest.mark.django_db


def _book(resource, customer, *, confirm, hour=10):
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        booking = services.booking_create(
            customer=customer,
            resource_id=resource.pk,
            start=local_at(2, hour),
            end=local_at(2, hour, 30),
            confirm=confirm,
            now=now,
        )
    return booking, now, [q["sql"] for q in queries.captured_queries]


def _history(booking):
    return [(e.action, e.from_status, e.to_status, e.actor_id) for e in BookingEvent.objects.filter(booking=booking)]


def test_an_instant_booking_is_written_confirmed_with_both_steps_in_history():
    customer = UserFactory()
    resource = make_resource("slots")
    booking, now, statements = _book(resource, customer, confirm=True)

    row = Booking.objects.get(pk=booking.pk)
    assert (row.status, row.hold_expires_at, row.confirmed_at) == ("confirmed", None, now)
    assert _history(booking) == [("create", "", "held", customer.pk), ("confirm", "held", "confirmed", customer.pk)]
    event = OutboxEvent.objects.get(booking_id=booking.pk)
    assert event.event_type == "booking.confirmed"
    assert (event.data["status"], event.data["hold_expires_at"]) == ("confirmed", None)

    # One INSERT for the booking in its final state (no UPDATE from held to confirmed), one for
    # both history rows, and no customer lock: an instant booking cannot hoard holds.
    assert sum(s.startswith('INSERT INTO "bookings_booking" ') for s in statements) == 1
    assert sum(s.startswith('INSERT INTO "bookings_bookingevent"') for s in statements) == 1
    assert not [s for s in statements if s.startswith('UPDATE "bookings_booking"')]
    assert not [s for s in statements if "pg_advisory_xact_lock" in s]


def test_an_instant_booking_of_an_approval_resource_is_written_pending():
    customer = UserFactory()
    resource = make_resource("slots", requires_approval=True)
    booking, _, _ = _book(resource, customer, confirm=True)

    row = Booking.objects.get(pk=booking.pk)
    assert (row.status, row.hold_expires_at, row.confirmed_at) == ("pending", None, None)
    assert _history(booking) == [
        ("create", "", "held", customer.pk),
        ("confirm_pending", "held", "pending", customer.pk),
    ]
    assert list(OutboxEvent.objects.filter(booking_id=booking.pk).values_list("event_type", flat=True)) == [
        "booking.pending_approval"
    ]


def test_a_hold_still_takes_the_customer_lock_and_is_written_held():
    customer = UserFactory()
    resource = make_resource("slots", hold_minutes=10)
    booking, now, statements = _book(resource, customer, confirm=False)

    row = Booking.objects.get(pk=booking.pk)
    assert row.status == "held"
    assert row.hold_expires_at == now + timedelta(minutes=10)
    assert row.confirmed_at is None
    assert _history(booking) == [("create", "", "held", customer.pk)]
    assert [s for s in statements if "pg_advisory_xact_lock" in s]  # the hold cap is serialised per customer


def test_the_booking_reads_of_one_resource_join_and_sort_nothing_else():
    resource = make_resource("slots")
    _, _, statements = _book(resource, UserFactory(), confirm=True)
    reads = [s for s in statements if s.startswith("SELECT") and "resources_" in s.split(" FROM ", 1)[1][:40]]
    assert reads  # the locked resource row, its weekly hours, its exceptions
    for sql in reads:
        assert 'ORDER BY "vendors_vendor"' not in sql
        assert '"resources_resource"."name"' not in sql.split("ORDER BY", 1)[-1]
    hours = next(s for s in reads if 'FROM "resources_weeklyhours"' in s)
    exceptions = next(s for s in reads if 'FROM "resources_scheduleexception"' in s)
    assert "JOIN" not in hours
    assert "JOIN" not in exceptions


def test_one_resources_hours_and_exceptions_keep_their_order():
    resource = make_resource("slots", hours=None)
    for weekday, start in [(3, time(14)), (0, time(13)), (3, time(8)), (0, time(9))]:
        WeeklyHours.objects.create(resource=resource, weekday=weekday, start_time=start, end_time=time(start.hour + 1))
    closed = {"resource": resource, "kind": "closed"}
    later = ScheduleException.objects.create(start=local_at(9, 0), end=local_at(10, 0), **closed)
    sooner = ScheduleException.objects.create(start=local_at(5, 0), end=local_at(6, 0), **closed)

    assert [(h.weekday, h.start_time) for h in weekly_hours_of(resource)] == [
        (0, time(9)),
        (0, time(13)),
        (3, time(8)),
        (3, time(14)),
    ]
    assert list(exceptions_of(resource)) == [sooner, later]
