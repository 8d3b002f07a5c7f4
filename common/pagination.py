"""Pagination: every list is bounded; ``?page_size=`` is capped at 100."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination ordered by time: stable under inserts, cheap at any depth."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
