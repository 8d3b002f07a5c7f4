"""Availability answers cached in Redis, invalidated by a per-resource version number.

Keys are ``(resource id, version, kind, window, quantity, now bucket[, customer hash])``.
``bump_availability_version`` moves a resource to a new version after the surrounding
transaction commits, so entries computed before the change are never read again; a short
TTL only cleans them up. Redis is an optimisation here, never a source of truth: when it
is down (CACHES has IGNORE_EXCEPTIONS) every read is a miss and PostgreSQL answers, and
the booking engine never reads this cache (it calls the selectors under its row lock).

Why the version is read *before* the database: an entry stored under version v was
computed from data read after v was current. A change commits and then bumps, so the
only stale window is between a commit and its bump (microseconds); a stale entry can
show a slot as free, never cause a double booking.

``now`` moves, and notice/horizon depend on it. Each entry is computed for the *end* of
the current minute (the bucket, part of the key): booking starts are whole minutes and
notice is whole minutes, so "start >= now + notice" holds for exactly the same starts at
any instant of that minute, and nothing too soon is ever shown. The horizon is trimmed
after the cache with the bucket's start, so nothing beyond it is shown either (at most
one minute of options at the far edge is hidden). Within a minute the answer is shared.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.cache import cache

from bookings.domain.availability import Option, Reason
from bookings.domain.periods import Period
from common.transactions import on_commit_robust
from resources.models import Resource
from resources.selectors import policy_for, resource_availability, resource_explain

logger = logging.getLogger("allot.resources.cache")

AVAILABILITY_TTL_SECONDS = 60
_VERSION_KEY = "availability:version:{resource_id}"
T = TypeVar("T")


# --- versions ---------------------------------------------------------------------------


def _version_key(resource_id: uuid.UUID | str) -> str:
    return _VERSION_KEY.format(resource_id=resource_id)


def _fresh_version() -> int:
    # Time-based so that a version key lost to eviction never restarts at a number whose
    # entries may still be cached.
    return time.time_ns()


def availability_version(resource_id: uuid.UUID | str) -> int | None:
    """The resource's current cache version; ``None`` when the cache is unavailable."""
    key = _version_key(resource_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, _fresh_version(), timeout=None)
        version = cache.get(key)
    return version if isinstance(version, int) else None


def bump_availability_version(resource_id: uuid.UUID | str) -> None:
    """Invalidate every cached availability answer of a resource once the current
    transaction commits (immediately when there is none). Call it from every change that
    affects availability: policy, hours, exceptions, activation, booking state."""
    on_commit_robust(_bump_now, str(resource_id))


def _bump_now(resource_id: str) -> None:
    key = _version_key(resource_id)
    try:
        cache.incr(key)
    except ValueError:  # never read yet (or evicted): any fresh value invalidates
        cache.set(key, _fresh_version(), timeout=None)


def forget_availability_versions(resource_ids: Iterable[uuid.UUID | str]) -> None:
    """Invalidate many resources at once (a vendor's status change) after commit: their
    version keys are deleted in one round trip, so the next read starts a fresh, time-based
    version that no cached entry carries."""
    keys = [_version_key(resource_id) for resource_id in resource_ids]
    if keys:
        on_commit_robust(cache.delete_many, keys)


# --- entries ----------------------------------------------------------------------------


def _cached(resource_id: uuid.UUID, parts: tuple[object, ...], compute: Callable[[], T]) -> T:
    version = availability_version(resource_id)
    if version is None:
        return compute()
    key = ":".join(["availability", str(resource_id), str(version), *(str(part) for part in parts)])
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, AVAILABILITY_TTL_SECONDS)
    return value


def minute_bucket(now: datetime) -> datetime:
    """The end of the minute ``now`` is in (``now`` itself when it is a whole minute)."""
    floor = now.replace(second=0, microsecond=0)
    return floor if floor == now else floor + timedelta(minutes=1)


def _window_parts(window: Period) -> tuple[str, str]:
    return window.start.isoformat(), window.end.isoformat()


def customer_hash(customer_id: uuid.UUID | None) -> str:
    if customer_id is None:
        return "anon"
    return hashlib.sha256(str(customer_id).encode()).hexdigest()[:16]


def cached_availability(*, resource: Resource, window: Period, quantity: int, now: datetime) -> list[Option]:
    """``resources.selectors.resource_availability`` through the cache (see module docstring).
    Options do not depend on who asks, so the key has no customer part."""
    bucket = minute_bucket(now)

    def compute() -> list[tuple[Any, ...]]:
        options = resource_availability(resource=resource, window=window, quantity=quantity, now=bucket)
        return [(option.start, option.end, option.available) for option in options]

    rows = _cached(resource.pk, ("options", *_window_parts(window), quantity, int(bucket.timestamp())), compute)
    latest = policy_for(resource).latest_start(bucket - timedelta(minutes=1))
    return [Option(start, end, available) for start, end, available in rows if latest is None or start <= latest]


def cached_explain(
    *, resource: Resource, requested: Period, quantity: int, now: datetime, customer_id: uuid.UUID | None = None
) -> list[Reason]:
    """``resources.selectors.resource_explain`` through the cache, keyed per customer
    (their own holds are not ``held``). For the API only: the booking engine decides on
    fresh data under its lock."""
    bucket = minute_bucket(now)

    def compute() -> list[tuple[Any, ...]]:
        reasons = resource_explain(
            resource=resource, requested=requested, quantity=quantity, now=bucket, customer_id=customer_id
        )
        return [(reason.code, reason.detail, reason.start, reason.end) for reason in reasons]

    parts = ("explain", *_window_parts(requested), quantity, int(bucket.timestamp()), customer_hash(customer_id))
    return [Reason(code, detail, start, end) for code, detail, start, end in _cached(resource.pk, parts, compute)]


# --- whole public answers ------------------------------------------------------------------
# A warm read should not pay for the resource lookup, validation and rendering again. The
# rendered JSON of a *public* resource's availability (active, of an active vendor: what
# anyone may see) is kept under the resource's version, the raw query and the minute
# bucket. Every change that can hide a resource moves its version (deactivation and
# policy changes bump it; a vendor's status change forgets the versions of all its
# resources), so a hit needs no database: the answer was public, and is still current.


def public_availability_key(resource_id: uuid.UUID | str, params: Mapping[str, str], now: datetime) -> str | None:
    """Where the rendered public answer for this query lives; ``None`` without Redis."""
    version = availability_version(resource_id)
    if version is None:
        return None
    query = "\x1f".join(params.get(name, "") for name in ("start", "end", "quantity"))
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"availability:{resource_id}:{version}:public:{digest}:{int(minute_bucket(now).timestamp())}"


def public_availability_body(key: str) -> bytes | None:
    body = cache.get(key)
    return body if isinstance(body, bytes) else None


def store_public_availability_body(key: str, body: bytes) -> None:
    cache.set(key, body, AVAILABILITY_TTL_SECONDS)
