"""What a benchmark run is: scale, durations, the environment of the service, the time
layout of the seeded data and the deterministic ids that tie the pieces together.

Everything is chosen from the environment (``BENCH_*``) with defaults sized for this
2-core machine: a full run stays well under 15 minutes.

Time layout (days from ``day0``, today 00:00 UTC; every bench resource is open
08:00-20:00 UTC every day with 60-minute slots, so a slot is a (resource, day, hour)):

* ``WINDOW`` (days 14-21): the availability week and the search periods. Only the probe
  resources have bookings here (4 each), a constant set whatever the total.
* ``QUIET`` (days 10-25): no other booking comes closer to the window than this, so
  every extra booking of the scaling series lies outside everything a window query reads
  (availability widens by 2 days + 1 day of buffer, exceptions by 11 days; allocations
  are what grows).
* ``HOT_DAY`` (day 26): the hot-slot races, one hour per race.
* ``CREATE_DAYS`` (days 200-299): HTTP booking creates (uncontended, mixed, workers).
* ``PGBENCH_DAY0`` (day 300+): the pgbench replay of the booking transaction.
* extras (the 1k/10k/100k series): days -60..9 and 28..199, one booking per slot.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"
RESULTS = BENCH / "results"

OPEN_HOUR, CLOSE_HOUR = 8, 20  # UTC opening hours of every bench resource
HOURS = list(range(OPEN_HOUR, CLOSE_HOUR))  # slot start hours
WINDOW_START_DAY, WINDOW_DAYS = 14, 7
QUIET = (10, 25)  # [first, last) day with no extra bookings
HOT_DAY = 26
CREATE_DAYS = (200, 300)
PGBENCH_DAY0 = 300
EXTRA_DAYS = [d for d in range(-60, 200) if not QUIET[0] <= d < QUIET[1] and d != HOT_DAY]
SEARCH_DAY, SEARCH_HOURS = 16, (10, 12)  # the main search period: day 16, 10:00-12:00
PROBE_BOOKINGS = 4  # bookings of each probe resource inside the window

# Deterministic ids: 12 decimal digits at the end of a valid v4-shaped UUID. pgbench can
# then rebuild any id from an integer (``be5c0002-0000-4000-8000-:rid``).
ID_BASE = 100_000_000_000
PREFIX_USER, PREFIX_RESOURCE, PREFIX_VENDOR = "be5c0001", "be5c0002", "be5c0003"


def det_uuid(prefix: str, index: int) -> uuid.UUID:
    return uuid.UUID(f"{prefix}-0000-4000-8000-{ID_BASE + index}")


def user_id(index: int) -> uuid.UUID:
    return det_uuid(PREFIX_USER, index)


def resource_id(index: int) -> uuid.UUID:
    return det_uuid(PREFIX_RESOURCE, index)


def vendor_id(index: int) -> uuid.UUID:
    return det_uuid(PREFIX_VENDOR, index)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


@dataclass(frozen=True)
class Scale:
    name: str
    vendors: int
    resources: int
    users: int
    probes: int  # resources with bookings inside the window (availability + search probes)
    stages: tuple[int, ...]  # total existing bookings at each step of the scaling series
    duration: float  # seconds per load scenario
    seq_requests: int  # single-client requests per scaling measurement


SCALES = {
    "full": Scale("full", 5, 10_000, 500, 200, (1_000, 10_000, 100_000), 15.0, 200),
    "small": Scale("small", 3, 1_000, 100, 50, (300, 1_000, 10_000), 5.0, 60),
}


@dataclass(frozen=True)
class Layout:
    """Which resource index plays which role (indexes 0.. are also the catalog's newest first)."""

    scale: Scale

    @property
    def probes(self) -> range:
        return range(self.scale.probes)

    @property
    def dense(self) -> range:  # fully booked window (84 bookings each), added after the series
        return range(self.scale.probes, self.scale.probes + 5)

    @property
    def empty(self) -> range:  # no booking in the window at all
        return range(self.scale.probes + 5, self.scale.probes + 10)

    @property
    def hot_cap1(self) -> int:
        return self.scale.resources - 2

    @property
    def hot_cap10(self) -> int:
        return self.scale.resources - 1

    @property
    def bookable(self) -> range:  # pool for uncontended creates and pgbench
        return range(self.scale.probes + 10, self.scale.resources - 2)

    def capacity(self, index: int) -> int:
        if index == self.hot_cap1:
            return 1
        if index == self.hot_cap10:
            return 10
        if index in self.dense or index in self.empty:
            return 1
        digit = index % 10
        return 10 if digit == 0 else 2 if digit in (1, 2, 3) else 1


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("db=")) + f"&db={db}"
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query.lstrip("&"), ""))
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@dataclass
class Config:
    scale: Scale
    workers: int
    connections: int
    threads: int
    duration: float
    hot_clients: int
    worker_series: tuple[int, ...]
    celery_concurrency: int
    db_name: str
    base_database_url: str
    base_redis_url: str
    redis_db: int
    broker_db: int
    port: int
    day0: datetime
    profile: bool
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_env(cls) -> Config:
        scale = SCALES[os.environ.get("BENCH_SCALE", "full")]
        workers = _env_int("BENCH_WORKERS", _env_int("ALLOT_WEB_WORKERS", 2))
        db_name = os.environ.get("BENCH_DB", "allot_bench")
        if not db_name.startswith("allot_bench"):
            raise SystemExit(f"BENCH_DB must start with 'allot_bench' (got {db_name!r}): the bench drops it.")
        now = datetime.now(UTC)
        return cls(
            scale=scale,
            workers=workers,
            connections=_env_int("BENCH_CONNECTIONS", 2 * workers),
            threads=_env_int("BENCH_THREADS", 2),
            duration=_env_float("BENCH_DURATION", scale.duration),
            hot_clients=_env_int("BENCH_HOT_CLIENTS", 50),
            worker_series=tuple(int(w) for w in os.environ.get("BENCH_WORKER_SERIES", "1,2,4").split(",") if w),
            celery_concurrency=_env_int("BENCH_CELERY_CONCURRENCY", 1),
            db_name=db_name,
            base_database_url=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            base_redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            redis_db=_env_int("BENCH_REDIS_DB", 11),
            broker_db=_env_int("BENCH_BROKER_DB", 12),
            port=_env_int("BENCH_PORT", 0),
            day0=now.replace(hour=0, minute=0, second=0, microsecond=0),
            profile=os.environ.get("BENCH_PROFILE", "1") != "0",
        )

    @property
    def layout(self) -> Layout:
        return Layout(self.scale)

    @property
    def database_url(self) -> str:
        return with_database(self.base_database_url, self.db_name)

    @property
    def redis_url(self) -> str:
        return with_redis_db(self.base_redis_url, self.redis_db)

    @property
    def broker_url(self) -> str:
        url = with_redis_db(self.base_redis_url, self.broker_db)
        if url.startswith("unix://"):  # kombu spells a unix-socket Redis differently
            path = urlsplit(url).path
            return f"redis+socket://{path}?virtual_host={self.broker_db}"
        return url

    def at(self, day: int, hour: int = 0) -> datetime:
        return self.day0 + timedelta(days=day, hours=hour)

    def service_env(self, workers: int | None = None) -> dict[str, str]:
        """Production-like settings for the service, the seed and the SQL capture alike."""
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                "DJANGO_DEBUG": "0",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.broker_url,
                "ALLOT_CACHE_PREFIX": "allotbench",
                "ALLOT_LOG_LEVEL": "WARNING",
                "ALLOT_ACCESS_TOKEN_MINUTES": "720",
                "ALLOT_THROTTLE_ANON": "10000000/min",
                "ALLOT_THROTTLE_USER": "10000000/min",
                "ALLOT_THROTTLE_BOOKING": "10000000/min",
                "ALLOT_THROTTLE_LOGIN_IP": "10000000/min",
                "ALLOT_THROTTLE_LOGIN_ACCOUNT": "10000000/min",
                "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                "ALLOT_WEB_WORKERS": str(workers or self.workers),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        return env
