"""Filters for the booking list."""

from __future__ import annotations

import django_filters

from bookings.models import Booking, BookingStatus


class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    resource = django_filters.UUIDFilter(field_name="resource_id")
    vendor = django_filters.UUIDFilter(field_name="resource__vendor_id")
    start_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Booking
        fields = ["status", "resource", "vendor", "start_after", "start_before"]
