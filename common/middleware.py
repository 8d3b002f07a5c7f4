"""Request id propagation and a last-resort mapping of database outages to 503."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from common.logging import request_id_var
from common.problems import problem_response

logger = logging.getLogger("allot.request")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Accepts a sane ``X-Request-ID`` or makes one; echoes it and puts it in every log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def is_database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean 'PostgreSQL is unreachable', not 'the query was wrong'."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg_pool is a hard dependency
        PoolTimeout = ()  # type: ignore[assignment,misc]  # noqa: N806
    if isinstance(exc, PoolTimeout | InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        cause = exc.__cause__
        sqlstate = getattr(cause, "sqlstate", None)
        # Lock/statement timeouts are OperationalErrors too, but they are answered by
        # the services as 409s; anything without a SQLSTATE is a connection failure.
        return sqlstate is None or sqlstate.startswith(("08", "57P"))
    return False


class DatabaseUnavailableMiddleware:
    """Plain Django views (admin, health) get a 503 problem, not a 500, when PostgreSQL is down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError) and is_database_unavailable(exception):
            logger.warning("database unavailable", extra={"path": request.path})
            return problem_response(
                status=503,
                code="database_unavailable",
                detail="The database is unavailable. Try again shortly.",
                headers={"Retry-After": "5"},
            )
        return None
