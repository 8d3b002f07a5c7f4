"""One open dispute per booking, decided by PostgreSQL when two parties open at the same instant.

Each thread has its own database connection (Django connections are per thread), so these
tests need ``transaction=True``; the flush that follows wipes migrated rows too, so every
test builds all it needs.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connections, transaction
from rest_framework.test import APIClient

from accounts.models import User
from common.errors import DomainError
from disputes import services
from disputes.models import Dispute, DisputeEvent
from notifications.models import OutboxEvent
from tests.factories.bookings import member
from tests.factories.disputes import confirmed_booking, open_dispute

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"reason": "not_provided", "description": "Nobody was there."}


def _race(users: list[User], work) -> list:
    gate = threading.Barrier(len(users))

    def run(user: User):
        gate.wait(timeout=30)
        try:
            return work(user)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        return list(pool.map(run, users))


def test_two_parties_opening_at_once_get_one_201_and_one_409():
    booking = confirmed_booking()
    vendor_member = member(booking.resource.vendor)

    def open_via_api(user: User) -> int:
        client = APIClient()
        client.force_authenticate(user)
        return client.post(f"/api/v1/bookings/{booking.pk}/disputes", BODY, format="json").status_code

    statuses = Counter(_race([booking.customer, vendor_member], open_via_api))

    assert statuses == Counter({201: 1, 409: 1})
    assert Dispute.objects.filter(booking=booking).count() == 1
    assert DisputeEvent.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="dispute.opened").count() == 1


def test_two_admins_resolving_at_once_have_one_winner():
    booking = confirmed_booking()
    admins = [User.objects.create_user(f"admin{i}@example.com", is_staff=True) for i in range(2)]
    dispute = open_dispute(booking)
    services.dispute_start_review(dispute_id=dispute.pk, actor=admins[0])

    def resolve(admin: User) -> str:
        try:
            services.dispute_resolve(dispute_id=dispute.pk, actor=admin, outcome="refund_full", note=str(admin.pk))
        except DomainError as exc:
            return exc.code
        return "resolved"

    outcomes = Counter(_race(admins, resolve))

    assert outcomes == Counter({"resolved": 1, "invalid_transition": 1})
    assert DisputeEvent.objects.filter(dispute=dispute, action="resolve").count() == 1
    assert OutboxEvent.objects.filter(event_type="dispute.resolved").count() == 1


def test_the_database_refuses_a_second_open_dispute_even_without_the_service():
    booking = confirmed_booking()
    open_dispute(booking)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.create(booking=booking, opened_by=booking.customer, reason="other", description="again")
