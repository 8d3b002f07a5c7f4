"""Price of a booking from the resource's fixed price: computed once and snapshotted."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bookings.domain.periods import Period

CENT = Decimal("0.01")


class PriceUnit(StrEnum):
    BOOKING = "booking"
    HOUR = "hour"
    NIGHT = "night"
    SLOT = "slot"


def booking_price(
    *,
    amount: Decimal,
    unit: str,
    period: Period,
    quantity: int,
    nights: int = 0,
    slot_minutes: int | None = None,
) -> Decimal:
    """Total for ``quantity`` units over ``period``; hours are pro rata to the minute."""
    price_unit = PriceUnit(unit)
    if price_unit is PriceUnit.BOOKING:
        multiplier = Decimal(1)
    elif price_unit is PriceUnit.HOUR:
        multiplier = Decimal(period.duration // timedelta(minutes=1)) / Decimal(60)
    elif price_unit is PriceUnit.NIGHT:
        multiplier = Decimal(max(nights, 1))
    else:
        slot = timedelta(minutes=slot_minutes or 0)
        multiplier = Decimal(max(1, period.duration // slot)) if slot else Decimal(1)
    return (amount * multiplier * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
