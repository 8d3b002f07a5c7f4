"""Booking jobs: hold expiry on time through a real Celery worker, the sweeper backstop,
completion and reminders exactly once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections
from django.utils import timezone

from bookings import services, tasks
from bookings.models import Allocation, Booking, BookingStatus
from config.celery import app as celery_app
from notifications import outbox
from notifications.models import SentNotification
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource


def _wait_for(condition, timeout_seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker():
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_hold_expires_on_time_through_the_worker_and_its_unit_is_bookable_again(worker, settings, capsys):
    resource = make_resource("slots", capacity=1, hold_minutes=1)
    customer = UserFactory()
    booking = services.booking_create(
        customer=customer, resource_id=resource.pk, start=local_at(2, 9), end=local_at(2, 9, 30)
    )
    # Shorten the hold to two seconds (the smallest policy value is a minute) and reschedule
    # its expiry the way the service does, so the test does not wait a minute.
    due = timezone.now() + timedelta(seconds=2)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=due)
    tasks.expire_hold.apply_async(args=(str(booking.pk),), eta=due)

    assert _wait_for(lambda: Booking.objects.get(pk=booking.pk).status == BookingStatus.EXPIRED)
    late = Booking.objects.get(pk=booking.pk).events.get(action="expire").at - due
    with capsys.disabled():
        print(f"\n[jobs] hold expired {late.total_seconds():.3f} s after its expiry time")
    assert late < timedelta(seconds=5)
    assert not Allocation.objects.filter(booking=booking, is_active=True).exists()
    again = services.booking_create(
        customer=UserFactory(), resource_id=resource.pk, start=local_at(2, 9), end=local_at(2, 9, 30)
    )
    assert again.status == BookingStatus.HELD
    connections.close_all()


@pytest.mark.django_db
def test_sweeper_expires_holds_whose_task_never_ran():
    resource = make_resource("slots", capacity=3)
    held = [
        services.booking_create(
            customer=UserFactory(), resource_id=resource.pk, start=local_at(2, 9), end=local_at(2, 9, 30)
        )
        for _ in range(3)
    ]
    Booking.objects.filter(pk__in=[b.pk for b in held[:2]]).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.sweep_expired_holds() == 2
    assert tasks.sweep_expired_holds() == 0
    statuses = sorted(Booking.objects.values_list("status", flat=True))
    assert statuses == ["expired", "expired", "held"]
    assert Allocation.objects.filter(is_active=True).count() == 1


@pytest.mark.django_db
def test_completion_moves_ended_confirmed_bookings():
    resource = make_resource("range")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    booking = services.booking_create(
        customer=UserFactory(), resource_id=resource.pk, start=start, end=start + timedelta(hours=1), confirm=True
    )
    assert tasks.complete_finished_bookings() == 0
    Booking.objects.filter(pk=booking.pk).update(start=start - timedelta(days=1), end=start - timedelta(hours=23))
    assert tasks.complete_finished_bookings() == 1
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.COMPLETED
    assert tasks.complete_finished_bookings() == 0


@pytest.mark.django_db
def test_reminders_are_sent_once_per_confirmed_booking(django_capture_on_commit_callbacks):
    resource = make_resource("range")
    customer = UserFactory()
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)
    later = soon + timedelta(days=5)
    services.booking_create(
        customer=customer, resource_id=resource.pk, start=soon, end=soon + timedelta(hours=1), confirm=True
    )
    services.booking_create(
        customer=customer, resource_id=resource.pk, start=later, end=later + timedelta(hours=1), confirm=True
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks.send_reminders() == 1
        assert tasks.send_reminders() == 0
    reminders = SentNotification.objects.filter(kind=outbox.BOOKING_REMINDER)
    assert reminders.count() == 1
    assert reminders.get().recipient == customer.email
