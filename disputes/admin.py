"""Admin for disputes: the review queue (open first, oldest first) and the decisions.

Disputes are read-only here; start review, resolve, reject and comment are actions that
call ``disputes.services`` — the same functions as the API — so every decision writes
the timeline and the outbox event that notifies the customer and the vendor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest

from common.admin_tools import (
    ObjectActionsMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    admin_link,
    change_link,
    money,
    service_action,
)
from disputes import services
from disputes.lifecycle import TRANSITIONS, DisputeStatus
from disputes.models import Dispute, DisputeComment, DisputeEvent, DisputeOutcome

# Open disputes first, then those under review, then closed ones; oldest first within each.
QUEUE_ORDER = Case(
    When(status="open", then=Value(0)),
    When(status="under_review", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=services.MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional; kept in the dispute's timeline.",
    )


class RequiredNoteForm(forms.Form):
    note = forms.CharField(
        max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Required. Sent to the customer and the vendor, and kept in the timeline.",
    )


class ResolveForm(RequiredNoteForm):
    outcome = forms.ChoiceField(choices=DisputeOutcome.choices)
    refund_amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Full refund: leave empty (the booking's price). Partial: above 0 and at most the price. "
        "No refund: leave empty. Always in the booking's currency; recorded, no money moves.",
    )
    field_order = ["outcome", "refund_amount", "note"]


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=services.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text="Visible to the customer and the vendor.",
    )


class DisputeEventInline(ReadOnlyInlineMixin, admin.TabularInline[DisputeEvent, Dispute]):
    model = DisputeEvent
    fields = readonly_fields = ("at", "action", "from_status", "to_status", "actor", "note")
    verbose_name_plural = "timeline"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DisputeEvent]:
        return super().get_queryset(request).select_related("actor")


class DisputeCommentInline(ReadOnlyInlineMixin, admin.TabularInline[DisputeComment, Dispute]):
    model = DisputeComment
    fields = readonly_fields = ("created_at", "author", "body")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DisputeComment]:
        return super().get_queryset(request).select_related("author")


def dispute_label(dispute: Dispute) -> str:
    return f"Dispute {str(dispute.pk)[:8]}"


def _start_review(actor: Any, dispute: Dispute, data: dict[str, Any]) -> Dispute:
    return services.dispute_start_review(dispute_id=dispute.pk, actor=actor, note=data["note"])


def _resolve(actor: Any, dispute: Dispute, data: dict[str, Any]) -> Dispute:
    return services.dispute_resolve(
        dispute_id=dispute.pk,
        actor=actor,
        outcome=data["outcome"],
        refund_amount=data["refund_amount"],
        note=data["note"],
    )


def _reject(actor: Any, dispute: Dispute, data: dict[str, Any]) -> Dispute:
    return services.dispute_reject(dispute_id=dispute.pk, actor=actor, note=data["note"])


def _comment(actor: Any, dispute: Dispute, data: dict[str, Any]) -> DisputeComment:
    return services.dispute_comment(dispute_id=dispute.pk, actor=actor, body=data["body"])


@admin.register(Dispute)
class DisputeAdmin(ObjectActionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin[Dispute]):
    list_display = [
        "short_id",
        "status",
        "reason",
        "created_at",
        "booking_link",
        "vendor_link",
        "customer_email",
        "booking_price",
        "outcome",
        "refund",
    ]
    list_display_links = ["short_id"]
    list_filter = [
        "status",
        "outcome",
        "reason",
        ("booking__resource__vendor", admin.RelatedFieldListFilter),
        "created_at",
    ]
    search_fields = [
        "=id",
        "=booking__id",
        "booking__customer__email",
        "booking__resource__name",
        "booking__resource__vendor__name",
    ]
    list_select_related = ["booking__customer", "booking__resource__vendor"]
    ordering = [QUEUE_ORDER.asc(), "created_at"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    list_per_page = 50
    inlines = [DisputeEventInline, DisputeCommentInline]
    fieldsets = (
        (None, {"fields": ("id", "booking_link", "vendor_link", "customer_email", "opened_by", "reason")}),
        ("Complaint", {"fields": ("description",)}),
        ("Status", {"fields": ("status", "created_at", "review_started_at")}),
        ("Decision", {"fields": ("outcome", "refund", "booking_price", "admin_note", "resolved_by", "resolved_at")}),
    )
    readonly_fields = [
        "id",
        "booking_link",
        "vendor_link",
        "customer_email",
        "opened_by",
        "reason",
        "description",
        "status",
        "created_at",
        "review_started_at",
        "outcome",
        "refund",
        "booking_price",
        "admin_note",
        "resolved_by",
        "resolved_at",
    ]
    actions = [
        service_action(
            name="start_review",
            description="Start review (open → under review)",
            form_class=NoteForm,
            apply=_start_review,
            done="under review",
            label=dispute_label,
        ),
        service_action(
            name="resolve",
            description="Resolve with an outcome",
            form_class=ResolveForm,
            apply=_resolve,
            done="resolved; customer and vendor notified",
            label=dispute_label,
            intro="Only disputes under review can be resolved. The refund is checked against each booking's "
            "price snapshot.",
        ),
        service_action(
            name="reject",
            description="Reject (close without an outcome)",
            form_class=RequiredNoteForm,
            apply=_reject,
            done="rejected; customer and vendor notified",
            label=dispute_label,
        ),
        service_action(
            name="comment",
            description="Add a comment",
            form_class=CommentForm,
            apply=_comment,
            done="comment added",
            label=dispute_label,
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dispute]:
        return (
            super()
            .get_queryset(request)
            .select_related("booking__customer", "booking__resource__vendor", "opened_by", "resolved_by")
        )

    def object_actions(self, obj: Dispute) -> Sequence[str]:
        status = DisputeStatus(obj.status)
        available = [str(action) for (source, action) in TRANSITIONS if source == status]
        return [*available, "comment"] if obj.is_open else available

    @admin.display(description="dispute")
    def short_id(self, dispute: Dispute) -> str:
        return str(dispute.pk)[:8]

    @admin.display(description="booking")
    def booking_link(self, dispute: Dispute) -> str:
        return admin_link(dispute.booking, f"{dispute.booking.start:%Y-%m-%d %H:%M} {dispute.booking.resource.name}")

    @admin.display(description="vendor", ordering="booking__resource__vendor__name")
    def vendor_link(self, dispute: Dispute) -> str:
        return admin_link(dispute.booking.resource.vendor)

    @admin.display(description="customer", ordering="booking__customer__email")
    def customer_email(self, dispute: Dispute) -> str:
        return dispute.booking.customer.email

    @admin.display(description="booking price")
    def booking_price(self, dispute: Dispute) -> str:
        return money(dispute.booking.price_amount, dispute.booking.price_currency)

    @admin.display(description="refund")
    def refund(self, dispute: Dispute) -> str:
        return money(dispute.refund_amount, dispute.refund_currency)


@admin.register(DisputeComment)
class DisputeCommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[DisputeComment]):
    list_display = ["created_at", "dispute_link", "author", "body"]
    list_filter = ["created_at"]
    search_fields = ["=dispute__id", "author__email", "body"]
    list_select_related = ["author"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-created_at", "-id"]

    @admin.display(description="dispute")
    def dispute_link(self, comment: DisputeComment) -> str:
        return change_link(Dispute, comment.dispute_id, str(comment.dispute_id)[:8])


@admin.register(DisputeEvent)
class DisputeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[DisputeEvent]):
    list_display = ["at", "dispute_link", "action", "from_status", "to_status", "actor", "note"]
    list_filter = ["action", "to_status", "at"]
    search_fields = ["=dispute__id", "actor__email", "note"]
    list_select_related = ["actor"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table
    ordering = ["-at", "-id"]

    @admin.display(description="dispute")
    def dispute_link(self, event: DisputeEvent) -> str:
        return change_link(Dispute, event.dispute_id, str(event.dispute_id)[:8])
