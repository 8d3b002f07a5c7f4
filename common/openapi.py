"""OpenAPI post-processing: the error answers every operation can give, documented.

drf-spectacular documents success responses only. Clients (and schemathesis, which
checks every response against the schema) also need the problem+json answers: this hook
adds them to each operation by what can cause them, with one ``Problem`` schema
(RFC 9457 plus ``code``, and ``errors`` for validation). It also marks optional query
parameters ``allowEmptyValue``: like HTML forms, the filters read ``?vendor=`` as "not
given", and the schema should say so.
"""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "example": "urn:allot:problem:slot_unavailable"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "example": "slot_unavailable"},
        "errors": {
            "type": "object",
            "description": "validation_error only: field → messages (nested for nested fields)",
            "additionalProperties": True,
        },
    },
    "additionalProperties": True,  # e.g. `reasons` (slot_unavailable), `checks` (not_ready), `limit`
}

DESCRIPTIONS = {
    400: "Invalid request (`validation_error`, `parse_error`, or a domain rule such as `invalid_period`)",
    401: "Not authenticated, or the token is invalid or expired",
    403: "Authenticated, but this role may not do this (`permission_denied`)",
    404: "No such object, or one the caller may not see (`not_found`)",
    409: "Conflict with the current state (`slot_unavailable`, `invalid_transition`, …)",
    413: "Request body larger than 1 MiB (`request_too_large`)",
    414: "Request line over 4 KiB: refused by the HTTP server (gunicorn) before Allot sees it; not problem+json",
    415: "Body is not `application/json` (`unsupported_media_type`)",
    422: "`Idempotency-Key` reused with another body (`idempotency_key_reused`)",
    429: "Rate limited (`throttled`); see `Retry-After`",
    503: "PostgreSQL unreachable (`database_unavailable`); see `Retry-After`",
}

HTML_CONTENT = {"text/html": {"schema": {"type": "string"}}}
UNSAFE = {"post", "put", "patch", "delete"}
METHODS = UNSAFE | {"get", "head", "options", "trace"}


def _error_codes(method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    has_query = any(p.get("in") == "query" for p in parameters)
    has_body = "requestBody" in operation
    codes = [401, 403, 404, 414, 429, 503]
    if has_query or has_body or method in UNSAFE:
        codes.append(400)
    if method in UNSAFE:
        codes.append(409)
    if has_body:
        codes += [413, 415]
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        codes.append(422)
    return sorted(codes)


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_codes(method, operation):
                content = HTML_CONTENT if code == 414 else {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
                responses.setdefault(str(code), {"description": DESCRIPTIONS[code], "content": content})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
