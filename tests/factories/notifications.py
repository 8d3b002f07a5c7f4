"""Outbox events, webhook endpoints/deliveries and booking-event payloads for notification tests."""

from __future__ import annotations

import uuid
from typing import Any

import factory

from notifications import outbox
from notifications.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from notifications.signing import new_secret
from tests.factories.vendors import VendorFactory


def booking_payload(
    *,
    vendor_id: uuid.UUID | str | None = None,
    vendor_name: str = "Praxis Dr. Weber",
    customer_email: str = "ada@example.com",
    customer_name: str = "Ada Lovelace",
    start: str = "2027-03-02T08:00:00Z",
    end: str = "2027-03-02T08:20:00Z",
    timezone: str = "Europe/Berlin",
    status: str = "confirmed",
    **extra: Any,
) -> dict[str, Any]:
    """A booking event's ``data`` as the contract in notifications/README.md describes it."""
    return {
        "id": str(uuid.uuid4()),
        "status": status,
        "resource": {"id": str(uuid.uuid4()), "name": "Check-up", "timezone": timezone},
        "vendor": {"id": str(vendor_id or uuid.uuid4()), "name": vendor_name},
        "customer": {"id": str(uuid.uuid4()), "email": customer_email, "full_name": customer_name},
        "start": start,
        "end": end,
        "quantity": 1,
        "price": {"amount": "45.00", "currency": "EUR"},
        "hold_expires_at": None,
        "cancel_reason": "",
        **extra,
    }


class OutboxEventFactory(factory.django.DjangoModelFactory):
    """A committed, not yet processed event (as the relay finds it)."""

    class Meta:
        model = OutboxEvent

    event_type = outbox.BOOKING_CONFIRMED
    vendor = factory.SubFactory(VendorFactory)
    data = factory.LazyAttribute(lambda o: booking_payload(vendor_id=o.vendor.id if o.vendor else None))
    booking_id = factory.LazyAttribute(lambda o: uuid.UUID(o.data["id"]) if "id" in o.data else None)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    vendor = factory.SubFactory(VendorFactory)
    url = "http://127.0.0.1:9/hook"
    events = factory.LazyFunction(lambda: list(outbox.EVENT_TYPES))
    secret = factory.LazyFunction(new_secret)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = factory.SubFactory(OutboxEventFactory, vendor=factory.SelfAttribute("..endpoint.vendor"))
