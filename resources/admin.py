"""Admin for resource types and resources (with inline hours and exceptions).

Forms run the same validation as the services, and every save invalidates the
resource's cached availability, so the admin cannot bypass what the API enforces.
Hours and exceptions are edited on their resource's page (which bumps the cache); their
own lists are for looking things up across resources.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from common.admin_tools import ReadOnlyAdminMixin, admin_link, money, service_action
from resources import services
from resources.cache import bump_availability_version
from resources.models import POLICY_FIELDS, Resource, ResourceType, ScheduleException, WeeklyHours
from resources.validation import attribute_errors, parse_defaults, policy_errors, schema_errors


class ResourceTypeForm(forms.ModelForm):
    class Meta:
        model = ResourceType
        fields = ["key", "name", "booking_mode", "defaults", "attribute_schema", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "defaults" in data and data.get("booking_mode"):
            _, errors = parse_defaults(data["defaults"], booking_mode=data["booking_mode"])
            for field, messages_ in errors.items():
                self.add_error("defaults", f"{field}: {'; '.join(map(str, messages_))}")
        for message in schema_errors(data.get("attribute_schema", {})):
            self.add_error("attribute_schema", message)
        return data


@admin.register(ResourceType)
class ResourceTypeAdmin(admin.ModelAdmin[ResourceType]):
    form = ResourceTypeForm
    list_display = ["key", "name", "booking_mode", "is_active", "updated_at"]
    list_filter = ["booking_mode", "is_active"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at", "updated_at"]


class WeeklyHoursInline(admin.TabularInline[WeeklyHours, Resource]):
    model = WeeklyHours
    extra = 0
    max_num = 28


class ScheduleExceptionInline(admin.TabularInline[ScheduleException, Resource]):
    model = ScheduleException
    extra = 0
    fields = ["start", "end", "kind", "reason"]
    ordering = ["-start"]


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        # booking_mode is not here: it is always the type's.
        fields = [
            "vendor",
            "resource_type",
            "name",
            "description",
            "is_active",
            "timezone",
            "attributes",
            *POLICY_FIELDS,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        resource_type = data.get("resource_type")
        if resource_type is None:
            return data
        if self.instance.pk and self.instance.resource_type_id != resource_type.pk:
            self.add_error("resource_type", "The type of an existing resource cannot change.")
        self.instance.booking_mode = resource_type.booking_mode
        values = {field: data.get(field) for field in POLICY_FIELDS}
        for field, messages_ in policy_errors(values, booking_mode=resource_type.booking_mode).items():
            self.add_error(field if field in self.fields else None, "; ".join(messages_))
        for message in attribute_errors(resource_type.attribute_schema, data.get("attributes", {})):
            self.add_error("attributes", message)
        return data


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin[Resource]):
    form = ResourceForm
    list_display = ["name", "vendor_link", "resource_type", "booking_mode", "capacity", "price", "is_active"]
    list_filter = ["is_active", "booking_mode", "resource_type", "vendor__status"]
    search_fields = ["name", "vendor__name", "vendor__slug", "=id"]
    list_select_related = ["vendor", "resource_type"]
    autocomplete_fields = ["vendor"]
    readonly_fields = ["id", "booking_mode", "created_at", "updated_at"]
    inlines = [WeeklyHoursInline, ScheduleExceptionInline]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    fieldsets = (
        (None, {"fields": ("id", "vendor", "resource_type", "booking_mode", "name", "description", "is_active")}),
        ("Where and what", {"fields": ("timezone", "attributes", "capacity")}),
        (
            "Shape of a booking",
            {
                "fields": (
                    "slot_minutes",
                    "granularity_minutes",
                    ("min_minutes", "max_minutes"),
                    ("min_nights", "max_nights"),
                    ("check_in_time", "check_out_time"),
                    ("buffer_before_minutes", "buffer_after_minutes"),
                )
            },
        ),
        (
            "Rules",
            {
                "fields": (
                    ("min_notice_minutes", "max_advance_days"),
                    "hold_minutes",
                    "requires_approval",
                    "cancel_cutoff_minutes",
                )
            },
        ),
        ("Price", {"fields": (("price_amount", "currency", "price_unit"),)}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    actions = [
        service_action(
            name="deactivate",
            description="Deactivate (history kept)",
            apply=lambda actor, resource, _: services.resource_deactivate(actor=actor, resource=resource),
            done="deactivated; its bookings and history stay",
            intro="Deactivated resources leave the catalog and cannot be booked; existing bookings are kept.",
        )
    ]

    @admin.display(description="vendor", ordering="vendor__name")
    def vendor_link(self, resource: Resource) -> str:
        return admin_link(resource.vendor)

    @admin.display(description="price")
    def price(self, resource: Resource) -> str:
        return f"{money(resource.price_amount, resource.currency)} / {resource.price_unit}"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Policy, hours or exceptions may have changed: cached availability is stale.
        bump_availability_version(form.instance.pk)


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[WeeklyHours]):
    list_display = ["resource_link", "weekday", "start_time", "end_time"]
    # Meta.ordering is by resource id (cheap single-resource reads); people read by name.
    ordering = ["resource__vendor__name", "resource__name", "weekday", "start_time"]
    list_filter = ["weekday"]
    search_fields = ["resource__name", "resource__vendor__name", "=resource__id"]
    list_select_related = ["resource"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table

    @admin.display(description="resource", ordering="resource__name")
    def resource_link(self, hours: WeeklyHours) -> str:
        return admin_link(hours.resource)


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ScheduleException]):
    list_display = ["resource_link", "kind", "start", "end", "reason"]
    list_filter = ["kind", "start"]
    search_fields = ["resource__name", "resource__vendor__name", "reason", "=resource__id"]
    list_select_related = ["resource"]
    date_hierarchy = "start"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-start"]

    @admin.display(description="resource", ordering="resource__name")
    def resource_link(self, exception: ScheduleException) -> str:
        return admin_link(exception.resource)
