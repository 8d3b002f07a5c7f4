"""Admin for vendors, their members and status history.

Status is read-only here: it changes only through the services (review actions come
with the admin-console issue), so every change keeps its actor and reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from vendors.models import Membership, MembershipRole, Vendor, VendorStatusEvent


class MembershipInlineFormSet(BaseInlineFormSet):
    """Editing members by hand must not leave a vendor that had an owner without one."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None or not self.instance.memberships.filter(role=MembershipRole.OWNER).exists():
            return
        owners_left = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            if form.cleaned_data.get("role") == MembershipRole.OWNER:
                owners_left += 1
        if owners_left == 0:
            raise ValidationError("A vendor needs at least one owner.")


class MembershipInline(admin.TabularInline[Membership, Vendor]):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


class VendorStatusEventInline(admin.TabularInline[VendorStatusEvent, Vendor]):
    """Append-only history: shown, never edited."""

    model = VendorStatusEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = ["at", "from_status", "to_status", "actor", "reason"]
    can_delete = False
    ordering = ["-at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin[Vendor]):
    list_display = ["name", "slug", "category", "status", "timezone", "contact_email", "created_at"]
    list_filter = ["status", "category", "created_at"]
    search_fields = ["name", "slug", "contact_email", "memberships__user__email"]
    readonly_fields = ["id", "status", "status_reason", "status_changed_at", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ("name",)}
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("id", "name", "slug", "category", "timezone")}),
        ("Profile", {"fields": ("description", "contact_email")}),
        ("Status", {"fields": ("status", "status_reason", "status_changed_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [MembershipInline, VendorStatusEventInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "vendor", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__full_name", "vendor__name", "vendor__slug"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    readonly_fields = ["created_at"]
