"""Vendor endpoints: apply, browse, edit, members, and the admin review actions.

Access, in one place (see ``permissions_by_action``): a vendor the caller cannot see
(``selectors.vendors_visible_to``) is 404 whatever the action; a visible vendor where
the caller's role is not enough is 403; anonymous callers of any write are 401.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.models import User
from common.pagination import CursorPagination
from vendors import selectors, services
from vendors.api.filters import VendorFilter
from vendors.api.permissions import CanManageVendor, IsPlatformAdmin, IsVendorOwner
from vendors.api.serializers import (
    MemberAddInput,
    MemberOutput,
    VendorApplyInput,
    VendorOutput,
    VendorStatusInput,
    VendorUpdateInput,
)
from vendors.models import Vendor

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class VendorPagination(CursorPagination):
    """Alphabetical. The cursor keeps the last name seen; ``id`` breaks ties between equal names."""

    ordering = ("name", "id")  # type: ignore[assignment]  # DRF takes a tuple; its stubs say str


class MemberPagination(CursorPagination):
    """Oldest membership first (the founding owner at the top)."""

    ordering = ("created_at", "id")  # type: ignore[assignment]


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)  # every write requires IsAuthenticated
    return request.user


_ADMIN = [IsAuthenticated, IsPlatformAdmin]

ReviewService = Callable[..., Vendor]

VENDOR_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
USER_ID = OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        summary="Vendors the caller can see",
        description=(
            "Active vendors for everyone; members also see their own vendors in any status; admins see all. "
            "Filters narrow that set, never widen it. Ordered by name (ties by id), cursor-paginated."
        ),
        responses=VendorOutput(many=True),
    ),
    retrieve=extend_schema(
        summary="One vendor (404 when the caller cannot see it)", parameters=[VENDOR_ID], responses=VendorOutput
    ),
)
@extend_schema(tags=["vendors"])
class VendorViewSet(GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    pagination_class = VendorPagination
    filterset_class = VendorFilter
    serializer_class = VendorOutput

    permissions_by_action: dict[str, list[type[BasePermission]]] = {
        "list": [AllowAny],
        "retrieve": [AllowAny],
        "create": [IsAuthenticated],
        "partial_update": [IsAuthenticated, CanManageVendor],
        "members": [IsAuthenticated, IsVendorOwner],
        "member_add": [IsAuthenticated, IsVendorOwner],
        "member_remove": [IsAuthenticated, IsVendorOwner],
        "approve": _ADMIN,
        "reject": _ADMIN,
        "suspend": _ADMIN,
        "reinstate": _ADMIN,
    }

    def get_permissions(self) -> list[BasePermission]:
        # Anything not listed (a new action someone forgot to add here) is admin-only.
        classes = self.permissions_by_action.get(self.action or "", _ADMIN)
        return [permission() for permission in classes]

    def get_queryset(self) -> QuerySet[Vendor]:
        return selectors.vendor_list(user=self.request.user)

    def _output(self, vendor: Vendor, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(VendorOutput(vendor, context=self.get_serializer_context()).data, status=status_code)

    # --- the vendor -------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        serializer = VendorOutput(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._output(self.get_object())

    @extend_schema(summary="Apply to become a vendor", request=VendorApplyInput, responses={201: VendorOutput})
    def create(self, request: Request) -> Response:
        data = VendorApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        vendor = services.vendor_apply(user=_actor(request), **data.validated_data)
        return self._output(vendor, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit the vendor profile",
        parameters=[VENDOR_ID],
        request=VendorUpdateInput,
        responses={200: VendorOutput},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        vendor = self.get_object()
        data = VendorUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        vendor = services.vendor_update(vendor=vendor, actor=_actor(request), **data.validated_data)
        return self._output(vendor)

    # --- members (owners only) ---------------------------------------------------------

    @extend_schema(summary="The vendor's members", parameters=[VENDOR_ID], responses=MemberOutput(many=True))
    @action(detail=True, methods=["get"], pagination_class=MemberPagination, filter_backends=[])
    def members(self, request: Request, pk: str) -> Response:
        vendor = self.get_object()
        page = self.paginate_queryset(selectors.vendor_members(vendor=vendor))
        return self.get_paginated_response(MemberOutput(page, many=True).data)

    @extend_schema(
        summary="Add a member by email", parameters=[VENDOR_ID], request=MemberAddInput, responses={201: MemberOutput}
    )
    @members.mapping.post
    def member_add(self, request: Request, pk: str) -> Response:
        vendor = self.get_object()
        data = MemberAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_add(vendor=vendor, actor=_actor(request), **data.validated_data)
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a member", parameters=[VENDOR_ID, USER_ID], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=f"members/(?P<user_id>{UUID_PATTERN})",
        url_name="member",
        filter_backends=[],
    )
    def member_remove(self, request: Request, pk: str, user_id: str) -> Response:
        vendor = self.get_object()
        services.membership_remove(vendor=vendor, actor=_actor(request), user_id=uuid.UUID(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- admin review: compare-and-set transitions, 409 invalid_transition otherwise ------

    def _review(self, request: Request, service: ReviewService) -> Response:
        vendor = self.get_object()
        data = VendorStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(service(vendor=vendor, actor=_actor(request), reason=data.validated_data["reason"]))

    @extend_schema(
        summary="pending → active", parameters=[VENDOR_ID], request=VendorStatusInput, responses={200: VendorOutput}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._review(request, services.vendor_approve)

    @extend_schema(
        summary="pending → rejected", parameters=[VENDOR_ID], request=VendorStatusInput, responses={200: VendorOutput}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._review(request, services.vendor_reject)

    @extend_schema(
        summary="active → suspended", parameters=[VENDOR_ID], request=VendorStatusInput, responses={200: VendorOutput}
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        return self._review(request, services.vendor_suspend)

    @extend_schema(
        summary="suspended → active", parameters=[VENDOR_ID], request=VendorStatusInput, responses={200: VendorOutput}
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str) -> Response:
        return self._review(request, services.vendor_reinstate)
