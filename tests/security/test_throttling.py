"""Rate limits: auth endpoints per client IP, failed logins per account, booking creation per user.

Each limit answers 429 problem+json (``throttled``) with a ``Retry-After`` in seconds, and
limits are per scope: exhausting one never blocks the others.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.factories.bookings import local_at, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """``rates(booking="3/min")``: DRF reads the rates into a class attribute at import time."""

    def set_rates(**overrides: str) -> None:
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token", {"email": "nobody@example.com", "password": "wrong-password-1"}),
        ("/api/v1/auth/register", {"email": "x@example.com", "password": "short"}),
        ("/api/v1/auth/token/refresh", {"refresh": "garbage"}),
    ],
)
def test_auth_endpoints_are_throttled_per_client_ip(api_client, rates, path, body):
    rates(login_ip="3/min")
    for _ in range(3):
        assert api_client.post(path, body, format="json").status_code != 429
    assert_throttled(api_client.post(path, body, format="json"))
    # Another client address has its own budget.
    assert api_client.post(path, body, format="json", REMOTE_ADDR="203.0.113.9").status_code != 429


def test_password_guessing_across_addresses_is_throttled_per_account(api_client, rates):
    rates(login_account="3/min")
    victim = UserFactory(email="victim@example.com")
    for i in range(3):
        guess = api_client.post(
            "/api/v1/auth/token", {"email": victim.email, "password": f"guess-{i}-xx"}, REMOTE_ADDR=f"198.51.100.{i}"
        )
        assert guess.status_code == 401
    assert_throttled(
        api_client.post(
            "/api/v1/auth/token", {"email": victim.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="198.51.100.99"
        )
    )


def test_booking_creation_is_throttled_per_user_in_its_own_scope(rates):
    rates(booking="3/min")
    resource = make_resource("slots", capacity=10)
    customer = authed(UserFactory())

    def create(hour: int):
        start = local_at(2, hour)
        body = {
            "resource": str(resource.pk),
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
        }
        return customer.post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{hour}")

    for hour in (8, 9, 10):
        assert create(hour).status_code == 201
    assert_throttled(create(11))
    # Reads are not booking creations: still served.
    assert customer.get("/api/v1/bookings").status_code == 200
    # Another customer has a budget of their own.
    start = local_at(2, 12)
    other = authed(UserFactory()).post(
        "/api/v1/bookings",
        {"resource": str(resource.pk), "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()},
        format="json",
    )
    assert other.status_code == 201


def test_series_creation_shares_the_booking_scope(rates):
    rates(booking="1/min")
    resource = make_resource("slots", capacity=10)
    customer = authed(UserFactory())
    start = local_at(2, 8)
    end = start + timedelta(minutes=30)
    single = {"resource": str(resource.pk), "start": start.isoformat(), "end": end.isoformat()}
    assert customer.post("/api/v1/bookings", single, format="json").status_code == 201
    later = local_at(5, 8)
    series = {
        "resource": str(resource.pk),
        "start": later.isoformat(),
        "end": (later + timedelta(minutes=30)).isoformat(),
        "recurrence": {"frequency": "daily", "count": 2},
        "on_conflict": "all_or_nothing",
    }
    assert_throttled(customer.post("/api/v1/bookings/series", series, format="json"))


def test_anonymous_reads_are_throttled_per_ip(api_client, rates):
    rates(anon="2/min")
    for _ in range(2):
        assert api_client.get("/api/v1/vendors").status_code == 200
    assert_throttled(api_client.get("/api/v1/vendors"))
