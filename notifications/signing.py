"""Webhook signatures (API.md, Webhooks): HMAC-SHA256 with the endpoint secret over
``"<timestamp>.<raw body>"``, sent as ``X-Allot-Signature: sha256=<hex>`` next to
``X-Allot-Timestamp: <unix seconds>``. Receivers reject timestamps older than 5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

TIMESTAMP_HEADER = "X-Allot-Timestamp"
SIGNATURE_HEADER = "X-Allot-Signature"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(*, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
    }


def verify(*, secret: str, timestamp_header: str, signature_header: str, body: bytes, now: float) -> bool:
    """What a receiver does (for docs and the admin; tests use their own implementation)."""
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=timestamp, body=body), signature_header)
