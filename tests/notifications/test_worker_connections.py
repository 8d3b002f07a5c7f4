"""Celery tasks reuse pooled PostgreSQL connections instead of opening one per task.

Celery's Django fixup closes every connection around each task and, in prefork workers with
Django's pool, the pool itself, so each task used to open a new PostgreSQL session (two per
task, measured with pg_stat_database.sessions). config/celery.py sets DB_REUSE_MAX and hands
connections back to the pool after each task instead.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery import app
from notifications.tasks import process_outbox_event

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _run_task_hooks(fixup: DjangoWorkerFixup) -> None:
    """What a prefork worker runs around one task: the fixup's hooks and ours."""
    for signal, hook in ((signals.task_prerun, fixup.on_task_prerun), (signals.task_postrun, fixup.on_task_postrun)):
        hook(sender=process_outbox_event)
        signal.send(sender=process_outbox_event, task_id="t", task=process_outbox_event, args=(), kwargs={})


def test_consecutive_tasks_get_the_same_pooled_session_back():
    if connection.pool is None:
        pytest.skip("the connection pool is off in these settings")
    fixup = DjangoWorkerFixup(app)
    fixup.worker = SimpleNamespace(pool_cls="celery.concurrency.prefork:TaskPool")
    assert fixup.db_reuse_max >= 100
    sessions = set()
    for _ in range(20):
        _run_task_hooks(fixup)
        sessions.add(_backend_pid())
        _run_task_hooks(fixup)
        assert connection.connection is None  # handed back to the pool between tasks
    # The pool rotates through the few connections it holds; closing it opened one per task.
    assert len(sessions) <= 3
