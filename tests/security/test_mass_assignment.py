"""Mass assignment: fields a client must not set are ignored on create and update.

The API's input serializers name every field they accept (STYLE.md: separate input and
output serializers), so status, price, customer, vendor, ownership flags, hold expiry and
ids are the server's to decide. These tests send them anyway and check nothing changed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingStatus
from bookings.services import booking_create
from notifications.models import WebhookEndpoint
from resources.models import Resource
from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource, make_vendor, member
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

pytestmark = pytest.mark.django_db

FORGED_ID = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def resource():
    return make_resource("slots", capacity=2, price_amount=Decimal("40.00"), hold_minutes=15)


def test_booking_create_ignores_status_price_customer_and_hold_expiry(resource):
    customer, victim = UserFactory(), UserFactory()
    start = local_at(2, 9)
    far_future = (timezone.now() + timedelta(days=365)).isoformat()
    response = authed(customer).post(
        "/api/v1/bookings",
        {
            "resource": str(resource.pk),
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
            "id": FORGED_ID,
            "status": "confirmed",
            "customer": str(victim.pk),
            "price": {"amount": "0.01", "currency": "XXX"},
            "price_amount": "0.01",
            "price_currency": "XXX",
            "hold_expires_at": far_future,
            "confirmed_at": far_future,
            "vendor": str(make_vendor().pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get(pk=body["id"])
    assert body["id"] != FORGED_ID
    assert booking.status == BookingStatus.HELD
    assert booking.confirmed_at is None
    assert booking.customer == customer
    assert booking.resource.vendor_id == resource.vendor_id
    assert (booking.price_amount, booking.price_currency) == (Decimal("40.00"), "EUR")
    assert booking.hold_expires_at <= timezone.now() + timedelta(minutes=15)


def test_reschedule_ignores_everything_but_the_period(resource):
    customer, victim = UserFactory(), UserFactory()
    start = local_at(2, 9)
    booking = booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(minutes=30), confirm=True
    )
    later = local_at(2, 11)
    response = authed(customer).post(
        f"/api/v1/bookings/{booking.pk}/reschedule",
        {
            "start": later.isoformat(),
            "end": (later + timedelta(minutes=30)).isoformat(),
            "status": "cancelled",
            "customer": str(victim.pk),
            "price_amount": "0.00",
            "quantity": 2,
            "resource": str(make_resource("slots").pk),
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.start == later
    assert (booking.status, booking.customer, booking.quantity) == (BookingStatus.CONFIRMED, customer, 1)
    assert (booking.resource_id, booking.price_amount) == (resource.pk, Decimal("40.00"))


def test_vendor_apply_ignores_status_and_slug_and_makes_the_caller_owner():
    applicant = UserFactory()
    response = authed(applicant).post(
        "/api/v1/vendors",
        {
            "name": "Sneaky Spa",
            "category": "salon",
            "timezone": "Europe/Berlin",
            "status": "active",
            "status_reason": "approved by myself",
            "id": FORGED_ID,
            "slug": "admin",
            "owner": str(UserFactory().pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    vendor = Vendor.objects.get(pk=response.json()["id"])
    assert vendor.status == VendorStatus.PENDING
    assert vendor.status_reason == ""
    assert str(vendor.pk) != FORGED_ID
    assert vendor.slug != "admin"
    assert list(Membership.objects.filter(vendor=vendor).values_list("user", "role")) == [
        (applicant.pk, MembershipRole.OWNER)
    ]


def test_vendor_patch_cannot_change_status():
    vendor = make_vendor(status=VendorStatus.PENDING)
    owner = member(vendor, MembershipRole.OWNER)
    response = authed(owner).patch(
        f"/api/v1/vendors/{vendor.pk}", {"status": "active", "description": "ok", "id": FORGED_ID}, format="json"
    )
    assert response.status_code == 200, response.content
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.PENDING
    assert vendor.description == "ok"


def test_register_ignores_staff_and_superuser_flags(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {
            "email": "mallory@example.com",
            "password": "a-long-secret-42",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "id": FORGED_ID,
            "date_joined": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="mallory@example.com")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert str(user.pk) != FORGED_ID


def test_resource_patch_cannot_move_it_to_another_vendor_or_type(resource):
    owner = member(resource.vendor, MembershipRole.OWNER)
    other_vendor = make_vendor()
    response = authed(owner).patch(
        f"/api/v1/resources/{resource.pk}",
        {"vendor": str(other_vendor.pk), "type": "something-else", "booking_mode": "nightly", "name": "Renamed"},
        format="json",
    )
    assert response.status_code == 200, response.content
    fresh = Resource.objects.get(pk=resource.pk)
    assert (fresh.vendor_id, fresh.resource_type_id) == (resource.vendor_id, resource.resource_type_id)
    assert (fresh.booking_mode, fresh.name) == ("slots", "Renamed")


def test_resource_create_ignores_an_id_and_keeps_the_types_mode(resource):
    owner = member(resource.vendor, MembershipRole.OWNER)
    response = authed(owner).post(
        "/api/v1/resources",
        {
            "vendor": str(resource.vendor_id),
            "type": resource.resource_type.key,
            "name": "Chair 2",
            "slot_minutes": 30,
            "id": FORGED_ID,
            "booking_mode": "nightly",
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    created = Resource.objects.get(pk=response.json()["id"])
    assert str(created.pk) != FORGED_ID
    assert created.booking_mode == "slots"
    assert created.created_at.year == timezone.now().year


def test_webhook_create_ignores_a_client_chosen_secret():
    vendor = make_vendor()
    owner = member(vendor, MembershipRole.OWNER)
    response = authed(owner).post(
        f"/api/v1/vendors/{vendor.pk}/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["booking.confirmed"], "secret": "known", "is_active": False,
         "vendor": str(make_vendor().pk)},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get(pk=response.json()["id"])
    assert endpoint.secret != "known"
    assert len(endpoint.secret) >= 32
    assert endpoint.is_active
    assert endpoint.vendor_id == vendor.pk


def test_dispute_open_ignores_status_and_outcome(resource):
    customer = UserFactory()
    start = local_at(2, 9)
    booking = booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(minutes=30), confirm=True
    )
    response = authed(customer).post(
        f"/api/v1/bookings/{booking.pk}/disputes",
        {"reason": "other", "description": "x", "status": "resolved", "outcome": "refund_full",
         "refund_amount": "999.00", "opened_by": str(UserFactory().pk)},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body.get("outcome") in (None, "")


def test_membership_add_by_a_manager_cannot_make_an_owner():
    vendor = make_vendor()
    manager = member(vendor, MembershipRole.MANAGER)
    newcomer = UserFactory()
    response = authed(manager).post(
        f"/api/v1/vendors/{vendor.pk}/members", {"email": newcomer.email, "role": "owner"}, format="json"
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()
