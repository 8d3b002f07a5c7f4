"""Who may write to the catalog.

Resource types are platform data: only platform admins (``is_staff``) write them.
Resources are looked up in ``selectors.resources_visible_to`` first, so one the caller
cannot see is a 404 before these run; a visible one the caller may not manage is a 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from resources.models import Resource
from resources.selectors import can_manage_resources
from vendors.selectors import is_platform_admin


class IsPlatformAdminOrReadOnly(BasePermission):
    message = "Only platform admins may change resource types."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_platform_admin(request.user)


class CanManageResourceOrReadOnly(BasePermission):
    """Reads for anyone who can see the resource; writes for the vendor's owners and managers
    (and platform admins). The vendor's ``staff`` role books and serves, it does not edit."""

    message = "Only the vendor's owners and managers may change this resource."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        assert isinstance(obj, Resource)
        return can_manage_resources(request.user, vendor_id=obj.vendor_id)
