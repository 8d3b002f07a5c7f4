"""problem+json for every error shape, health and readiness, request ids, docs."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    return body


def test_unknown_api_route_is_404_problem(client):
    assert_problem(client.get("/api/v1/nope"), 404, "not_found")


def test_unknown_route_outside_api_is_404_problem(client):
    assert_problem(client.get("/definitely/not/here"), 404, "not_found")


def test_wrong_method_is_405_problem(api_client):
    assert_problem(api_client.get("/api/v1/auth/token"), 405, "method_not_allowed")


def test_validation_error_is_400_with_errors_per_field(api_client):
    body = assert_problem(api_client.post("/api/v1/auth/register", {}, format="json"), 400, "validation_error")
    assert set(body["errors"]) >= {"email", "password"}


def test_malformed_json_is_400_parse_error(api_client):
    response = api_client.post("/api/v1/auth/token", data="{nope", content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_bad_bearer_token_is_401_problem(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert_problem(api_client.get("/api/v1/me"), 401, "token_not_valid")


def test_server_error_is_500_problem_without_internals(client, settings):
    from config.views import server_error

    response = server_error(client.get("/healthz").wsgi_request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert b"Traceback" not in response.content


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_200_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "redis": True}


def test_readyz_is_503_problem_when_redis_is_unreachable(client, settings):
    dead = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": dead}):
        # override_settings resets the cache handlers, so this builds a fresh client.
        response = client.get("/readyz")
    body = assert_problem(response, 503, "not_ready")
    assert body["checks"] == {"database": True, "redis": False}
    assert response["Retry-After"]


def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")
    assert generated["X-Request-ID"] != "bad id with spaces"
    assert len(generated["X-Request-ID"]) == 32


def test_metrics_are_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests" in response.content


def test_schema_and_swagger_ui_are_served_without_internet(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


def test_admin_login_page_renders(client):
    assert client.get("/admin/login/").status_code == 200
