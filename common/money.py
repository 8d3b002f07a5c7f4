"""Money as the API shows it: ``{"amount": "120.00", "currency": "EUR"}`` (API.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict


class Money(TypedDict):
    amount: str
    currency: str


def money(amount: Decimal | str, currency: str) -> Money:
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency}
