"""Admin for resource types and resources (with inline hours and exceptions).

Forms run the same validation as the services, and every save invalidates the
resource's cached availability, so the admin cannot bypass what the API enforces.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
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


class WeeklyHoursInline(admin.TabularInline[WeeklyHours, Resource]):
    model = WeeklyHours
    extra = 0
    max_num = 28


class ScheduleExceptionInline(admin.TabularInline[ScheduleException, Resource]):
    model = ScheduleException
    extra = 0
    fields = ["start", "end", "kind", "reason"]


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
    list_display = ["name", "vendor", "resource_type", "booking_mode", "capacity", "is_active"]
    list_filter = ["booking_mode", "is_active", "resource_type"]
    search_fields = ["name", "vendor__name"]
    list_select_related = ["vendor", "resource_type"]
    autocomplete_fields = ["vendor"]
    inlines = [WeeklyHoursInline, ScheduleExceptionInline]
    actions = ["deactivate"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Policy, hours or exceptions may have changed: cached availability is stale.
        bump_availability_version(form.instance.pk)

    @admin.action(description="Deactivate (history kept)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        assert isinstance(request.user, User)
        for resource in queryset:
            services.resource_deactivate(actor=request.user, resource=resource)
        self.message_user(request, f"Deactivated {queryset.count()} resource(s).", messages.SUCCESS)
