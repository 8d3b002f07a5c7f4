"""The connection pool hands out live connections only (fast, runs in the default suite).

After a PostgreSQL restart or failover every idle pooled connection is dead. Without the
pool's ``check`` the next request of each web worker picked one up and failed with a 503
even though the database was back (seen in test_postgres_restart: 8 of the first 12
requests after an idle restart). Here the same happens without restarting anything: the
test's own backends are terminated, as a restart would. psycopg's stock check was not
enough: with several dead connections in the pool its backoff between them outlasted the
pool timeout (a 503 after 5 s); common/db.py sweeps the pool at the first dead one.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_other_backends() -> int:
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


def test_a_request_after_the_pooled_connections_died_gets_a_live_one(client):
    pool = connection.pool
    assert pool is not None, "the settings configure psycopg's pool"
    assert client.get("/readyz").status_code == 200
    connection.close()  # back to the pool, as at the end of every request
    # A pool that grew under load holds several idle connections (threads, Celery, a busy worker).
    held = [pool.getconn() for _ in range(6)]
    for conn in held:
        pool.putconn(conn)

    assert _terminate_other_backends() >= 6

    began = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    # One check backoff (about a second), not one per dead connection.
    assert time.monotonic() - began < 3
