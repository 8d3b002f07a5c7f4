"""The OpenAPI schema tells the truth about errors and values (what schemathesis checks in `make fuzz`)."""

from __future__ import annotations

import jsonschema
import pytest

from tests.conftest import authed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_documents_its_problem_answers(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        for code in ("401", "403", "404", "429", "503"):
            content = responses[code]["content"]
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                method,
                path,
                code,
            )
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), (method, path)
        if method != "get":
            assert "409" in responses, (method, path)


def test_problem_bodies_match_the_problem_schema(schema, client):
    problem_schema = schema["components"]["schemas"]["Problem"]
    client.raise_request_exception = False
    for response in (
        client.get("/api/v1/bookings"),  # 401
        client.get("/api/v1/vendors/00000000-0000-0000-0000-000000000000"),  # 404
        client.post("/api/v1/auth/register", {}, content_type="application/json"),  # 400 with errors
        client.post("/api/v1/auth/token", "{", content_type="application/json"),  # 400 parse error
    ):
        assert response["Content-Type"] == "application/problem+json"
        jsonschema.validate(response.json(), problem_schema)


def test_a_vendor_without_contact_email_matches_its_output_schema(schema):
    """The model allows an empty contact email; the schema used to say ``format: email`` only."""
    owner = UserFactory()
    created = authed(owner).post(
        "/api/v1/vendors", {"name": "No Mail", "category": "salon", "timezone": "Europe/Berlin"}, format="json"
    )
    assert created.json()["contact_email"] == ""
    field = schema["components"]["schemas"]["VendorOutput"]["properties"]["contact_email"]
    jsonschema.validate("", field, format_checker=jsonschema.FormatChecker())
    jsonschema.validate("ops@example.com", field, format_checker=jsonschema.FormatChecker())


def test_the_exceptions_list_does_not_advertise_catalog_filters(schema):
    parameters = schema["paths"]["/api/v1/resources/{id}/exceptions"]["get"].get("parameters", [])
    names = {p["name"] for p in parameters if p["in"] == "query"}
    assert names == {"cursor", "page_size"}


def test_optional_query_parameters_may_be_empty(schema):
    for _method, _path, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                assert parameter["allowEmptyValue"] is True


def _json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema (``nullable`` becomes a null alternative)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_matches_schema(schema, method: str, path: str, response) -> None:
    documented = schema["paths"][path][method]["responses"][str(response.status_code)]
    media = "application/problem+json" if response.status_code >= 400 else "application/json"
    body_schema = documented["content"][media]["schema"]
    root = {**_json_schema(body_schema), "components": _json_schema(schema["components"])}
    jsonschema.validate(response.json(), root, format_checker=jsonschema.FormatChecker())


def test_real_responses_match_their_documented_schemas(schema):
    from datetime import timedelta

    from bookings.services import booking_cancel, booking_create
    from tests.factories.bookings import local_at, make_resource

    resource = make_resource("slots", capacity=2)
    customer = UserFactory()
    start = local_at(2, 9)
    booking = booking_create(
        customer=customer, resource_id=resource.pk, start=start, end=start + timedelta(minutes=30), confirm=True
    )
    booking_cancel(booking_id=booking.pk, actor=customer, reason="changed plans")
    client = authed(customer)
    checks = [
        ("get", "/api/v1/bookings/{id}/history", f"/api/v1/bookings/{booking.pk}/history"),  # from_status ""
        ("get", "/api/v1/bookings/{id}", f"/api/v1/bookings/{booking.pk}"),
        ("get", "/api/v1/bookings", "/api/v1/bookings"),
        ("get", "/api/v1/resources/{id}", f"/api/v1/resources/{resource.pk}"),
        ("get", "/api/v1/vendors/{id}", f"/api/v1/vendors/{resource.vendor_id}"),
        ("get", "/api/v1/me", "/api/v1/me"),
        ("get", "/api/v1/bookings/{id}", "/api/v1/bookings/00000000-0000-0000-0000-000000000000"),  # 404
    ]
    for method, template, url in checks:
        response = client.get(url)
        assert_matches_schema(schema, method, template, response)
