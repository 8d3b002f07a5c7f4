"""Reads for the waitlist: who sees which entries, and each waiting entry's position."""

from __future__ import annotations

import uuid

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from vendors.selectors import member_vendor_ids
from waitlist.models import WaitlistEntry, WaitlistStatus


def with_position(entries: QuerySet[WaitlistEntry]) -> QuerySet[WaitlistEntry]:
    """Annotate ``position``: 1 + the waiting entries of the same resource whose period
    overlaps this one and that joined earlier (``created_at``, then id: the offer order).
    Only waiting entries have a position; an offered entry has left the queue."""
    ahead = (
        WaitlistEntry.objects.filter(
            resource_id=OuterRef("resource_id"),
            status=WaitlistStatus.WAITING,
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id")))
        .order_by()
        .values("resource_id")
        .annotate(ahead=Count("pk"))
        .values("ahead")
    )
    ahead_count = Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0))
    return entries.annotate(
        position=Case(
            When(status=WaitlistStatus.WAITING, then=ahead_count + Value(1)),
            default=None,
            output_field=IntegerField(),
        )
    )


def entries_of_customer(user: User) -> QuerySet[WaitlistEntry]:
    return with_position(WaitlistEntry.objects.filter(customer=user))


def entries_of_resource(resource_id: uuid.UUID) -> QuerySet[WaitlistEntry]:
    return with_position(WaitlistEntry.objects.filter(resource_id=resource_id))


def entries_visible_to(user: User) -> QuerySet[WaitlistEntry]:
    """One's own entries, the entries of one's vendors' resources, everything for admins."""
    entries = WaitlistEntry.objects.all()
    if not user.is_staff:
        entries = entries.filter(Q(customer=user) | Q(resource__vendor_id__in=member_vendor_ids(user=user)))
    return with_position(entries)
