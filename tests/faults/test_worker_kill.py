"""kill -9 of Celery while it runs a task: the task comes back (late acks) and its effect happens once.

The task is the outbox fan-out of a ``booking.confirmed`` event (record the emails, then
send them). To catch a worker mid-task every time, the test holds a lock on the emails
table, so the fan-out blocks inside its transaction; then:

1. kill -9 of the pool process running it: the worker's main process sees the child die
   and, with ``task_reject_on_worker_lost``, puts the message back; another child takes it;
2. kill -9 of the whole worker (main process and pool): nothing acks or rejects; the
   message stays unacknowledged in Redis and is handed out again after the visibility
   timeout (lowered to 8 s here with ``ALLOT_CELERY_VISIBILITY_TIMEOUT``) to a new worker.

Each run counts itself in ``OutboxEvent.attempts`` before it blocks. When the lock is
released the fan-out completes once: exactly one email record per recipient, each sent
and delivered to the mail backend once.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.faults.harness import alive, kill9, mail_counts, report, wait_until
from tests.faults.load import Tally, book, slot_starts

pytestmark = pytest.mark.faults

VISIBILITY_TIMEOUT = 8
WAITING_FANOUT = """
    SELECT count(*) FROM pg_stat_activity
     WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "notifications_sentnotification"%%'
"""


def test_kill_9_of_a_celery_worker_mid_task_redelivers_it_and_its_effect_happens_once(world, capsys):
    env = world.env(ALLOT_CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    seed = world.seed(customers=1, capacity=1, env=env)
    web = world.gunicorn(workers=1, env=env)
    worker = world.celery(name="worker", concurrency=2, env=env)

    blocker = world.pg.connect()
    blocker.execute("LOCK TABLE notifications_sentnotification IN SHARE ROW EXCLUSIVE MODE")
    try:
        with requests.Session() as session:
            created = book(
                session,
                web.base,
                seed.customers[0]["token"],
                resource=seed.resource,
                start=slot_starts(1)[0],
                tally=Tally(),
            )
        assert created.status == 201, created
        event_id, _attempts = world.sql(
            "SELECT id, attempts FROM notifications_outboxevent WHERE event_type = 'booking.confirmed'"
        )[0]

        def attempts_now() -> int:
            return world.scalar("SELECT attempts FROM notifications_outboxevent WHERE id = %s", [event_id])

        def blocked_at(n: int) -> bool:
            return attempts_now() >= n and world.scalar(WAITING_FANOUT) >= 1

        wait_until(lambda: blocked_at(1), timeout=20, what="the fan-out to start and block")

        # 1. The pool process dies; the main process requeues the message.
        for pid in worker.pool_pids():
            kill9(pid)
        began = time.monotonic()
        wait_until(lambda: blocked_at(2), timeout=30, what="redelivery after the pool process died")
        child_redelivery = time.monotonic() - began

        # 2. The whole worker dies; a new one gets the unacknowledged message after the visibility timeout.
        killed = worker.kill9_all()
        wait_until(lambda: not any(alive(pid) for pid in killed), timeout=10, what="the worker to die")
        wait_until(lambda: world.scalar(WAITING_FANOUT) == 0, timeout=10, what="the dead worker's backend to go")
        before_restart = attempts_now()
        worker.start()
        began = time.monotonic()
        wait_until(lambda: blocked_at(before_restart + 1), timeout=40, what="redelivery to the new worker")
        worker_redelivery = time.monotonic() - began
    finally:
        blocker.rollback()  # release the emails table
        blocker.close()

    wait_until(
        lambda: (
            world.scalar("SELECT count(*) FROM notifications_outboxevent WHERE processed_at IS NULL") == 0
            and world.scalar("SELECT count(*) FROM notifications_sentnotification WHERE status <> 'sent'") == 0
        ),
        timeout=30,
        what="the fan-out and the sends to finish",
    )
    rows = world.sql("SELECT id, recipient, status FROM notifications_sentnotification WHERE event_id = %s", [event_id])
    delivered = mail_counts(world.workdir / "mail")
    runs = attempts_now()
    with capsys.disabled():
        report(
            f"celery kill -9: pool process killed -> redelivered in {child_redelivery:.1f} s; whole worker killed "
            f"-> redelivered to a new worker in {worker_redelivery:.1f} s (visibility timeout {VISIBILITY_TIMEOUT} s); "
            f"the task ran {runs} times"
        )
        report(
            f"celery kill -9: email records={len(rows)} (expected 2) sent={sum(1 for r in rows if r[2] == 'sent')} "
            f"delivered to the mail backend={sum(delivered.values())} "
            f"duplicates={sum(n - 1 for n in delivered.values())}"
        )
    assert runs >= 3
    assert len(rows) == 2
    assert {r[2] for r in rows} == {"sent"}
    assert len({r[1] for r in rows}) == 2
    assert sorted(delivered) == sorted(str(r[0]) for r in rows)
    assert set(delivered.values()) == {1}
