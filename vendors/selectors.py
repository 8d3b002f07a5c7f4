"""Who may see and manage which vendor: the one place that answers it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

MANAGER_ROLES = (MembershipRole.OWNER, MembershipRole.MANAGER)
ALL_ROLES = (MembershipRole.OWNER, MembershipRole.MANAGER, MembershipRole.STAFF)


def _is_user(user: User | AnonymousUser | None) -> bool:
    return user is not None and user.is_authenticated


def member_vendor_ids(*, user: User | AnonymousUser | None, roles: Iterable[str] = ALL_ROLES) -> set[uuid.UUID]:
    """Vendors where ``user`` holds one of ``roles`` (any status)."""
    if not _is_user(user):
        return set()
    return set(Membership.objects.filter(user=user, role__in=list(roles)).values_list("vendor_id", flat=True))


def membership_role(*, user: User | AnonymousUser | None, vendor_id: uuid.UUID) -> str | None:
    if not _is_user(user):
        return None
    return Membership.objects.filter(user=user, vendor_id=vendor_id).values_list("role", flat=True).first()


def is_vendor_member(
    *, user: User | AnonymousUser | None, vendor_id: uuid.UUID, roles: Iterable[str] = ALL_ROLES
) -> bool:
    return membership_role(user=user, vendor_id=vendor_id) in set(roles)


def vendors_visible_to(user: User | AnonymousUser | None) -> QuerySet[Vendor]:
    """Active vendors for everyone; members also see their own in any status; admins see all."""
    qs = Vendor.objects.all()
    if _is_user(user) and user.is_staff:  # type: ignore[union-attr]
        return qs
    visible = Q(status=VendorStatus.ACTIVE)
    if _is_user(user):
        visible |= Q(memberships__user=user)
    return qs.filter(visible).distinct()
