from django.urls import path

from notifications.api.views import VendorWebhookViewSet

webhooks = VendorWebhookViewSet.as_view({"get": "list", "post": "create"})
webhook = VendorWebhookViewSet.as_view({"get": "retrieve", "delete": "destroy"})
deliveries = VendorWebhookViewSet.as_view({"get": "deliveries"})

urlpatterns = [
    path("vendors/<uuid:vendor_id>/webhooks", webhooks, name="vendor-webhooks"),
    path("vendors/<uuid:vendor_id>/webhooks/<uuid:webhook_id>", webhook, name="vendor-webhook"),
    path(
        "vendors/<uuid:vendor_id>/webhooks/<uuid:webhook_id>/deliveries", deliveries, name="vendor-webhook-deliveries"
    ),
]
