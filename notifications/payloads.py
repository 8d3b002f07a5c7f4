"""The ``data`` contract of every outbox event, as types and as builders.

``data`` is what a webhook receiver gets and what emails are rendered from, so services
build it here rather than by hand. JSON only: ids are strings, instants are ISO 8601 UTC
strings ending in ``Z``, money is ``{"amount": "120.00", "currency": "EUR"}``. The full
table of event type → shape is in ``notifications/README.md``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from common.money import Money, money

if TYPE_CHECKING:  # no runtime import: bookings.services imports this module
    from bookings.models import Booking
    from vendors.models import Vendor


class Ref(TypedDict):
    id: str
    name: str


class ResourceRef(TypedDict):
    id: str
    name: str
    timezone: str


class Person(TypedDict):
    id: str
    email: str
    full_name: str


class PeriodRef(TypedDict):
    start: str
    end: str


# "from" is a keyword, hence the functional syntax.
BookingChange = TypedDict("BookingChange", {"from": PeriodRef, "to": PeriodRef})


class BookingData(TypedDict):
    """booking.* events (and the booking inside dispute.* and waitlist.offered)."""

    id: str
    status: str  # the status after the change
    resource: ResourceRef
    vendor: Ref
    customer: Person
    start: str
    end: str
    quantity: int
    price: Money
    hold_expires_at: str | None
    cancel_reason: str  # "" unless cancelled with a reason
    reason: NotRequired[str]  # why: given with reject / cancel / no-show / complete when there is one
    change: NotRequired[BookingChange]  # booking.rescheduled: the period before and after


class VendorData(TypedDict):
    """vendor.approved, vendor.suspended."""

    id: str
    name: str
    slug: str
    status: str
    timezone: str
    reason: str


class DisputeData(TypedDict):
    """dispute.opened, dispute.resolved."""

    id: str
    status: str
    reason: str
    description: str
    outcome: str | None
    refund: Money | None
    note: str
    opened_at: str
    resolved_at: str | None
    booking: BookingData


class WaitlistOfferData(TypedDict):
    """waitlist.offered: the entry plus the hold it was offered."""

    id: str
    status: str
    resource: ResourceRef
    vendor: Ref
    customer: Person
    start: str
    end: str
    quantity: int
    offer_booking: BookingData


def iso(value: dt.datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with ``Z`` (the API's response format)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _iso(value: dt.datetime) -> str:
    text = iso(value)
    assert text is not None
    return text


def booking_data(
    booking: Booking,
    *,
    reason: str = "",
    previous_start: dt.datetime | None = None,
    previous_end: dt.datetime | None = None,
) -> BookingData:
    """Snapshot of a booking for booking.* events (``select_related("resource__vendor", "customer")`` first)."""
    resource = booking.resource
    vendor = resource.vendor
    customer = booking.customer
    data: BookingData = {
        "id": str(booking.id),
        "status": booking.status,
        "resource": {"id": str(resource.id), "name": resource.name, "timezone": resource.timezone},
        "vendor": {"id": str(vendor.id), "name": vendor.name},
        "customer": {"id": str(customer.id), "email": customer.email, "full_name": customer.full_name},
        "start": _iso(booking.start),
        "end": _iso(booking.end),
        "quantity": booking.quantity,
        "price": money(booking.price_amount, booking.price_currency),
        "hold_expires_at": iso(booking.hold_expires_at),
        "cancel_reason": booking.cancel_reason,
    }
    if reason:
        data["reason"] = reason[:500]
    if previous_start is not None and previous_end is not None:
        data["change"] = {
            "from": {"start": _iso(previous_start), "end": _iso(previous_end)},
            "to": {"start": data["start"], "end": data["end"]},
        }
    return data


def vendor_data(vendor: Vendor, *, reason: str = "") -> VendorData:
    """Snapshot of a vendor for vendor.approved / vendor.suspended."""
    return {
        "id": str(vendor.id),
        "name": vendor.name,
        "slug": vendor.slug,
        "status": vendor.status,
        "timezone": vendor.timezone,
        "reason": reason,
    }


def dispute_data(
    *,
    dispute_id: Any,
    status: str,
    reason: str,
    description: str,
    booking: BookingData,
    opened_at: dt.datetime,
    outcome: str | None = None,
    refund_amount: Decimal | None = None,
    note: str = "",
    resolved_at: dt.datetime | None = None,
) -> DisputeData:
    """Snapshot of a dispute for dispute.opened / dispute.resolved; ``booking`` from ``booking_data()``."""
    refund = money(refund_amount, booking["price"]["currency"]) if refund_amount is not None else None
    return {
        "id": str(dispute_id),
        "status": status,
        "reason": reason,
        "description": description,
        "outcome": outcome,
        "refund": refund,
        "note": note,
        "opened_at": _iso(opened_at),
        "resolved_at": iso(resolved_at),
        "booking": booking,
    }


def waitlist_offer_data(*, entry_id: Any, offer: BookingData) -> WaitlistOfferData:
    """Snapshot for waitlist.offered; ``offer`` is ``booking_data()`` of the hold made for the entry."""
    return {
        "id": str(entry_id),
        "status": "offered",
        "resource": offer["resource"],
        "vendor": offer["vendor"],
        "customer": offer["customer"],
        "start": offer["start"],
        "end": offer["end"],
        "quantity": offer["quantity"],
        "offer_booking": offer,
    }
