"""The booking lifecycle as a table: which action moves a booking from which status to which.

Services look the next status up here and then write it with a compare-and-set
``UPDATE ... WHERE status = <current>``; the table decides what is legal, the
conditional update decides who wins a race.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from common.errors import Conflict


class BookingStatus(StrEnum):
    HELD = "held"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class BookingAction(StrEnum):
    CONFIRM = "confirm"
    CONFIRM_PENDING = "confirm_pending"  # held -> pending when the vendor must approve
    EXPIRE = "expire"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    RESCHEDULE = "reschedule"


_S, _A = BookingStatus, BookingAction

TRANSITIONS: Mapping[tuple[BookingStatus, BookingAction], BookingStatus] = MappingProxyType(
    {
        (_S.HELD, _A.CONFIRM): _S.CONFIRMED,
        (_S.HELD, _A.CONFIRM_PENDING): _S.PENDING,
        (_S.HELD, _A.EXPIRE): _S.EXPIRED,
        (_S.HELD, _A.CANCEL): _S.CANCELLED,
        (_S.PENDING, _A.APPROVE): _S.CONFIRMED,
        (_S.PENDING, _A.REJECT): _S.REJECTED,
        (_S.PENDING, _A.CANCEL): _S.CANCELLED,
        (_S.CONFIRMED, _A.CANCEL): _S.CANCELLED,
        (_S.CONFIRMED, _A.COMPLETE): _S.COMPLETED,
        (_S.CONFIRMED, _A.NO_SHOW): _S.NO_SHOW,
        (_S.CONFIRMED, _A.RESCHEDULE): _S.CONFIRMED,
    }
)

# Bookings in these statuses occupy their units; every other status frees them.
ACTIVE_STATUSES: frozenset[BookingStatus] = frozenset({_S.HELD, _S.PENDING, _S.CONFIRMED})

TERMINAL_STATUSES: frozenset[BookingStatus] = frozenset(BookingStatus) - {status for status, _ in TRANSITIONS}


class InvalidTransition(Conflict):
    code = "invalid_transition"
    status = 409
    title = "Invalid transition"


def next_status(current: BookingStatus, action: BookingAction) -> BookingStatus:
    """The status ``action`` leads to from ``current``; ``InvalidTransition`` if it is not allowed."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(
            detail=f"cannot {action} a {current} booking",
            extra={"current_status": str(current), "action": str(action)},
        ) from None


def allowed_actions(current: BookingStatus) -> frozenset[BookingAction]:
    """The actions that are legal from ``current`` (empty for terminal statuses)."""
    return frozenset(action for status, action in TRANSITIONS if status == current)
