"""The HTTP side of Idempotency-Key: one helper for every creating POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from bookings.idempotency import run_idempotent


def idempotent_response(request: Request, *, scope: str, run: Callable[[], tuple[int, Any]]) -> Response:
    """Run ``run`` once per (user, scope, ``Idempotency-Key``); replays say so in a header."""
    outcome = run_idempotent(
        user=request.user,  # type: ignore[arg-type]
        scope=scope,
        key=request.headers.get("Idempotency-Key"),
        payload=request.data,
        run=run,
    )
    response = Response(outcome.body, status=outcome.status)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
