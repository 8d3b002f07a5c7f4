"""Fixtures for the vendor tests."""

from __future__ import annotations

import pytest

from notifications.models import OutboxEvent
from tests.factories.accounts import UserFactory


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com")


@pytest.fixture
def outbox_events():
    """``outbox_events(vendor)``: the outbox rows written for ``vendor``, oldest first."""

    def rows(vendor) -> list[OutboxEvent]:
        return list(OutboxEvent.objects.filter(vendor_id=vendor.pk).order_by("created_at", "id"))

    return rows
