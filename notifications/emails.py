"""Who gets an email for which event, and what it says (subject + text body from templates).

Templates live in ``templates/notifications/email/<kind>/{subject,body}.txt``. They get the
event ``data``, the ``booking`` inside it, the period already formatted in the resource's
own zone (``when``) and the ``audience`` (``customer`` / ``vendor`` / ``vendor_owner``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine

from notifications import outbox
from vendors.models import Membership, MembershipRole

logger = logging.getLogger("allot.notifications")

CUSTOMER = "customer"
VENDOR = "vendor"  # the vendor's owners and managers
VENDOR_OWNER = "vendor_owner"

# Event type (or email kind) → who is told. booking.held is webhook-only (a hold is usually
# confirmed seconds later; an email per hold would be noise), and an expired hold only
# concerns the customer who let it lapse.
AUDIENCES: dict[str, tuple[str, ...]] = {
    outbox.BOOKING_HELD: (),
    outbox.BOOKING_CONFIRMED: (CUSTOMER, VENDOR),
    outbox.BOOKING_PENDING_APPROVAL: (CUSTOMER, VENDOR),
    outbox.BOOKING_REJECTED: (CUSTOMER, VENDOR),
    outbox.BOOKING_CANCELLED: (CUSTOMER, VENDOR),
    outbox.BOOKING_RESCHEDULED: (CUSTOMER, VENDOR),
    outbox.BOOKING_EXPIRED: (CUSTOMER,),
    outbox.BOOKING_COMPLETED: (CUSTOMER, VENDOR),
    outbox.BOOKING_NO_SHOW: (CUSTOMER, VENDOR),
    outbox.WAITLIST_OFFERED: (CUSTOMER,),
    outbox.DISPUTE_OPENED: (CUSTOMER, VENDOR),
    outbox.DISPUTE_RESOLVED: (CUSTOMER, VENDOR),
    outbox.VENDOR_APPROVED: (VENDOR_OWNER,),
    outbox.VENDOR_SUSPENDED: (VENDOR_OWNER,),
    outbox.BOOKING_REMINDER: (CUSTOMER,),
}


@dataclass(frozen=True)
class Email:
    recipient: str
    audience: str
    subject: str
    body: str


def booking_of(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The booking snapshot inside an event's data (None for vendor events)."""
    if kind.startswith("booking."):
        return data
    if kind.startswith("dispute."):
        return data.get("booking")
    if kind == outbox.WAITLIST_OFFERED:
        return data.get("offer_booking")
    return None


def _customer_email(kind: str, data: dict[str, Any]) -> str | None:
    booking = booking_of(kind, data) or {}
    customer = data.get("customer") or booking.get("customer") or {}
    return customer.get("email") or None


def _member_emails(vendor_id: uuid.UUID | None, roles: tuple[str, ...]) -> list[str]:
    if vendor_id is None:
        return []
    members = Membership.objects.filter(vendor_id=vendor_id, role__in=roles, user__is_active=True)
    return list(members.order_by("user__email").values_list("user__email", flat=True))


def recipients(*, kind: str, vendor_id: uuid.UUID | None, data: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(email, audience)]``, one per address (a customer who is also a member hears as the customer)."""
    found: dict[str, str] = {}
    for audience in AUDIENCES.get(kind, ()):
        if audience == CUSTOMER:
            emails = [email] if (email := _customer_email(kind, data)) else []
        elif audience == VENDOR:
            emails = _member_emails(vendor_id, (MembershipRole.OWNER, MembershipRole.MANAGER))
        else:
            emails = _member_emails(vendor_id, (MembershipRole.OWNER,))
        for email in emails:
            found.setdefault(email.lower(), audience)
    return list(found.items())


EN_DASH = "\N{EN DASH}"


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _day(value: dt.datetime) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def format_period(start: str, end: str, zone_name: str | None) -> str:
    """``Tue 2 Mar 2027, 09:00–09:20 (Europe/Berlin)``: local wall-clock time with the zone named."""  # noqa: RUF002
    zone = _zone(zone_name)
    local_start, local_end = _parse(start).astimezone(zone), _parse(end).astimezone(zone)
    if local_start.date() == local_end.date():
        return f"{_day(local_start)}, {local_start:%H:%M}{EN_DASH}{local_end:%H:%M} ({zone.key})"
    return f"{_day(local_start)}, {local_start:%H:%M} {EN_DASH} {_day(local_end)}, {local_end:%H:%M} ({zone.key})"


def format_instant(value: str, zone_name: str | None) -> str:
    """``Tue 2 Mar 2027, 09:00 (Europe/Berlin)``."""
    zone = _zone(zone_name)
    local = _parse(value).astimezone(zone)
    return f"{_day(local)}, {local:%H:%M} ({zone.key})"


def _context(kind: str, audience: str, data: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {"kind": kind, "audience": audience, "is_customer": audience == CUSTOMER, "data": data}
    booking = booking_of(kind, data)
    if booking and booking.get("start") and booking.get("end"):
        zone_name = (booking.get("resource") or {}).get("timezone")
        context["booking"] = booking
        context["when"] = format_period(booking["start"], booking["end"], zone_name)
        context["reason"] = booking.get("reason") or booking.get("cancel_reason") or ""
        previous = (booking.get("change") or {}).get("from")
        if previous and previous.get("start") and previous.get("end"):
            context["previous_when"] = format_period(previous["start"], previous["end"], zone_name)
        if booking.get("hold_expires_at"):
            context["hold_expires"] = format_instant(booking["hold_expires_at"], zone_name)
    return context


def _render(name: str, context: dict[str, Any]) -> str:
    # Plain-text email: no HTML autoescaping (an "&" in a name must stay an "&").
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


def render(*, kind: str, audience: str, data: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) for one recipient."""
    context = _context(kind, audience, data)
    subject = " ".join(_render(f"notifications/email/{kind}/subject.txt", context).split())
    body = _render(f"notifications/email/{kind}/body.txt", context).strip() + "\n"
    return subject[:255], body


def plan(*, kind: str, vendor_id: uuid.UUID | None, data: dict[str, Any]) -> list[Email]:
    """The rendered emails one event (or reminder) produces."""
    emails = []
    for recipient, audience in recipients(kind=kind, vendor_id=vendor_id, data=data):
        subject, body = render(kind=kind, audience=audience, data=data)
        emails.append(Email(recipient=recipient, audience=audience, subject=subject, body=body))
    return emails
