"""Filters for the booking list."""

from __future__ import annotations

import django_filters

from bookings.models import Booking, BookingStatus
from resources.filters import AwareDateTimeFilter


class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    resource = django_filters.UUIDFilter(field_name="resource_id")
    vendor = django_filters.UUIDFilter(field_name="resource__vendor_id")
    # With an offset (API.md: naive is a 400), years 2000-2200, compared in UTC: Django's
    # IsoDateTimeFilter passed "…-21:39" to PostgreSQL, which refuses offsets over 15:59 (a 500).
    start_after = AwareDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = AwareDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Booking
        fields = ["status", "resource", "vendor", "start_after", "start_before"]
