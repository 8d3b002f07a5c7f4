"""Rate limits counted in one Redis round trip.

DRF's ``SimpleRateThrottle`` keeps a list of timestamps per client in the cache: a read and
a write per throttle, so the two default throttles cost four Redis round trips on every
request (on a cached availability read, more than the answer itself). These throttles keep
DRF's scopes, rate strings (``"120/min"``), client identity and ``Retry-After``, and count
with a sliding-window counter instead: one counter per client and fixed window, and the
estimate ``previous window * the share of it still inside the sliding window + current
window``. ``INCR``, ``EXPIRE`` and the ``GET`` of the previous window go in one pipeline; a
refused request is taken back out (only allowed requests count, as in DRF).

Redis is an optimisation, not a dependency (DESIGN.md, Safety): when it cannot be reached,
requests are allowed and a warning is logged.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.cache import cache
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

logger = logging.getLogger("allot.throttling")


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """A ``SimpleRateThrottle`` (same rates, scopes and keys) counted in one round trip."""

    num_requests: int  # set by SimpleRateThrottle.__init__ from the rate
    duration: int
    _retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = self.duration
        now = self.timer()
        index = int(now // window)
        current, previous = cache.make_key(f"{key}:{index}"), cache.make_key(f"{key}:{index - 1}")
        try:
            client = get_redis_connection("default")
            pipe = client.pipeline(transaction=False)
            pipe.incr(current)
            pipe.expire(current, 2 * window + 1)
            pipe.get(previous)
            counted, _, before = pipe.execute()
        except RedisError:
            logger.warning("rate limit %s not checked: Redis unavailable", self.scope, exc_info=True)
            return True
        elapsed = now - index * window
        earlier = int(before or 0)
        if earlier * (1 - elapsed / window) + counted <= self.num_requests:
            return True
        try:
            client.decr(current)  # a refused request does not use up the budget
        except RedisError:
            logger.warning("rate limit %s: could not take back a refused request", self.scope, exc_info=True)
        self._retry_after = self._time_until_allowed(earlier, counted - 1, elapsed)
        return False

    def _time_until_allowed(self, earlier: int, current: int, elapsed: float) -> float:
        """Seconds until one more request fits, if no other arrives meanwhile."""
        window, room = self.duration, self.num_requests - 1
        if current <= room:  # the previous window has to slide out far enough
            if earlier == 0:
                return 1.0
            return max(window * (1 - (room - current) / earlier) - elapsed, 1.0)
        # This window is full on its own: wait for it to become the previous one and fade.
        return (window - elapsed) + window * (1 - room / current)

    def wait(self) -> float | None:
        return math.ceil(self._retry_after) if self._retry_after is not None else None


class AnonRateThrottle(WindowRateThrottle, throttling.AnonRateThrottle):
    """DRF's ``anon`` scope (anonymous clients by IP), in one round trip."""


class UserRateThrottle(WindowRateThrottle, throttling.UserRateThrottle):
    """DRF's ``user`` scope (signed-in users by id, anonymous ones by IP), in one round trip."""
