"""Template helpers for the admin index: the operations overview and the app order."""

from __future__ import annotations

from typing import Any

from django import template

from common.admin_site import Section, operations_overview, ordered_app_list

register = template.Library()


@register.simple_tag
def allot_overview() -> list[Section]:
    return operations_overview()


@register.filter
def allot_ordered(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return ordered_app_list(app_list)
