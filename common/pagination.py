"""Pagination: every list is bounded; ``?page_size=`` is capped at 100."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from common.errors import InvalidInput

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination ordered by time: stable under inserts, cheap at any depth.

    A cursor is opaque to clients but not trusted: DRF decodes it and compares its position
    to the ordering column in SQL. A tampered position (not a date for a time ordering, a
    NUL character that PostgreSQL refuses) used to reach the database and come back as a
    500; any cursor that does not decode to a valid position is a 400 here.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
    _model: type[Model] | None = None

    def get_page_size(self, request: Request) -> int:
        """``?page_size=`` as a whole number; out of range is clamped to 1..100 (0 or less: the
        default), anything that is not one number is a 400 rather than silently the default."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values or values == [""]:
            return self.page_size
        if len(values) > 1 or not WHOLE_NUMBER.fullmatch(values[0].strip()):
            raise InvalidInput(
                "page_size must be a whole number.",
                code="validation_error",
                extra={"errors": {"page_size": ["A whole number is required."]}},
            )
        size = int(values[0])
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        # A QuerySet, or a stand-in that pages like one (resources.selectors.AvailableCatalog).
        model = getattr(queryset, "model", None)
        self._model = model if isinstance(model, type) and issubclass(model, Model) else None
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid_cursor() from None
        if cursor is not None and cursor.position is not None and not self._position_ok(str(cursor.position)):
            raise invalid_cursor()
        return cursor

    def _position_ok(self, position: str) -> bool:
        if "\x00" in position or self._model is None:
            return "\x00" not in position
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        try:
            field = self._model._meta.get_field(ordering.lstrip("-"))
        except FieldDoesNotExist:
            return True
        if not isinstance(field, Field):
            return True
        try:
            field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return True


def invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API issued; start again from the first page.",
        code="validation_error",
        extra={"errors": {"cursor": ["Invalid cursor."]}},
    )
