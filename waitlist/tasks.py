"""Waitlist jobs. Thin: ids in, a service call, safe to run twice."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import InterfaceError, OperationalError

from bookings.errors import SlotUnavailable
from common.errors import NotFound
from notifications.locks import periodic_lock
from waitlist.services import waitlist_offer_freed, waitlist_reconcile

SWEEP_LOCK_SECONDS = 120


# SlotUnavailable here is the resource lock's bounded wait running out (a hot resource):
# retried with backoff like a database blip; the reconcile sweep is the backstop.
@shared_task(
    name="waitlist.tasks.offer_freed_units",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(SlotUnavailable, OperationalError, InterfaceError),
)
def offer_freed_units(resource_id: str) -> int:
    """Offer the freed units of one resource to its waitlist (after a freeing commit)."""
    try:
        return waitlist_offer_freed(resource_id=uuid.UUID(str(resource_id)))
    except NotFound:  # the resource is gone: nothing to offer
        return 0


@shared_task(name="waitlist.tasks.sweep_waitlists", ignore_result=True)
def sweep_waitlists() -> dict[str, int] | None:
    """Backstop (beat, every minute): settle offers whose events were lost, expire stale
    entries, and run an offer round on every resource that still has waiting entries."""
    with periodic_lock("sweep-waitlists", timeout_seconds=SWEEP_LOCK_SECONDS) as acquired:
        return waitlist_reconcile() if acquired else None
