"""Booking series endpoints: ``/bookings/series[/{id}[/cancel|/confirm]]``, thin views over bookings.series."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bookings import series as series_services
from bookings.api.idempotency import idempotent_response
from bookings.api.serializers import MAX_QUANTITY, BookingOutput
from bookings.api.views import IDEMPOTENCY_HEADER, ThrottledCreateMixin, _as_period
from bookings.models import BookingSeries, SeriesConflictPolicy, SeriesFrequency
from common.errors import NotFound
from common.fields import AwareDateTimeField, DateOrAwareDateTimeField, StrictCharField, StrictModelSerializer
from resources.api.serializers import ReasonOutput

# --- input ---------------------------------------------------------------------------------


class RecurrenceInput(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=SeriesFrequency.choices)
    interval = serializers.IntegerField(min_value=1, max_value=series_services.MAX_INTERVAL, default=1)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False, default=list
    )
    count = serializers.IntegerField(min_value=1, max_value=series_services.MAX_OCCURRENCES, required=False)
    until = DateOrAwareDateTimeField(required=False, help_text="a local date (inclusive) or a date-time")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("count" in attrs) == ("until" in attrs):
            raise serializers.ValidationError({"count": ["Give exactly one of count and until."]})
        if attrs["weekdays"] and attrs["frequency"] != SeriesFrequency.WEEKLY:
            raise serializers.ValidationError({"weekdays": ["Only weekly series have weekdays."]})
        attrs["weekdays"] = sorted(set(attrs["weekdays"]))
        return attrs


class SeriesCreateInput(serializers.Serializer):
    resource = serializers.UUIDField()
    start = DateOrAwareDateTimeField(help_text="start of the first occurrence")
    end = DateOrAwareDateTimeField(help_text="end of the first occurrence")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(default=False)
    recurrence = RecurrenceInput()
    on_conflict = serializers.ChoiceField(choices=SeriesConflictPolicy.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["start"], attrs["end"]
        if type(start) is not type(end):
            raise serializers.ValidationError({"end": ["Give start and end both as dates or both as date-times."]})
        if end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class SeriesCancelInput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[("all", "all"), ("from", "from")])
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = AwareDateTimeField(
            required=False, source="from_start", help_text="with scope 'from': cancel occurrences starting at or after"
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["scope"] == "from" and attrs.get("from_start") is None:
            raise serializers.ValidationError({"from": ["Required with scope 'from'."]})
        return attrs


# --- output --------------------------------------------------------------------------------


class SkippedOccurrenceOutput(serializers.Serializer):
    date = serializers.DateField(help_text="the occurrence's local date in the resource's time zone")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reasons = ReasonOutput(many=True)


class RecurrenceOutput(serializers.Serializer):
    frequency = StrictCharField()
    interval = serializers.IntegerField()
    weekdays = serializers.ListField(child=serializers.IntegerField())
    count = serializers.IntegerField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)


class SeriesOutput(StrictModelSerializer):
    resource = serializers.UUIDField(source="resource_id")
    customer = serializers.UUIDField(source="customer_id")
    timezone = StrictCharField(source="resource.timezone")
    recurrence = serializers.SerializerMethodField()
    occurrences = serializers.SerializerMethodField()
    skipped = serializers.SerializerMethodField()

    class Meta:
        model = BookingSeries
        fields = [
            "id",
            "resource",
            "customer",
            "timezone",
            "start",
            "end",
            "quantity",
            "confirm",
            "on_conflict",
            "recurrence",
            "occurrences",
            "skipped",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RecurrenceOutput)
    def get_recurrence(self, series: BookingSeries) -> dict[str, Any]:
        return RecurrenceOutput(
            {
                "frequency": series.frequency,
                "interval": series.interval,
                "weekdays": series.weekdays,
                "count": series.count,
                "until": series.until,
            }
        ).data

    @extend_schema_field(BookingOutput(many=True))
    def get_occurrences(self, series: BookingSeries) -> list[Any]:
        return list(BookingOutput(series_services.series_occurrences(series), many=True).data)

    @extend_schema_field(SkippedOccurrenceOutput(many=True))
    def get_skipped(self, series: BookingSeries) -> list[Any]:
        return list(series.skipped)


class NotCancelledOutput(serializers.Serializer):
    id = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    code = StrictCharField()
    detail = StrictCharField()


class SeriesCancelOutput(SeriesOutput):
    cancelled = serializers.ListField(child=serializers.UUIDField(), help_text="ids of the occurrences cancelled")
    not_cancelled = NotCancelledOutput(many=True, help_text="occurrences the rules kept (e.g. past the cutoff)")

    class Meta(SeriesOutput.Meta):
        fields = [*SeriesOutput.Meta.fields, "cancelled", "not_cancelled"]
        read_only_fields = fields


# --- views ---------------------------------------------------------------------------------


@extend_schema(tags=["bookings"])
class BookingSeriesViewSet(ThrottledCreateMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer books a recurrence in one request; as for bookings, others' series are 404."""

    serializer_class = SeriesOutput
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self) -> QuerySet[BookingSeries]:
        if getattr(self, "swagger_fake_view", False):
            return BookingSeries.objects.none()
        return series_services.series_visible_to(self.request.user)  # type: ignore[arg-type]

    def _series_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.kwargs["pk"])
        except ValueError as exc:
            raise NotFound("No such series.") from exc

    @extend_schema(request=SeriesCreateInput, responses={201: SeriesOutput}, parameters=[IDEMPOTENCY_HEADER])
    def create(self, request: Request) -> Response:
        data = SeriesCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        start, end = _as_period(values["resource"], values["start"], values["end"])
        recurrence = values["recurrence"]

        def run() -> tuple[int, Any]:
            outcome = series_services.series_create(
                customer=request.user,  # type: ignore[arg-type]
                resource_id=values["resource"],
                start=start,
                end=end,
                quantity=values["quantity"],
                notes=values["notes"],
                confirm=values["confirm"],
                on_conflict=values["on_conflict"],
                recurrence=series_services.Recurrence(
                    frequency=recurrence["frequency"],
                    interval=recurrence["interval"],
                    weekdays=tuple(recurrence["weekdays"]),
                    count=recurrence.get("count"),
                    until=recurrence.get("until"),
                ),
            )
            return status.HTTP_201_CREATED, SeriesOutput(outcome.series).data

        return idempotent_response(request, scope="bookings.series.create", run=run)

    @extend_schema(request=SeriesCancelInput, responses={200: SeriesCancelOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = SeriesCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcome = series_services.series_cancel(
            series_id=self._series_id(),
            actor=request.user,  # type: ignore[arg-type]
            scope=values["scope"],
            from_start=values.get("from_start"),
            reason=values["reason"],
        )
        series = outcome.series
        series.cancelled = [booking.pk for booking in outcome.cancelled]  # type: ignore[attr-defined]
        series.not_cancelled = outcome.not_cancelled  # type: ignore[attr-defined]
        return Response(SeriesCancelOutput(series).data)

    @extend_schema(request=None, responses={200: SeriesOutput})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        series_id = self._series_id()
        series_services.series_confirm(series_id=series_id, actor=request.user)  # type: ignore[arg-type]
        return Response(SeriesOutput(self.get_object()).data)
