"""Reads for the booking engine and availability, returned as domain values."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db.models import QuerySet
from psycopg.types.range import Range

from bookings.domain.occupancy import BusyAllocation
from bookings.domain.periods import Period
from bookings.models import Allocation, BookingStatus

# Widest buffer any resource may declare (resources validate against it). A window is
# widened by this much so allocations that only touch it through buffers are seen.
MAX_BUFFER = timedelta(days=1)


def _active_allocations(*, resource_id: uuid.UUID, window: Period) -> QuerySet[Allocation]:
    around = Range(window.start - MAX_BUFFER, window.end + MAX_BUFFER, "[)")
    # Uses the GiST index behind the exclusion constraint (resource_id, unit, blocked).
    return Allocation.objects.filter(resource_id=resource_id, is_active=True, blocked__overlap=around)


def busy_allocations(
    *,
    resource_id: uuid.UUID,
    window: Period,
    customer_id: uuid.UUID | None = None,
    exclude_booking_id: uuid.UUID | None = None,
) -> list[BusyAllocation]:
    """Active allocations of a resource near ``window``: what availability subtracts.

    ``exclude_booking_id`` leaves out one booking (a reschedule may overlap its own old period).
    """
    allocations = _active_allocations(resource_id=resource_id, window=window)
    if exclude_booking_id is not None:
        allocations = allocations.exclude(booking_id=exclude_booking_id)
    rows = allocations.values_list(
        "unit", "blocked", "booking__start", "booking__end", "booking__status", "booking__customer_id"
    )
    return [
        BusyAllocation(
            period=Period(start, end),
            blocked=Period(blocked.lower, blocked.upper),
            unit=unit,
            is_hold=status == BookingStatus.HELD,
            is_own=customer_id is not None and booking_customer_id == customer_id,
        )
        for unit, blocked, start, end, status, booking_customer_id in rows
    ]
