"""Resource types, resources, opening hours, exceptions and availability.

Access, in one place:

* ``/resource-types``: anyone reads; platform admins write (others 403, anonymous 401).
* ``/resources/{id}`` and everything under it: the resource is looked up in
  ``selectors.resources_visible_to(user)`` (bookable ones for everyone, all of their
  vendors' for members, all for admins), so an invisible one is 404 whatever the method.
  Reads are open to anyone who can see it; writes need owner/manager of its vendor or a
  platform admin (vendor ``staff``, customers and other vendors' members: 403).
* ``POST /resources``: the ``vendor`` in the body must be one the caller can see, else 400
  on ``vendor`` (the same answer whether it does not exist or is hidden); visible but the
  caller is not its owner/manager (or an admin): 403. The vendor may still be pending.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.models import User
from bookings.domain.availability import Reason
from common.errors import NotFound, PermissionDenied
from common.pagination import CursorPagination
from resources import services
from resources.api.permissions import CanManageResourceOrReadOnly, IsPlatformAdminOrReadOnly
from resources.api.serializers import (
    AvailabilityOutput,
    AvailabilityQuery,
    ExplainOutput,
    ResourceCreateInput,
    ResourceOutput,
    ResourceTypeCreateInput,
    ResourceTypeOutput,
    ResourceTypeUpdateInput,
    ResourceUpdateInput,
    ScheduleExceptionInput,
    ScheduleExceptionOutput,
    WeeklyHoursInput,
    WeeklyHoursOutput,
)
from resources.cache import (
    cached_availability,
    cached_explain,
    public_availability_body,
    public_availability_key,
    store_public_availability_body,
)
from resources.filters import ResourceFilter, restore_offset_plus
from resources.models import Resource, ResourceType, ScheduleException
from resources.selectors import (
    AvailableCatalog,
    can_manage_resources,
    is_public,
    resources_listed_for,
    resources_visible_to,
    weekly_hours_of,
)
from resources.validation import fail
from vendors.selectors import is_platform_admin, vendors_visible_to

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)  # every write requires authentication
    return request.user


def _customer_id(request: Request) -> uuid.UUID | None:
    return request.user.pk if isinstance(request.user, User) else None


# --- resource types --------------------------------------------------------------------------


class ResourceTypePagination(CursorPagination):
    ordering = "key"


@extend_schema_view(
    list=extend_schema(summary="Resource types (admins also see retired ones)"),
    retrieve=extend_schema(summary="One resource type"),
)
@extend_schema(tags=["resource types"])
class ResourceTypeViewSet(GenericViewSet):
    lookup_field = "key"
    lookup_value_regex = "[a-z0-9][a-z0-9_-]{0,49}"
    permission_classes = [IsAuthenticatedOrReadOnly, IsPlatformAdminOrReadOnly]
    pagination_class = ResourceTypePagination
    serializer_class = ResourceTypeOutput
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ResourceType]:
        types = ResourceType.objects.all()
        return types if is_platform_admin(self.request.user) else types.filter(is_active=True)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ResourceTypeOutput(page, many=True).data)

    def retrieve(self, request: Request, key: str) -> Response:
        return Response(ResourceTypeOutput(self.get_object()).data)

    @extend_schema(
        summary="Create a resource type (admin)", request=ResourceTypeCreateInput, responses={201: ResourceTypeOutput}
    )
    def create(self, request: Request) -> Response:
        data = ResourceTypeCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        resource_type = services.resource_type_create(actor=_actor(request), **data.validated_data)
        return Response(ResourceTypeOutput(resource_type).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a resource type (admin)", request=ResourceTypeUpdateInput, responses=ResourceTypeOutput
    )
    def partial_update(self, request: Request, key: str) -> Response:
        resource_type = self.get_object()
        data = ResourceTypeUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        resource_type = services.resource_type_update(
            actor=_actor(request), resource_type=resource_type, **data.validated_data
        )
        return Response(ResourceTypeOutput(resource_type).data)


# --- resources ----------------------------------------------------------------------------------


class ExceptionPagination(CursorPagination):
    ordering = "start"


RESOURCE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXCEPTION_ID = OpenApiParameter("exception_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
AVAILABILITY_PARAMETERS = [
    RESOURCE_ID,
    OpenApiParameter(
        "start", OpenApiTypes.STR, required=True, description="ISO 8601 with offset (nightly: also YYYY-MM-DD)"
    ),
    OpenApiParameter(
        "end", OpenApiTypes.STR, required=True, description="ISO 8601 with offset (nightly: also YYYY-MM-DD)"
    ),
    OpenApiParameter("quantity", OpenApiTypes.INT, description="Units needed, 1..capacity (default 1)"),
]


@extend_schema_view(
    list=extend_schema(summary="The catalog: bookable resources, with search and availability filters"),
    retrieve=extend_schema(summary="One resource", parameters=[RESOURCE_ID]),
)
@extend_schema(tags=["resources"])
class ResourceViewSet(GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    permission_classes = [IsAuthenticatedOrReadOnly, CanManageResourceOrReadOnly]
    serializer_class = ResourceOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResourceFilter
    _filterset: ResourceFilter | None = None

    def get_queryset(self) -> QuerySet[Resource]:
        if self.action == "list":
            return resources_listed_for(self.request.user, vendor_id=self._vendor_param())
        return resources_visible_to(self.request.user)

    def _vendor_param(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.request.query_params.get("vendor", ""))
        except ValueError:
            return None  # the filter reports a malformed id as a 400

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # Only the catalog list is searched; detail routes must ignore query parameters
        # (``quantity`` on /availability is not a catalog filter).
        if self.action != "list":
            return queryset
        self._filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        assert self._filterset is not None
        if not self._filterset.is_valid():
            raise translate_validation(self._filterset.errors)
        return self._filterset.qs

    def list(self, request: Request) -> Response:
        catalog = self.filter_queryset(self.get_queryset())
        period = self._filterset.availability_period if self._filterset else None
        if period is not None and self._filterset is not None:
            # Free units, hours and notice, tested batch by batch in page order (see AvailableCatalog).
            available = AvailableCatalog(
                catalog, period=period, quantity=self._filterset.quantity_wanted, now=timezone.now()
            )
            page = self.paginate_queryset(available) or []  # type: ignore[arg-type]  # pages like a QuerySet
        else:
            page = self.paginate_queryset(catalog) or []
        return self.get_paginated_response(ResourceOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ResourceOutput(self.get_object()).data)

    @extend_schema(
        summary="Add a resource to a vendor (owner/manager)",
        request=ResourceCreateInput,
        responses={201: ResourceOutput},
    )
    def create(self, request: Request) -> Response:
        data = ResourceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        actor = _actor(request)
        vendor = vendors_visible_to(actor).filter(pk=fields.pop("vendor")).first()
        if vendor is None:
            fail({"vendor": ["Unknown vendor."]})
        if not can_manage_resources(actor, vendor_id=vendor.pk):
            raise PermissionDenied("Only the vendor's owners and managers may add resources.")
        resource_type = ResourceType.objects.filter(key=fields.pop("type")).first()
        if resource_type is None:
            fail({"type": ["Unknown resource type."]})
        resource = services.resource_create(actor=actor, vendor=vendor, resource_type=resource_type, **fields)
        return Response(ResourceOutput(resource).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a resource (owner/manager)",
        parameters=[RESOURCE_ID],
        request=ResourceUpdateInput,
        responses=ResourceOutput,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        data = ResourceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        resource = services.resource_update(actor=_actor(request), resource=resource, **data.validated_data)
        return Response(ResourceOutput(resource).data)

    @extend_schema(
        summary="Deactivate a resource (owner/manager); history is kept",
        parameters=[RESOURCE_ID],
        responses={204: None},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.resource_deactivate(actor=_actor(request), resource=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- opening hours and exceptions ---

    @extend_schema(
        methods=["GET"], summary="Weekly opening hours", parameters=[RESOURCE_ID], responses=WeeklyHoursOutput
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace the weekly opening hours (owner/manager)",
        parameters=[RESOURCE_ID],
        request=WeeklyHoursInput,
        responses=WeeklyHoursOutput,
    )
    @action(detail=True, methods=["get", "put"])
    def hours(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        if request.method == "PUT":
            data = WeeklyHoursInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.resource_set_weekly_hours(resource=resource, rules=data.validated_data["weekly"])
        return Response(WeeklyHoursOutput({"weekly": weekly_hours_of(resource)}).data)

    @extend_schema(
        methods=["GET"],
        summary="Schedule exceptions, by start",
        parameters=[RESOURCE_ID],
        responses=ScheduleExceptionOutput(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a closed or open exception (owner/manager)",
        parameters=[RESOURCE_ID],
        request=ScheduleExceptionInput,
        responses={201: ScheduleExceptionOutput},
    )
    # No filter backends: the catalog filters do not apply here (the schema listed them, and
    # a request with ?vendor=… was accepted and the parameter ignored).
    @action(detail=True, methods=["get", "post"], pagination_class=ExceptionPagination, filter_backends=[])
    def exceptions(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        if request.method == "POST":
            data = ScheduleExceptionInput(data=request.data)
            data.is_valid(raise_exception=True)
            exception = services.schedule_exception_add(resource=resource, **data.validated_data)
            return Response(ScheduleExceptionOutput(exception).data, status=status.HTTP_201_CREATED)
        paginator = ExceptionPagination()
        page = paginator.paginate_queryset(ScheduleException.objects.filter(resource=resource), request, view=self)
        return paginator.get_paginated_response(ScheduleExceptionOutput(page, many=True).data)

    @extend_schema(
        summary="Remove an exception (owner/manager)", parameters=[RESOURCE_ID, EXCEPTION_ID], responses={204: None}
    )
    @action(detail=True, methods=["delete"], url_path=f"exceptions/(?P<exception_id>{UUID_PATTERN})")
    def exception_detail(self, request: Request, pk: str, exception_id: str) -> Response:
        resource = self.get_object()
        exception = ScheduleException.objects.filter(resource=resource, pk=exception_id).first()
        if exception is None:
            raise NotFound("No such exception on this resource.")
        services.schedule_exception_remove(exception=exception)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- availability ---

    def _query(self, request: Request, resource: Resource) -> AvailabilityQuery:
        params = {key: restore_offset_plus(str(value)) for key, value in request.query_params.items()}
        query = AvailabilityQuery(data=params, context={"resource": resource})
        query.is_valid(raise_exception=True)
        return query

    @extend_schema(
        summary="Bookable options in a window (≤ 62 days)",
        parameters=AVAILABILITY_PARAMETERS,
        responses=AvailabilityOutput,
    )
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, pk: str) -> HttpResponseBase:
        now = timezone.now()
        # A public resource's answer is cached rendered (resources.cache): a hit is one
        # version read and one entry read, no database. Auth and throttles have run already.
        key = None
        if request.accepted_renderer.format == "json":
            # The canonical id: the version key is bumped under str(resource.pk), never another spelling.
            key = public_availability_key(uuid.UUID(pk), request.query_params, now)
            cached = public_availability_body(key) if key is not None else None
            if cached is not None:
                return HttpResponse(cached, content_type="application/json")
        resource = self.get_object()
        query = self._query(request, resource).validated_data
        options = cached_availability(resource=resource, window=query["period"], quantity=query["quantity"], now=now)
        # Rendered by hand (the shape of AvailabilityOutput, which documents it): a week of
        # slots is hundreds of rows, and DRF field-by-field serialisation was a third of a
        # cached read's CPU (docs/performance.md).
        body = {
            "resource": str(resource.pk),
            "timezone": resource.timezone,
            "booking_mode": resource.booking_mode,
            "options": [{"start": _utc(o.start), "end": _utc(o.end), "available": o.available} for o in options],
        }
        if key is not None and is_public(resource):
            rendered = JSONRenderer().render(body)
            store_public_availability_body(key, rendered)
            return HttpResponse(rendered, content_type="application/json")
        return Response(body)

    @extend_schema(
        summary="Why a period is (not) bookable", parameters=AVAILABILITY_PARAMETERS, responses=ExplainOutput
    )
    @action(detail=True, methods=["get"], url_path="availability/explain")
    def explain(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        query = self._query(request, resource).validated_data
        reasons = cached_explain(
            resource=resource,
            requested=query["period"],
            quantity=query["quantity"],
            now=timezone.now(),
            customer_id=_customer_id(request),
        )
        rows = [_reason_row(reason) for reason in reasons]
        return Response(ExplainOutput({"bookable": not reasons, "reasons": rows}).data)


def _utc(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, exactly as DRF's DateTimeField renders it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _reason_row(reason: Reason) -> dict[str, Any]:
    """A reason as output: ``start``/``end`` only when the reason has a place in time."""
    row = {"code": reason.code, "detail": reason.detail, "start": reason.start, "end": reason.end}
    return {key: value for key, value in row.items() if value is not None}
