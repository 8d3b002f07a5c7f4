"""Read-only queries about users."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from accounts.models import User


def user_memberships(*, user: User) -> list[dict[str, Any]]:
    """``[{vendor, vendor_name, role}]`` for every vendor the user belongs to."""
    if not apps.is_installed("vendors") or not hasattr(user, "memberships"):
        return []
    return [
        {"vendor": m.vendor_id, "vendor_name": m.vendor.name, "role": m.role}
        for m in user.memberships.select_related("vendor").order_by("vendor__name")
    ]
