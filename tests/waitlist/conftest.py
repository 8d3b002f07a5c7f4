from __future__ import annotations

import pytest

from waitlist import services


@pytest.fixture(autouse=True)
def offers_requested(monkeypatch) -> list[str]:
    """The resource ids ``on_booking_event`` asked a worker to run an offer round for.

    Only the broker publish is replaced (tests play the worker by calling
    ``waitlist_offer_freed`` themselves); everything in the database is real."""
    requested: list[str] = []
    monkeypatch.setattr(services, "enqueue", lambda task, resource_id: requested.append(resource_id) or True)
    return requested
