"""Short Redis locks for periodic sweeps (DESIGN.md, Safety 7).

The lock only saves work: two beats or workers do not run the same sweep at once. It is
never what makes a sweep correct (every sweep claims rows with ``SKIP LOCKED`` or a
compare-and-set), so when Redis is down the sweep is skipped, not run unlocked, and a
lock that expires under a paused holder merely lets a second sweep overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import LockError, RedisError

logger = logging.getLogger("allot.locks")


def _key(name: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:periodic-lock:{name}"


@contextmanager
def periodic_lock(name: str, *, timeout_seconds: int) -> Iterator[bool]:
    """Yield True if this process holds the lock ``name`` (auto-expiring), False to skip the sweep."""
    try:
        lock = get_redis_connection("default").lock(_key(name), timeout=timeout_seconds, blocking=False)
        acquired = bool(lock.acquire(blocking=False))
    except RedisError as exc:
        logger.warning("redis unavailable, skipping %s: %r", name, exc)
        yield False
        return
    if not acquired:
        logger.info("%s already running elsewhere, skipping", name)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except (LockError, RedisError):
                # Expired under us (a slow sweep) or Redis went away: the TTL cleans up.
                logger.info("lock %s expired before release", name)
