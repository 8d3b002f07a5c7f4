"""A platform with a bit of everything, built the way production builds it, and a staff browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import tokens_for_login
from bookings import services as booking_services
from bookings.idempotency import run_idempotent
from bookings.models import Booking, BookingStatus
from bookings.series import Recurrence, series_create
from disputes import services as dispute_services
from disputes.models import Dispute
from notifications.models import DeliveryStatus, OutboxEvent
from notifications.services import outbox_process_event
from resources.models import ExceptionKind, Resource, ScheduleException
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource, make_vendor, member
from tests.factories.disputes import confirmed_booking, dispute_under_review, open_dispute
from tests.factories.notifications import WebhookDeliveryFactory
from tests.factories.resources import book
from tests.factories.waitlist import join
from vendors import services as vendor_services
from vendors.models import MembershipRole, Vendor


@pytest.fixture
def staff(db) -> User:
    return UserFactory(is_staff=True, is_superuser=True, email="ops@example.com")


@pytest.fixture
def browser(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def today_utc(hour: int, minute: int = 0) -> datetime:
    """An instant on today's UTC day (the overview's "today"), whatever the clock says."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


@dataclass
class Platform:
    pending_vendor: Vendor
    vendor: Vendor
    owner: User
    resource: Resource
    held: Booking
    confirmed: Booking
    cancelled: Booking
    open_dispute: Dispute
    reviewed_dispute: Dispute
    resolved_dispute: Dispute


@pytest.fixture
def platform(staff) -> Platform:
    applicant = UserFactory()
    pending = vendor_services.vendor_apply(user=applicant, name="Pottery Studio", category="studio", timezone="UTC")
    suspended = vendor_services.vendor_apply(user=applicant, name="Closed Café", category="cafe", timezone="UTC")
    vendor_services.vendor_approve(vendor=suspended, actor=staff, reason="looks fine")
    vendor_services.vendor_suspend(vendor=suspended, actor=staff, reason="complaints")

    vendor = make_vendor()
    owner = member(vendor, MembershipRole.OWNER)
    resource = make_resource("slots", vendor=vendor, hold_minutes=10)
    ScheduleException.objects.create(
        resource=resource, start=local_at(30, 0), end=local_at(31, 0), kind=ExceptionKind.CLOSED, reason="holiday"
    )
    customer = UserFactory()
    tokens_for_login(customer)  # a token family and an outstanding token

    held = booking_services.booking_create(
        customer=customer, resource_id=resource.pk, start=local_at(5, 9), end=local_at(5, 9, 30)
    )

    def keyed_booking() -> tuple[int, dict[str, str]]:
        booking = booking_services.booking_create(
            customer=customer, resource_id=resource.pk, start=local_at(5, 10), end=local_at(5, 10, 30), confirm=True
        )
        return 201, {"id": str(booking.pk)}

    run_idempotent(user=customer, scope="bookings.create", key="k-1", payload={"n": 1}, run=keyed_booking)
    confirmed = Booking.objects.get(customer=customer, status=BookingStatus.CONFIRMED)
    cancelled = confirmed_booking(resource=resource)
    booking_services.booking_cancel(booking_id=cancelled.pk, actor=owner, reason="closed for repairs")

    opened = open_dispute(confirmed)
    dispute_services.dispute_comment(dispute_id=opened.pk, actor=owner, body="We were open.")
    reviewed = dispute_under_review(confirmed_booking(resource=resource), admin=staff)
    resolved = dispute_under_review(cancelled, admin=staff)
    dispute_services.dispute_resolve(dispute_id=resolved.pk, actor=staff, outcome="refund_full", note="Sorry.")

    series_create(
        customer=customer,
        resource_id=resource.pk,
        start=local_at(8, 9),
        end=local_at(8, 9, 30),
        recurrence=Recurrence(frequency="weekly", count=2),
        on_conflict="skip_conflicts",
        confirm=True,
    )
    WebhookDeliveryFactory(endpoint__vendor=vendor, status=DeliveryStatus.FAILED, attempts=8)
    assert OutboxEvent.objects.exists()
    outbox_process_event(event_id=OutboxEvent.objects.order_by("created_at").first().pk)  # email records
    join(UserFactory(), resource, local_at(5, 10), local_at(5, 10, 30))  # the confirmed slot is full
    return Platform(
        pending_vendor=pending,
        vendor=vendor,
        owner=owner,
        resource=resource,
        held=held,
        confirmed=confirmed,
        cancelled=cancelled,
        open_dispute=opened,
        reviewed_dispute=reviewed,
        resolved_dispute=resolved,
    )


def today_bookings(resource: Resource) -> dict[str, Booking]:
    """Rows starting today (UTC) in several statuses; written directly, as the past cannot be booked."""
    rows = {}
    for i, status in enumerate(
        [BookingStatus.CONFIRMED, BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.COMPLETED]
    ):
        start = today_utc(0, 1) + timedelta(minutes=30 * i)
        rows[f"{status}-{i}"] = book(resource, start, start + timedelta(minutes=30), units=[i], status=status)
    return rows
