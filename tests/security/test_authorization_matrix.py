"""The authorization matrix: every API operation by every kind of caller, one expected status per cell.

Callers: anonymous; customer A (the customer of every booking, series, waitlist entry and
dispute here); customer B (a stranger to all of it); the owner, a manager and a staff
member of vendor A (whose resources those are); the owner of vendor B; a platform admin.

Rules the table spells out (API.md, STYLE.md): an object the caller may not see is 404,
never 403 (BOLA: the answer must not reveal that it exists); a role-gated action on an
object the caller can see is 403 (function-level authorization); anonymous writes are 401.
Each cell runs in a savepoint rolled back afterwards, so a state change in one never shapes another.

``test_every_operation_in_the_schema_is_in_the_matrix`` fails when an endpoint is added
without a row here: a new endpoint gets its authorization reviewed, not assumed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import tokens_for_login
from bookings.models import BookingStatus
from bookings.series import Recurrence, series_create
from bookings.services import booking_create
from disputes.services import dispute_open, dispute_start_review
from notifications.webhooks import webhook_endpoint_create
from resources.services import schedule_exception_add
from tests.conftest import authed
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.bookings import local_at, make_resource, make_vendor, member
from tests.factories.resources import book
from vendors.models import Membership, MembershipRole, VendorStatus
from waitlist.services import waitlist_join

ACTORS = ("anon", "cust_a", "cust_b", "owner_a", "manager_a", "staff_a", "member_b", "admin")
VENDOR_A = ("owner_a", "manager_a", "staff_a")
MANAGERS_A = ("owner_a", "manager_a")
STRANGERS = ("cust_b", "member_b")


def expect(default: int, *, anon: int = 401, **cells: int) -> dict[str, int]:
    """A full row: ``default`` for every signed-in caller unless named, ``anon`` for anonymous."""
    row = dict.fromkeys(ACTORS, default)
    row["anon"] = anon
    for actor, status in cells.items():
        assert actor in ACTORS, actor
        row[actor] = status
    return row


def each(actors: tuple[str, ...], status: int) -> dict[str, int]:
    return dict.fromkeys(actors, status)


PUBLIC = expect(200, anon=200)
SIGNED_IN = expect(200)
# An object of customer A at vendor A: its parties and admins see it, strangers get 404.
PARTIES = expect(200, **each(STRANGERS, 404))
# A vendor A write: owner/manager/admin may, others who can see the object may not.
VENDOR_WRITE = expect(403, **each(MANAGERS_A, 200), admin=200)
# Webhooks: the vendor's owners and managers only; staff and admins see the vendor but may not.
WEBHOOKS = expect(403, **each(MANAGERS_A, 200), cust_a=404, **each(STRANGERS, 404))


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # API path under /api/v1 with {placeholders} from World.ids
    expected: dict[str, int]
    body: dict[str, Any] | Callable[[World, str], dict[str, Any]] | None = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def client(self, actor: str) -> APIClient:
        client = APIClient() if actor == "anon" else authed(self.users[actor])
        client.raise_request_exception = False
        return client


def _period(days: int, hour: int, minute: int = 0) -> tuple[str, str]:
    start = local_at(days, hour, minute)
    return start.isoformat(), (start + timedelta(minutes=30)).isoformat()


def build_world() -> World:
    vendor_a, vendor_b = make_vendor(), make_vendor()
    pending_vendor, suspended_vendor = (
        make_vendor(status=VendorStatus.PENDING),
        make_vendor(status=VendorStatus.SUSPENDED),
    )
    users = {
        "cust_a": UserFactory(),
        "cust_b": UserFactory(),
        "owner_a": member(vendor_a, MembershipRole.OWNER),
        "manager_a": member(vendor_a, MembershipRole.MANAGER),
        "staff_a": member(vendor_a, MembershipRole.STAFF),
        "member_b": member(vendor_b, MembershipRole.OWNER),
        "admin": UserFactory(is_staff=True, is_superuser=True),
        "newcomer": UserFactory(),
        "filler": UserFactory(),
    }
    Membership.objects.create(user=users["owner_a"], vendor=pending_vendor, role=MembershipRole.OWNER)
    cust_a = users["cust_a"]
    resource = make_resource("slots", vendor=vendor_a, capacity=2)
    approval = make_resource("slots", vendor=vendor_a, requires_approval=True)
    full = make_resource("slots", vendor=vendor_a, capacity=1)
    hidden = make_resource("slots", vendor=pending_vendor)

    def booked(target, days: int, hour: int, *, customer: User = cust_a, confirm: bool = True):
        start = local_at(days, hour)
        return booking_create(
            customer=customer, resource_id=target.pk, start=start, end=start + timedelta(minutes=30), confirm=confirm
        )

    confirmed = booked(resource, 2, 10)
    held = booked(resource, 2, 11, confirm=False)
    pending = booked(approval, 2, 10)
    disputable = booked(resource, 2, 12)
    under_review = booked(resource, 2, 13)
    now = timezone.now().replace(second=0, microsecond=0)
    started = book(resource, now - timedelta(minutes=20), now + timedelta(minutes=10), customer=cust_a)
    assert pending.status == BookingStatus.PENDING
    assert held.status == BookingStatus.HELD

    booked(full, 2, 10, customer=users["filler"])
    booked(full, 2, 11, customer=users["filler"])
    entry, _ = waitlist_join(
        customer=cust_a, resource_id=full.pk, start=local_at(2, 10), end=local_at(2, 10, 30), quantity=1
    )
    series_start = local_at(4, 9)
    series = series_create(
        customer=cust_a,
        resource_id=resource.pk,
        start=series_start,
        end=series_start + timedelta(minutes=30),
        recurrence=Recurrence(frequency="daily", count=2),
        on_conflict="all_or_nothing",
    ).series
    exception = schedule_exception_add(
        resource=resource, start=local_at(20, 0), end=local_at(21, 0), kind="closed", reason="holiday"
    )
    webhook = webhook_endpoint_create(
        vendor_id=vendor_a.pk, url="http://127.0.0.1:9/hook", events=["booking.confirmed"]
    )
    dispute = dispute_open(booking_id=confirmed.pk, actor=cust_a, reason="other", description="It was closed.")
    reviewed = dispute_open(booking_id=under_review.pk, actor=cust_a, reason="other", description="Overcharged.")
    dispute_start_review(dispute_id=reviewed.pk, actor=users["admin"], note="Looking into it.")

    world = World(users=users)
    world.ids = {
        "vendor": str(vendor_a.pk),
        "pending_vendor": str(pending_vendor.pk),
        "suspended_vendor": str(suspended_vendor.pk),
        "staff_user": str(users["staff_a"].pk),
        "resource": str(resource.pk),
        "hidden_resource": str(hidden.pk),
        "type": resource.resource_type.key,
        "exception": str(exception.pk),
        "booking": str(confirmed.pk),
        "held": str(held.pk),
        "pending": str(pending.pk),
        "started": str(started.pk),
        "disputable": str(disputable.pk),
        "dispute": str(dispute.pk),
        "reviewed": str(reviewed.pk),
        "series": str(series.pk),
        "entry": str(entry.pk),
        "webhook": str(webhook.pk),
    }
    world.values = {"full": str(full.pk), "cust_a_refresh": tokens_for_login(cust_a)["refresh"]}
    return world


# --- request bodies that need the world or the caller -------------------------------------


def booking_body(world: World, actor: str) -> dict[str, Any]:
    start, end = _period(3, 9)
    return {"resource": world.ids["resource"], "start": start, "end": end}


def series_body(world: World, actor: str) -> dict[str, Any]:
    start, end = _period(6, 9)
    return {**booking_body(world, actor), "start": start, "end": end, "recurrence": {"frequency": "daily", "count": 2},
            "on_conflict": "all_or_nothing"}  # fmt: skip


def waitlist_body(world: World, actor: str) -> dict[str, Any]:
    start, end = _period(2, 11)
    return {"resource": world.values["full"], "start": start, "end": end}


def reschedule_body(world: World, actor: str) -> dict[str, Any]:
    start, end = _period(2, 15)
    return {"start": start, "end": end}


def exception_body(world: World, actor: str) -> dict[str, Any]:
    return {"start": local_at(30, 0).isoformat(), "end": local_at(31, 0).isoformat(), "kind": "closed"}


def register_body(world: World, actor: str) -> dict[str, Any]:
    return {"email": f"new-{uuid.uuid4().hex[:10]}@example.com", "password": "a-long-secret-42", "full_name": "New"}


def login_body(world: World, actor: str) -> dict[str, Any]:
    return {"email": world.users["cust_a"].email, "password": DEFAULT_PASSWORD}


def refresh_body(world: World, actor: str) -> dict[str, Any]:
    return {"refresh": world.values["cust_a_refresh"]}


def logout_body(world: World, actor: str) -> dict[str, Any]:
    user = world.users["cust_a" if actor == "anon" else actor]
    return {"refresh": tokens_for_login(user)["refresh"]}


def member_body(world: World, actor: str) -> dict[str, Any]:
    return {"email": world.users["newcomer"].email, "role": "staff"}


def resource_body(world: World, actor: str) -> dict[str, Any]:
    return {"vendor": world.ids["vendor"], "type": world.ids["type"], "name": "New chair", "slot_minutes": 30}


ROWS: list[Row] = [
    # --- accounts ---
    Row("POST", "/auth/register", expect(201, anon=201), register_body),
    Row("POST", "/auth/token", expect(200, anon=200), login_body),
    Row("POST", "/auth/token/refresh", expect(200, anon=200), refresh_body),
    Row("POST", "/auth/logout", expect(204), logout_body),
    Row("GET", "/me", SIGNED_IN),
    # --- vendors ---
    Row("GET", "/vendors", PUBLIC),
    Row("POST", "/vendors", expect(201), {"name": "New vendor", "category": "salon", "timezone": "Europe/Berlin"}),
    Row("GET", "/vendors/{vendor}", PUBLIC),
    Row("GET", "/vendors/{pending_vendor}", expect(404, anon=404, owner_a=200, admin=200)),
    Row("PATCH", "/vendors/{vendor}", VENDOR_WRITE, {"description": "Now with parking."}),
    Row("PATCH", "/vendors/{pending_vendor}", expect(404, owner_a=200, admin=200), {"description": "Soon."}),
    Row("GET", "/vendors/{vendor}/members", expect(403, owner_a=200, admin=200)),
    Row("POST", "/vendors/{vendor}/members", expect(403, owner_a=201, admin=201), member_body),
    Row("DELETE", "/vendors/{vendor}/members/{staff_user}", expect(403, owner_a=204, admin=204)),
    Row("POST", "/vendors/{pending_vendor}/approve", expect(404, owner_a=403, admin=200), {}),
    Row("POST", "/vendors/{pending_vendor}/reject", expect(404, owner_a=403, admin=200), {"reason": "No."}),
    Row("POST", "/vendors/{vendor}/suspend", expect(403, admin=200), {"reason": "Complaints."}),
    Row("POST", "/vendors/{suspended_vendor}/reinstate", expect(404, admin=200), {}),
    # --- webhooks ---
    Row("GET", "/vendors/{vendor}/webhooks", WEBHOOKS),
    Row(
        "POST",
        "/vendors/{vendor}/webhooks",
        {**WEBHOOKS, "owner_a": 201, "manager_a": 201},
        {"url": "http://127.0.0.1:9/other", "events": ["booking.cancelled"]},
    ),
    Row("GET", "/vendors/{vendor}/webhooks/{webhook}", WEBHOOKS),
    Row("DELETE", "/vendors/{vendor}/webhooks/{webhook}", {**WEBHOOKS, "owner_a": 204, "manager_a": 204}),
    Row("GET", "/vendors/{vendor}/webhooks/{webhook}/deliveries", WEBHOOKS),
    # --- resource types ---
    Row("GET", "/resource-types", PUBLIC),
    Row(
        "POST",
        "/resource-types",
        expect(403, admin=201),
        {"key": "matrix-type", "name": "Matrix", "booking_mode": "slots", "defaults": {"slot_minutes": 30}},
    ),
    Row("GET", "/resource-types/{type}", PUBLIC),
    Row("PATCH", "/resource-types/{type}", expect(403, admin=200), {"name": "Renamed type"}),
    # --- resources ---
    Row("GET", "/resources", PUBLIC),
    Row("POST", "/resources", {**VENDOR_WRITE, "owner_a": 201, "manager_a": 201, "admin": 201}, resource_body),
    Row("GET", "/resources/{resource}", PUBLIC),
    Row("GET", "/resources/{hidden_resource}", expect(404, anon=404, owner_a=200, admin=200)),
    Row("PATCH", "/resources/{resource}", VENDOR_WRITE, {"name": "Renamed chair"}),
    Row("PATCH", "/resources/{hidden_resource}", expect(404, owner_a=200, admin=200), {"name": "Hidden chair"}),
    Row("DELETE", "/resources/{resource}", {**VENDOR_WRITE, "owner_a": 204, "manager_a": 204, "admin": 204}),
    Row("GET", "/resources/{resource}/hours", PUBLIC),
    Row(
        "PUT",
        "/resources/{resource}/hours",
        VENDOR_WRITE,
        {"weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]},
    ),
    Row("GET", "/resources/{resource}/exceptions", PUBLIC),
    Row(
        "POST",
        "/resources/{resource}/exceptions",
        {**VENDOR_WRITE, "owner_a": 201, "manager_a": 201, "admin": 201},
        exception_body,
    ),
    Row(
        "DELETE",
        "/resources/{resource}/exceptions/{exception}",
        {**VENDOR_WRITE, "owner_a": 204, "manager_a": 204, "admin": 204},
    ),
    Row("GET", "/resources/{resource}/availability?start={day_start}&end={day_end}", PUBLIC),
    Row("GET", "/resources/{resource}/availability/explain?start={slot_start}&end={slot_end}", PUBLIC),
    Row(
        "GET",
        "/resources/{hidden_resource}/availability?start={day_start}&end={day_end}",
        expect(404, anon=404, owner_a=200, admin=200),
    ),
    # --- bookings ---
    Row("GET", "/bookings", SIGNED_IN),
    Row("GET", "/bookings?vendor={vendor}", expect(404, **each(VENDOR_A, 200), admin=200)),
    Row("POST", "/bookings", expect(201), booking_body),
    Row("GET", "/bookings/{booking}", PARTIES),
    Row("GET", "/bookings/{booking}/history", PARTIES),
    Row("GET", "/bookings/{booking}/calendar.ics", PARTIES),
    Row("POST", "/bookings/{held}/confirm", expect(403, cust_a=200, **each(STRANGERS, 404)), {}),
    Row("POST", "/bookings/{pending}/approve", expect(200, cust_a=403, **each(STRANGERS, 404)), {}),
    Row("POST", "/bookings/{pending}/reject", expect(200, cust_a=403, **each(STRANGERS, 404)), {"reason": "Full."}),
    Row("POST", "/bookings/{booking}/cancel", PARTIES, {"reason": "Plans changed."}),
    Row("POST", "/bookings/{booking}/reschedule", PARTIES, reschedule_body),
    Row("POST", "/bookings/{started}/no-show", expect(200, cust_a=403, **each(STRANGERS, 404)), {}),
    # --- series ---
    Row("POST", "/bookings/series", expect(201), series_body),
    Row("GET", "/bookings/series/{series}", PARTIES),
    Row("POST", "/bookings/series/{series}/cancel", PARTIES, {"scope": "all"}),
    Row("POST", "/bookings/series/{series}/confirm", expect(403, cust_a=200, **each(STRANGERS, 404)), {}),
    # --- waitlist ---
    Row("POST", "/waitlist", expect(201), waitlist_body),
    Row("GET", "/waitlist", SIGNED_IN),
    Row("GET", "/waitlist/{entry}", PARTIES),
    Row("DELETE", "/waitlist/{entry}", expect(403, cust_a=204, **each(STRANGERS, 404))),
    # --- disputes ---
    Row(
        "POST",
        "/bookings/{disputable}/disputes",
        expect(201, admin=403, **each(STRANGERS, 404)),
        {"reason": "other", "description": "Not as booked."},
    ),
    Row("GET", "/disputes", SIGNED_IN),
    Row("GET", "/disputes/{dispute}", PARTIES),
    Row("GET", "/disputes/{dispute}/comments", PARTIES),
    Row(
        "POST",
        "/disputes/{dispute}/comments",
        {**PARTIES, "admin": 201, "cust_a": 201, **each(VENDOR_A, 201)},
        {"body": "Any news?"},
    ),
    Row("POST", "/disputes/{dispute}/start-review", expect(403, admin=200, **each(STRANGERS, 404)), {"note": "Mine."}),
    Row(
        "POST",
        "/disputes/{reviewed}/resolve",
        expect(403, admin=200, **each(STRANGERS, 404)),
        {"outcome": "no_refund", "note": "As booked."},
    ),
    Row("POST", "/disputes/{reviewed}/reject", expect(403, admin=200, **each(STRANGERS, 404)), {"note": "No case."}),
]

CELLS = [(row, actor) for row in ROWS for actor in ACTORS]


def _path(row: Row, world: World) -> str:
    day_start, day_end = local_at(2, 0), local_at(3, 0)
    slot_start, slot_end = _period(2, 14)
    values = {**world.ids, "day_start": day_start.isoformat(), "day_end": day_end.isoformat()}
    values.update(slot_start=slot_start, slot_end=slot_end)
    path = row.path.format(**values).replace("+", "%2B")
    return f"/api/v1{path}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_authorization_matrix(row: Row) -> None:
    """One row: the world is built once, and each caller's request runs in a savepoint that is
    rolled back afterwards, so every cell sees the same untouched world."""
    world = build_world()
    mismatches = []
    for actor in ACTORS:
        savepoint = transaction.savepoint()
        try:
            body = row.body(world, actor) if callable(row.body) else row.body
            response = world.client(actor).generic(
                row.method, _path(row, world), data=_json(body), content_type="application/json"
            )
        finally:
            transaction.savepoint_rollback(savepoint)
        expected = row.expected[actor]
        problem_ok = expected < 400 or response["Content-Type"] == "application/problem+json"
        if response.status_code != expected or not problem_ok:
            mismatches.append(f"as {actor}: expected {expected}, got {response.status_code} {response.content[:200]!r}")
    assert not mismatches, f"{row.name}\n" + "\n".join(mismatches)


def _json(body: dict[str, Any] | None) -> str:
    import json

    return "" if body is None else json.dumps(body)


def test_every_operation_in_the_schema_is_in_the_matrix(client, capsys) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {
        f"{method.upper()} {_template(path.removeprefix('/api/v1'))}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {f"{row.method} {_template(row.path)}" for row in ROWS}
    missing = sorted(operations - covered)
    with capsys.disabled():
        print(
            f"\n[security] authorization matrix: {len(ROWS)} rows x {len(ACTORS)} callers = {len(CELLS)} cells, "
            f"covering {len(operations & covered)}/{len(operations)} schema operations"
        )
    assert not missing, f"operations without an authorization row: {missing}"


def _template(path: str) -> str:
    """``/vendors/{pending_vendor}/approve?x=1`` and the schema's ``/vendors/{id}/approve`` both
    become ``/vendors/{}/approve``."""
    path = path.split("?", 1)[0]
    return "/".join("{}" if segment.startswith("{") else segment for segment in path.split("/"))
