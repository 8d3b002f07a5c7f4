"""Query filters for ``GET /vendors``. They narrow the caller's visible set, never widen it."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from vendors.models import Vendor, VendorStatus


class VendorFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    status = django_filters.ChoiceFilter(choices=VendorStatus.choices)
    category = django_filters.CharFilter(lookup_expr="iexact", max_length=60)
    q = django_filters.CharFilter(method="filter_q", max_length=120, label="Name contains")

    class Meta:
        model = Vendor
        fields = ["status", "category", "q"]

    def filter_q(self, queryset: QuerySet[Vendor], name: str, value: str) -> QuerySet[Vendor]:
        return queryset.filter(name__icontains=value.strip()) if value.strip() else queryset
