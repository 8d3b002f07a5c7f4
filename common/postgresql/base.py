"""ENGINE ``common.postgresql``: django-prometheus's PostgreSQL backend (query metrics) whose
psycopg pool checks connections with ``common.db.check_pooled_connection``.

Django builds the pool itself and passes ``check=`` from ``CONN_HEALTH_CHECKS`` (psycopg's
stock check), so the pool option cannot name another one; the pool is created once per
process and its check swapped here.
"""

from __future__ import annotations

from typing import Any

from django_prometheus.db.backends.postgresql import base

from common.db import check_pooled_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is not None and getattr(pool, "_check", None) is not check_pooled_connection:
            pool._check = check_pooled_connection  # read by ConnectionPool.getconn on every checkout
        return pool
