"""Hostile input: every answer is a clean problem+json 4xx, never a 500.

Conventions these tests pin down (docs/security.md):

* unknown body fields are ignored (the serializers name every field they read; nothing
  else reaches a model), so a client cannot set what the API does not offer;
* bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB) are 413 ``request_too_large``;
* JSON nested deeper than 32 levels is 400 ``parse_error``; NaN/Infinity literals too;
* NUL characters anywhere in a body are 400 ``validation_error`` (PostgreSQL cannot store them);
* malformed ids: in a path 404, in a body or a query parameter 400;
* a cursor the API did not issue is 400; ``page_size`` must be one whole number (else 400) and
  is clamped to 1..100.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.conftest import authed
from tests.factories.accounts import UserFactory
from tests.factories.bookings import local_at, make_resource, member
from vendors.models import MembershipRole

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings"


def problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    if code:
        assert body["code"] == code, body
    assert "Traceback" not in json.dumps(body)
    return body


@pytest.fixture
def resource(db):
    return make_resource("slots", capacity=2)


@pytest.fixture
def customer_client(db):
    client = authed(UserFactory())
    client.raise_request_exception = False  # a 500 must show as a 500 here, not as an exception
    return client


def booking_body(bookable, **overrides):
    start = local_at(2, 9)
    body = {
        "resource": str(bookable.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
    }
    body.update(overrides)
    return body


# --- datetimes ---------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["2031-03-01T09:00:00", "2031-03-01 09:00", "2031-03-01T09:00:00.000"])
def test_naive_datetimes_are_400(customer_client, resource, start):
    body = problem(customer_client.post(BOOKINGS, booking_body(resource, start=start), format="json"), 400)
    assert "start" in body["errors"]


def test_naive_datetimes_in_availability_and_search_are_400(api_client, resource):
    api_client.raise_request_exception = False
    availability = api_client.get(
        f"/api/v1/resources/{resource.pk}/availability", {"start": "2031-03-01T00:00:00", "end": "2031-03-02T00:00:00"}
    )
    problem(availability, 400, "validation_error")
    search = api_client.get(
        "/api/v1/resources", {"available_from": "2031-03-01T09:00:00", "available_to": "2031-03-01T10:00:00"}
    )
    problem(search, 400, "validation_error")


def test_end_before_start_is_400_everywhere(customer_client, resource):
    start = local_at(2, 10)
    earlier = (start - timedelta(hours=1)).isoformat()
    create = customer_client.post(BOOKINGS, booking_body(resource, start=start.isoformat(), end=earlier), format="json")
    assert "end" in problem(create, 400, "validation_error")["errors"]
    availability = customer_client.get(
        f"/api/v1/resources/{resource.pk}/availability", {"start": start.isoformat(), "end": earlier}
    )
    problem(availability, 400, "validation_error")
    search = customer_client.get("/api/v1/resources", {"available_from": start.isoformat(), "available_to": earlier})
    problem(search, 400, "validation_error")


EXTREME_INSTANTS = [
    ("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-02:00"),  # past year 9999 once in UTC
    ("0001-01-01T00:00:00+01:00", "0001-01-01T01:00:00+01:00"),  # before year 1 once in UTC
    ("9999-12-31T20:00:00Z", "9999-12-31T21:00:00Z"),
    ("1900-01-01T00:00:00Z", "1900-01-01T01:00:00Z"),
]


@pytest.mark.parametrize(("start", "end"), EXTREME_INSTANTS)
def test_years_out_of_range_are_400_not_overflow(customer_client, resource, start, end):
    problem(customer_client.post(BOOKINGS, booking_body(resource, start=start, end=end), format="json"), 400)
    problem(customer_client.get(f"/api/v1/resources/{resource.pk}/availability", {"start": start, "end": end}), 400)
    problem(
        customer_client.get(f"/api/v1/resources/{resource.pk}/availability/explain", {"start": start, "end": end}), 400
    )
    # The catalog search parsed these without a range check and overflowed converting to UTC (a 500).
    problem(customer_client.get("/api/v1/resources", {"available_from": start, "available_to": end}), 400)


@pytest.mark.parametrize(("start", "end"), EXTREME_INSTANTS)
def test_extreme_instants_in_list_filters_never_500(customer_client, start, end):
    response = customer_client.get(BOOKINGS, {"start_after": start, "start_before": end})
    assert response.status_code in (200, 400)


def test_garbage_datetimes_are_400(customer_client, resource):
    for value in [
        "yesterday",
        "2031-02-30T09:00:00Z",
        "2031-03-01T25:00:00Z",
        "x" * 5000,
        "",
        "2031-03-01T09:00:00+99:00",
    ]:
        problem(customer_client.post(BOOKINGS, booking_body(resource, start=value), format="json"), 400)


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, 1001, 10**30, -(10**30), 1.5, "1e400", "NaN", True, None, [], {}])
def test_absurd_quantities_are_400(customer_client, resource, quantity):
    body = problem(customer_client.post(BOOKINGS, booking_body(resource, quantity=quantity), format="json"), 400)
    assert "quantity" in body["errors"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_nan_and_infinity_in_json_are_400(customer_client, resource, literal):
    raw = json.dumps(booking_body(resource))[:-1] + f', "quantity": {literal}}}'
    response = customer_client.post(BOOKINGS, data=raw, content_type="application/json")
    problem(response, 400)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "-1", "1e400", "12345678901234567890", "0.001"])
def test_absurd_prices_are_400(resource, amount):
    owner = member(resource.vendor, MembershipRole.OWNER)
    client = authed(owner)
    response = client.patch(f"/api/v1/resources/{resource.pk}", {"price_amount": amount}, format="json")
    assert "price_amount" in problem(response, 400, "validation_error")["errors"]


@pytest.mark.parametrize("quantity", ["0", "-1", "99999999999999999999999", "NaN", "1e3", "abc"])
def test_absurd_quantities_in_queries_are_400(customer_client, resource, quantity):
    start = local_at(2, 9).isoformat()
    end = local_at(2, 12).isoformat()
    availability = customer_client.get(
        f"/api/v1/resources/{resource.pk}/availability", {"start": start, "end": end, "quantity": quantity}
    )
    problem(availability, 400)
    search = customer_client.get(
        "/api/v1/resources", {"available_from": start, "available_to": end, "quantity": quantity}
    )
    problem(search, 400)


# --- size and shape ----------------------------------------------------------------------


def test_a_10_mb_body_is_413_problem(customer_client, resource):
    raw = json.dumps(booking_body(resource, notes="x" * 10_000_000))
    body = problem(customer_client.post(BOOKINGS, data=raw, content_type="application/json"), 413, "request_too_large")
    assert "1024 KiB" in body["detail"]


def test_a_10_mb_body_is_413_for_anonymous_auth_endpoints_too(api_client):
    api_client.raise_request_exception = False
    raw = json.dumps({"email": "a@example.com", "password": "p" * 10_000_000})
    problem(api_client.post("/api/v1/auth/register", data=raw, content_type="application/json"), 413)
    problem(api_client.post("/api/v1/auth/token", data=raw, content_type="application/json"), 413)


def test_a_10_mb_form_to_the_admin_login_is_413_problem(client):
    client.raise_request_exception = False
    response = client.post("/admin/login/", data={"username": "x", "password": "p" * 10_000_000})
    problem(response, 413, "request_too_large")


def test_a_body_just_under_the_limit_is_parsed(customer_client, resource):
    raw = json.dumps(booking_body(resource, padding="x" * 1_000_000))
    assert customer_client.post(BOOKINGS, data=raw, content_type="application/json").status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"resource": ' + "[" * 40 + "]" * 40 + "}",
    ],
    ids=["100k-deep-array", "50k-deep-object", "40-deep-field"],
)
def test_deeply_nested_json_is_400_parse_error(customer_client, raw):
    problem(customer_client.post(BOOKINGS, data=raw, content_type="application/json"), 400, "parse_error")


def test_deeply_nested_attributes_are_400_not_500(resource):
    owner = authed(member(resource.vendor, MembershipRole.OWNER))
    nested: object = "leaf"
    for _ in range(200):
        nested = {"a": nested}
    response = owner.patch(f"/api/v1/resources/{resource.pk}", {"attributes": nested}, format="json")
    problem(response, 400, "parse_error")


@pytest.mark.parametrize("raw", ["[1, 2]", '"a string"', "42", "null", "{", '{"a": 1,}', "\x00", "\ufeff{}"])
def test_bodies_that_are_not_an_object_are_400(customer_client, raw):
    response = customer_client.post(BOOKINGS, data=raw, content_type="application/json")
    problem(response, 400)


def test_a_non_json_content_type_is_415(customer_client, resource):
    response = customer_client.post(BOOKINGS, data="resource=x", content_type="application/x-www-form-urlencoded")
    problem(response, 415, "unsupported_media_type")


# --- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/bookings/not-a-uuid",
        "/api/v1/bookings/" + "-" * 36,
        "/api/v1/bookings/00000000-0000-0000-0000-000000000000",
        "/api/v1/bookings/" + "-" * 36 + "/history",
        "/api/v1/resources/not-a-uuid",
        "/api/v1/resources/00000000-0000-0000-0000-00000000000g/availability",
        "/api/v1/vendors/%00",
        "/api/v1/vendors/../../etc/passwd",
        "/api/v1/resource-types/%2e%2e",
        "/api/v1/waitlist/" + "-" * 36,
    ],
)
def test_malformed_ids_in_paths_are_404(customer_client, path):
    problem(customer_client.get(path), 404, "not_found")


@pytest.mark.parametrize("action", ["confirm", "cancel", "approve", "reject", "no-show", "reschedule"])
def test_malformed_ids_in_action_paths_are_404(customer_client, resource, action):
    body = booking_body(resource) if action == "reschedule" else {}  # a bad body is a 400 before the lookup
    response = customer_client.post(f"{BOOKINGS}/{'-' * 36}/{action}", body, format="json")
    problem(response, 404, "not_found")


@pytest.mark.parametrize("value", ["nope", "", "00000000-0000-0000-0000-00000000000g", None, ["x"], {"id": 1}])
def test_malformed_ids_in_bodies_are_400(customer_client, resource, value):
    body = problem(customer_client.post(BOOKINGS, booking_body(resource, resource=value), format="json"), 400)
    assert "resource" in body["errors"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/bookings", "resource"),
        ("/api/v1/bookings", "vendor"),
        ("/api/v1/resources", "vendor"),
        ("/api/v1/waitlist", "resource"),
    ],
)
def test_malformed_ids_in_query_parameters_are_400(customer_client, path, param):
    problem(customer_client.get(path, {param: "not-a-uuid"}), 400, "validation_error")


# --- unknown fields and mass assignment ---------------------------------------------------


def test_unknown_fields_are_ignored(customer_client, resource):
    response = customer_client.post(
        BOOKINGS, booking_body(resource, colour="blue", __proto__={"admin": True}, id="x"), format="json"
    )
    assert response.status_code == 201
    assert "colour" not in response.json()


# --- text ------------------------------------------------------------------------------------

UNICODE_NAMES = [
    "Zahnarztpraxis Müller & Söhne",
    "東京デンタル",
    "مطعم الشرق",
    "👩‍⚕️ Dr. Emoji 🦷",
    "a\u0301e\u0301 combining",
    "Right\u202eto\u202cleft override",
    "zero\u200bwidth",
    "tab\tand\nnewline",
    "bell\x07 and escape\x1b[31m",
    "\U0001f600" * 30,
]


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_and_control_characters_in_names_round_trip(name):
    client = authed(UserFactory())
    response = client.post(
        "/api/v1/vendors", {"name": name, "category": "clinic", "timezone": "Europe/Berlin"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == name
    assert client.get(f"/api/v1/vendors/{response.json()['id']}").json()["name"] == name


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/vendors", {"name": "Nul\x00Vendor", "category": "clinic", "timezone": "Europe/Berlin"}),
        ("/api/v1/vendors", {"name": "ok", "category": "cli\x00nic", "timezone": "Europe/Berlin"}),
        ("/api/v1/auth/register", {"email": "nul@example.com", "password": "long-enough\x00pw", "full_name": "A"}),
        ("/api/v1/auth/token", {"email": "nul\x00@example.com", "password": "x"}),
    ],
)
def test_nul_bytes_in_text_are_400_not_500(path, body):
    client = authed(UserFactory())
    client.raise_request_exception = False
    problem(client.post(path, body, format="json"), 400, "validation_error")


def test_nul_bytes_inside_json_objects_are_400_not_500(resource, admin_user):
    owner = authed(member(resource.vendor, MembershipRole.OWNER))
    owner.raise_request_exception = False
    response = owner.patch(f"/api/v1/resources/{resource.pk}", {"attributes": {"floor": "1\x00"}}, format="json")
    assert problem(response, 400, "validation_error")["errors"] == {"attributes": ["Null characters are not allowed."]}
    key = owner.patch(f"/api/v1/resources/{resource.pk}", {"attributes": {"fl\x00or": 1}}, format="json")
    problem(key, 400, "validation_error")
    admin = authed(admin_user)
    admin.raise_request_exception = False
    schema = {"type": "object", "title": "a\x00b"}
    created = admin.post(
        "/api/v1/resource-types",
        {"key": "nul-type", "name": "Nul", "booking_mode": "slots", "attribute_schema": schema},
        format="json",
    )
    problem(created, 400, "validation_error")


def test_nul_bytes_in_query_parameters_are_400(customer_client):
    problem(customer_client.get("/api/v1/resources", {"q": "a\x00b"}), 400, "validation_error")
    problem(customer_client.get("/api/v1/vendors", {"q": "a\x00b"}), 400, "validation_error")


def test_overlong_text_is_400(customer_client, resource):
    body = problem(customer_client.post(BOOKINGS, booking_body(resource, notes="x" * 2001), format="json"), 400)
    assert "notes" in body["errors"]


def test_idempotency_keys_with_control_characters_are_400(customer_client, resource):
    for key in ["a\x00b", "a\x07b", " ", "k" * 256]:
        response = customer_client.post(BOOKINGS, booking_body(resource), format="json", HTTP_IDEMPOTENCY_KEY=key)
        problem(response, 400, "validation_error")


# --- pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", ["0", "-1", "101", "1000000", "99999999999999999999999999", "", " 5 "])
def test_page_size_out_of_range_is_clamped(resource, page_size):
    client = authed(UserFactory(is_staff=True))
    for path in ["/api/v1/vendors", "/api/v1/resources", "/api/v1/bookings", "/api/v1/resource-types"]:
        response = client.get(path, {"page_size": page_size})
        assert response.status_code == 200, (path, response.content)
        assert len(response.json()["results"]) <= 100


def test_page_size_is_honoured_up_to_100():
    client = authed(UserFactory(is_staff=True))
    assert len(client.get("/api/v1/resource-types", {"page_size": 2}).json()["results"]) == 2


@pytest.mark.parametrize("page_size", ["abc", "1e3", "2.5", "\u00b2", "0x10", ["5", "6"]])
def test_page_size_that_is_not_one_whole_number_is_400(page_size):
    client = authed(UserFactory(is_staff=True))
    for path in ["/api/v1/vendors", "/api/v1/bookings"]:
        body = problem(client.get(path, {"page_size": page_size}), 400, "validation_error")
        assert body["errors"] == {"page_size": ["A whole number is required."]}


def _cursor(querystring: str) -> str:
    return base64.b64encode(querystring.encode()).decode()


TAMPERED_CURSORS = [_cursor("p=%00"), _cursor("o=-1"), _cursor("r=x"), _cursor("o=abc")]


@pytest.mark.parametrize("cursor", [*TAMPERED_CURSORS, _cursor("p=notadate"), _cursor("p=" + "9" * 500)])
def test_tampered_cursors_on_time_ordered_lists_are_400(cursor):
    client = authed(UserFactory(is_staff=True))
    client.raise_request_exception = False
    for path in ["/api/v1/bookings", "/api/v1/resources", "/api/v1/disputes"]:
        body = problem(client.get(path, {"cursor": cursor}), 400, "validation_error")
        assert body["errors"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS)
def test_tampered_cursors_on_name_ordered_lists_are_400(cursor):
    client = authed(UserFactory(is_staff=True))
    client.raise_request_exception = False
    for path in ["/api/v1/vendors", "/api/v1/resource-types"]:
        problem(client.get(path, {"cursor": cursor}), 400, "validation_error")


def test_a_cursor_that_decodes_to_nothing_is_the_first_page():
    client = authed(UserFactory(is_staff=True))
    assert client.get("/api/v1/bookings", {"cursor": "%%%"}).status_code == 200


def test_a_cursor_the_api_issued_still_works(resource):
    client = authed(UserFactory(is_staff=True))
    first = client.get("/api/v1/resource-types", {"page_size": 1}).json()
    assert first["next"]
    assert client.get(first["next"]).status_code == 200


# --- types -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 5, 1.5, -1, True, [], {}])
def test_numbers_and_other_non_strings_in_text_fields_are_400(customer_client, resource, value):
    body = problem(customer_client.post(BOOKINGS, booking_body(resource, notes=value), format="json"), 400)
    assert "notes" in body["errors"]


def test_a_number_as_a_vendor_review_reason_is_400(admin_user):
    from tests.factories.bookings import make_vendor
    from vendors.models import VendorStatus

    vendor = make_vendor(status=VendorStatus.PENDING)
    response = authed(admin_user).post(f"/api/v1/vendors/{vendor.pk}/approve", {"reason": 0}, format="json")
    assert "reason" in problem(response, 400, "validation_error")["errors"]
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.PENDING


def test_a_number_as_a_password_or_name_is_400(api_client):
    response = api_client.post(
        "/api/v1/auth/register", {"email": "n@example.com", "password": 12345678901234, "full_name": 7}, format="json"
    )
    assert set(problem(response, 400, "validation_error")["errors"]) == {"password", "full_name"}


@pytest.mark.parametrize("offset", ["+20:00", "-16:00", "-21:39", "+15:59"])
def test_offsets_postgresql_cannot_store_are_converted_not_a_500(customer_client, resource, offset):
    """Python accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: every instant is
    compared and stored in UTC, so an exotic but valid offset is just another instant."""
    start, end = f"2031-03-01T09:00:00{offset}", f"2031-03-01T09:30:00{offset}"
    assert (
        customer_client.get(BOOKINGS, {"start_before": start, "start_after": "2030-01-01T00:00:00+23:59"}).status_code
        == 200
    )
    assert customer_client.get("/api/v1/resources", {"available_from": start, "available_to": end}).status_code == 200
    availability = customer_client.get(f"/api/v1/resources/{resource.pk}/availability", {"start": start, "end": end})
    assert availability.status_code == 200
    created = customer_client.post(BOOKINGS, booking_body(resource, start=start, end=end), format="json")
    assert created.status_code in (201, 409), created.content  # 409 only if the local slot is closed


def test_naive_datetimes_in_booking_list_filters_are_400(customer_client):
    problem(customer_client.get(BOOKINGS, {"start_after": "2031-03-01T09:00:00"}), 400, "validation_error")
