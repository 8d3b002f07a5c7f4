"""Disputes built the way production builds them: a confirmed booking from the engine, then the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_create
from disputes import services
from disputes.models import Dispute
from resources.models import Resource
from tests.factories.accounts import UserFactory
from tests.factories.bookings import local_at, make_resource

_slot = iter(range(10**9))


def confirmed_booking(
    *,
    customer: User | None = None,
    resource: Resource | None = None,
    price: Decimal = Decimal("80.00"),
    currency: str = "EUR",
    **policy: Any,
) -> Booking:
    """A confirmed 30-minute booking two days ahead, made by ``booking_create``.

    A given ``resource`` gets a fresh slot per call, so several bookings never collide.
    """
    resource = resource or make_resource("slots", price_amount=price, currency=currency, **policy)
    n = next(_slot)
    start = local_at(2 + n // 40, 1) + timedelta(minutes=30 * (n % 40))
    return booking_create(
        customer=customer or UserFactory(),
        resource_id=resource.pk,
        start=start,
        end=start + timedelta(minutes=30),
        confirm=True,
    )


def open_dispute(
    booking: Booking,
    *,
    by: User | None = None,
    reason: str = "not_provided",
    description: str = "The room was not available when I arrived.",
) -> Dispute:
    return services.dispute_open(
        booking_id=booking.pk, actor=by or booking.customer, reason=reason, description=description
    )


def dispute_under_review(booking: Booking, *, admin: User, by: User | None = None) -> Dispute:
    dispute = open_dispute(booking, by=by)
    return services.dispute_start_review(dispute_id=dispute.pk, actor=admin, note="Looking into it.")
