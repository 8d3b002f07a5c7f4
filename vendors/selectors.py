"""Who may see and manage which vendor: the one place that answers it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value

from accounts.models import User
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

MANAGER_ROLES = (MembershipRole.OWNER, MembershipRole.MANAGER)
ALL_ROLES = (MembershipRole.OWNER, MembershipRole.MANAGER, MembershipRole.STAFF)


def _signed_in(user: User | AnonymousUser | None) -> User | None:
    """The user when signed in, else ``None`` (narrows the type for the ORM lookups below)."""
    return user if isinstance(user, User) and user.is_authenticated else None


def is_platform_admin(user: User | AnonymousUser | None) -> bool:
    """Platform admins are ``is_staff`` users (not to be confused with a vendor's ``staff`` role)."""
    signed_in = _signed_in(user)
    return signed_in is not None and signed_in.is_staff


def member_vendor_ids(*, user: User | AnonymousUser | None, roles: Iterable[str] = ALL_ROLES) -> set[uuid.UUID]:
    """Vendors where ``user`` holds one of ``roles`` (any status)."""
    signed_in = _signed_in(user)
    if signed_in is None:
        return set()
    return set(Membership.objects.filter(user=signed_in, role__in=list(roles)).values_list("vendor_id", flat=True))


def membership_role(*, user: User | AnonymousUser | None, vendor_id: uuid.UUID) -> str | None:
    signed_in = _signed_in(user)
    if signed_in is None:
        return None
    return Membership.objects.filter(user=signed_in, vendor_id=vendor_id).values_list("role", flat=True).first()


def is_vendor_member(
    *, user: User | AnonymousUser | None, vendor_id: uuid.UUID, roles: Iterable[str] = ALL_ROLES
) -> bool:
    return membership_role(user=user, vendor_id=vendor_id) in set(roles)


def vendors_visible_to(user: User | AnonymousUser | None) -> QuerySet[Vendor]:
    """Active vendors for everyone; members also see their own in any status; admins see all."""
    qs = Vendor.objects.all()
    signed_in = _signed_in(user)
    if signed_in is not None and signed_in.is_staff:
        return qs
    visible = Q(status=VendorStatus.ACTIVE)
    if signed_in is not None:
        # A subquery rather than a join: no duplicate rows, so no DISTINCT that would
        # fight with annotations and cursor ordering.
        visible |= Q(pk__in=Membership.objects.filter(user=signed_in).values("vendor_id"))
    return qs.filter(visible)


def vendor_list(*, user: User | AnonymousUser | None) -> QuerySet[Vendor]:
    """Vendors ``user`` may see, each annotated with ``my_role`` (the caller's role or ``None``).

    Filters (status, category, name) narrow this set and never widen it.
    """
    return with_my_role(vendors_visible_to(user), user=user)


def with_my_role(qs: QuerySet[Vendor], *, user: User | AnonymousUser | None) -> QuerySet[Vendor]:
    """Annotate ``my_role`` in the same query, so lists do not ask once per row."""
    signed_in = _signed_in(user)
    if signed_in is None:
        return qs.annotate(my_role=Value(None, output_field=CharField()))
    role = Membership.objects.filter(vendor=OuterRef("pk"), user=signed_in).values("role")[:1]
    return qs.annotate(my_role=Subquery(role))


def vendor_members(*, vendor: Vendor) -> QuerySet[Membership]:
    """A vendor's memberships with their users (for the members list)."""
    return Membership.objects.filter(vendor=vendor).select_related("user")


def vendor_owner_count(*, vendor: Vendor) -> int:
    return Membership.objects.filter(vendor=vendor, role=MembershipRole.OWNER).count()
