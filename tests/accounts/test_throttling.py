"""Login throttles per IP and per account: 429 problem+json with Retry-After."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


def _rates(**overrides):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides}
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _patch_rates(monkeypatch, **overrides):
    # DRF reads THROTTLE_RATES into a class attribute at import time.
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", _rates(**overrides)["DEFAULT_THROTTLE_RATES"])


def test_login_is_throttled_per_ip(api_client, monkeypatch):
    _patch_rates(monkeypatch, login_ip="3/min")
    UserFactory(email="me@example.com")
    for _ in range(3):
        assert api_client.post(TOKEN, {"email": "me@example.com", "password": DEFAULT_PASSWORD}).status_code == 200
    response = api_client.post(TOKEN, {"email": "me@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_failed_logins_are_throttled_per_account_across_ips(api_client, monkeypatch):
    _patch_rates(monkeypatch, login_account="3/min")
    UserFactory(email="victim@example.com")
    for i in range(3):
        response = api_client.post(
            TOKEN, {"email": "victim@example.com", "password": "guess-0000"}, REMOTE_ADDR=f"10.0.0.{i}"
        )
        assert response.status_code == 401
    # Even the right password from a fresh IP is refused until the window passes.
    blocked = api_client.post(
        TOKEN, {"email": "victim@example.com", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.0.99"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # Another account is unaffected.
    UserFactory(email="other@example.com")
    other = api_client.post(TOKEN, {"email": "other@example.com", "password": DEFAULT_PASSWORD})
    assert other.status_code == 200


def test_successful_logins_do_not_count_against_the_account(api_client, monkeypatch):
    _patch_rates(monkeypatch, login_account="2/min")
    UserFactory(email="me@example.com")
    for _ in range(5):
        assert api_client.post(TOKEN, {"email": "me@example.com", "password": DEFAULT_PASSWORD}).status_code == 200


def test_rates_come_from_environment_variables():
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.dev'; django.setup();"
        "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['login_ip'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**__import__("os").environ, "ALLOT_THROTTLE_LOGIN_IP": "7/hour"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "7/hour"
