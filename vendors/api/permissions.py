"""Role checks on a vendor the caller can already see.

Views look vendors up in ``selectors.vendor_list(user=...)`` first, so a vendor the caller
cannot see is a 404 before any of these run; these turn a visible vendor into 403 when
the caller's role is not enough. Platform admins (``is_staff``) pass every check.
"""

from __future__ import annotations

from typing import Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from vendors import selectors
from vendors.models import MembershipRole, Vendor


def _role(request: Request, vendor: Vendor) -> str | None:
    if hasattr(vendor, "my_role"):  # annotated by selectors.with_my_role
        return cast(str | None, vendor.my_role)
    return selectors.membership_role(user=request.user, vendor_id=vendor.pk)


class IsPlatformAdmin(BasePermission):
    message = "Only platform admins may do this."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return selectors.is_platform_admin(request.user)


class CanManageVendor(BasePermission):
    """Owners and managers edit the vendor and its catalog."""

    message = "Only the vendor's owners and managers may do this."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return selectors.is_platform_admin(request.user) or _role(request, obj) in selectors.MANAGER_ROLES


class IsVendorOwner(BasePermission):
    """Owners manage who works for the vendor."""

    message = "Only the vendor's owners may do this."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return selectors.is_platform_admin(request.user) or _role(request, obj) == MembershipRole.OWNER
