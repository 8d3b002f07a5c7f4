"""Every admin page an operator can open renders, with real data behind it; only staff get in."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "vendors", "resources", "bookings", "disputes", "waitlist", "notifications"}


def _url(model, page: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    ours = {model for model in apps.get_models() if model._meta.app_label in OUR_APPS}
    missing = {model.__name__ for model in ours if not admin.site.is_registered(model)}
    assert missing == set()


def test_every_changelist_and_change_page_renders(browser, platform):
    without_rows = []
    for model, model_admin in admin.site._registry.items():
        changelist = browser.get(_url(model, "changelist"))
        assert changelist.status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            without_rows.append(model._meta.label)
            continue
        change = browser.get(_url(model, "change", obj.pk))
        assert change.status_code == 200, model
        if model_admin.has_add_permission(change.wsgi_request):
            assert browser.get(_url(model, "add")).status_code == 200, model
    # Our own models all had a row, so each of their change pages was really rendered.
    assert not [label for label in without_rows if label.split(".")[0] in OUR_APPS]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "example.com"},
        {"q": "not-a-uuid"},
        {"status__exact": "held"},
        {"hold": "expiring"},
        {"hold": "overdue"},
        {"start__gte": "2020-01-01 00:00:00+00:00"},
        {"o": "2"},
    ],
)
def test_booking_changelist_searches_and_filters(browser, platform, query):
    assert browser.get("/admin/bookings/booking/", query).status_code == 200


def test_booking_search_by_id_and_vendor_link_filter(browser, platform):
    by_id = browser.get("/admin/bookings/booking/", {"q": str(platform.held.pk)})
    assert list(by_id.context["cl"].result_list) == [platform.held]
    by_vendor = browser.get(
        "/admin/bookings/booking/", {"resource__vendor__id__exact": str(platform.vendor.pk), "status__exact": "held"}
    )
    assert list(by_vendor.context["cl"].result_list) == [platform.held]


def test_booking_page_is_read_only_with_allocations_and_history(browser, platform):
    page = browser.get(f"/admin/bookings/booking/{platform.cancelled.pk}/change/")
    content = page.content.decode()
    assert page.status_code == 200
    assert 'name="status"' not in content
    assert 'name="price_amount"' not in content
    assert "closed for repairs" in content  # the history inline shows the cancel reason
    assert "10.00 EUR" in content  # the price snapshot, shown, not editable


def test_dispute_page_shows_thread_timeline_and_the_actions_that_apply(browser, platform):
    content = browser.get(f"/admin/disputes/dispute/{platform.open_dispute.pk}/change/").content.decode()
    assert "We were open." in content
    assert 'value="start_review"' in content
    assert 'value="resolve"' not in content
    reviewed = browser.get(f"/admin/disputes/dispute/{platform.reviewed_dispute.pk}/change/").content.decode()
    assert 'value="resolve"' in reviewed
    assert 'value="reject"' in reviewed
    closed = browser.get(f"/admin/disputes/dispute/{platform.resolved_dispute.pk}/change/").content.decode()
    assert 'value="comment"' not in closed
    assert "Full refund" in closed


def test_vendor_page_offers_review_actions_for_its_status(browser, platform):
    content = browser.get(f"/admin/vendors/vendor/{platform.pending_vendor.pk}/change/").content.decode()
    assert 'value="approve"' in content
    assert 'value="reject"' in content
    assert 'value="suspend"' not in content
    assert 'name="status"' not in content


def test_dispute_queue_lists_open_before_under_review_before_closed(browser, platform):
    page = browser.get("/admin/disputes/dispute/")
    statuses = [d.status for d in page.context["cl"].result_list]
    assert statuses == ["open", "under_review", "resolved"]


def test_non_staff_users_are_sent_to_the_admin_login(platform):
    client = Client()
    client.force_login(UserFactory(is_staff=False))
    for url in ("/admin/", "/admin/bookings/booking/", f"/admin/disputes/dispute/{platform.open_dispute.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
