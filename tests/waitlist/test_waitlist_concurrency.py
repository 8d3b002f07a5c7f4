"""The waitlist under real concurrency: real threads, each with its own PostgreSQL connection.

``transaction=True`` so commits are real and visible across threads; the invariants are
checked in SQL afterwards (no overlapping active allocations, at most one active booking
on the unit for the period). Tests play the worker: after each freeing commit they call
``on_booking_event`` (what the outbox fan-out calls) and then ``waitlist_offer_freed``
(what the ``offer_freed_units`` task it requests runs).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections

from bookings import services
from bookings.models import Booking, BookingStatus
from config.celery import app as celery_app
from notifications import queueing
from tests.bookings.test_concurrency import client_for, make_users, overlapping_active_allocations, race
from tests.factories.bookings import local_at, make_resource
from tests.factories.waitlist import announce, fill, join, statuses
from waitlist import services as waitlist_services
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.services import waitlist_offer_freed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WAITLIST = "/api/v1/waitlist"


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[waitlist] {text}")


def active_bookings(resource, start, end) -> int:
    """Active bookings of the resource overlapping ``[start, end)``, counted in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM bookings_booking
             WHERE resource_id = %s AND status IN ('held', 'pending', 'confirmed')
               AND tstzrange(start, "end", '[)') && tstzrange(%s, %s, '[)')
            """,
            [resource.pk, start, end],
        )
        return cursor.fetchone()[0]


def queue_positions(resource) -> list[int | None]:
    """Each entry's position as its customer sees it through the API, in queue order."""
    entries = WaitlistEntry.objects.filter(resource=resource).select_related("customer").order_by("created_at", "id")
    shown = []
    for entry in entries:
        (mine,) = [e for e in client_for(entry.customer).get(WAITLIST).json()["results"] if e["id"] == str(entry.pk)]
        shown.append(mine["position"])
    return shown


def label(positions: list[int | None], states: list[str]) -> list[str]:
    return [str(p) if p is not None else s for p, s in zip(positions, states, strict=True)]


def test_three_waiting_customers_get_the_freed_unit_in_turn_and_never_two_at_once(capsys, offers_requested):
    resource = make_resource("slots", capacity=1, hold_minutes=10)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    (holder,) = make_users(1)
    taken = fill(resource, start, end, holder=holder)
    customers = make_users(3)
    body = {"resource": str(resource.pk), "start": start.isoformat(), "end": end.isoformat()}

    # Three customers join at the same instant, each on its own connection.
    joined = race(3, lambda i: client_for(customers[i]).post(WAITLIST, body, format="json").status_code)
    assert joined == Counter({201: 3})
    queue = list(WaitlistEntry.objects.filter(resource=resource).order_by("created_at", "id"))
    timeline = [f"joined {label(queue_positions(resource), statuses(resource))}"]
    assert queue_positions(resource) == [1, 2, 3]

    # The booking is cancelled; after the commit the fan-out hands the event over and five
    # workers run an offer round at once: exactly one offer, to the first in the queue.
    services.booking_cancel(booking_id=taken.pk, actor=holder)
    announce("booking.cancelled", taken)
    assert offers_requested == [str(resource.pk)]
    rounds = race(5, lambda _: waitlist_offer_freed(resource_id=resource.pk))
    assert rounds == Counter({1: 1, 0: 4})
    first, second = (WaitlistEntry.objects.get(pk=entry.pk) for entry in queue[:2])
    assert first.status == WaitlistStatus.OFFERED
    assert (first.offer_booking.customer_id, first.offer_booking.status) == (first.customer_id, BookingStatus.HELD)
    assert active_bookings(resource, start, end) == 1
    assert queue_positions(resource) == [None, 1, 2]
    timeline.append(f"offer to 1st {label(queue_positions(resource), statuses(resource))}")

    # The offer lapses untouched: the hold expires, the entry follows, the second gets it.
    hold = first.offer_booking
    assert services.booking_expire_hold(booking_id=hold.pk, now=hold.hold_expires_at + timedelta(seconds=1))
    announce("booking.expired", hold)
    assert offers_requested == [str(resource.pk)] * 2
    assert waitlist_offer_freed(resource_id=resource.pk) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WaitlistStatus.EXPIRED, WaitlistStatus.OFFERED)
    assert second.offer_booking.customer_id == second.customer_id
    assert queue_positions(resource) == [None, None, 1]
    timeline.append(f"1st expired, offer to 2nd {label(queue_positions(resource), statuses(resource))}")

    assert active_bookings(resource, start, end) == 1
    assert overlapping_active_allocations() == 0
    report(capsys, "capacity-1 slot, 3 waiting: " + " -> ".join(timeline))


def test_a_direct_booking_racing_an_offer_for_the_freed_unit_never_gives_two_holders(capsys):
    resource = make_resource("slots", capacity=1, hold_minutes=10)
    rounds = 12
    jitter = random.Random(9)
    winners: Counter[str] = Counter()
    for i in range(rounds):
        start, end = local_at(2 + i // 6, 9 + i % 6), local_at(2 + i // 6, 9 + i % 6, 30)
        holder, waiting, direct = make_users(3)
        taken = fill(resource, start, end, holder=holder)
        entry = join(waiting, resource, start, end)
        services.booking_cancel(booking_id=taken.pk, actor=holder)
        gate = threading.Barrier(2)

        def offer(gate=gate) -> str:
            gate.wait(timeout=10)
            time.sleep(jitter.uniform(0, 0.01))  # a few ms either way, so both sides get to win
            try:
                return "offer" if waitlist_offer_freed(resource_id=resource.pk) else "-"
            finally:
                connections.close_all()

        def book(gate=gate, direct=direct, start=start, end=end) -> str:
            gate.wait(timeout=10)
            time.sleep(jitter.uniform(0, 0.01))
            try:
                services.booking_create(customer=direct, resource_id=resource.pk, start=start, end=end, confirm=True)
                return "direct"
            except Exception as exc:
                return "-" if getattr(exc, "status", None) == 409 else f"error:{exc!r}"
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=2) as pool:
            # Alternate which thread starts first so neither side is favoured by submission order.
            futures = [pool.submit(offer), pool.submit(book)] if i % 2 else [pool.submit(book), pool.submit(offer)]
            outcome = [future.result() for future in futures]
        won = [o for o in outcome if o != "-"]
        assert len(won) == 1, outcome
        winners[won[0]] += 1
        entry.refresh_from_db()
        expected = WaitlistStatus.OFFERED if won == ["offer"] else WaitlistStatus.WAITING
        assert entry.status == expected
        assert active_bookings(resource, start, end) == 1
        assert overlapping_active_allocations() == 0

    report(capsys, f"offer vs direct booking for one freed unit, {rounds} rounds: {dict(winners)}; two holders: 0")


def test_the_outbox_hook_drives_an_offer_through_a_real_worker(capsys, monkeypatch):
    """End to end with a Celery worker: the hook the fan-out calls enqueues the offer task."""
    monkeypatch.setattr(waitlist_services, "enqueue", queueing.enqueue)  # the real broker publish
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    celery_app.control.purge()
    resource = make_resource("slots", capacity=1, hold_minutes=10)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    taken = fill(resource, start, end)
    (customer,) = make_users(1)
    entry = join(customer, resource, start, end)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
        services.booking_cancel(booking_id=taken.pk, actor=taken.customer)
        began = time.monotonic()
        announce("booking.cancelled", taken)
        deadline = began + 30
        while time.monotonic() < deadline and WaitlistEntry.objects.get(pk=entry.pk).status != "offered":
            time.sleep(0.05)
        elapsed = time.monotonic() - began

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    assert Booking.objects.get(pk=entry.offer_booking_id).status == BookingStatus.HELD
    report(capsys, f"cancel -> on_booking_event -> worker offer_freed_units -> hold offered in {elapsed:.3f} s")
