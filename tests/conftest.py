"""Shared fixtures: real PostgreSQL (pytest-django test DB) and a real Redis DB index."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import tokens_for_login
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (throttle counters, availability). Only this
    run's keys (its KEY_PREFIX) are deleted, so concurrent runs do not disturb each other."""
    cache.delete_pattern("*")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(is_staff=True, is_superuser=True, email="admin@example.com")


def authed(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_login(user)['access']}")
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    """An API client authenticated as ``user`` with a real JWT."""
    return authed(user)


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    return authed(admin_user)
