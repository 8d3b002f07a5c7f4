"""``/vendors/{id}/webhooks``: owners and managers only; the secret is shown once; targets are checked."""

from __future__ import annotations

import pytest

from notifications.models import WebhookEndpoint
from tests.conftest import authed
from tests.factories.notifications import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.factories.vendors import VendorFactory, member_of

pytestmark = pytest.mark.django_db

BODY = {"url": "https://hooks.example.com/allot", "events": ["booking.confirmed", "booking.cancelled"]}


def url(vendor, *rest) -> str:
    return "/".join([f"/api/v1/vendors/{vendor.id}/webhooks", *map(str, rest)])


@pytest.fixture(autouse=True)
def _public_resolution(monkeypatch):
    """hooks.example.com resolves to a public address without touching the network."""
    import socket

    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
        if host == "internal.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_create_and_see_the_secret_only_once(team, role):
    client = authed(getattr(team, role))
    created = client.post(url(team.vendor), BODY, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["secret"]) >= 43
    assert body["events"] == BODY["events"]
    assert body["url"] == BODY["url"]
    assert body["is_active"] is True
    assert WebhookEndpoint.objects.get().secret == body["secret"]

    listed = client.get(url(team.vendor))
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [body["id"]]
    assert "secret" not in listed.json()["results"][0]
    detail = client.get(url(team.vendor, body["id"]))
    assert detail.status_code == 200
    assert "secret" not in detail.json()


def test_each_endpoint_gets_its_own_secret(team):
    client = authed(team.owner)
    first = client.post(url(team.vendor), BODY, format="json").json()["secret"]
    second = client.post(url(team.vendor), BODY, format="json").json()["secret"]
    assert first != second


def test_a_staff_member_is_403(team):
    client = authed(team.staff)
    assert client.get(url(team.vendor)).status_code == 403
    assert client.post(url(team.vendor), BODY, format="json").status_code == 403
    endpoint = WebhookEndpointFactory(vendor=team.vendor)
    assert client.delete(url(team.vendor, endpoint.id)).status_code == 403
    assert client.get(url(team.vendor, endpoint.id, "deliveries")).status_code == 403


def test_a_platform_admin_who_is_not_a_member_is_403(team, admin_user):
    assert authed(admin_user).get(url(team.vendor)).status_code == 403


def test_another_vendors_owner_is_404(team):
    outsider = member_of(VendorFactory(), "owner")
    client = authed(outsider)
    response = client.get(url(team.vendor))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert client.post(url(team.vendor), BODY, format="json").status_code == 404


def test_an_endpoint_of_another_vendor_is_404_even_for_an_owner(team):
    foreign = WebhookEndpointFactory()
    client = authed(team.owner)
    assert client.get(url(team.vendor, foreign.id)).status_code == 404
    assert client.delete(url(team.vendor, foreign.id)).status_code == 404
    assert client.get(url(team.vendor, foreign.id, "deliveries")).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=foreign.pk).exists()


def test_an_unknown_vendor_is_404(team):
    assert authed(team.owner).get("/api/v1/vendors/00000000-0000-0000-0000-000000000000/webhooks").status_code == 404


def test_anonymous_is_401(team, api_client):
    assert api_client.get(url(team.vendor)).status_code == 401
    assert api_client.post(url(team.vendor), BODY, format="json").status_code == 401


def test_delete_removes_the_endpoint(team):
    endpoint = WebhookEndpointFactory(vendor=team.vendor)
    client = authed(team.manager)
    assert client.delete(url(team.vendor, endpoint.id)).status_code == 204
    assert client.get(url(team.vendor, endpoint.id)).status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_newest_first_with_status_and_retry(team):
    endpoint = WebhookEndpointFactory(vendor=team.vendor)
    older = WebhookDeliveryFactory(endpoint=endpoint, status="failed", attempts=8, last_status_code=500)
    newer = WebhookDeliveryFactory(endpoint=endpoint, attempts=1, last_status_code=503)
    WebhookDeliveryFactory()  # another vendor's
    response = authed(team.owner).get(url(team.vendor, endpoint.id, "deliveries"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["id"] for item in results] == [str(newer.id), str(older.id)]
    assert results[1] | {"id": None} == results[1] | {
        "id": None,
        "event": str(older.event_id),
        "event_type": "booking.confirmed",
        "status": "failed",
        "attempts": 8,
        "last_status_code": 500,
    }
    assert set(results[0]) >= {"next_retry_at", "delivered_at", "last_error", "created_at"}


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("http://127.0.0.1:8000/hook", "webhook_url_not_allowed"),
        ("http://localhost/hook", "webhook_url_not_allowed"),
        ("http://169.254.169.254/latest/meta-data", "webhook_url_not_allowed"),
        ("http://[::1]/hook", "webhook_url_not_allowed"),
        ("https://internal.example.com/hook", "webhook_url_not_allowed"),
        ("https://user:pw@hooks.example.com/hook", "webhook_url_not_allowed"),
        ("ftp://hooks.example.com/hook", "webhook_url_not_allowed"),
        ("not a url", "validation_error"),
    ],
)
def test_private_and_odd_targets_are_refused_when_private_targets_are_off(team, settings, target, code):
    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = authed(team.owner).post(url(team.vendor), {**BODY, "url": target}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_public_target_is_accepted_when_private_targets_are_off(team, settings):
    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert authed(team.owner).post(url(team.vendor), BODY, format="json").status_code == 201


def test_loopback_is_accepted_when_private_targets_are_allowed(team, settings):
    settings.ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    body = {**BODY, "url": "http://127.0.0.1:8000/hook"}
    assert authed(team.owner).post(url(team.vendor), body, format="json").status_code == 201


@pytest.mark.parametrize("events", [[], ["booking.teleported"], "booking.confirmed", ["booking.reminder"]])
def test_events_must_be_a_non_empty_list_of_webhook_event_types(team, events):
    response = authed(team.owner).post(url(team.vendor), {**BODY, "events": events}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["errors"]


def test_the_number_of_endpoints_per_vendor_is_limited(team, settings):
    settings.ALLOT_WEBHOOK_MAX_ENDPOINTS = 2
    client = authed(team.owner)
    assert client.post(url(team.vendor), BODY, format="json").status_code == 201
    assert client.post(url(team.vendor), BODY, format="json").status_code == 201
    response = client.post(url(team.vendor), BODY, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "webhook_limit_reached"
