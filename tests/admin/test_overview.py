"""The admin index shows today's operational numbers, each linking to exactly those rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import BookingStatus
from common.admin_site import operations_overview
from notifications.models import OutboxEvent
from tests.admin.conftest import today_bookings
from tests.factories.notifications import OutboxEventFactory
from tests.factories.resources import book

pytestmark = pytest.mark.django_db


def tiles_by_label(sections) -> dict:
    return {tile.label: tile for section in sections for tile in section.tiles}


@pytest.fixture
def busy_day(platform):
    """Today's bookings, an overdue hold and an outbox event nobody processed."""
    today_bookings(platform.resource)
    now = timezone.now()
    book(platform.resource, now + timedelta(days=20), now + timedelta(days=20, minutes=30), status=BookingStatus.HELD)
    type(platform.held).objects.filter(status=BookingStatus.HELD).exclude(pk=platform.held.pk).update(
        hold_expires_at=now - timedelta(minutes=1)
    )
    stuck = OutboxEventFactory(vendor=platform.vendor)
    OutboxEvent.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(minutes=10))
    return platform


def test_the_overview_counts_what_needs_attention_and_todays_bookings(busy_day):
    tiles = tiles_by_label(operations_overview())
    assert tiles["Vendors waiting for review"].count == 1
    assert tiles["Open disputes"].count == 1
    assert tiles["Disputes under review"].count == 1
    assert tiles["Holds expiring in 15 min"].count == 1  # the 10-minute hold made by the fixture
    assert tiles["Holds past expiry"].count == 1
    assert tiles["Failed webhook deliveries"].count == 1
    assert tiles["Outbox events waiting > 5 min"].count == 1
    assert tiles["All"].count == 4
    assert tiles["Confirmed"].count == 2
    assert tiles["Cancelled"].count == 1
    assert tiles["Completed"].count == 1
    assert tiles["Held"].count == 0
    assert tiles["Vendors waiting for review"].alert
    assert not tiles["Held"].alert


def test_every_number_links_to_a_changelist_with_exactly_those_rows(browser, busy_day):
    for tile in tiles_by_label(operations_overview()).values():
        assert tile.url, tile.label
        page = browser.get(tile.url)
        assert page.status_code == 200, tile.label
        assert "e=1" not in page.get("Location", ""), tile.label  # not an "invalid filter" redirect
        assert page.context["cl"].result_count == tile.count, tile.label


def test_the_admin_index_shows_the_overview_and_lists_operations_apps_first(browser, busy_day):
    page = browser.get("/admin/")
    content = page.content.decode()
    assert page.status_code == 200
    assert "Allot operations console" in content
    assert "Needs attention" in content
    assert "Bookings starting today" in content
    assert "/admin/vendors/vendor/?status__exact=pending" in content
    assert "/admin/notifications/webhookdelivery/?status__exact=failed" in content
    positions = [content.index(f'class="app-{label} module') for label in ("bookings", "disputes", "vendors")]
    assert positions == sorted(positions)
    assert content.index('class="app-accounts module') > positions[-1]


def test_the_overview_page_costs_a_fixed_number_of_queries(browser, busy_day, django_assert_max_num_queries):
    browser.get("/admin/")  # warm the session and content-type caches
    with django_assert_max_num_queries(15):
        browser.get("/admin/")
