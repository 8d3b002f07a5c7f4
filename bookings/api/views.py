"""Booking endpoints: thin views over bookings.services."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts.models import User
from bookings import calendar, services
from bookings.api.filters import BookingFilter
from bookings.api.idempotency import idempotent_response
from bookings.api.serializers import (
    BookingCreateInput,
    BookingEventOutput,
    BookingOutput,
    ReasonInput,
    RescheduleInput,
)
from bookings.domain.policy import nights_period
from bookings.models import Booking
from common.errors import InvalidInput, NotFound
from common.pagination import CursorPagination
from common.throttling import UserRateThrottle
from resources.models import Resource
from resources.selectors import policy_for
from vendors.selectors import is_vendor_member, member_vendor_ids

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe key (≤ 255 chars): a retry replays the first response.",
)


class BookingCreateThrottle(UserRateThrottle):
    scope = "booking"


class ThrottledCreateMixin:
    """Creating bookings (one, or a series) also counts against the per-user ``booking`` rate."""

    def get_throttles(self) -> list[BaseThrottle]:
        throttles: list[BaseThrottle] = super().get_throttles()  # type: ignore[misc]
        if getattr(self, "action", None) == "create":
            throttles.append(BookingCreateThrottle())
        return throttles


class HistoryPagination(CursorPagination):
    ordering = "at"


def _as_period(resource_id: uuid.UUID, start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """Dates mean check-in/check-out dates of a nightly resource; date-times pass through."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return start, end
    resource = Resource.objects.filter(pk=resource_id).select_related("vendor").first()
    if resource is None:
        raise NotFound("No such resource.")
    if resource.booking_mode != "nightly":
        raise InvalidInput(
            "Dates are only accepted for nightly resources; give date-times with an offset.",
            code="validation_error",
            extra={"errors": {"start": ["Give a date-time with an offset."]}},
        )
    period = nights_period(check_in=start, check_out=end, policy=policy_for(resource))  # type: ignore[arg-type]
    return period.start, period.end


class BookingViewSet(ThrottledCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers book; the vendor's members and admins manage. Others' bookings are 404."""

    serializer_class = BookingOutput
    permission_classes = [IsAuthenticated]
    filterset_class = BookingFilter
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self) -> QuerySet[Booking]:
        user = self.request.user
        qs = Booking.objects.select_related("resource", "resource__vendor")
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return qs.none()
        if user.is_staff:
            return qs
        if self.action == "list":
            return self._list_scope(qs, user)  # type: ignore[arg-type]
        return qs.filter(Q(customer=user) | Q(resource__vendor_id__in=member_vendor_ids(user=user)))

    def _list_scope(self, qs: QuerySet[Booking], user: User) -> QuerySet[Booking]:
        """Own bookings by default; ``?vendor=`` switches to that vendor's bookings (members only)."""
        raw_vendor = self.request.query_params.get("vendor")
        if not raw_vendor:
            return qs.filter(customer=user)
        try:
            vendor_id = uuid.UUID(raw_vendor)
        except ValueError as exc:
            raise InvalidInput(
                "vendor must be a UUID.", code="validation_error", extra={"errors": {"vendor": ["invalid UUID"]}}
            ) from exc
        if not is_vendor_member(user=user, vendor_id=vendor_id):
            raise NotFound("No such vendor.")
        return qs.filter(resource__vendor_id=vendor_id)

    def _booking_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.kwargs["pk"])
        except ValueError as exc:
            raise NotFound("No such booking.") from exc

    def _reply(self, booking: Booking, code: int = status.HTTP_200_OK) -> Response:
        return Response(BookingOutput(booking).data, status=code)

    @extend_schema(request=BookingCreateInput, responses={201: BookingOutput}, parameters=[IDEMPOTENCY_HEADER])
    def create(self, request: Request) -> Response:
        data = BookingCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        start, end = _as_period(values["resource"], values["start"], values["end"])

        def run() -> tuple[int, Any]:
            booking = services.booking_create(
                customer=request.user,  # type: ignore[arg-type]
                resource_id=values["resource"],
                start=start,
                end=end,
                quantity=values["quantity"],
                notes=values["notes"],
                confirm=values["confirm"],
            )
            return status.HTTP_201_CREATED, BookingOutput(booking).data

        return idempotent_response(request, scope="bookings.create", run=run)

    @extend_schema(request=None, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._reply(services.booking_confirm(booking_id=self._booking_id(), actor=request.user))  # type: ignore[arg-type]

    @extend_schema(request=ReasonInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        reason = self._reason(request)
        return self._reply(services.booking_approve(booking_id=self._booking_id(), actor=request.user, reason=reason))  # type: ignore[arg-type]

    @extend_schema(request=ReasonInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        reason = self._reason(request)
        return self._reply(services.booking_reject(booking_id=self._booking_id(), actor=request.user, reason=reason))  # type: ignore[arg-type]

    @extend_schema(request=ReasonInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        reason = self._reason(request)
        return self._reply(services.booking_cancel(booking_id=self._booking_id(), actor=request.user, reason=reason))  # type: ignore[arg-type]

    @extend_schema(request=ReasonInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        reason = self._reason(request)
        booking = services.booking_mark_no_show(booking_id=self._booking_id(), actor=request.user, reason=reason)  # type: ignore[arg-type]
        return self._reply(booking)

    @extend_schema(request=RescheduleInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = self.get_object()
        start, end = _as_period(booking.resource_id, data.validated_data["start"], data.validated_data["end"])
        booking = services.booking_reschedule(booking_id=booking.pk, actor=request.user, start=start, end=end)  # type: ignore[arg-type]
        return self._reply(booking)

    @extend_schema(responses={200: BookingEventOutput(many=True)})
    @action(detail=True, methods=["get"], pagination_class=HistoryPagination, filterset_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        page = self.paginate_queryset(booking.events.all())
        return self.get_paginated_response(BookingEventOutput(page, many=True).data)

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="calendar.ics", filterset_class=None)
    def calendar_ics(self, request: Request, pk: str | None = None) -> HttpResponse:
        booking = self.get_object()
        response = HttpResponse(calendar.booking_ics(booking), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
        return response

    @staticmethod
    def _reason(request: Request) -> str:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return str(data.validated_data["reason"])
