"""Operational endpoints and problem+json handlers for errors outside DRF."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_redis import get_redis_connection

from common.problems import problem_response

logger = logging.getLogger("allot.health")


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readiness: database check failed: %s", type(exc).__name__)
        return "database unreachable"
    return None


def _check_redis() -> str | None:
    try:
        # The raw client, not the cache: the cache deliberately swallows Redis errors.
        get_redis_connection("default").ping()
    except Exception as exc:  # noqa: BLE001
        logger.warning("readiness: redis check failed: %s", type(exc).__name__)
        return "redis unreachable"
    return None


def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: PostgreSQL and Redis both answer. 503 problem+json otherwise."""
    failures = {name: msg for name, msg in (("database", _check_database()), ("redis", _check_redis())) if msg}
    if failures:
        return problem_response(
            status=503,
            code="not_ready",
            detail="; ".join(failures.values()),
            checks={"database": "database" not in failures, "redis": "redis" not in failures},
            headers={"Retry-After": "5"},
        )
    return JsonResponse({"status": "ready", "checks": {"database": True, "redis": True}})


def db_ping(request: HttpRequest) -> JsonResponse:
    """A bare ``SELECT 1`` over HTTP: the benchmark's measure of framework overhead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return JsonResponse({"value": value})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # plain Django views (the admin) read bodies too
        limit_kib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return problem_response(
            status=413, code="request_too_large", detail=f"The request body is larger than {limit_kib} KiB."
        )
    return problem_response(status=400, code="bad_request", detail="The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(status=403, code="permission_denied", detail="You may not do that.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(status=404, code="not_found", detail=f"No route matches {request.path!r}.")


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_response(status=500, code="server_error", detail="Something went wrong on our side.")
