"""Admin for vendors, their members and status history.

Status is read-only here: it changes only through the review actions (approve, reject,
suspend, reinstate), which call the same services as the API, so every change keeps its
actor, its reason, a ``VendorStatusEvent`` and its outbox event. Profile edits go through
``vendor_update`` too, which never writes the status back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from common.admin_tools import (
    ObjectActionsMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    RequiredReasonForm,
    admin_link,
    service_action,
)
from vendors import services
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


class VendorStatusEventInline(ReadOnlyInlineMixin, admin.TabularInline[VendorStatusEvent, Vendor]):
    """Append-only history: shown, never edited."""

    model = VendorStatusEvent
    fields = readonly_fields = ("at", "from_status", "to_status", "actor", "reason")
    ordering = ["-at", "-id"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("actor")


def _review(service: Any) -> Any:
    def apply(actor: Any, vendor: Vendor, data: dict[str, Any]) -> Vendor:
        return service(vendor=vendor, actor=actor, reason=data["reason"])  # type: ignore[no-any-return]

    return apply


@admin.register(Vendor)
class VendorAdmin(ObjectActionsMixin, admin.ModelAdmin[Vendor]):
    list_display = ["name", "status", "category", "timezone", "contact_email", "status_changed_at", "created_at"]
    list_filter = ["status", "category", "created_at"]
    search_fields = ["name", "slug", "contact_email", "memberships__user__email", "=id"]
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
    actions = [
        service_action(
            name="approve",
            description="Approve (pending → active)",
            form_class=ReasonForm,
            apply=_review(services.vendor_approve),
            done="approved, now active and bookable",
        ),
        service_action(
            name="reject",
            description="Reject (pending → rejected)",
            form_class=RequiredReasonForm,
            apply=_review(services.vendor_reject),
            done="rejected",
        ),
        service_action(
            name="suspend",
            description="Suspend (active → suspended)",
            form_class=RequiredReasonForm,
            apply=_review(services.vendor_suspend),
            done="suspended, hidden and not bookable",
            intro="Suspended vendors disappear from public listings and cannot be booked until reinstated. "
            "Existing bookings stay as they are.",
        ),
        service_action(
            name="reinstate",
            description="Reinstate (suspended → active)",
            form_class=ReasonForm,
            apply=_review(services.vendor_reinstate),
            done="reinstated, active again",
        ),
    ]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Vendor | None = None) -> dict[str, Sequence[str]]:
        return {} if obj is not None else dict(self.prepopulated_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Vendor | None = None) -> list[str]:
        # The slug is fixed once the vendor exists: links to it keep working.
        return [*self.readonly_fields, "slug"] if obj is not None else list(self.readonly_fields)

    def object_actions(self, obj: Vendor) -> Sequence[str]:
        return [action for action, (source, _, _) in services.TRANSITIONS.items() if obj.status == source]

    def save_model(self, request: HttpRequest, obj: Vendor, form: forms.ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Only the changed profile fields, through the service: a full save would write back
        # the status loaded with the form and could undo a review that committed meanwhile.
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in services.UPDATABLE_FIELDS}
        services.vendor_update(vendor=obj, actor=request.user, **changed)  # type: ignore[arg-type]


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "vendor", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instance = self.instance
        if instance.pk and instance.role == MembershipRole.OWNER and data.get("role") != MembershipRole.OWNER:
            owners = Membership.objects.filter(vendor_id=instance.vendor_id, role=MembershipRole.OWNER).count()
            if owners <= 1:
                raise ValidationError("A vendor needs at least one owner; make someone else owner first.")
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    form = MembershipAdminForm
    list_display = ["user", "vendor_link", "role", "created_at"]
    list_filter = ["role", "vendor__status"]
    search_fields = ["user__email", "user__full_name", "vendor__name", "vendor__slug"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    readonly_fields = ["created_at"]
    actions = None  # bulk delete could remove a vendor's last owner

    @admin.display(description="vendor", ordering="vendor__name")
    def vendor_link(self, membership: Membership) -> str:
        return admin_link(membership.vendor)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        if obj is not None and obj.role == MembershipRole.OWNER:
            owners = Membership.objects.filter(vendor_id=obj.vendor_id, role=MembershipRole.OWNER).count()
            if owners <= 1:
                return False  # the last owner stays; make someone else owner first
        return super().has_delete_permission(request, obj)


@admin.register(VendorStatusEvent)
class VendorStatusEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[VendorStatusEvent]):
    list_display = ["at", "vendor", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "at"]
    search_fields = ["vendor__name", "vendor__slug", "actor__email", "reason"]
    list_select_related = ["vendor", "actor"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
