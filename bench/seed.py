"""A fresh benchmark database and its data, written in bulk.

Rows are built as model instances (so every field gets its model default, whatever other
apps add later) and streamed with PostgreSQL ``COPY`` in batches: 100k bookings with
their allocations and history take seconds, not 100k service calls. Each seeded
booking has a slot of its own (resource, day, hour), so its allocation (unit 0) can
never overlap another: the exclusion constraint is respected by construction and
checked again at the end of the run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import time as dtime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.config import (
    CLOSE_HOUR,
    EXTRA_DAYS,
    HOURS,
    OPEN_HOUR,
    PROBE_BOOKINGS,
    ROOT,
    SEARCH_DAY,
    SEARCH_HOURS,
    VAR,
    WINDOW_DAYS,
    WINDOW_START_DAY,
    Config,
    resource_id,
    user_id,
    vendor_id,
)

BATCH = 5_000
PROTECTED = {"allot", "postgres", "template0", "template1"}


def progress(label: str, done: int, total: int, started: float) -> None:
    """A one-line progress bar on stderr."""
    if not sys.stderr.isatty() and done < total:
        return  # a log file gets the final line only
    width = 30
    frac = done / total if total else 1.0
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    rate = done / max(time.monotonic() - started, 1e-6)
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r  {label:<28} [{bar}] {done:>7}/{total:<7} {rate:>8.0f}/s{end}")
    sys.stderr.flush()


def recreate_database(cfg: Config) -> None:
    name = cfg.db_name
    if name in PROTECTED or name.startswith("test_") or not name.startswith("allot_bench"):
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(cfg.base_database_url, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(cfg: Config) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=cfg.service_env(),
        check=True,
        timeout=600,
    )


def setup_django(cfg: Config) -> None:
    """Configure this process like the service (same env), then ``django.setup()``."""
    os.environ.update({k: v for k, v in cfg.service_env().items() if k not in ("PYTHONDONTWRITEBYTECODE",)})
    if not any((Path(p or ".") / "manage.py").exists() for p in sys.path):
        sys.path.insert(0, str(ROOT))  # unless an app tree is importable already (bench.inprocess --app-root)
    import django

    django.setup()


# --- COPY of model instances ---------------------------------------------------------------


def copy_objects(model: Any, objects: Iterable[Any], *, total: int, label: str) -> int:
    """Stream model instances into their table with COPY (pk omitted when unset)."""
    from django.db import connection
    from django.utils import timezone

    started, done = time.monotonic(), 0
    iterator = iter(objects)
    first = next(iterator, None)
    if first is None:
        return 0
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and getattr(first, f.attname) is None)]
    columns = sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(model._meta.db_table), columns)
    now = timezone.now()

    def row(obj: Any) -> list[Any]:
        values = []
        for f in fields:
            value = getattr(obj, f.attname)
            if value is None and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)):
                value = now
            values.append(f.get_db_prep_save(value, connection))
        return values

    def chunks() -> Iterator[list[Any]]:
        batch = [first]
        for obj in iterator:
            batch.append(obj)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    with connection.cursor() as cursor:
        for batch in chunks():
            with cursor.cursor.copy(statement.as_string(cursor.cursor)) as copy:
                for obj in batch:
                    copy.write_row(row(obj))
            done += len(batch)
            progress(label, done, total, started)
    return done


# --- the platform: vendors, users, resources, hours ---------------------------------------------


def seed_platform(cfg: Config) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from resources.models import Resource, ResourceType, WeeklyHours
    from vendors.models import Membership, MembershipRole, Vendor, VendorStatus

    scale, layout = cfg.scale, cfg.layout
    now = timezone.now()
    password = make_password("bench-password-not-for-login")  # one hash for all: logins are not measured
    categories = ["clinic", "salon", "clinic", "salon", "coworking"]
    types = {t.key: t for t in ResourceType.objects.filter(key__in=["doctor_appointment", "salon_chair"])}
    with transaction.atomic():
        vendors = [
            Vendor(
                id=vendor_id(v),
                name=f"Bench {categories[v % len(categories)].title()} {v + 1}",
                slug=f"bench-{v + 1}",
                category=categories[v % len(categories)],
                timezone="UTC",
                status=VendorStatus.ACTIVE,
                status_changed_at=now,
                contact_email=f"vendor{v + 1}@bench.allot.local",
            )
            for v in range(scale.vendors)
        ]
        Vendor.objects.bulk_create(vendors)
        owners = [
            User(
                id=user_id(100_000 + v),
                email=f"owner{v + 1}@bench.allot.local",
                full_name=f"Owner {v + 1}",
                password=password,
                date_joined=now,
            )
            for v in range(scale.vendors)
        ]
        customers = [
            User(
                id=user_id(u),
                email=f"customer{u:05d}@bench.allot.local",
                full_name=f"Customer {u}",
                password=password,
                date_joined=now,
            )
            for u in range(scale.users)
        ]
        copy_objects(User, [*owners, *customers], total=len(owners) + len(customers), label="users")
        Membership.objects.bulk_create(
            [Membership(user=o, vendor=v, role=MembershipRole.OWNER) for o, v in zip(owners, vendors, strict=True)]
        )

        def resources() -> Iterator[Resource]:
            for i in range(scale.resources):
                doctor = i % 2 == 0
                yield Resource(
                    id=resource_id(i),
                    vendor_id=vendor_id(i % scale.vendors),
                    resource_type=types["doctor_appointment" if doctor else "salon_chair"],
                    name=f"{'Dr. Bench' if doctor else 'Chair'} {i:05d}",
                    description="Benchmark resource",
                    timezone="UTC",
                    attributes={"specialty": "General practice"} if doctor else {"services": ["cut"]},
                    booking_mode="slots",
                    capacity=layout.capacity(i),
                    slot_minutes=60,
                    min_notice_minutes=0,
                    max_advance_days=365,
                    hold_minutes=15,
                    price_amount=Decimal("25.00"),
                    currency="EUR",
                    price_unit="slot",
                    # Index 0 is the newest: the catalog (newest first) starts with the probes.
                    created_at=now - timedelta(seconds=i),
                    updated_at=now,
                )

        copy_objects(Resource, resources(), total=scale.resources, label="resources")

        def hours() -> Iterator[WeeklyHours]:
            for i in range(scale.resources):
                for day in range(7):
                    yield WeeklyHours(
                        resource_id=resource_id(i),
                        weekday=day,
                        start_time=dtime(OPEN_HOUR),
                        end_time=dtime(CLOSE_HOUR),
                    )

        copy_objects(WeeklyHours, hours(), total=scale.resources * 7, label="weekly hours")
    return {"vendors": scale.vendors, "resources": scale.resources, "users": len(owners) + len(customers)}


# --- bookings ------------------------------------------------------------------------------------


class BookingSeeder:
    """Bookings at distinct (resource, day, hour) slots, written with COPY."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rng = random.Random(7)
        self.taken: set[tuple[int, int, int]] = set()
        self.total = 0

    def _rows(self, slots: Sequence[tuple[int, int, int]]) -> tuple[list[Any], list[Any], list[Any]]:
        from django.utils import timezone
        from psycopg.types.range import Range

        from bookings.models import Allocation, Booking, BookingEvent

        now = timezone.now()
        bookings, allocations, events = [], [], []
        for resource, day, hour in slots:
            start = self.cfg.at(day, hour)
            end = start + timedelta(hours=1)
            if day < 0:
                status, active = "completed", False
            elif self.rng.random() < 0.05:
                status, active = "cancelled", False
            else:
                status, active = "confirmed", True
            customer = user_id(self.rng.randrange(self.cfg.scale.users))
            booking_id = uuid.uuid4()
            created = min(now, start) - timedelta(days=self.rng.randint(1, 30))
            bookings.append(
                Booking(
                    id=booking_id,
                    resource_id=resource_id(resource),
                    customer_id=customer,
                    start=start,
                    end=end,
                    quantity=1,
                    status=status,
                    hold_expires_at=None,
                    price_amount=Decimal("25.00"),
                    price_currency="EUR",
                    confirmed_at=created,
                    cancelled_at=now if status == "cancelled" else None,
                    created_at=created,
                    updated_at=created,
                )
            )
            allocations.append(
                Allocation(
                    booking_id=booking_id,
                    resource_id=resource_id(resource),
                    unit=0,
                    blocked=Range(start, end, "[)"),
                    is_active=active,
                )
            )
            events.append(BookingEvent(booking_id=booking_id, action="create", to_status="held", at=created))
            events.append(
                BookingEvent(
                    booking_id=booking_id, action="confirm", from_status="held", to_status="confirmed", at=created
                )
            )
            if status != "confirmed":
                action = "complete" if status == "completed" else "cancel"
                events.append(
                    BookingEvent(
                        booking_id=booking_id, action=action, from_status="confirmed", to_status=status, at=now
                    )
                )
        return bookings, allocations, events

    def write(self, slots: Sequence[tuple[int, int, int]], label: str) -> int:
        from django.db import transaction

        from bookings.models import Allocation, Booking, BookingEvent

        for slot in slots:
            if slot in self.taken:
                raise RuntimeError(f"slot {slot} seeded twice")
            self.taken.add(slot)
        bookings, allocations, events = self._rows(slots)
        with transaction.atomic():
            copy_objects(Booking, bookings, total=len(bookings), label=f"{label}: bookings")
            copy_objects(Allocation, allocations, total=len(allocations), label=f"{label}: allocations")
            copy_objects(BookingEvent, events, total=len(events), label=f"{label}: history")
        self.total += len(bookings)
        return len(bookings)

    def window_slots(self) -> list[tuple[int, int, int]]:
        """Probe resources: ``PROBE_BOOKINGS`` bookings each inside the window; every even
        probe is booked at the start of the main search period."""
        slots = []
        days = range(WINDOW_START_DAY, WINDOW_START_DAY + WINDOW_DAYS)
        for probe in self.cfg.layout.probes:
            chosen: set[tuple[int, int]] = set()
            if probe % 2 == 0:
                chosen.add((SEARCH_DAY, SEARCH_HOURS[0]))
            while len(chosen) < PROBE_BOOKINGS:
                candidate = (self.rng.choice(days), self.rng.choice(HOURS))
                if candidate != (SEARCH_DAY, SEARCH_HOURS[0]) or probe % 2 == 0:
                    chosen.add(candidate)
            slots.extend((probe, day, hour) for day, hour in sorted(chosen))
        return slots

    def dense_slots(self) -> list[tuple[int, int, int]]:
        days = range(WINDOW_START_DAY, WINDOW_START_DAY + WINDOW_DAYS)
        return [(r, d, h) for r in self.cfg.layout.dense for d in days for h in HOURS]

    def extra_slots(self, count: int) -> list[tuple[int, int, int]]:
        """``count`` new slots outside the quiet zone around the window; a fifth of them on
        the probe resources, so the probes' own history grows with the total too."""
        layout = self.cfg.layout
        hot = {layout.hot_cap1, layout.hot_cap10}
        slots: list[tuple[int, int, int]] = []
        seen = set(self.taken)
        while len(slots) < count:
            if self.rng.random() < 0.2:
                resource = self.rng.choice(layout.probes)
            else:
                resource = self.rng.randrange(self.cfg.scale.resources)
            if resource in hot:
                continue
            slot = (resource, self.rng.choice(EXTRA_DAYS), self.rng.choice(HOURS))
            if slot not in seen:
                seen.add(slot)
                slots.append(slot)
        return slots

    def grow_to(self, total: int) -> int:
        missing = total - self.total
        if missing > 0:
            self.write(self.extra_slots(missing), f"to {total:,}")
        return self.total


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("bookings_booking", "bookings_allocation", "bookings_bookingevent", "resources_resource"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def mint_tokens(cfg: Config) -> list[str]:
    """A JWT access token per customer (same signing key and lifetime as the service)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    users = User.objects.filter(email__endswith="@bench.allot.local", email__startswith="customer").order_by("email")
    tokens = [str(AccessToken.for_user(user)) for user in users]
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "tokens.json").write_text(json.dumps(tokens))
    return tokens


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM bookings_booking), (SELECT count(*) FROM bookings_allocation),"
            " (SELECT count(*) FROM bookings_allocation WHERE is_active), (SELECT count(*) FROM resources_resource),"
            " (SELECT count(*) FROM accounts_user)"
        )
        bookings, allocations, active, resources, users = cursor.fetchone()
    return {
        "bookings": bookings,
        "allocations": allocations,
        "active_allocations": active,
        "resources": resources,
        "users": users,
    }
