"""Vendor webhooks: ``/vendors/{vendor_id}/webhooks[/{webhook_id}[/deliveries]]``, owners and managers only."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import NotFound, PermissionDenied
from notifications.api.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointOutputSerializer,
)
from notifications.models import WebhookEndpoint
from notifications.webhooks import (
    webhook_deliveries_for_endpoint,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoints_for_vendor,
)
from vendors.selectors import MANAGER_ROLES, membership_role, vendors_visible_to


def require_webhook_manager(*, request: Request, vendor_id: uuid.UUID) -> None:
    """Owners and managers pass. Other members (and admins) see the vendor: 403. Anyone else: 404."""
    role = membership_role(user=request.user, vendor_id=vendor_id)
    if role in MANAGER_ROLES:
        return
    if role is not None or (request.user.is_staff and vendors_visible_to(request.user).filter(pk=vendor_id).exists()):
        raise PermissionDenied("Only the vendor's owners and managers manage its webhooks.")
    raise NotFound("No such vendor.")


@extend_schema(tags=["webhooks"])
class VendorWebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = WebhookEndpointOutputSerializer
    lookup_url_kwarg = "webhook_id"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication first: anonymous is 401
        require_webhook_manager(request=request, vendor_id=kwargs["vendor_id"])

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return webhook_endpoints_for_vendor(vendor_id=self.kwargs["vendor_id"])

    @extend_schema(request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request, vendor_id: uuid.UUID) -> Response:
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(vendor_id=vendor_id, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=WebhookDeliveryOutputSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliveryOutputSerializer)
    def deliveries(self, request: Request, vendor_id: uuid.UUID, webhook_id: uuid.UUID) -> Response:
        page = self.paginate_queryset(webhook_deliveries_for_endpoint(endpoint=self.get_object()))
        return self.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)
