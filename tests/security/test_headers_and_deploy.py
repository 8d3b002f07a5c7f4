"""Security headers on every kind of response, production transport settings, ``check --deploy``,
and the admin console only for platform admins."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import authed
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.factories.bookings import make_vendor, member
from vendors.models import MembershipRole

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "allot.example.com",
        }
    )
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/vendors", "/api/v1/nope", "/healthz", "/api/docs/", "/admin/login/"])
def test_every_response_says_nosniff_and_deny_framing(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    if path != "/api/docs/":  # Swagger UI relaxes it for its OAuth pop-up
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_error_bodies_carry_no_stack_trace_or_sql(client):
    client.raise_request_exception = False
    for response in (
        client.get("/api/v1/bookings/" + "-" * 36),
        client.post("/api/v1/auth/token", data="{", content_type="application/json"),
    ):
        text = response.content.decode()
        assert "Traceback" not in text
        assert "SELECT" not in text
        assert 'File "' not in text


PRODUCTION_HEADERS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="allot.example.com")
secure = client.get("/healthz", secure=True)
plain = client.get("/api/v1/vendors")
print(json.dumps({
    "debug": settings.DEBUG,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "nosniff": secure.headers.get("X-Content-Type-Options"),
    "frame": secure.headers.get("X-Frame-Options"),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "private_webhooks": settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS,
}))
"""


def test_production_sends_hsts_redirects_to_https_and_secures_cookies():
    result = run_python(PRODUCTION_HEADERS, production_env())
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["hsts_seconds"] >= 31536000
    assert seen["hsts"] == f"max-age={seen['hsts_seconds']}; includeSubDomains; preload"
    assert (seen["nosniff"], seen["frame"]) == ("nosniff", "DENY")
    assert seen["plain_status"] == 301
    assert seen["plain_location"].startswith("https://")
    assert seen["session_secure"]
    assert seen["csrf_secure"]
    assert seen["private_webhooks"] is False


@pytest.mark.parametrize(
    "env",
    [
        {"DJANGO_SECRET_KEY": ""},
        {"DJANGO_SECRET_KEY": "short"},
        {"DJANGO_SECRET_KEY": "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"},
        {"DJANGO_ALLOWED_HOSTS": ""},
    ],
    ids=["no-key", "short-key", "dev-key", "no-hosts"],
)
def test_production_settings_refuse_to_start_without_a_real_key_and_hosts(env):
    result = run_python("import django; django.setup()", production_env(**env))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- the admin console ----------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_redirects_anonymous_visitors_to_its_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "vendor_owner"])
def test_admin_is_closed_to_signed_in_users_who_are_not_staff(client, who):
    user = UserFactory() if who == "customer" else member(make_vendor(), MembershipRole.OWNER)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    # Their password does not open the admin login either.
    client.logout()
    login = client.post("/admin/login/?next=/admin/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_jwt_does_not_open_the_admin(admin_user):
    api = authed(admin_user)  # bearer tokens are for the API; the admin uses its own session login
    response = api.get("/admin/")
    assert response.status_code == 302


@pytest.mark.django_db
def test_admin_opens_for_staff(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_admin_login_with_staff_credentials_works(client):
    UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    response = client.post("/admin/login/?next=/admin/", {"username": "ops@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
