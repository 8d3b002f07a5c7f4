"""Catalog search filters for ``GET /resources``.

``vendor``, ``type`` (key), ``category`` (the vendor's) and ``q`` narrow the catalog in
SQL. ``available_from`` + ``available_to`` (+ ``quantity``, default 1) keep only resources
with that many units free for the whole period and open throughout it: the filter set only
validates them (``availability_period``, ``quantity_wanted``); the view hands the narrowed
catalog to ``resources.selectors.AvailableCatalog``, which tests candidates batch by batch
in page order. ``quantity`` alone keeps resources with that many units.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from bookings.domain.periods import Period
from common.fields import AWARE_DATETIME_SCHEMA, MAX_YEAR, MIN_YEAR
from resources.models import Resource

MAX_SEARCH_WINDOW = timedelta(days=62)
MAX_QUERY_LENGTH = 100


_SPACE_FOR_PLUS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def restore_offset_plus(text: str) -> str:
    """An unencoded "+" in a query string arrives as a space ("…T09:00:00 01:00"); put it back."""
    return _SPACE_FOR_PLUS.sub(r"\1+\2", text)


class AwareDateTimeFormField(forms.Field):
    """ISO 8601 with an explicit offset; naive datetimes are refused (API.md)."""

    default_error_messages = {
        "invalid": "Use ISO 8601 with an offset, e.g. 2027-03-01T09:00:00+01:00 or …Z.",
        "naive": "Give the time zone offset, e.g. 2027-03-01T09:00:00+01:00 or …Z.",
        "range": f"Year must be between {MIN_YEAR} and {MAX_YEAR}.",
    }

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if len(text) > 64:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        text = restore_offset_plus(text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        # Year 1 or 9999 with an offset does not even survive conversion to UTC (a 500 before).
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        # The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        # (``…-21:39`` reached SQL and was a 500).
        return parsed.astimezone(UTC)


@extend_schema_field(AWARE_DATETIME_SCHEMA)
class AwareDateTimeFilter(django_filters.Filter):
    field_class = AwareDateTimeFormField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 1000})
class QuantityFilter(django_filters.Filter):
    field_class = forms.IntegerField


class ResourceSearchForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("available_from"), data.get("available_to")
        if (start is None) != (end is None) and not self.errors:
            missing = "available_to" if end is None else "available_from"
            self.add_error(missing, "Give both available_from and available_to.")
        elif start is not None and end is not None:
            if end <= start:
                self.add_error("available_to", "Must be after available_from.")
            elif end - start > MAX_SEARCH_WINDOW:
                self.add_error("available_to", f"The period may span at most {MAX_SEARCH_WINDOW.days} days.")
        return data


class ResourceFilter(django_filters.FilterSet):
    vendor = django_filters.UUIDFilter(field_name="vendor_id", help_text="Vendor id")
    type = django_filters.CharFilter(field_name="resource_type__key", max_length=50, help_text="Resource type key")
    category = django_filters.CharFilter(
        field_name="vendor__category", lookup_expr="iexact", max_length=60, help_text="Vendor category"
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=MAX_QUERY_LENGTH, help_text="Text in the name or description"
    )
    available_from = AwareDateTimeFilter(method="filter_later", help_text="Start of the period (with offset)")
    available_to = AwareDateTimeFilter(method="filter_later", help_text="End of the period (with offset)")
    quantity = QuantityFilter(method="filter_later", min_value=1, max_value=1000, help_text="Units needed (default 1)")

    class Meta:
        model = Resource
        fields: list[str] = []
        form = ResourceSearchForm

    def filter_text(self, queryset: QuerySet[Resource], name: str, value: str) -> QuerySet[Resource]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_later(self, queryset: QuerySet[Resource], name: str, value: Any) -> QuerySet[Resource]:
        return queryset  # applied together in filter_queryset

    @property
    def availability_period(self) -> Period | None:
        """The period asked for (after validation), or ``None`` without availability filters."""
        data = self.form.cleaned_data
        start, end = data.get("available_from"), data.get("available_to")
        return Period(start, end) if start is not None and end is not None else None

    @property
    def quantity_wanted(self) -> int:
        return self.form.cleaned_data.get("quantity") or 1

    def filter_queryset(self, queryset: QuerySet[Resource]) -> QuerySet[Resource]:
        """Everything but availability, which ``AvailableCatalog`` applies while paginating.
        A resource with fewer units than asked for can never match, so that is SQL here."""
        queryset = super().filter_queryset(queryset)
        quantity = self.form.cleaned_data.get("quantity")
        return queryset if quantity is None else queryset.filter(capacity__gte=quantity)
