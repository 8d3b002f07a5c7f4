"""PostgreSQL restarted (``pg_ctl restart -m fast``) under booking and read load.

What must hold: while the database is away, requests fail fast with 503
``application/problem+json`` (``database_unavailable``), never a 500 or a stack trace, and
no request hangs (each has a client timeout below gunicorn's; none may reach it); once it
is back the service recovers by itself (the connection pool drops dead connections) and
every request succeeds again; no booking is partial (its units' allocations all there and
active, a history row) and no allocation lacks its booking.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import requests

from tests.faults.harness import ORPHAN_ALLOCATIONS, OVERLAPS, PARTIAL_BOOKINGS, report
from tests.faults.load import CLIENT_TIMEOUT, Tally, book, call, percentile, run_clients, slot_starts

pytestmark = pytest.mark.faults

CLIENTS = 6
RESTART_AFTER = 8.0
RUN_AFTER_RESTART = 14.0
RECOVERED_WITHIN = 5.0  # seconds after PostgreSQL is back: from then on every request must succeed


def test_postgres_restart_gives_fast_503s_then_full_recovery_and_no_partial_bookings(world, capsys):
    seed = world.seed(customers=CLIENTS, capacity=2)
    web = world.gunicorn(workers=3)
    starts = slot_starts(200)
    tally = Tally()
    marks: dict[str, float] = {}
    began = time.monotonic()
    stop_at = began + RESTART_AFTER + 30  # replaced by the real bound once the restart is done

    def restart() -> None:
        nonlocal stop_at
        time.sleep(RESTART_AFTER)
        marks["restart_began"] = time.monotonic()
        world.pg.restart_fast()
        marks["restart_done"] = time.monotonic()
        stop_at = marks["restart_done"] + RUN_AFTER_RESTART

    def client(i: int, session: requests.Session) -> None:
        rng = random.Random(i)
        token = seed.customers[i]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < stop_at:
            if i % 3 == 2:  # a third of the clients read
                tally.add(call(session, "GET", f"{web.base}/api/v1/bookings?page_size=5", headers=headers))
                tally.add(call(session, "GET", f"{web.base}/api/v1/resources/{seed.resource}"))
                time.sleep(0.05)
            else:
                book(
                    session,
                    web.base,
                    token,
                    resource=seed.resource,
                    start=rng.choice(starts),
                    quantity=rng.choice((1, 2)),
                    tally=tally,
                    retries=2,
                    retry_pause=0.2,
                )

    restarter = threading.Thread(target=restart, daemon=True)
    restarter.start()
    run_clients(CLIENTS, client)
    restarter.join(timeout=60)
    assert "restart_done" in marks, "pg_ctl restart did not finish"

    ready = requests.get(f"{web.base}/readyz", timeout=5)

    # A restart while the service is idle: every worker's pooled connection is now dead. The
    # pool must hand out only live ones (its ``check``), so not even the first request fails.
    world.pg.restart_fast()
    quiet = Tally()
    with requests.Session() as session:
        for _ in range(4 * web.workers):
            quiet.add(call(session, "GET", f"{web.base}/api/v1/resources/{seed.resource}"))
    quiet_statuses = quiet.statuses()
    statuses = tally.statuses()
    errors = [o for o in tally.outcomes if o.status is not None and o.status >= 500]
    bad_errors = [
        o
        for o in errors
        if o.status != 503
        or o.content_type != "application/problem+json"
        or (o.body or {}).get("code") != "database_unavailable"
    ]
    during = [o for o in tally.outcomes if marks["restart_began"] <= o.at <= marks["restart_done"] + RECOVERED_WITHIN]
    after = [o for o in tally.outcomes if o.at > marks["restart_done"] + RECOVERED_WITHIN]
    failed_after = [o for o in after if o.status is None or o.status >= 500]
    last_failure = max((o.at for o in tally.outcomes if o.status is None or o.status >= 500), default=None)
    recovery = (last_failure - marks["restart_done"]) if last_failure else 0.0
    latencies = [o.seconds for o in tally.outcomes]
    overlaps = world.scalar(OVERLAPS)
    partial = world.scalar(PARTIAL_BOOKINGS)
    orphans = world.scalar(ORPHAN_ALLOCATIONS)
    acked_ids = [a.booking_id for a in tally.acked]
    found = world.scalar("SELECT count(*) FROM bookings_booking WHERE id::text = ANY(%s)", [acked_ids])
    with capsys.disabled():
        report(
            f"postgres restart -m fast took {marks['restart_done'] - marks['restart_began']:.1f} s; "
            f"requests={len(tally.outcomes)} statuses={dict(statuses)} (in the restart window: "
            f"{len(during)} requests, {sum(1 for o in during if o.status == 503)} x 503)"
        )
        report(
            f"postgres restart: 500s={statuses.get(500, 0)} non-problem 5xx={len(bad_errors)} "
            f"client timeouts={tally.timeouts()} max latency={max(latencies):.2f} s "
            f"p99={percentile(latencies, 0.99):.2f} s last failure {recovery:.1f} s after restart; "
            f"failures later than {RECOVERED_WITHIN:.0f} s={len(failed_after)}"
        )
        report(
            f"postgres restart: acked={len(acked_ids)} found={found} lost={len(acked_ids) - found} "
            f"partial bookings={partial} allocations without booking={orphans} overlaps={overlaps}; "
            f"readyz after={ready.status_code}"
        )
        report(
            f"postgres restart while idle, then {len(quiet.outcomes)} requests: {dict(quiet_statuses)}, "
            f"slowest {max(o.seconds for o in quiet.outcomes):.2f} s"
        )
    assert statuses.get(503, 0) > 0, "the restart was not observed by any request"
    assert not bad_errors, bad_errors[:3]
    assert tally.timeouts() == 0
    assert max(latencies) < CLIENT_TIMEOUT
    assert after
    assert not failed_after, failed_after[:3]
    assert ready.status_code == 200
    assert quiet_statuses == {200: len(quiet.outcomes)}
    assert found == len(acked_ids)
    assert partial == 0
    assert orphans == 0
    assert overlaps == 0
