"""Input and output serializers for vendors and their members."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.fields import OptionalEmailField, StrictCharField, StrictEmailField, StrictModelSerializer
from common.validators import validate_timezone
from vendors import selectors
from vendors.models import Membership, MembershipRole, Vendor

# Limits mirror the model columns, so the API answers 400 before the database would.
NAME_MAX = 120
CATEGORY_MAX = 60
TIMEZONE_MAX = 64
DESCRIPTION_MAX = 5000
EMAIL_MAX = 254
REASON_MAX = 500


class VendorApplyInput(serializers.Serializer):
    name = StrictCharField(max_length=NAME_MAX)
    category = StrictCharField(max_length=CATEGORY_MAX)
    timezone = StrictCharField(max_length=TIMEZONE_MAX, validators=[validate_timezone])
    description = StrictCharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    contact_email = OptionalEmailField(max_length=EMAIL_MAX, required=False, default="")


class VendorUpdateInput(serializers.Serializer):
    """Every field optional (PATCH). ``status`` is not here: it changes only through the review actions."""

    name = StrictCharField(max_length=NAME_MAX, required=False)
    category = StrictCharField(max_length=CATEGORY_MAX, required=False)
    timezone = StrictCharField(max_length=TIMEZONE_MAX, validators=[validate_timezone], required=False)
    description = StrictCharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    contact_email = OptionalEmailField(max_length=EMAIL_MAX, required=False)


class VendorStatusInput(serializers.Serializer):
    reason = StrictCharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")


class VendorOutput(StrictModelSerializer):
    contact_email = OptionalEmailField(read_only=True)  # may be "": the schema must allow it
    my_role = serializers.SerializerMethodField(help_text="The caller's role at this vendor, or null.")

    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "slug",
            "category",
            "timezone",
            "description",
            "contact_email",
            "status",
            "status_reason",
            "created_at",
            "my_role",
        ]
        read_only_fields = fields

    # Values as labels: drf-spectacular then names this choice set ``MyRoleEnum`` on its own
    # instead of warning that MembershipRole has two names (``RoleEnum`` is the members'
    # ``role``). The tidy fix is ENUM_NAME_OVERRIDES in settings, outside this app.
    @extend_schema_field(
        serializers.ChoiceField(choices=[(role, role) for role in MembershipRole.values], allow_null=True)
    )
    def get_my_role(self, vendor: Vendor) -> str | None:
        # Lists annotate ``my_role`` in their query (selectors.with_my_role); a single
        # vendor fresh from a service asks once.
        if hasattr(vendor, "my_role"):
            return cast(str | None, vendor.my_role)
        request = self.context.get("request")
        return selectors.membership_role(user=getattr(request, "user", None), vendor_id=vendor.pk)


class MemberAddInput(serializers.Serializer):
    email = StrictEmailField(max_length=EMAIL_MAX)
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class MemberOutput(StrictModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True)
    email = StrictEmailField(source="user.email", read_only=True)
    full_name = StrictCharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "email", "full_name", "role", "created_at"]
        read_only_fields = fields
