"""Dispute endpoints: thin views over disputes.services and disputes.selectors.

Access: the booking's customer and its vendor's members are the parties; admins
(``is_staff``) see every dispute. A dispute the caller is not a party to is 404 whatever
the action; review actions on a visible dispute are 403 for non-admins (the services
decide both, so the admin console gets the same answers).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.viewsets import GenericViewSet

from accounts.models import User
from bookings.api.idempotency import idempotent_response
from bookings.api.views import IDEMPOTENCY_HEADER
from common.pagination import CursorPagination
from disputes import selectors, services
from disputes.api.filters import DisputeFilter
from disputes.api.serializers import (
    DisputeCommentInput,
    DisputeCommentOutput,
    DisputeDetailOutput,
    DisputeOpenInput,
    DisputeOutput,
    DisputeRejectInput,
    DisputeResolveInput,
    DisputeReviewInput,
)
from disputes.models import Dispute

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
DISPUTE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
BOOKING_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the disputed booking")


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)  # every endpoint here requires IsAuthenticated
    return request.user


class CommentPagination(CursorPagination):
    """Oldest first: a thread reads top to bottom."""

    ordering = ("created_at", "id")  # type: ignore[assignment]  # DRF takes a tuple; its stubs say str


@extend_schema(tags=["disputes"])
class BookingDisputeCreateView(GenericAPIView):
    """``POST /bookings/{id}/disputes``: lives with disputes, routed next to the booking."""

    permission_classes = [IsAuthenticated]
    serializer_class = DisputeOpenInput

    @extend_schema(
        summary="Open a dispute about a booking (its customer or a member of its vendor)",
        parameters=[BOOKING_ID, IDEMPOTENCY_HEADER],
        request=DisputeOpenInput,
        responses={201: DisputeDetailOutput},
    )
    def post(self, request: Request, id: uuid.UUID) -> Response:
        data = DisputeOpenInput(data=request.data)
        data.is_valid(raise_exception=True)

        def run() -> tuple[int, Any]:
            dispute = services.dispute_open(booking_id=id, actor=_actor(request), **data.validated_data)
            detail = selectors.dispute_get(dispute_id=dispute.pk, user=request.user, thread=True)
            return status.HTTP_201_CREATED, DisputeDetailOutput(detail).data

        return idempotent_response(request, scope="disputes.open", run=run)


@extend_schema_view(
    list=extend_schema(
        summary="Disputes the caller is a party to (admins: all)",
        description="Newest first, cursor-paginated. Filters: `status` (repeatable), `reason`, `booking`.",
    ),
    retrieve=extend_schema(summary="One dispute with its booking, comments and timeline", parameters=[DISPUTE_ID]),
)
@extend_schema(tags=["disputes"])
class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    permission_classes = [IsAuthenticated]
    filterset_class = DisputeFilter
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Dispute]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Dispute.objects.none()
        disputes = selectors.disputes_visible_to(self.request.user)
        return selectors.with_thread(disputes) if self.action == "retrieve" else disputes

    # What the browsable API offers as the form of each action (the schema is declared per action).
    input_serializers: dict[str, type[BaseSerializer]] = {
        "comments": DisputeCommentInput,
        "comment_add": DisputeCommentInput,
        "start_review": DisputeReviewInput,
        "resolve": DisputeResolveInput,
        "reject": DisputeRejectInput,
    }

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "list":
            return DisputeOutput
        return self.input_serializers.get(self.action or "", DisputeDetailOutput)

    def _dispute_id(self) -> uuid.UUID:
        return uuid.UUID(self.kwargs["pk"])  # the route's regex only lets UUIDs through

    def _detail(self, dispute: Dispute) -> Response:
        fresh = selectors.dispute_get(dispute_id=dispute.pk, user=self.request.user, thread=True)
        return Response(DisputeDetailOutput(fresh).data)

    # --- the thread ------------------------------------------------------------------------

    @extend_schema(
        summary="The dispute's comments, oldest first",
        parameters=[DISPUTE_ID],
        responses=DisputeCommentOutput(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=CommentPagination, filterset_class=None)
    def comments(self, request: Request, pk: str) -> Response:
        dispute = selectors.dispute_get(dispute_id=self._dispute_id(), user=request.user)
        page = self.paginate_queryset(selectors.dispute_comments(dispute=dispute))
        return self.get_paginated_response(DisputeCommentOutput(page, many=True).data)

    @extend_schema(
        summary="Comment on a dispute (parties and admins, while it is open or under review)",
        parameters=[DISPUTE_ID, IDEMPOTENCY_HEADER],
        request=DisputeCommentInput,
        responses={201: DisputeCommentOutput},
    )
    @comments.mapping.post
    def comment_add(self, request: Request, pk: str) -> Response:
        data = DisputeCommentInput(data=request.data)
        data.is_valid(raise_exception=True)

        def run() -> tuple[int, Any]:
            comment = services.dispute_comment(
                dispute_id=self._dispute_id(), actor=_actor(request), body=data.validated_data["body"]
            )
            return status.HTTP_201_CREATED, DisputeCommentOutput(comment).data

        return idempotent_response(request, scope="disputes.comment", run=run)

    # --- admin review: compare-and-set transitions, 409 invalid_transition otherwise --------

    @extend_schema(
        summary="open → under_review (admin)",
        parameters=[DISPUTE_ID],
        request=DisputeReviewInput,
        responses={200: DisputeDetailOutput},
    )
    @action(detail=True, methods=["post"], url_path="start-review", filterset_class=None)
    def start_review(self, request: Request, pk: str) -> Response:
        data = DisputeReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_start_review(
            dispute_id=self._dispute_id(), actor=_actor(request), note=data.validated_data["note"]
        )
        return self._detail(dispute)

    @extend_schema(
        summary="under_review → resolved with an outcome and a recorded refund (admin)",
        parameters=[DISPUTE_ID],
        request=DisputeResolveInput,
        responses={200: DisputeDetailOutput},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request: Request, pk: str) -> Response:
        data = DisputeResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_resolve(dispute_id=self._dispute_id(), actor=_actor(request), **data.validated_data)
        return self._detail(dispute)

    @extend_schema(
        summary="under_review → rejected, closed without an outcome (admin)",
        parameters=[DISPUTE_ID],
        request=DisputeRejectInput,
        responses={200: DisputeDetailOutput},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request: Request, pk: str) -> Response:
        data = DisputeRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_reject(
            dispute_id=self._dispute_id(), actor=_actor(request), note=data.validated_data["note"]
        )
        return self._detail(dispute)
