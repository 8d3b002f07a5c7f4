"""Dispute API serializers: separate input and output shapes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.api.serializers import MoneyOutput
from bookings.models import Booking
from common.fields import StrictCharField, StrictModelSerializer
from common.money import Money, money
from disputes.api.fields import NamedChoiceField
from disputes.models import Dispute, DisputeComment, DisputeEvent, DisputeOutcome, DisputeReason, DisputeStatus
from disputes.services import MAX_COMMENT, MAX_DESCRIPTION, MAX_NOTE

# --- input --------------------------------------------------------------------------------


class DisputeOpenInput(serializers.Serializer):
    reason = NamedChoiceField(choices=DisputeReason.choices, enum_name="DisputeReasonEnum")
    description = StrictCharField(max_length=MAX_DESCRIPTION)


class DisputeCommentInput(serializers.Serializer):
    body = StrictCharField(max_length=MAX_COMMENT)


class DisputeReviewInput(serializers.Serializer):
    note = StrictCharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")


class DisputeResolveInput(serializers.Serializer):
    outcome = NamedChoiceField(choices=DisputeOutcome.choices, enum_name="DisputeOutcomeEnum")
    refund_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,  # type: ignore[arg-type]  # DRF accepts ints; its stubs want a Decimal
        required=False,
        allow_null=True,
        default=None,
        help_text="refund_partial: required, > 0 and ≤ the booking's price. refund_full: the price (omit). "
        "no_refund: 0 (omit). Always in the booking's currency.",
    )
    note = StrictCharField(max_length=MAX_NOTE)


class DisputeRejectInput(serializers.Serializer):
    note = StrictCharField(max_length=MAX_NOTE)


# --- output -------------------------------------------------------------------------------


class DisputeBookingOutput(StrictModelSerializer):
    """What a dispute needs to show about its booking."""

    resource = serializers.UUIDField(source="resource_id")
    resource_name = StrictCharField(source="resource.name")
    vendor = serializers.UUIDField(source="resource.vendor_id")
    vendor_name = StrictCharField(source="resource.vendor.name")
    customer = serializers.UUIDField(source="customer_id")
    price = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "resource",
            "resource_name",
            "vendor",
            "vendor_name",
            "customer",
            "start",
            "end",
            "quantity",
            "status",
            "price",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyOutput)
    def get_price(self, booking: Booking) -> Money:
        return money(booking.price_amount, booking.price_currency)


class DisputeOutput(StrictModelSerializer):
    booking = DisputeBookingOutput()
    status = NamedChoiceField(choices=DisputeStatus.choices, enum_name="DisputeStatusEnum", read_only=True)
    reason = NamedChoiceField(choices=DisputeReason.choices, enum_name="DisputeReasonEnum", read_only=True)
    opened_by = serializers.UUIDField(source="opened_by_id")
    opened_by_role = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField()
    resolved_by = serializers.UUIDField(source="resolved_by_id", allow_null=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "booking",
            "status",
            "reason",
            "description",
            "opened_by",
            "opened_by_role",
            "outcome",
            "refund",
            "admin_note",
            "resolved_by",
            "created_at",
            "updated_at",
            "review_started_at",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["customer", "vendor"]))
    def get_opened_by_role(self, dispute: Dispute) -> str:
        return "customer" if dispute.opened_by_id == dispute.booking.customer_id else "vendor"

    @extend_schema_field(
        NamedChoiceField(choices=DisputeOutcome.choices, enum_name="DisputeOutcomeEnum", allow_null=True)
    )
    def get_outcome(self, dispute: Dispute) -> str | None:
        return dispute.outcome or None

    @extend_schema_field(MoneyOutput(allow_null=True))
    def get_refund(self, dispute: Dispute) -> Money | None:
        if dispute.refund_amount is None:
            return None
        return money(dispute.refund_amount, dispute.refund_currency)


class DisputeCommentOutput(StrictModelSerializer):
    author = serializers.UUIDField(source="author_id", allow_null=True)
    author_role = serializers.SerializerMethodField()

    class Meta:
        model = DisputeComment
        fields = ["id", "author", "author_role", "body", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["customer", "vendor", "admin"], allow_null=True))
    def get_author_role(self, comment: DisputeComment) -> str | None:
        """Who wrote it, as the parties know each other (no emails of the other side)."""
        if comment.author is None:
            return None
        if comment.author_id == comment.dispute.booking.customer_id:
            return "customer"
        return "admin" if comment.author.is_staff else "vendor"


class DisputeEventOutput(StrictModelSerializer):
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    from_status = StrictCharField(
        read_only=True, help_text="a DisputeStatus, or '' for the event that opened the dispute"
    )
    to_status = NamedChoiceField(choices=DisputeStatus.choices, enum_name="DisputeStatusEnum", read_only=True)

    class Meta:
        model = DisputeEvent
        fields = ["at", "action", "from_status", "to_status", "actor", "note"]
        read_only_fields = fields


class DisputeDetailOutput(DisputeOutput):
    comments = DisputeCommentOutput(many=True)
    timeline = DisputeEventOutput(many=True, source="events")

    class Meta(DisputeOutput.Meta):
        fields = [*DisputeOutput.Meta.fields, "comments", "timeline"]
        read_only_fields = fields
