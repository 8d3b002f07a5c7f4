"""Connection-pool health: hand out live connections only, and recover from a restart at once.

After a PostgreSQL restart or failover every idle connection in a process's pool is dead.
Without a check, each of them failed one request with a 503 although the database was back
(seen in tests/faults/test_postgres_restart.py: 8 of the first 12 requests after an idle
restart). psycopg's own ``ConnectionPool.check_connection`` tests the connection handed
out, but the pool waits a growing backoff (1 s, 2 s, 4 s…) before trying the next one, so a
pool holding several dead connections timed out (``PoolTimeout`` after 5 s, a 503) before
reaching a live one. This check, on the first dead connection, sweeps the whole pool
(``pool.check()`` discards every dead connection and opens replacements in the background),
so the retry one backoff later gets a fresh connection: about a second, once per process.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: Any) -> None:
    """``check`` for psycopg's ConnectionPool (settings: DATABASES OPTIONS pool)."""
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)  # psycopg sets it while the connection is handed out
        if isinstance(pool, ConnectionPool):
            pool.check()
        raise
