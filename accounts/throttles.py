"""Login throttles: per client IP, and per account for failed attempts."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    """Every attempt on the auth endpoints counts against the caller's IP."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedLoginThrottle(SimpleRateThrottle):
    """Failed logins per account (password guessing spread over many IPs).

    Only failures are recorded, so a user who types the right password is never
    locked out by their own successful logins.
    """

    scope = "login_account"
    num_requests: int
    duration: int

    def get_cache_key(self, request: Request, view: Any) -> str | None:  # pragma: no cover - unused
        return None

    def _key(self, email: str) -> str:
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}

    def check(self, email: str) -> None:
        """Raise 429 when this account has too many recent failures."""
        history = [t for t in cache.get(self._key(email), []) if t > time.time() - self.duration]
        if len(history) >= self.num_requests:
            wait = self.duration - (time.time() - history[-1]) if history else self.duration
            raise Throttled(wait=max(1, int(wait) + 1), detail="Too many failed logins for this account.")

    def record_failure(self, email: str) -> None:
        key = self._key(email)
        now = time.time()
        history = [t for t in cache.get(key, []) if t > now - self.duration]
        history.insert(0, now)
        cache.set(key, history[: self.num_requests + 1], int(self.duration))
