"""The admin shows the outbox, emails, endpoints and deliveries read-only, and can redeliver."""

from __future__ import annotations

import pytest

from notifications.models import DeliveryStatus, WebhookDelivery
from tests.factories.notifications import OutboxEventFactory, WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["outboxevent", "sentnotification", "webhookendpoint", "webhookdelivery"])
def test_changelists_load(client, admin_user, model):
    OutboxEventFactory()
    WebhookDeliveryFactory()
    client.force_login(admin_user)
    assert client.get(f"/admin/notifications/{model}/").status_code == 200


def test_the_endpoint_page_never_shows_the_secret(client, admin_user):
    delivery = WebhookDeliveryFactory()
    client.force_login(admin_user)
    page = client.get(f"/admin/notifications/webhookendpoint/{delivery.endpoint.pk}/change/")
    assert page.status_code == 200
    assert delivery.endpoint.secret not in page.content.decode()


def test_redeliver_action_requeues_a_failed_delivery(client, admin_user, django_capture_on_commit_callbacks):
    delivery = WebhookDeliveryFactory(status=DeliveryStatus.FAILED, attempts=8)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/admin/notifications/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 0
    assert len(callbacks) == 1
    assert WebhookDelivery.objects.count() == 1
