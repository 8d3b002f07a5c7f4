"""Admin for bookings: the operator's view of the engine, never a second way to change it.

Bookings are read-only here (status, period, price snapshot): every change goes through
``bookings.services`` so allocations, history and outbox events stay right. Operators
search and filter, read the history inline and cancel with a reason (the same
``booking_cancel`` the API calls). Lists stay fast at 100k+ rows: related rows come in
the same query, the full-table count is skipped, and no column queries per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from bookings import services
from bookings.models import (
    ACTIVE_STATUSES,
    Allocation,
    Booking,
    BookingEvent,
    BookingSeries,
    BookingStatus,
    IdempotencyRecord,
)
from common.admin_tools import (
    ObjectActionsMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    RequiredReasonForm,
    admin_link,
    change_link,
    money,
    service_action,
)

HOLD_WARNING = timedelta(minutes=15)  # "about to expire" on the overview page and in the filter


class HoldExpiryFilter(admin.SimpleListFilter):
    """Holds by expiry: the ones about to lapse, and the ones the sweeper has not expired yet."""

    title = "hold expiry"
    parameter_name = "hold"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("expiring", "Expiring within 15 minutes"), ("overdue", "Past expiry, not yet expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Booking]) -> QuerySet[Booking]:
        now = timezone.now()
        if self.value() == "expiring":
            return queryset.filter(
                status=BookingStatus.HELD, hold_expires_at__gt=now, hold_expires_at__lte=now + HOLD_WARNING
            )
        if self.value() == "overdue":
            return queryset.filter(status=BookingStatus.HELD, hold_expires_at__lte=now)
        return queryset


class AllocationInline(ReadOnlyInlineMixin, admin.TabularInline[Allocation, Booking]):
    model = Allocation
    fields = readonly_fields = ("unit", "blocked", "is_active")


class BookingEventInline(ReadOnlyInlineMixin, admin.TabularInline[BookingEvent, Booking]):
    """The append-only history, oldest first."""

    model = BookingEvent
    fields = readonly_fields = ("at", "action", "from_status", "to_status", "actor", "reason")
    verbose_name_plural = "history"

    def get_queryset(self, request: HttpRequest) -> QuerySet[BookingEvent]:
        return super().get_queryset(request).select_related("actor")


def booking_label(booking: Booking) -> str:
    return f"Booking {str(booking.pk)[:8]} ({booking.resource}, {booking.start:%Y-%m-%d %H:%M})"


def _cancel(actor: Any, booking: Booking, data: dict[str, Any]) -> Booking:
    return services.booking_cancel(booking_id=booking.pk, actor=actor, reason=data["reason"])


@admin.register(Booking)
class BookingAdmin(ObjectActionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin[Booking]):
    list_display = [
        "short_id",
        "start",
        "end",
        "status",
        "customer_email",
        "resource_link",
        "vendor_link",
        "quantity",
        "price",
        "created_at",
    ]
    list_display_links = ["short_id"]
    list_filter = [
        "status",
        HoldExpiryFilter,
        ("resource__vendor", admin.RelatedFieldListFilter),
        ("resource__resource_type", admin.RelatedFieldListFilter),
        "start",
        "created_at",
    ]
    search_fields = ["=id", "customer__email", "customer__full_name", "resource__name", "resource__vendor__name"]
    date_hierarchy = "start"
    list_select_related = ["customer", "resource", "resource__vendor"]
    show_full_result_count = False  # a COUNT(*) over every booking on each page view adds up
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    list_per_page = 50
    ordering = ["-start"]
    inlines = [AllocationInline, BookingEventInline]
    fieldsets = (
        (
            None,
            {"fields": ("id", "resource_link", "vendor_link", "customer_link", "start", "end", "quantity", "series")},
        ),
        ("Status", {"fields": ("status", "hold_expires_at", "confirmed_at", "cancelled_at", "cancelled_by")}),
        ("Why", {"fields": ("cancel_reason", "notes")}),
        ("Price snapshot", {"fields": ("price",)}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = [
        "id",
        "resource_link",
        "vendor_link",
        "customer_link",
        "start",
        "end",
        "quantity",
        "series",
        "status",
        "hold_expires_at",
        "confirmed_at",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
        "notes",
        "price",
        "created_at",
        "updated_at",
    ]
    actions = [
        service_action(
            name="cancel",
            description="Cancel with a reason",
            form_class=RequiredReasonForm,
            apply=_cancel,
            done="cancelled; its units are free again",
            label=booking_label,
            intro="The customer and the vendor are notified with the reason. "
            "Held, pending and confirmed bookings can be cancelled.",
        )
    ]

    def object_actions(self, obj: Booking) -> Sequence[str]:
        return ["cancel"] if obj.status in ACTIVE_STATUSES else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        return super().get_queryset(request).select_related("customer", "resource__vendor", "cancelled_by")

    @admin.display(description="booking", ordering="id")
    def short_id(self, booking: Booking) -> str:
        return str(booking.pk)[:8]

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, booking: Booking) -> str:
        return booking.customer.email

    @admin.display(description="customer")
    def customer_link(self, booking: Booking) -> str:
        return admin_link(booking.customer)

    @admin.display(description="resource", ordering="resource__name")
    def resource_link(self, booking: Booking) -> str:
        return admin_link(booking.resource)

    @admin.display(description="vendor", ordering="resource__vendor__name")
    def vendor_link(self, booking: Booking) -> str:
        """Filters this list to the vendor (its page is one click further, from the resource)."""
        url = reverse("admin:bookings_booking_changelist")
        vendor = booking.resource.vendor
        return format_html('<a href="{}?resource__vendor__id__exact={}">{}</a>', url, vendor.pk, vendor.name)

    @admin.display(description="price")
    def price(self, booking: Booking) -> str:
        return money(booking.price_amount, booking.price_currency)


@admin.register(BookingEvent)
class BookingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BookingEvent]):
    list_display = ["at", "booking_link", "action", "from_status", "to_status", "actor", "reason"]
    list_filter = ["action", "to_status", "at"]
    search_fields = ["=booking__id", "actor__email", "reason"]
    list_select_related = ["actor"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-at", "-id"]

    @admin.display(description="booking")
    def booking_link(self, event: BookingEvent) -> str:
        return change_link(Booking, event.booking_id, str(event.booking_id)[:8])


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Allocation]):
    list_display = ["id", "booking_link", "resource", "unit", "blocked", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["=booking__id", "=resource__id", "resource__name"]
    list_select_related = ["resource"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-id"]

    @admin.display(description="booking")
    def booking_link(self, allocation: Allocation) -> str:
        return change_link(Booking, allocation.booking_id, str(allocation.booking_id)[:8])


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[IdempotencyRecord]):
    list_display = ["created_at", "user", "scope", "key", "response_status"]
    list_filter = ["scope", "response_status", "created_at"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-created_at"]


@admin.register(BookingSeries)
class BookingSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BookingSeries]):
    """Recurrences as requested; their occurrences are ordinary bookings (filter the booking list by series)."""

    list_display = ["created_at", "customer", "resource", "frequency", "start", "end", "count", "until", "occurrences"]
    list_filter = ["frequency", "on_conflict", "created_at"]
    search_fields = ["=id", "customer__email", "resource__name", "resource__vendor__name"]
    list_select_related = ["customer", "resource"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-created_at"]

    @admin.display(description="occurrences")
    def occurrences(self, series: BookingSeries) -> str:
        url = reverse("admin:bookings_booking_changelist")
        return format_html('<a href="{}?series__id__exact={}">bookings</a>', url, series.pk)
