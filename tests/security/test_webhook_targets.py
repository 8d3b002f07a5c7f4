"""Webhook URLs cannot be turned against our own network (SSRF).

Unless ``ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on (tests and local development turn it
on; production leaves it off), an endpoint must be http(s), carry no credentials, and
resolve only to public addresses; and every delivery checks the address it actually
connected to, so a name that later resolves to a private address (DNS rebinding) or an
endpoint stored while the setting was on is refused at send time, before a byte is sent.
"""

from __future__ import annotations

import http.server
import threading
import uuid

import pytest
from django.db import transaction
from django.test import override_settings

from notifications import outbox
from notifications.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from notifications.services import outbox_process_event
from notifications.webhooks import webhook_delivery_attempt
from tests.conftest import authed
from tests.factories.bookings import make_vendor, member
from tests.factories.notifications import booking_payload
from vendors.models import MembershipRole

pytestmark = pytest.mark.django_db

REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://localhost:8000/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/hook",
    "http://user:secret@93.184.216.34/hook",
    "ftp://93.184.216.34/hook",
    "file:///etc/passwd",
    "gopher://93.184.216.34:70/_",
    "javascript:alert(1)",
    "http:///hook",
]


@pytest.fixture
def owner_client():
    vendor = make_vendor()
    client = authed(member(vendor, MembershipRole.OWNER))
    client.raise_request_exception = False
    return client, vendor


@override_settings(ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_loopback_and_odd_targets_are_refused(owner_client, url):
    client, vendor = owner_client
    response = client.post(
        f"/api/v1/vendors/{vendor.pk}/webhooks", {"url": url, "events": ["booking.confirmed"]}, format="json"
    )
    assert response.status_code == 400, (url, response.content)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] in {"webhook_url_not_allowed", "validation_error"}
    assert not WebhookEndpoint.objects.exists()


@override_settings(ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
def test_a_public_address_is_accepted(owner_client):
    client, vendor = owner_client
    response = client.post(
        f"/api/v1/vendors/{vendor.pk}/webhooks",
        {"url": "https://93.184.216.34/hooks/allot", "events": ["booking.confirmed"]},
        format="json",
    )
    assert response.status_code == 201, response.content


@override_settings(ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
def test_the_setting_allows_loopback_for_tests_and_development(owner_client):
    client, vendor = owner_client
    response = client.post(
        f"/api/v1/vendors/{vendor.pk}/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["booking.confirmed"]},
        format="json",
    )
    assert response.status_code == 201, response.content


@override_settings(ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
def test_credentials_in_the_url_are_refused_even_when_private_targets_are_allowed(owner_client):
    client, vendor = owner_client
    response = client.post(
        f"/api/v1/vendors/{vendor.pk}/webhooks",
        {"url": "http://admin:admin@127.0.0.1:9/hook", "events": ["booking.confirmed"]},
        format="json",
    )
    assert response.status_code == 400


def test_production_settings_leave_private_targets_off():
    import subprocess
    import sys

    code = (
        "import django, os; django.setup(); from django.conf import settings; "
        "print(settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS)"
    )
    env = {
        **__import__("os").environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 64,
        "DJANGO_ALLOWED_HOSTS": "allot.example.com",
    }
    env.pop("ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_receiver():
    _Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Counter.hits
    server.shutdown()
    server.server_close()


def test_a_delivery_to_a_private_address_is_refused_at_send_time(local_receiver, settings):
    """The endpoint was stored while private targets were allowed (or its name resolved to a
    public address then); at send time the connected peer is loopback: refused, nothing sent."""
    url, hits = local_receiver
    vendor = make_vendor()
    endpoint = WebhookEndpoint.objects.create(vendor=vendor, url=url, events=["booking.confirmed"], secret="s" * 40)
    data = booking_payload(vendor_id=vendor.pk)
    with transaction.atomic():
        outbox.emit(
            event_type=outbox.BOOKING_CONFIRMED, vendor_id=vendor.pk, data=data, booking_id=uuid.UUID(data["id"])
        )
    outbox_process_event(event_id=OutboxEvent.objects.get().pk)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=0) is False
    delivery.refresh_from_db()
    assert "non-public address" in delivery.last_error
    assert hits == []

    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the same delivery, allowed: it arrives
    assert webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=1) is True
    assert hits == ["/hook"]
