"""Booking domain errors with their stable codes (API.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bookings.domain.availability import Reason
from common.errors import Conflict, InvalidInput


def reasons_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    out = []
    for reason in reasons:
        item: dict[str, Any] = {"code": reason.code, "detail": reason.detail}
        if reason.start is not None:
            item["start"] = reason.start.isoformat().replace("+00:00", "Z")
        if reason.end is not None:
            item["end"] = reason.end.isoformat().replace("+00:00", "Z")
        out.append(item)
    return out


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "Not bookable"

    def __init__(self, detail: str, *, reasons: Iterable[Reason] = (), retry_after: int | None = None) -> None:
        super().__init__(detail, extra={"reasons": reasons_json(reasons)}, retry_after=retry_after)


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "The requested period does not fit the resource"

    def __init__(self, detail: str, *, reasons: Iterable[Reason] = ()) -> None:
        super().__init__(detail, extra={"reasons": reasons_json(reasons)})


class BookingChanged(Conflict):
    code = "booking_changed"
    title = "The booking changed concurrently"


class HoldExpired(Conflict):
    code = "hold_expired"
    title = "Hold expired"


class CancelCutoffPassed(Conflict):
    code = "cancel_cutoff_passed"
    title = "Too late to change this booking"


class TooManyHolds(Conflict):
    code = "too_many_holds"
    title = "Too many open holds"


class NotStartedYet(Conflict):
    code = "not_started"
    title = "The booking has not started yet"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    status = 422
    title = "Idempotency key reused with another request"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "A request with this idempotency key is in progress"
