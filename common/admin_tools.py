"""Building blocks for the operations console (Django admin), shared by every app's admin.py.

* ``service_action``: an admin action that asks for input on an intermediate form (a
  reason, an outcome…) and then calls a **service** once per selected object, reporting
  each object's success or its domain error. The API and the admin thus share one code
  path, one set of rules and one trail (history rows, outbox events).
* ``ObjectActionsMixin``: the same actions as buttons on an object's page.
* ``ReadOnlyAdminMixin`` / ``ReadOnlyInlineMixin``: records written by the system (history,
  allocations, idempotency keys) are shown, never edited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from common.errors import DomainError

# An action runs one service transaction per object; a bigger selection is refused rather
# than left to time out half-way.
MAX_ACTION_OBJECTS = 100

ActionFunction = Callable[[Any, HttpRequest, QuerySet[Any]], HttpResponse | None]
ApplyFunction = Callable[[User, Any, dict[str, Any]], object]


class NoInputForm(forms.Form):
    """An action that needs nothing but a confirmation."""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded in the history and sent with the notification.",
    )


class RequiredReasonForm(ReasonForm):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required. Recorded in the history and sent with the notification.",
    )


def domain_error_text(exc: DomainError) -> str:
    """The error as an operator should read it: the field messages when there are any, else the detail."""
    errors = exc.extra.get("errors")
    if not isinstance(errors, dict) or not errors:
        return exc.detail
    return "; ".join(f"{field}: {' '.join(map(str, messages_))}" for field, messages_ in errors.items())


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the admin only lets signed-in staff in
    return request.user


def service_action(
    *,
    name: str,
    description: str,
    apply: ApplyFunction,
    done: str,
    form_class: type[forms.Form] = NoInputForm,
    intro: str = "",
    label: Callable[[Any], str] = str,
) -> ActionFunction:
    """An admin action: intermediate form first, then ``apply(actor, obj, cleaned_data)`` per object.

    ``apply`` calls the service (which owns its transaction, so one object's failure leaves
    the others alone). Each object is reported as ``"<label>: <done>."`` or with its domain
    error; ``label`` names an object without its (changing) status.
    """

    def action(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        if queryset.count() > MAX_ACTION_OBJECTS:
            modeladmin.message_user(
                request, f"Select at most {MAX_ACTION_OBJECTS} objects for “{description}”.", messages.ERROR
            )
            return None
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            _apply_each(modeladmin, request, queryset, apply=apply, data=form.cleaned_data, done=done, label=label)
            return None  # back to the changelist, where the messages are shown
        opts = modeladmin.model._meta
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": description,
            "intro": intro,
            "opts": opts,
            "objects": [(obj, label(obj)) for obj in queryset[:MAX_ACTION_OBJECTS]],
            "form": form,
            "action_name": name,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "media": modeladmin.media + form.media,
        }
        return TemplateResponse(request, "admin/allot/action_form.html", context)

    action.__name__ = name
    return admin.action(description=description)(action)


def _apply_each(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    apply: ApplyFunction,
    data: dict[str, Any],
    done: str,
    label: Callable[[Any], str],
) -> None:
    actor = _actor(request)
    for obj in queryset:
        try:
            apply(actor, obj, data)
        except DomainError as exc:
            modeladmin.message_user(request, f"{label(obj)}: {domain_error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{label(obj)}: {done}.", messages.SUCCESS)


class ObjectActionsMixin:
    """Buttons on the change page for the ``service_action``s that apply to the object now.

    Each button posts the action for this one object to the changelist, which shows the
    same intermediate form as when the action is chosen from the list.
    """

    change_form_template: Any = "admin/allot/change_form.html"

    def object_actions(self, obj: Any) -> Sequence[str]:
        """Names of the actions that make sense for ``obj`` in its current state."""
        return ()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        actions = self.get_actions(request)  # type: ignore[attr-defined]
        buttons = [(name, actions[name][2]) for name in self.object_actions(obj) if name in actions] if obj else []
        opts = self.model._meta  # type: ignore[attr-defined]
        extra = {
            **(extra_context or {}),
            "object_actions": buttons,
            "object_actions_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return super().change_view(request, object_id, form_url, extra)  # type: ignore[misc]


class ReadOnlyAdminMixin:
    """Rows the system writes (history, allocations, keys): listed and viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    extra = 0
    can_delete = False
    show_change_link = False


def admin_link(obj: Model | None, text: object | None = None) -> str:
    """A link to ``obj``'s admin page (or ``-``), for list columns and read-only fields."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def change_link(model: type[Model], pk: object, text: object) -> str:
    """A link to a row's admin page from its id alone (no query for the row itself)."""
    opts = model._meta
    return format_html(
        '<a href="{}">{}</a>', reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]), text
    )


def money(amount: object, currency: str) -> str:
    return "-" if amount is None else f"{amount} {currency}"
