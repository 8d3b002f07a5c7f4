"""The waitlist is driven by committed events: the outbox fan-out and resource changes
that add room ask for an offer round (the broker publish is recorded by the conftest)."""

from __future__ import annotations

import pytest

from bookings import services
from notifications.models import OutboxEvent
from notifications.services import outbox_process_event
from resources.services import resource_update
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource, member
from tests.factories.waitlist import fill, join
from waitlist.models import WaitlistStatus
from waitlist.services import waitlist_offer_freed

pytestmark = pytest.mark.django_db


def test_a_cancellation_processed_by_the_outbox_asks_for_an_offer_round(
    offers_requested, django_capture_on_commit_callbacks
):
    resource = make_resource("slots", capacity=1)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    taken = fill(resource, start, end)
    entry = join(UserFactory(), resource, start, end)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking_id=taken.pk, actor=taken.customer, reason="plans changed")
    event = OutboxEvent.objects.get(event_type="booking.cancelled", booking_id=taken.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process_event(event_id=event.pk) is True
    assert offers_requested == [str(resource.pk)]
    assert waitlist_offer_freed(resource_id=resource.pk) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED


def test_raising_capacity_asks_for_an_offer_round(offers_requested, django_capture_on_commit_callbacks):
    resource = make_resource("slots", capacity=1)
    start, end = local_at(3, 9), local_at(3, 9, 30)
    fill(resource, start, end)
    join(UserFactory(), resource, start, end)
    owner = member(resource.vendor)
    with django_capture_on_commit_callbacks(execute=True):
        resource_update(actor=owner, resource=resource, capacity=2)
    assert offers_requested == [str(resource.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        resource_update(actor=owner, resource=resource, description="no change in room")
    assert offers_requested == [str(resource.pk)]
