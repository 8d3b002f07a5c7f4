"""The Django admin pages for the catalog render, and their forms validate like the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from resources.models import ResourceType
from tests.factories.accounts import UserFactory
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_catalog_admin_pages_render(admin_browser):
    resource = make_resource("slots", hours=every_day("09:00", "17:00"))
    for url in (
        "/admin/resources/resourcetype/",
        "/admin/resources/resourcetype/add/",
        f"/admin/resources/resourcetype/{resource.resource_type.pk}/change/",
        "/admin/resources/resource/",
        "/admin/resources/resource/add/",
        f"/admin/resources/resource/{resource.pk}/change/",
    ):
        assert admin_browser.get(url).status_code == 200, url


def test_type_form_rejects_what_the_api_rejects(admin_browser):
    desk = ResourceType.objects.get(key="desk")
    response = admin_browser.post(
        f"/admin/resources/resourcetype/{desk.pk}/change/",
        {
            "key": "desk",
            "name": "Desk",
            "booking_mode": "range",
            "defaults": json.dumps({"min_minutes": 45, "granularity_minutes": 30}),
            "attribute_schema": json.dumps({"type": "nonsense"}),
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    errors = response.context["adminform"].form.errors
    assert "defaults" in errors
    assert "attribute_schema" in errors
