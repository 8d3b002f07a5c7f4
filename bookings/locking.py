"""Row locks for the booking engine: inside a transaction only, bounded waits, fixed order.

Writers of one resource queue on its row (``SELECT … FOR UPDATE``) so "is there room,
then insert" runs as one step per resource; the exclusion constraint stays the
guarantee underneath. Waits are bounded with ``SET LOCAL lock_timeout`` so a hot
resource answers 409 + Retry-After instead of piling up workers.
Lock order, always: customer (advisory) → resource row → booking row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import OperationalError, connection

from bookings.errors import SlotUnavailable
from common.errors import NotFound
from resources.models import Resource

LOCK_NOT_AVAILABLE = "55P03"


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Locks are only taken inside transaction.atomic().")


def _set_lock_timeout() -> None:
    timeout_ms = int(getattr(settings, "ALLOT_LOCK_TIMEOUT_MS", 3000))
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")


def is_lock_timeout(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def lock_resource(resource_id: uuid.UUID) -> Resource:
    """Lock one resource row (not its vendor) and return it with its vendor loaded."""
    _require_transaction()
    _set_lock_timeout()
    try:
        locked = Resource.objects.select_for_update(of=("self",)).select_related("vendor")
        # order_by("pk"): .first() would otherwise sort by Meta.ordering (vendor name, name).
        resource = locked.filter(pk=resource_id).order_by("pk").first()
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise SlotUnavailable("The resource is busy; try again.", retry_after=1) from exc
        raise
    if resource is None:
        raise NotFound("No such resource.")
    return resource


def lock_customer(customer_id: uuid.UUID) -> None:
    """Serialise one customer's creates so the active-hold cap cannot be raced past."""
    _require_transaction()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", [f"customer:{customer_id}"])


def try_lock_key(name: str) -> bool:
    """A non-blocking transaction-scoped advisory lock (idempotency keys in flight)."""
    _require_transaction()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 2))", [name])
        (acquired,) = cursor.fetchone()
    return bool(acquired)
