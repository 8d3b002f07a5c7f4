"""Vendors can work in DRF's browsable API with a session: log in, browse, and write with a CSRF token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bookings.models import BookingStatus
from resources.models import Resource
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.factories.bookings import make_resource, make_vendor, member
from tests.factories.disputes import confirmed_booking, dispute_under_review
from vendors.models import MembershipRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    vendor = make_vendor()
    owner = member(vendor, MembershipRole.OWNER)
    resource = make_resource("slots", vendor=vendor)
    booking = confirmed_booking(resource=resource)
    return vendor, owner, resource, booking


def session_login(client: Client, email: str) -> None:
    """The login form a person uses: GET it for the CSRF cookie, then POST it with the token."""
    form = client.get("/api-auth/login/")
    assert form.status_code == 200
    response = client.post(
        "/api-auth/login/",
        {
            "username": email,
            "password": DEFAULT_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "next": "/api/v1/resources",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/api/v1/resources"


def test_a_vendor_logs_in_and_browses_resources_and_its_bookings_as_html(shop):
    vendor, owner, resource, booking = shop
    client = Client(enforce_csrf_checks=True)
    session_login(client, owner.email)

    resources = client.get("/api/v1/resources", HTTP_ACCEPT="text/html")
    assert resources.status_code == 200
    assert resources["Content-Type"].startswith("text/html")
    assert resource.name in resources.content.decode()

    bookings = client.get("/api/v1/bookings", {"vendor": str(vendor.pk)}, HTTP_ACCEPT="text/html")
    assert bookings.status_code == 200
    assert bookings["Content-Type"].startswith("text/html")
    assert str(booking.pk) in bookings.content.decode()

    disputes = client.get("/api/v1/disputes", HTTP_ACCEPT="text/html")
    assert disputes.status_code == 200
    assert disputes["Content-Type"].startswith("text/html")


def test_session_writes_need_the_csrf_token(shop):
    vendor, owner, _, booking = shop
    client = Client(enforce_csrf_checks=True)
    session_login(client, owner.email)
    body = json.dumps({"vendor": str(vendor.pk), "type": "test_slots", "name": "Second chair", "slot_minutes": 30})

    refused = client.post("/api/v1/resources", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    token = client.cookies["csrftoken"].value  # rotated at login
    created = client.post("/api/v1/resources", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201, created.content[:500]
    assert Resource.objects.filter(vendor=vendor, name="Second chair").exists()

    cancelled = client.post(
        f"/api/v1/bookings/{booking.pk}/cancel",
        json.dumps({"reason": "closing early"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert cancelled.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_anonymous_browsing_of_bookings_asks_for_a_login(shop):
    response = Client().get("/api/v1/bookings", HTTP_ACCEPT="text/html")
    assert response.status_code == 401


def test_an_admin_gets_a_resolve_form_in_the_browser(shop):
    _, _, _, booking = shop
    staff = UserFactory(is_staff=True)
    dispute = dispute_under_review(booking, admin=staff)
    client = Client()
    client.force_login(staff)
    page = client.get(f"/api/v1/disputes/{dispute.pk}/resolve", HTTP_ACCEPT="text/html")
    assert page.status_code == 405  # POST only, but the page offers the form for it
    html = page.content.decode()
    assert 'method="POST"' in html
    assert "refund_amount" in html  # the JSON template of the resolve input
