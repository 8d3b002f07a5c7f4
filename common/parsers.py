"""The JSON parser every endpoint uses: DRF's, with a nesting limit and no NUL characters.

No request body the API accepts nests deeper than a few levels (a resource type's JSON
Schema is the deepest). A body nested thousands of levels deep made Python's JSON decoder
raise ``RecursionError``, a 500; one nested a few hundred levels deep parsed, then blew the
recursion limit in whatever walked it next (validation, JSON Schema, the database adapter).
Both are now a 400 ``parse_error``. PostgreSQL stores no NUL (``\\u0000``) in text or
``jsonb``: DRF's text fields refuse it, but inside a JSON object field (a resource's
``attributes``, a type's ``defaults``) it reached the database and came back as a 500; it
is now a 400 ``validation_error`` naming the top-level field. The size limit is Django's (DATA_UPLOAD_MAX_MEMORY_SIZE,
DRF reads JSON through ``request.body``): a larger body is a 413 (config/exception_handler.py).
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

MAX_DEPTH = 32
NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."  # DRF's own wording for text fields


def nesting_depth(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), counting no further than ``limit + 1``.

    Breadth first, without recursion: the point is not to recurse on hostile input."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]
    return depth


def contains_nul(value: Any) -> bool:
    """True if any string (or object key) anywhere in ``value`` contains a NUL character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            if any(NUL in str(key) for key in item):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _nul_errors(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {
            str(key).replace(NUL, "")[:100]: [NUL_MESSAGE] for key, value in data.items() if contains_nul([key, value])
        }
    return {"non_field_errors": [NUL_MESSAGE]} if contains_nul(data) else {}


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (strict: no NaN or Infinity) that refuses absurd nesting and NUL characters."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from exc
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if errors := _nul_errors(data):
            raise ValidationError(errors)
        return data
