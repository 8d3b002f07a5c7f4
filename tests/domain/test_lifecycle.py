"""The lifecycle table, checked pair by pair over every (status, action) combination."""

from __future__ import annotations

import itertools

import pytest

from bookings.domain.lifecycle import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    BookingAction,
    BookingStatus,
    InvalidTransition,
    allowed_actions,
    next_status,
)
from common.errors import Conflict

S, A = BookingStatus, BookingAction

# The lifecycle as written in DESIGN.md; the code's table must be exactly this.
EXPECTED = {
    (S.HELD, A.CONFIRM): S.CONFIRMED,
    (S.HELD, A.CONFIRM_PENDING): S.PENDING,
    (S.HELD, A.EXPIRE): S.EXPIRED,
    (S.HELD, A.CANCEL): S.CANCELLED,
    (S.PENDING, A.APPROVE): S.CONFIRMED,
    (S.PENDING, A.REJECT): S.REJECTED,
    (S.PENDING, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.COMPLETE): S.COMPLETED,
    (S.CONFIRMED, A.NO_SHOW): S.NO_SHOW,
    (S.CONFIRMED, A.RESCHEDULE): S.CONFIRMED,
}
ALL_PAIRS = list(itertools.product(BookingStatus, BookingAction))


def test_the_table_is_exactly_the_documented_lifecycle() -> None:
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_status_action_pair(status: BookingStatus, action: BookingAction) -> None:
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
        assert action in allowed_actions(status)
    else:
        with pytest.raises(InvalidTransition) as raised:
            next_status(status, action)
        assert raised.value.detail == f"cannot {action.value} a {status.value} booking"
        assert action not in allowed_actions(status)


def test_invalid_transition_is_a_409_conflict_with_a_stable_code() -> None:
    with pytest.raises(InvalidTransition) as raised:
        next_status(S.CANCELLED, A.CONFIRM)
    assert isinstance(raised.value, Conflict)
    assert raised.value.code == "invalid_transition"
    assert raised.value.status == 409


@pytest.mark.parametrize("status", [S.EXPIRED, S.CANCELLED, S.REJECTED, S.COMPLETED, S.NO_SHOW])
def test_terminal_statuses_have_no_transitions(status: BookingStatus) -> None:
    assert status in TERMINAL_STATUSES
    assert allowed_actions(status) == frozenset()


def test_only_held_pending_and_confirmed_occupy_units() -> None:
    assert frozenset({S.HELD, S.PENDING, S.CONFIRMED}) == ACTIVE_STATUSES
    assert ACTIVE_STATUSES.isdisjoint(TERMINAL_STATUSES)


def test_plain_strings_from_the_database_work_too() -> None:
    assert next_status(S("held"), A("confirm")) == "confirmed"


def test_the_table_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.EXPIRED, A.CONFIRM)] = S.CONFIRMED  # type: ignore[index]
