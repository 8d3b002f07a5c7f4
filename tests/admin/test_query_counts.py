"""Changelists cost the same number of queries for 10 rows as for 200: nothing is fetched per row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.services import booking_create
from tests.factories import UserFactory
from tests.factories.bookings import local_at, make_resource
from tests.factories.disputes import confirmed_booking, open_dispute

pytestmark = pytest.mark.django_db


def queries_for(browser, url: str) -> tuple[int, int]:
    """(queries, rows shown) for one page view, after a warm-up view (session, caches)."""
    browser.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


def add_bookings(resource, customers, count: int, offset: int) -> None:
    start = local_at(3, 8)
    for i in range(offset, offset + count):
        # Many customers and two days, so a per-row lookup or a per-day grouping would show.
        day = timedelta(days=i % 2)
        booking_create(
            customer=customers[i % len(customers)],
            resource_id=resource.pk,
            start=start + day,
            end=start + day + timedelta(minutes=30),
            confirm=True,
        )


BOOKING_PAGES = [
    "/admin/bookings/booking/",
    "/admin/bookings/booking/?status__exact=confirmed",
    "/admin/bookings/booking/?q=example.com",
    "/admin/bookings/bookingevent/",
    "/admin/bookings/allocation/",
]


def test_booking_changelists_query_count_does_not_grow_with_rows(browser):
    resource = make_resource("slots", capacity=250)
    customers = [UserFactory() for _ in range(7)]
    add_bookings(resource, customers, 10, 0)
    few = {url: queries_for(browser, url) for url in BOOKING_PAGES}
    add_bookings(resource, customers, 190, 10)
    many = {url: queries_for(browser, url) for url in BOOKING_PAGES}
    for url in BOOKING_PAGES:
        (queries_few, shown_few), (queries_many, shown_many) = few[url], many[url]
        assert shown_few >= 10, url
        assert shown_many > shown_few, url
        assert queries_many == queries_few, url
    assert many["/admin/bookings/booking/"][1] == 50  # a full page


def test_dispute_changelist_query_count_does_not_grow_with_rows(browser):
    for _ in range(2):
        open_dispute(confirmed_booking())
    few, _ = queries_for(browser, "/admin/disputes/dispute/")
    for _ in range(10):
        open_dispute(confirmed_booking())
    many, shown = queries_for(browser, "/admin/disputes/dispute/")
    assert shown == 12
    assert many == few
