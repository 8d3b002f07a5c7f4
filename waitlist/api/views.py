"""Waitlist endpoints: ``/waitlist[/{id}]``, thin views over waitlist.services."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from bookings.api.views import _as_period
from common.errors import NotFound
from common.pagination import CursorPagination
from resources.models import Resource
from vendors.selectors import is_vendor_member
from waitlist import selectors, services
from waitlist.api.serializers import WaitlistEntryOutput, WaitlistJoinInput, WaitlistQuery
from waitlist.models import WaitlistEntry


class QueuePagination(CursorPagination):
    ordering = "created_at"  # the queue order


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("resource", str, description="a resource of your vendor: its whole waitlist"),
            OpenApiParameter("status", str, many=True, enum=["waiting", "offered", "booked", "expired", "left"]),
        ]
    ),
)
@extend_schema(tags=["waitlist"])
class WaitlistViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Customers queue for full periods; vendor members see their resources' queues."""

    serializer_class = WaitlistEntryOutput
    permission_classes = [IsAuthenticated]
    pagination_class = QueuePagination
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        if getattr(self, "swagger_fake_view", False):
            return WaitlistEntry.objects.none()
        user: User = self.request.user  # type: ignore[assignment]
        if self.action != "list":
            return selectors.entries_visible_to(user)
        query = WaitlistQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        resource_id = query.validated_data.get("resource")
        entries = selectors.entries_of_customer(user) if resource_id is None else self._resource_queue(resource_id)
        statuses = query.validated_data.get("status")
        return entries.filter(status__in=statuses) if statuses else entries

    def _resource_queue(self, resource_id: uuid.UUID) -> QuerySet[WaitlistEntry]:
        """A resource's whole waitlist: its vendor's members and admins only (else 404)."""
        user = self.request.user
        vendor_id = Resource.objects.filter(pk=resource_id).values_list("vendor_id", flat=True).first()
        if vendor_id is None or not (user.is_staff or is_vendor_member(user=user, vendor_id=vendor_id)):
            raise NotFound("No such resource.")
        return selectors.entries_of_resource(resource_id)

    @extend_schema(
        request=WaitlistJoinInput,
        responses={201: WaitlistEntryOutput, 200: WaitlistEntryOutput},
        description="Join the queue for a full period (201). An active entry for the same period is returned "
        "as it is (200): retrying never changes a place in the queue. Bookable now: 409 slot_available.",
    )
    def create(self, request: Request) -> Response:
        data = WaitlistJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        start, end = _as_period(values["resource"], values["start"], values["end"])
        entry, created = services.waitlist_join(
            customer=request.user,  # type: ignore[arg-type]
            resource_id=values["resource"],
            start=start,
            end=end,
            quantity=values["quantity"],
        )
        entry = selectors.entries_visible_to(request.user).get(pk=entry.pk)  # type: ignore[arg-type]
        return Response(
            WaitlistEntryOutput(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        try:
            entry_id = uuid.UUID(str(pk))
        except ValueError as exc:
            raise NotFound("No such waitlist entry.") from exc
        services.waitlist_leave(entry_id=entry_id, actor=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
