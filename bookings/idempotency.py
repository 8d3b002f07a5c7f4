"""Idempotency-Key support: the first response is stored with its effect, in one transaction.

A retry with the same key and body replays the stored response; the same key with
another body is 422; a duplicate that arrives while the first is still running finds
the key's advisory lock taken and gets 409 (it must not run the effect a second time,
and must not wait for a request that may take long).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from bookings.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from bookings.locking import try_lock_key
from bookings.models import IdempotencyRecord
from common.errors import InvalidInput

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool = False


def request_fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.strip():
        raise InvalidInput(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.",
            code="validation_error",
            extra={"errors": {"Idempotency-Key": ["invalid"]}},
        )


def run_idempotent(
    *, user: User, scope: str, key: str | None, payload: Any, run: Callable[[], tuple[int, Any]]
) -> Outcome:
    """Run ``run`` once per (user, scope, key); ``run`` returns (status, body) and may raise."""
    if not key:
        status, body = run()
        return Outcome(status, body)
    _check_key(key)
    fingerprint = request_fingerprint(payload)
    with transaction.atomic():
        if not try_lock_key(f"idem:{user.pk}:{scope}:{key}"):
            raise IdempotencyKeyInUse("A request with this Idempotency-Key is still being processed.")
        record = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if record is not None:
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused("This Idempotency-Key was used with a different request body.")
            return Outcome(record.response_status, record.response_body, replayed=True)
        status, body = run()  # the service's own atomic() nests as a savepoint
        IdempotencyRecord.objects.create(
            user=user, scope=scope, key=key, fingerprint=fingerprint, response_status=status, response_body=body
        )
    return Outcome(status, body)
