"""The one exception handler: every error leaves the API as RFC 9457 problem+json.

Domain errors carry their own ``code``; DRF and Django errors get stable codes here.
Unknown exceptions are left to Django, whose ``handler500`` also answers problem+json
without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from common.errors import DomainError
from common.middleware import is_database_unavailable
from common.problems import PROBLEM_CONTENT_TYPE, problem_body

logger = logging.getLogger("allot.errors")

_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _code_for(exc: exceptions.APIException) -> str:
    if isinstance(exc, InvalidToken):
        return "token_not_valid"
    for klass, code in _CODES.items():
        if isinstance(exc, klass):
            return code
    return str(exc.default_code)


def _detail_text(data: Any) -> str:
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    if isinstance(data, list) and data:
        return str(data[0])
    return ""


def _problem(response: Response, body: dict[str, Any], context: dict[str, Any]) -> Response:
    response.data = body
    if _wants_json(context):
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _wants_json(context: dict[str, Any]) -> bool:
    """The browsable API renders problems as HTML pages; every other client gets problem+json."""
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is None or getattr(renderer, "format", "json") != "api"


def _domain_response(exc: DomainError, context: dict[str, Any]) -> Response:
    body = problem_body(status=exc.status, code=exc.code, detail=exc.detail, title=exc.title, **exc.extra)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    content_type = PROBLEM_CONTENT_TYPE if _wants_json(context) else None
    return Response(body, status=exc.status, headers=headers, content_type=content_type)


class RequestTooLarge(DomainError):
    code = "request_too_large"
    status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    title = "Request body too large"


def body_too_large() -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KiB.")


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_response(exc, context)
    if isinstance(exc, RequestDataTooBig):  # Django's answer would be a generic 400
        return _domain_response(body_too_large(), context)
    if isinstance(exc, TokenError):
        exc = InvalidToken(exc.args[0] if exc.args else None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DatabaseError) and is_database_unavailable(exc):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return _domain_response(
            DomainError(
                "The database is unavailable. Try again shortly.",
                code="database_unavailable",
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                retry_after=5,
            ),
            context,
        )

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    code = _code_for(exc)
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        body = problem_body(
            status=response.status_code,
            code=code,
            title="Invalid request",
            detail="The request has invalid fields; see errors.",
            errors=errors,
        )
    else:
        body = problem_body(status=response.status_code, code=code, detail=_detail_text(response.data))
    return _problem(response, body, context)
