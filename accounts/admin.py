"""Admin for users and token families."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import TokenFamily, User
from common.admin_tools import ReadOnlyAdminMixin, ReadOnlyInlineMixin, admin_link
from vendors.models import Membership


class MembershipOfUserInline(ReadOnlyInlineMixin, admin.TabularInline[Membership, User]):
    """Where this user works; memberships are edited on the vendor's page."""

    model = Membership
    fk_name = "user"
    fields = readonly_fields = ("vendor_link", "role", "created_at")
    verbose_name_plural = "vendor memberships"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("vendor")

    @admin.display(description="vendor")
    def vendor_link(self, membership: Membership) -> str:
        return admin_link(membership.vendor)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "full_name", "=id"]
    readonly_fields = ["id", "date_joined", "last_login"]
    show_full_result_count = False  # every customer is a user: the table grows with the bookings
    show_facets = admin.ShowFacets.NEVER
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")}),
    )
    inlines = [MembershipOfUserInline]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return list(self.inlines) if obj is not None else []


@admin.register(TokenFamily)
class TokenFamilyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[TokenFamily]):
    """One row per login. Revocation happens through the auth API (logout, reuse detection)."""

    list_display = ["id", "user", "created_at", "revoked_at", "revoked_reason"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "revoked_reason", "created_at"]
    search_fields = ["user__email", "=id"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", "created_at", "revoked_at", "revoked_reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-created_at"]
