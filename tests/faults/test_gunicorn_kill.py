"""kill -9 of gunicorn workers, then of the master, under booking load.

What must hold: every booking a client saw acknowledged (201) is in PostgreSQL, intact
(same id, resource, period, quantity, confirmed, its units' allocations active); no two
active allocations of a unit overlap; the service comes back (the master is restarted as
a supervisor would). A request in flight in a killed worker gets no answer; the client
retries it with the same Idempotency-Key, so a commit that raced the kill is replayed,
never made twice.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime

import pytest

from tests.faults.harness import OVERLAPS, PARTIAL_BOOKINGS, alive, kill9, report, wait_until
from tests.faults.load import Tally, book, run_clients, slot_starts

pytestmark = pytest.mark.faults

LOAD_SECONDS = 30
CLIENTS = 8


def _inject(web, stop_at: float, kills: dict[str, int]) -> None:
    began = time.monotonic()
    while time.monotonic() < stop_at - 4:
        time.sleep(2.5)
        if not kills["master"] and time.monotonic() - began > LOAD_SECONDS / 2:
            orphans = web.kill_master()
            kills["master"] += 1
            # Orphaned workers notice their parent is gone and exit; a supervisor killing the
            # whole group is the same as kill -9 of what is left after a short wait.
            try:
                wait_until(lambda pids=orphans: not any(alive(p) for p in pids), timeout=5, what="orphans to exit")
            except TimeoutError:
                kills["orphans killed"] = sum(alive(pid) for pid in orphans)
                for pid in orphans:
                    kill9(pid)
            web.start()  # the supervisor's restart, on the same port
            kills["restarts"] += 1
        elif web.worker_pids():
            web.kill_worker()
            kills["worker"] += 1


def test_kill_9_of_gunicorn_workers_and_master_loses_no_acknowledged_booking(world, capsys):
    seed = world.seed(customers=CLIENTS, capacity=2)
    web = world.gunicorn(workers=3)
    starts = slot_starts(160)  # 320 units: enough that bookings keep succeeding through every kill
    tally = Tally()
    stop_at = time.monotonic() + LOAD_SECONDS
    kills = {"worker": 0, "master": 0, "restarts": 0, "orphans killed": 0}

    def client(i: int, session) -> None:
        rng = random.Random(i)
        token = seed.customers[i]["token"]
        while time.monotonic() < stop_at:
            quantity = rng.choice((1, 1, 2))
            book(
                session,
                web.base,
                token,
                resource=seed.resource,
                start=rng.choice(starts),
                quantity=quantity,
                tally=tally,
            )

    injector = threading.Thread(target=_inject, args=(web, stop_at, kills), daemon=True)
    injector.start()
    run_clients(CLIENTS, client)
    injector.join(timeout=30)

    # The service is back: a fresh booking on a free slot succeeds.
    final = Tally()
    import requests

    with requests.Session() as session:
        last = book(
            session,
            web.base,
            seed.customers[0]["token"],
            resource=seed.resource,
            start=slot_starts(1, days_ahead=10)[0],
            tally=final,
        )
    assert last.status == 201, last

    rows = {
        row[0]: row[1:]
        for row in world.sql(
            """SELECT b.id::text, b.resource_id::text, b.start, b."end", b.quantity, b.status,
                      (SELECT count(*) FROM bookings_allocation a WHERE a.booking_id = b.id AND a.is_active)
                 FROM bookings_booking b"""
        )
    }
    intact = 0
    for acked in tally.acked:
        row = rows.get(acked.booking_id)
        if row and row == (
            acked.resource,
            datetime.fromisoformat(acked.start),
            datetime.fromisoformat(acked.end),
            acked.quantity,
            "confirmed",
            acked.quantity,
        ):
            intact += 1
    acked_ids = {a.booking_id for a in tally.acked}
    lost = len(tally.acked) - intact
    overlaps = world.scalar(OVERLAPS)
    partial = world.scalar(PARTIAL_BOOKINGS)
    unacknowledged = len(set(rows) - acked_ids - {last.body["id"]})
    statuses = tally.statuses()
    with capsys.disabled():
        report(
            f"gunicorn kill -9: {kills['worker']} worker kills, {kills['master']} master kill "
            f"({kills['restarts']} restart, {kills['orphans killed']} orphaned workers still alive after 5 s); "
            f"requests={len(tally.outcomes)} statuses={dict(statuses)} retries={tally.retries} gave_up={tally.gave_up}"
        )
        report(
            f"gunicorn kill -9: acked={len(tally.acked)} found={intact} lost={lost} overlaps={overlaps} "
            f"partial={partial} committed-but-unacknowledged={unacknowledged}"
        )
    assert kills["worker"] >= 3
    assert kills["master"] == 1
    assert len(tally.acked) == len(acked_ids) > 20
    assert lost == 0
    assert overlaps == 0
    assert partial == 0
    assert not [s for s in statuses if isinstance(s, int) and s >= 500 and s != 503]
