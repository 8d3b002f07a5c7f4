"""Fixtures for the jobs / notifications tests: eager Celery, a vendor with members, a webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from config.celery import app as celery_app
from notifications import queueing, services
from tests.factories.vendors import VendorFactory, member_of
from vendors.models import MembershipRole


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    """Each test starts (and leaves) with the publish circuit breaker closed and inline email sends on."""
    queueing.reset_breaker()
    services.resume_inline_sending()
    yield
    queueing.reset_breaker()
    services.resume_inline_sending()


@pytest.fixture
def eager() -> Iterator[Any]:
    """Tasks run inline where they are enqueued (no broker), exceptions propagate."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@dataclass
class Team:
    vendor: Any
    owner: Any
    manager: Any
    staff: Any


@pytest.fixture
def team(db) -> Team:
    """An active vendor with an owner, a manager and a staff member."""
    vendor = VendorFactory(name="Praxis Dr. Weber")
    return Team(
        vendor=vendor,
        owner=member_of(vendor, MembershipRole.OWNER, email="owner@example.com"),
        manager=member_of(vendor, MembershipRole.MANAGER, email="manager@example.com"),
        staff=member_of(vendor, MembershipRole.STAFF, email="staff@example.com"),
    )


@dataclass
class Receiver:
    """A webhook receiver as a vendor would write one, from API.md alone.

    It verifies ``X-Allot-Signature`` = ``sha256=`` hex HMAC-SHA256(secret, "<timestamp>.<raw body>")
    and rejects timestamps older than 5 minutes, then answers the next scripted status.
    """

    url: str = ""
    secret: str = ""
    script: list[int] = field(default_factory=list)  # statuses to answer in order, then 200
    delay_seconds: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, headers: Any, body: bytes) -> bool:
        timestamp = headers.get("X-Allot-Timestamp", "")
        signature = headers.get("X-Allot-Signature", "")
        if not timestamp.isdigit() or time.time() - int(timestamp) > 300:
            return False
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", signature)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            verified = state.verify(self.headers, body)
            with state.lock:
                state.received.append(
                    {"headers": dict(self.headers), "body": body, "json": json.loads(body), "verified": verified}
                )
            if state.delay_seconds:
                time.sleep(state.delay_seconds)
            status = state.next_status() if verified else 401
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", f"{state.url}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/allot"
    yield state
    server.shutdown()
    server.server_close()
