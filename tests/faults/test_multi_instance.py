"""Two web instances (separate gunicorn masters on two ports) and two Celery workers on one
database, with clients of both racing for the same slots.

What must hold across processes: no unit is booked twice (the exclusion constraint and the
per-resource row lock live in PostgreSQL, not in any one process), every unit is sold
exactly once (the race has a winner per unit, not zero), no 5xx, and every notification is
sent once though two workers consume the queues. The figures printed here are the ones in
docs/scaling.md.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tests.faults.harness import OVERLAPS, PARTIAL_BOOKINGS, mail_counts, report, wait_until
from tests.faults.load import Tally, book, percentile, run_clients, slot_starts

pytestmark = pytest.mark.faults

CLIENTS = 16
SLOTS = 20
CAPACITY = 2


def test_two_web_instances_and_two_workers_racing_for_the_same_slots_keep_the_invariant(world, capsys):
    seed = world.seed(customers=CLIENTS, capacity=CAPACITY)
    web_a = world.gunicorn(workers=2, name="web-a")
    web_b = world.gunicorn(workers=2, name="web-b")
    worker_a = world.celery(name="worker-a", concurrency=1)
    worker_b = world.celery(name="worker-b", concurrency=1)
    starts = slot_starts(SLOTS)
    tallies = {"web-a": Tally(), "web-b": Tally()}

    def client(i: int, session) -> None:
        # Every client tries every slot, in its own order, on its own instance.
        web = web_a if i % 2 == 0 else web_b
        order = list(starts)
        random.Random(i).shuffle(order)
        for start in order:
            book(
                session,
                web.base,
                seed.customers[i]["token"],
                resource=seed.resource,
                start=start,
                tally=tallies[web.name],
            )

    elapsed = run_clients(CLIENTS, client)
    wait_until(
        lambda: (
            world.scalar("SELECT count(*) FROM notifications_outboxevent WHERE processed_at IS NULL") == 0
            and world.scalar("SELECT count(*) FROM notifications_sentnotification WHERE status <> 'sent'") == 0
        ),
        timeout=40,
        what="both workers to drain the outbox",
    )

    outcomes = [o for tally in tallies.values() for o in tally.outcomes]
    statuses = Counter(o.status for o in outcomes)
    created = {name: len(tally.acked) for name, tally in tallies.items()}
    latencies = [o.seconds for o in outcomes]
    overlaps = world.scalar(OVERLAPS)
    per_slot = world.sql(
        """SELECT lower(blocked), count(*) FROM bookings_allocation WHERE is_active GROUP BY 1 ORDER BY 1"""
    )
    sent = world.scalar("SELECT count(*) FROM notifications_sentnotification WHERE status = 'sent'")
    delivered = mail_counts(world.workdir / "mail")
    tasks = {w.name: w.log_count("succeeded in") for w in (worker_a, worker_b)}
    server_errors = sum(n for s, n in statuses.items() if s and s >= 500)
    with capsys.disabled():
        report(
            f"2 web instances x 2 gunicorn workers + 2 celery workers, {CLIENTS} clients, {SLOTS} slots x "
            f"{CAPACITY} units: requests={len(outcomes)} 201={sum(created.values())} (web-a {created['web-a']}, "
            f"web-b {created['web-b']}) 409={statuses.get(409, 0)} 5xx={server_errors} "
            f"no answer={statuses.get(None, 0)} overlaps={overlaps}"
        )
        report(
            f"multi-instance: {len(outcomes) / elapsed:.0f} req/s over {elapsed:.1f} s, latency p50="
            f"{percentile(latencies, 0.5) * 1000:.0f} ms p95={percentile(latencies, 0.95) * 1000:.0f} ms "
            f"max={max(latencies) * 1000:.0f} ms; units per slot={sorted({n for _, n in per_slot})}; "
            f"emails sent={sent} delivered={sum(delivered.values())} duplicates="
            f"{sum(n - 1 for n in delivered.values())}; tasks run by worker-a={tasks['worker-a']} "
            f"worker-b={tasks['worker-b']}"
        )
    assert overlaps == 0
    assert world.scalar(PARTIAL_BOOKINGS) == 0
    assert sum(created.values()) == SLOTS * CAPACITY  # every unit sold exactly once
    assert len(per_slot) == SLOTS
    assert {n for _, n in per_slot} == {CAPACITY}
    assert statuses.get(409, 0) == len(outcomes) - SLOTS * CAPACITY
    assert not [s for s in statuses if s is None or s >= 500]
    assert created["web-a"] > 0
    assert created["web-b"] > 0
    assert sent == 2 * SLOTS * CAPACITY
    assert set(delivered.values()) == {1}
    assert len(delivered) == sent
    assert tasks["worker-a"] > 0
    assert tasks["worker-b"] > 0
