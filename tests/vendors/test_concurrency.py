"""Races between real threads, each on its own PostgreSQL connection.

The first test is the plain race (two admins press "approve" at once). The others force
the dangerous interleaving instead of hoping for it: one transaction does its write and
stays open, the other is started and we wait until PostgreSQL reports it blocked on a
lock, then the first commits. A check-then-act implementation fails these every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections, transaction

from common.errors import Conflict
from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.vendors import VendorFactory, member_of
from vendors import services
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus, VendorStatusEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TIMEOUT_SECONDS = 20


def on_own_connection(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``fn`` in a worker thread and give its connection back when done."""

    def run() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    return run


def wait_until_blocked_on_a_lock(count: int = 1) -> None:
    """Wait until ``count`` other sessions of this database are waiting for a lock."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)
    raise AssertionError("the second transaction never blocked on the first one's lock")


def hold_open_after(action: Callable[[], Any], done: threading.Event, release: threading.Event) -> Callable[[], Any]:
    """``action`` inside a transaction that stays open (locks held) until ``release`` is set."""

    def run() -> Any:
        with transaction.atomic():
            result = action()
            done.set()
            assert release.wait(TIMEOUT_SECONDS)
        return result

    return run


def outcome(future: Future) -> str:
    try:
        future.result(timeout=TIMEOUT_SECONDS)
    except Conflict as exc:
        return exc.code
    return "ok"


def test_two_admins_approving_at_once_have_exactly_one_winner(outbox_events):
    vendor = VendorFactory(status=VendorStatus.PENDING)
    clients = [authed(UserFactory(is_staff=True)) for _ in range(2)]
    start = threading.Barrier(len(clients), timeout=TIMEOUT_SECONDS)

    def approve(client) -> Callable[[], int]:
        def run() -> int:
            start.wait()
            return client.post(f"/api/v1/vendors/{vendor.pk}/approve", {"reason": "looks good"}).status_code

        return on_own_connection(run)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = sorted(f.result(timeout=TIMEOUT_SECONDS) for f in [pool.submit(approve(c)) for c in clients])

    assert codes == [200, 409]
    assert Vendor.objects.get(pk=vendor.pk).status == VendorStatus.ACTIVE
    assert VendorStatusEvent.objects.filter(vendor=vendor, to_status=VendorStatus.ACTIVE).count() == 1
    assert [e.event_type for e in outbox_events(vendor)] == ["vendor.approved"]


def test_an_approval_waiting_on_another_sees_its_commit_and_loses(outbox_events):
    vendor = VendorFactory(status=VendorStatus.PENDING)
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    done, release = threading.Event(), threading.Event()

    with ThreadPoolExecutor(max_workers=2) as pool:
        winner = pool.submit(
            on_own_connection(
                hold_open_after(lambda: services.vendor_approve(vendor=vendor, actor=first), done, release)
            )
        )
        assert done.wait(TIMEOUT_SECONDS)
        # The winner's UPDATE is done but not committed: the row still reads "pending"
        # to everyone else, which is exactly when a check-then-act would let both through.
        loser = pool.submit(on_own_connection(lambda: services.vendor_approve(vendor=vendor, actor=second)))
        wait_until_blocked_on_a_lock()
        release.set()
        results = (outcome(winner), outcome(loser))

    assert results == ("ok", "invalid_transition")
    assert list(VendorStatusEvent.objects.filter(vendor=vendor).values_list("actor", flat=True)) == [first.pk]
    assert len(outbox_events(vendor)) == 1


def test_two_owners_removing_each_other_at_once_leave_one_owner():
    vendor = VendorFactory()
    alice, bob = member_of(vendor), member_of(vendor)
    done, release = threading.Event(), threading.Event()

    with ThreadPoolExecutor(max_workers=2) as pool:
        alice_removes_bob = pool.submit(
            on_own_connection(
                hold_open_after(
                    lambda: services.membership_remove(vendor=vendor, actor=alice, user_id=bob.pk), done, release
                )
            )
        )
        assert done.wait(TIMEOUT_SECONDS)
        bob_removes_alice = pool.submit(
            on_own_connection(lambda: services.membership_remove(vendor=vendor, actor=bob, user_id=alice.pk))
        )
        wait_until_blocked_on_a_lock()
        release.set()
        results = (outcome(alice_removes_bob), outcome(bob_removes_alice))

    assert results == ("ok", "last_owner")
    owners = Membership.objects.filter(vendor=vendor, role=MembershipRole.OWNER)
    assert list(owners.values_list("user", flat=True)) == [alice.pk]


def test_two_applications_with_the_same_name_at_once_get_different_slugs():
    first, second = UserFactory(), UserFactory()
    done, release = threading.Event(), threading.Event()
    fields = {"name": "Acme Desks", "category": "coworking", "timezone": "Europe/Berlin"}

    with ThreadPoolExecutor(max_workers=2) as pool:
        early = pool.submit(
            on_own_connection(hold_open_after(lambda: services.vendor_apply(user=first, **fields), done, release))
        )
        assert done.wait(TIMEOUT_SECONDS)
        # "acme-desks" is inserted but uncommitted: the second application sees it free,
        # and its INSERT waits on the unique index until the first commits.
        late = pool.submit(on_own_connection(lambda: services.vendor_apply(user=second, **fields)))
        wait_until_blocked_on_a_lock()
        release.set()
        slugs = (early.result(TIMEOUT_SECONDS).slug, late.result(TIMEOUT_SECONDS).slug)

    assert slugs == ("acme-desks", "acme-desks-2")
    assert Membership.objects.get(vendor__slug="acme-desks-2").user == second
