"""The dispute lifecycle table and the refund rules, pair by pair (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.errors import InvalidInput
from disputes.lifecycle import (
    TRANSITIONS,
    DisputeAction,
    DisputeOutcome,
    DisputeStatus,
    InvalidTransition,
    next_status,
    refund_for,
)

LEGAL = {
    (DisputeStatus.OPEN, DisputeAction.START_REVIEW): DisputeStatus.UNDER_REVIEW,
    (DisputeStatus.UNDER_REVIEW, DisputeAction.RESOLVE): DisputeStatus.RESOLVED,
    (DisputeStatus.UNDER_REVIEW, DisputeAction.REJECT): DisputeStatus.REJECTED,
}


def test_the_table_is_exactly_open_then_review_then_a_decision():
    assert dict(TRANSITIONS) == LEGAL


@pytest.mark.parametrize("status", list(DisputeStatus))
@pytest.mark.parametrize("action", list(DisputeAction))
def test_every_pair_is_legal_or_an_invalid_transition(status, action):
    if (status, action) in LEGAL:
        assert next_status(status, action) is LEGAL[(status, action)]
        return
    with pytest.raises(InvalidTransition) as raised:
        next_status(status, action)
    assert raised.value.code == "invalid_transition"
    assert raised.value.status == 409
    assert raised.value.extra == {"current_status": str(status), "action": str(action)}


PRICE = Decimal("80.00")


@pytest.mark.parametrize(
    ("outcome", "requested", "expected"),
    [
        (DisputeOutcome.REFUND_FULL, None, PRICE),
        (DisputeOutcome.REFUND_FULL, Decimal("80"), PRICE),
        (DisputeOutcome.NO_REFUND, None, Decimal("0.00")),
        (DisputeOutcome.NO_REFUND, Decimal("0"), Decimal("0.00")),
        (DisputeOutcome.REFUND_PARTIAL, Decimal("0.01"), Decimal("0.01")),
        (DisputeOutcome.REFUND_PARTIAL, PRICE, PRICE),
    ],
)
def test_refunds_within_the_price(outcome, requested, expected):
    assert refund_for(outcome=outcome, requested=requested, price=PRICE) == expected


@pytest.mark.parametrize(
    ("outcome", "requested"),
    [
        (DisputeOutcome.REFUND_PARTIAL, None),
        (DisputeOutcome.REFUND_PARTIAL, Decimal("0")),
        (DisputeOutcome.REFUND_PARTIAL, Decimal("80.01")),
        (DisputeOutcome.REFUND_PARTIAL, Decimal("-1")),
        (DisputeOutcome.REFUND_FULL, Decimal("79.99")),
        (DisputeOutcome.REFUND_FULL, Decimal("80.01")),
        (DisputeOutcome.NO_REFUND, Decimal("0.01")),
    ],
)
def test_refunds_out_of_bounds_name_the_field(outcome, requested):
    with pytest.raises(InvalidInput) as raised:
        refund_for(outcome=outcome, requested=requested, price=PRICE)
    assert raised.value.code == "validation_error"
    assert list(raised.value.extra["errors"]) == ["refund_amount"]


def test_a_free_booking_can_only_be_settled_without_money():
    assert refund_for(outcome=DisputeOutcome.REFUND_FULL, requested=None, price=Decimal("0.00")) == 0
    with pytest.raises(InvalidInput):
        refund_for(outcome=DisputeOutcome.REFUND_PARTIAL, requested=Decimal("0.01"), price=Decimal("0.00"))
