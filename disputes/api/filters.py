"""Filters for the dispute list (they narrow the caller's scope, never widen it)."""

from __future__ import annotations

import django_filters

from disputes.models import Dispute, DisputeReason, DisputeStatus


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DisputeStatus.choices)
    reason = django_filters.MultipleChoiceFilter(choices=DisputeReason.choices)
    booking = django_filters.UUIDFilter(field_name="booking_id")

    class Meta:
        model = Dispute
        fields = ["status", "reason", "booking"]
