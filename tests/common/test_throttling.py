"""The one-round-trip throttles: DRF's rates and scopes, a sliding-window counter in Redis."""

from __future__ import annotations

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common import throttling
from common.throttling import AnonRateThrottle, UserRateThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0 - (1_800_000_000.0 % 60)  # the start of a minute


def throttle_at(cls, moment: float, rate: str = "4/min"):
    throttle = cls()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    throttle.timer = lambda: moment
    return throttle


def request(ip: str = "192.0.2.10", user=None) -> Request:
    wrapped = Request(APIRequestFactory().get("/api/v1/resources", REMOTE_ADDR=ip))
    wrapped.user = user if user is not None else AnonymousUser()
    return wrapped


def allowed(cls, moment: float, req, rate: str = "4/min") -> tuple[bool, int | None]:
    throttle = throttle_at(cls, moment, rate)
    ok = throttle.allow_request(req, None)
    return ok, throttle.wait()


def test_allows_the_rate_then_refuses_with_retry_after():
    req = request()
    assert [allowed(AnonRateThrottle, WINDOW_START + i, req)[0] for i in range(4)] == [True] * 4
    ok, wait = allowed(AnonRateThrottle, WINDOW_START + 5, req)
    assert not ok
    assert 1 <= wait <= 120


def test_refused_requests_do_not_use_up_the_budget():
    req = request()
    for i in range(4):
        assert allowed(AnonRateThrottle, WINDOW_START + i, req)[0]
    for _ in range(20):  # hammering while refused
        assert not allowed(AnonRateThrottle, WINDOW_START + 10, req)[0]
    # Three quarters into the next window only a quarter of the previous four still counts.
    assert allowed(AnonRateThrottle, WINDOW_START + 60 + 45, req)[0]


def test_the_previous_window_fades_out_as_the_window_slides():
    req = request()
    for i in range(4):
        assert allowed(AnonRateThrottle, WINDOW_START + 50 + i, req)[0]
    # Just after the boundary nearly all four still count: no burst of 2x the rate.
    assert not allowed(AnonRateThrottle, WINDOW_START + 61, req)[0]
    # Half-way through the next window two of them count, so two more fit, not three.
    assert allowed(AnonRateThrottle, WINDOW_START + 90, req)[0]
    assert allowed(AnonRateThrottle, WINDOW_START + 90, req)[0]
    assert not allowed(AnonRateThrottle, WINDOW_START + 90, req)[0]


def test_clients_and_scopes_have_their_own_budgets():
    alice, bob = UserFactory(), UserFactory()
    for i in range(4):
        assert allowed(UserRateThrottle, WINDOW_START + i, request(user=alice))[0]
    assert not allowed(UserRateThrottle, WINDOW_START + 5, request(user=alice))[0]
    assert allowed(UserRateThrottle, WINDOW_START + 5, request(user=bob))[0]
    assert allowed(AnonRateThrottle, WINDOW_START + 5, request(ip="192.0.2.10"))[0]
    # Signed-in users are not limited by the anonymous scope at all.
    assert allowed(AnonRateThrottle, WINDOW_START + 5, request(user=alice))[0]


def test_without_redis_requests_are_allowed(monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(throttling, "get_redis_connection", lambda alias: dead)
    req = request()
    assert all(allowed(AnonRateThrottle, WINDOW_START + i, req, rate="1/min")[0] for i in range(3))
