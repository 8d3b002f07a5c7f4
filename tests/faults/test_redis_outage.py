"""Redis stopped while customers book, then started again (empty, as after a crash).

What must hold: booking creation keeps working (PostgreSQL decides; the cache is bypassed,
the broker publish fails fast and is left to the outbox), ``/readyz`` says Redis is down,
the outbox accumulates; once Redis is back the relay (Celery beat's ``relay_outbox``
every 10 s, run here as in production by a real beat process) drains it and every email is
sent exactly once: one ``SentNotification`` per (event, recipient, kind), each sent, and
each one reaching the mail backend (Django's file backend here) once.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.faults.harness import OVERLAPS, mail_counts, report, wait_until
from tests.faults.load import Tally, book, call, percentile, slot_starts

pytestmark = pytest.mark.faults

BEFORE, DURING = 4, 12
EMAILS_PER_BOOKING = 2  # booking.confirmed to the customer and to the vendor's owner (held: webhook only)

UNPROCESSED = "SELECT count(*) FROM notifications_outboxevent WHERE processed_at IS NULL"
UNSENT = "SELECT count(*) FROM notifications_sentnotification WHERE status <> 'sent'"
DUPLICATES = """
    SELECT count(*) FROM (SELECT event_id, recipient, kind FROM notifications_sentnotification
                           GROUP BY event_id, booking_id, recipient, kind HAVING count(*) > 1) twice
"""


def _drained(world) -> bool:
    return world.scalar(UNPROCESSED) == 0 and world.scalar(UNSENT) == 0


def test_redis_outage_keeps_booking_and_the_outbox_delivers_every_email_once_after(world, capsys):
    seed = world.seed(customers=2, capacity=1)
    web = world.gunicorn(workers=2)
    world.celery(name="worker")
    world.celery(name="beat", kind="beat")
    starts = iter(slot_starts(BEFORE + DURING))
    token = seed.customers[0]["token"]
    tally = Tally()
    session = requests.Session()
    session.trust_env = False

    for _ in range(BEFORE):
        assert book(session, web.base, token, resource=seed.resource, start=next(starts), tally=tally).status == 201
    wait_until(lambda: _drained(world), timeout=30, what="the outbox to drain before the outage")

    world.redis.stop()
    outage = Tally()
    for _ in range(DURING):
        book(session, web.base, token, resource=seed.resource, start=next(starts), tally=outage, retries=0)
    ready = call(session, "GET", f"{web.base}/readyz")
    availability = call(
        session,
        "GET",
        f"{web.base}/api/v1/resources/{seed.resource}/availability",
        params={"start": "2030-01-07T00:00:00Z", "end": "2030-01-08T00:00:00Z"},
    )
    time.sleep(3)  # beat's relay and the sweeps try (and skip) while Redis is away
    backlog = world.scalar(UNPROCESSED)

    world.redis.start()
    began = time.monotonic()
    wait_until(lambda: _drained(world), timeout=60, interval=0.5, what="the outbox to drain after the outage")
    drained_in = time.monotonic() - began

    accepted = len(outage.acked)
    sent = world.scalar("SELECT count(*) FROM notifications_sentnotification WHERE status = 'sent'")
    duplicates = world.scalar(DUPLICATES)
    delivered = mail_counts(world.workdir / "mail")
    delivered_twice = sum(1 for n in delivered.values() if n > 1)
    events = world.scalar("SELECT count(*) FROM notifications_outboxevent")
    latencies = [o.seconds for o in outage.outcomes]
    with capsys.disabled():
        report(
            f"redis outage: accepted during outage={accepted}/{DURING} statuses={dict(outage.statuses())} "
            f"p50={percentile(latencies, 0.5) * 1000:.0f} ms max={max(latencies) * 1000:.0f} ms; "
            f"readyz={ready.status} {ready.body and ready.body.get('checks')}; availability={availability.status}"
        )
        report(
            f"redis outage: backlog={backlog} unprocessed outbox events; drained={events - world.scalar(UNPROCESSED)}"
            f"/{events} events in {drained_in:.1f} s after Redis came back; emails sent={sent} "
            f"(expected {EMAILS_PER_BOOKING * (BEFORE + accepted)}), in the mail backend={sum(delivered.values())}; "
            f"duplicates={duplicates + delivered_twice}"
        )
    assert accepted == DURING
    assert ready.status == 503
    assert ready.content_type == "application/problem+json"
    assert ready.body["checks"] == {"database": True, "redis": False}
    assert availability.status == 200
    assert backlog >= 2 * DURING  # booking.held + booking.confirmed per booking
    assert sent == EMAILS_PER_BOOKING * (BEFORE + DURING)
    assert sum(delivered.values()) == sent
    assert len(delivered) == sent
    assert duplicates == 0
    assert delivered_twice == 0
    assert world.scalar(OVERLAPS) == 0
