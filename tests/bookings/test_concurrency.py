"""Real concurrent clients against real PostgreSQL; the invariant is checked in SQL afterwards.

Each thread has its own database connection (Django connections are per thread), so
these tests need ``transaction=True``: the usual test transaction would hide commits.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import User
from bookings import services
from bookings.models import Booking, BookingEvent
from tests.factories.bookings import local_at, make_resource

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BOOKINGS = "/api/v1/bookings"


def make_users(n: int) -> list[User]:
    return User.objects.bulk_create(
        [User(email=f"racer{i}-{random.random()}@example.com", password="!") for i in range(n)]
    )


def race(n: int, work: Callable[[int], int], *, threads: int = 50) -> Counter[int]:
    """Run ``work(i)`` for i < n on ``threads`` threads released together; count the results."""
    gate = threading.Barrier(min(n, threads))

    def run(i: int) -> int:
        if i < threads:
            gate.wait(timeout=30)
        try:
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return Counter(pool.map(run, range(n)))


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def overlapping_active_allocations() -> int:
    """Pairs of active allocations of one unit whose blocked periods overlap: must be 0."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM bookings_allocation a JOIN bookings_allocation b
              ON a.resource_id = b.resource_id AND a.unit = b.unit AND a.id < b.id
             WHERE a.is_active AND b.is_active AND a.blocked && b.blocked
            """
        )
        return cursor.fetchone()[0]


def peak_occupancy(resource_id) -> int:
    """The most units active at any instant (sweeping allocation boundaries in SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(max(n), 0) FROM (
              SELECT t, (SELECT count(*) FROM bookings_allocation a
                          WHERE a.resource_id = %s AND a.is_active AND a.blocked @> t) AS n
                FROM (SELECT lower(blocked) AS t FROM bookings_allocation
                       WHERE resource_id = %s AND is_active) instants
            ) occupancy
            """,
            [resource_id, resource_id],
        )
        return cursor.fetchone()[0]


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[concurrency] {text}")


def test_200_clients_race_for_the_last_unit(capsys):
    resource = make_resource("slots", capacity=1)
    users = make_users(200)
    body = {"resource": str(resource.pk), "start": local_at(2, 9).isoformat(), "end": local_at(2, 9, 30).isoformat()}

    results = race(200, lambda i: client_for(users[i]).post(BOOKINGS, body, format="json").status_code)

    report(capsys, f"capacity-1 slot, 200 clients: {dict(results)}")
    assert results[201] == 1
    assert results[409] == 199
    assert not [code for code in results if code >= 500]
    assert Booking.objects.filter(resource=resource).count() == 1
    assert overlapping_active_allocations() == 0


def test_300_clients_on_random_overlapping_ranges_never_exceed_capacity(capsys):
    resource = make_resource("range", capacity=5, granularity_minutes=30, min_minutes=30, max_minutes=600)
    users = make_users(300)
    rng = random.Random(7)
    day_start = local_at(3, 8)
    requests = []
    for _ in range(300):
        start = day_start + timedelta(minutes=30 * rng.randrange(0, 16))
        requests.append((start, start + timedelta(minutes=30 * rng.randrange(1, 8)), rng.choice([1, 1, 2])))

    outcomes: dict[int, tuple[int, str | None]] = {}

    def work(i: int) -> int:
        start, end, quantity = requests[i]
        response = client_for(users[i]).post(
            BOOKINGS,
            {"resource": str(resource.pk), "start": start.isoformat(), "end": end.isoformat(), "quantity": quantity},
            format="json",
        )
        outcomes[i] = (response.status_code, response.json().get("id"))
        return response.status_code

    results = race(300, work)
    peak = peak_occupancy(resource.pk)
    report(capsys, f"capacity-5 range, 300 clients: {dict(results)}; peak occupancy {peak}")
    assert not [code for code in results if code >= 500]
    assert peak <= 5
    assert overlapping_active_allocations() == 0
    for i, (code, booking_id) in outcomes.items():
        if code == 201:
            assert Booking.objects.get(pk=booking_id).allocations.filter(is_active=True).count() == requests[i][2]
    assert Booking.objects.filter(resource=resource).count() == results[201]


def test_confirm_expire_and_cancel_race_has_exactly_one_winner(capsys):
    # A customer may cancel a hold at any time, a confirmed booking only until the cutoff. With
    # the cutoff long passed, a cancel that arrives after the confirm committed loses (409)
    # instead of legitimately cancelling the confirmed booking, which made this test flaky.
    resource = make_resource("slots", capacity=30, hold_minutes=5, cancel_cutoff_minutes=7 * 24 * 60)
    rounds = 25
    bookings: list[Booking] = []
    for i in range(rounds):
        # Each round on its own customer: the active-hold cap is per customer.
        (racer,) = make_users(1)
        bookings.append(
            services.booking_create(
                customer=racer, resource_id=resource.pk, start=local_at(2, 9 + i % 8), end=local_at(2, 9 + i % 8, 30)
            )
        )
    expiry = {b.pk: b.hold_expires_at for b in bookings}

    def attempt(kind: str, booking: Booking) -> str:
        try:
            if kind == "confirm":
                services.booking_confirm(
                    booking_id=booking.pk, actor=booking.customer, now=expiry[booking.pk] - timedelta(seconds=1)
                )
                return "confirm"
            if kind == "cancel":
                services.booking_cancel(booking_id=booking.pk, actor=booking.customer, reason="race")
                return "cancel"
            won = services.booking_expire_hold(booking_id=booking.pk, now=expiry[booking.pk] + timedelta(seconds=1))
            return "expire" if won else "lost"
        except Exception as exc:
            code = getattr(exc, "status", None)
            return "lost" if code == 409 else f"error:{type(exc).__name__}"
        finally:
            connections.close_all()

    winners: Counter[str] = Counter()
    for booking in bookings:
        gate = threading.Barrier(3)

        def run(kind: str, booking: Booking = booking, gate: threading.Barrier = gate) -> str:
            gate.wait(timeout=10)
            return attempt(kind, booking)

        with ThreadPoolExecutor(max_workers=3) as pool:
            outcome = list(pool.map(run, ["confirm", "expire", "cancel"]))
        assert sum(1 for o in outcome if o != "lost") == 1, outcome
        assert not [o for o in outcome if o.startswith("error")]
        winners.update(o for o in outcome if o != "lost")
        transitions = BookingEvent.objects.filter(booking=booking).exclude(action="create")
        assert transitions.count() == 1
        booking.refresh_from_db()
        assert transitions.get().to_status == booking.status

    report(capsys, f"confirm/expire/cancel race over {rounds} holds: winners {dict(winners)}")


def test_50_concurrent_requests_with_one_idempotency_key_make_one_booking(capsys):
    resource = make_resource("slots", capacity=10)
    (user,) = make_users(1)
    body = {"resource": str(resource.pk), "start": local_at(2, 9).isoformat(), "end": local_at(2, 9, 30).isoformat()}
    ids: set[str] = set()

    def work(_: int) -> int:
        response = client_for(user).post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
        if response.status_code == 201:
            ids.add(response.json()["id"])
        return response.status_code

    results = race(50, work)
    report(capsys, f"50 requests, one Idempotency-Key: {dict(results)}; distinct bookings {len(ids)}")
    assert Booking.objects.filter(resource=resource).count() == 1
    assert len(ids) == 1
    assert set(results) <= {201, 409}


def test_reschedule_racing_a_new_booking_never_gives_both(capsys):
    resource = make_resource("slots", capacity=1)
    rounds = 20
    outcomes: Counter[str] = Counter()
    for i in range(rounds):
        owner, rival = make_users(2)
        day = 2 + i
        mine = services.booking_create(
            customer=owner, resource_id=resource.pk, start=local_at(day, 9), end=local_at(day, 9, 30), confirm=True
        )
        target = {"start": local_at(day, 11).isoformat(), "end": local_at(day, 11, 30).isoformat()}
        gate = threading.Barrier(2)

        def move(mine=mine, target=target, owner=owner, gate=gate) -> int:
            gate.wait(timeout=10)
            try:
                return client_for(owner).post(f"{BOOKINGS}/{mine.pk}/reschedule", target, format="json").status_code
            finally:
                connections.close_all()

        def grab(target=target, rival=rival, gate=gate) -> int:
            gate.wait(timeout=10)
            try:
                return (
                    client_for(rival)
                    .post(BOOKINGS, {"resource": str(resource.pk), **target}, format="json")
                    .status_code
                )
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=2) as pool:
            moved, grabbed = pool.submit(move), pool.submit(grab)
            codes = (moved.result(), grabbed.result())
        assert sorted(codes) == [200, 409] or sorted(codes) == [201, 409], codes
        outcomes["reschedule won" if codes[0] == 200 else "new booking won"] += 1
        assert overlapping_active_allocations() == 0
        mine.refresh_from_db()
        expected_start = local_at(day, 11) if codes[0] == 200 else local_at(day, 9)
        assert mine.start == expected_start

    report(capsys, f"reschedule vs new booking, {rounds} rounds: {dict(outcomes)}; overlaps 0")
