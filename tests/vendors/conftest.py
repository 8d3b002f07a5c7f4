"""Fixtures for the vendor tests: people in every role, and a spy on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from notifications import outbox
from tests.factories.accounts import UserFactory


@dataclass
class Emitted:
    event_type: str
    vendor_id: Any
    data: dict[str, Any]
    in_transaction: bool


@pytest.fixture(autouse=True)
def emitted(monkeypatch) -> list[Emitted]:
    """Every ``outbox.emit`` call, and whether it happened inside a transaction.

    The outbox belongs to the notifications capability (being built in parallel; it was a
    no-op placeholder when these tests were written). Vendor tests check the vendor side
    of the contract: the right event, with a snapshot, inside the service's transaction.
    """
    calls: list[Emitted] = []

    def spy(*, event_type, vendor_id, data, booking_id=None):
        calls.append(Emitted(event_type, vendor_id, data, connection.in_atomic_block))

    monkeypatch.setattr(outbox, "emit", spy)
    return calls


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com")
