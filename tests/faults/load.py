"""Bounded booking load on loopback: threads of clients that behave as a careful client should.

Each attempt to book carries an ``Idempotency-Key``; on a connection error, a timeout or a
503 the client retries with the same key (a bounded number of times), so a booking whose
commit raced a crash is acknowledged by the replay instead of being made twice. Every
response is recorded; the tests then compare what clients saw with what PostgreSQL holds.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

CLIENT_TIMEOUT = 20.0  # seconds; gunicorn's worker timeout is 30: a hung worker shows up here


def slot_starts(count: int, *, days_ahead: int = 2, minutes: int = 30) -> list[datetime]:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    return [day + timedelta(minutes=minutes * i) for i in range(count)]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Outcome:
    status: int | None  # None: no HTTP answer (connection refused/reset, timeout)
    error: str = ""
    body: dict[str, Any] | None = None
    content_type: str = ""
    seconds: float = 0.0
    at: float = 0.0  # time.monotonic() when the answer came


@dataclass
class Acked:
    """A booking a client saw acknowledged with 201."""

    key: str
    booking_id: str
    resource: str
    start: str
    end: str
    quantity: int


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    acked: list[Acked] = field(default_factory=list)
    gave_up: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def statuses(self) -> Counter[Any]:
        return Counter(
            o.status if o.status is not None else ("timeout" if o.error == "timeout" else "no answer")
            for o in self.outcomes
        )

    def timeouts(self) -> int:
        return sum(1 for o in self.outcomes if o.error == "timeout")


def call(session: requests.Session, method: str, url: str, **kwargs: Any) -> Outcome:
    began = time.monotonic()
    try:
        response = session.request(method, url, timeout=CLIENT_TIMEOUT, **kwargs)
    except requests.Timeout:
        return Outcome(None, "timeout", seconds=time.monotonic() - began, at=time.monotonic())
    except requests.RequestException as exc:
        return Outcome(None, type(exc).__name__, seconds=time.monotonic() - began, at=time.monotonic())
    body = None
    if response.headers.get("Content-Type", "").endswith("json"):
        try:
            body = response.json()
        except ValueError:
            body = None
    return Outcome(
        response.status_code,
        body=body,
        content_type=response.headers.get("Content-Type", ""),
        seconds=time.monotonic() - began,
        at=time.monotonic(),
    )


def book(
    session: requests.Session,
    base: str | Callable[[], str],
    token: str,
    *,
    resource: str,
    start: datetime,
    minutes: int = 30,
    quantity: int = 1,
    tally: Tally,
    retries: int = 8,
    retry_pause: float = 0.5,
) -> Outcome:
    """POST /bookings (instant confirm) with an Idempotency-Key; retry transport errors and 503s."""
    key = uuid.uuid4().hex
    body = {"resource": resource, "start": iso(start), "end": iso(start + timedelta(minutes=minutes))}
    body.update({"quantity": quantity, "confirm": True})
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    outcome = Outcome(None, "not tried")
    for attempt in range(retries + 1):
        url = (base() if callable(base) else base) + "/api/v1/bookings"
        outcome = call(session, "POST", url, json=body, headers=headers)
        tally.add(outcome)
        if outcome.status == 201 and outcome.body:
            with tally.lock:
                tally.acked.append(
                    Acked(key, outcome.body["id"], resource, outcome.body["start"], outcome.body["end"], quantity)
                )
            return outcome
        # 409 idempotency_key_in_use: the first try is still running somewhere; ask again.
        in_use = outcome.status == 409 and (outcome.body or {}).get("code") == "idempotency_key_in_use"
        if outcome.status is not None and outcome.status != 503 and not in_use:
            return outcome
        if attempt < retries:
            with tally.lock:
                tally.retries += 1
            time.sleep(retry_pause)
    with tally.lock:
        tally.gave_up += 1
    return outcome


def run_clients(
    n_threads: int, work: Callable[[int, requests.Session], None], *, seconds: float | None = None
) -> float:
    """Run ``work(i, session)`` on ``n_threads`` threads (each loops inside ``work`` until its own bound)."""
    began = time.monotonic()

    def run(i: int) -> None:
        with requests.Session() as session:
            session.trust_env = False  # loopback only, never a proxy
            work(i, session)

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        list(pool.map(run, range(n_threads)))
    return time.monotonic() - began


def random_slots(starts: Sequence[datetime], rng: random.Random) -> datetime:
    return rng.choice(list(starts))


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
