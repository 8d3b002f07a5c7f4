"""The dispute lifecycle and refund rules, in plain Python (no Django imports).

``open → under_review → resolved | rejected``. Services look the next status up here and
write it with a compare-and-set ``UPDATE … WHERE status = <current>``: the table decides
what is legal, the conditional update decides who wins a race.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from common.errors import Conflict, InvalidInput


class DisputeStatus(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class DisputeAction(StrEnum):
    START_REVIEW = "start_review"
    RESOLVE = "resolve"
    REJECT = "reject"


class DisputeOutcome(StrEnum):
    REFUND_FULL = "refund_full"
    REFUND_PARTIAL = "refund_partial"
    NO_REFUND = "no_refund"


_S, _A = DisputeStatus, DisputeAction

TRANSITIONS: Mapping[tuple[DisputeStatus, DisputeAction], DisputeStatus] = MappingProxyType(
    {
        (_S.OPEN, _A.START_REVIEW): _S.UNDER_REVIEW,
        (_S.UNDER_REVIEW, _A.RESOLVE): _S.RESOLVED,
        (_S.UNDER_REVIEW, _A.REJECT): _S.REJECTED,
    }
)

CLOSED_STATUSES: frozenset[DisputeStatus] = frozenset({_S.RESOLVED, _S.REJECTED})


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Invalid transition"


def next_status(current: DisputeStatus, action: DisputeAction) -> DisputeStatus:
    """The status ``action`` leads to from ``current``; ``InvalidTransition`` (409) if not allowed."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(
            f"Cannot {action.replace('_', ' ')} a dispute that is {current.replace('_', ' ')}.",
            extra={"current_status": str(current), "action": str(action)},
        ) from None


def _refund_error(message: str) -> InvalidInput:
    return InvalidInput(message, code="validation_error", extra={"errors": {"refund_amount": [message]}})


def refund_for(*, outcome: DisputeOutcome, requested: Decimal | None, price: Decimal) -> Decimal:
    """The refund an outcome records, checked against the booking's price snapshot.

    ``refund_full`` is the whole price, ``no_refund`` is zero (an amount given with either
    must agree), ``refund_partial`` needs an amount above zero and not above the price.
    """
    if requested is not None and requested < 0:
        raise _refund_error("The refund cannot be negative.")
    if requested is not None and requested > price:
        raise _refund_error(f"The refund cannot exceed the booking's price ({price:.2f}).")
    if outcome is DisputeOutcome.REFUND_FULL:
        if requested is not None and requested != price:
            raise _refund_error(f"A full refund is the booking's price ({price:.2f}); leave the amount out.")
        return price
    if outcome is DisputeOutcome.NO_REFUND:
        if requested:
            raise _refund_error("No refund means an amount of 0; leave the amount out.")
        return Decimal("0.00")
    if requested is None or requested <= 0:
        raise _refund_error("A partial refund needs an amount above 0.")
    return requested
