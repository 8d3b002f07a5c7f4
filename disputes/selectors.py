"""Reads for disputes, scoped to the caller: parties see theirs, platform admins see all."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from common.errors import NotFound
from disputes.models import Dispute, DisputeComment, DisputeEvent
from vendors.models import Membership


def disputes_visible_to(user: User | AnonymousUser | None) -> QuerySet[Dispute]:
    """Disputes on bookings where ``user`` is the customer or a member of the vendor; all for admins."""
    qs = Dispute.objects.select_related("booking__resource__vendor", "booking__customer")
    if not isinstance(user, User) or not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    # A subquery rather than a join on memberships: no duplicate rows, no DISTINCT.
    member_of = Membership.objects.filter(user=user).values("vendor_id")
    return qs.filter(Q(booking__customer=user) | Q(booking__resource__vendor_id__in=member_of))


def with_thread(qs: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Comments (with authors) and the timeline, in two queries for any number of disputes."""
    return qs.prefetch_related(
        Prefetch("comments", queryset=DisputeComment.objects.select_related("author")),
        Prefetch("events", queryset=DisputeEvent.objects.all()),
    )


def dispute_get(*, dispute_id: uuid.UUID, user: User | AnonymousUser | None, thread: bool = False) -> Dispute:
    """One dispute (with ``thread``: comments and timeline); 404 for anyone not a party or an admin."""
    disputes = disputes_visible_to(user)
    dispute = (with_thread(disputes) if thread else disputes).filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound("No such dispute.")
    return dispute


def dispute_comments(*, dispute: Dispute) -> QuerySet[DisputeComment]:
    return DisputeComment.objects.filter(dispute=dispute).select_related("author", "dispute__booking")
