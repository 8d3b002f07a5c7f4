"""Input and output serializers for accounts."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User
from common.fields import StrictCharField, StrictEmailField, StrictModelSerializer


class RegisterInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInput(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField()


class UserOutput(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_staff", "date_joined"]
        read_only_fields = fields


class MembershipSummary(serializers.Serializer):
    vendor = serializers.UUIDField()
    vendor_name = StrictCharField()
    role = StrictCharField()


class MeOutput(UserOutput):
    memberships = serializers.SerializerMethodField()

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "memberships"]
        read_only_fields = fields

    def get_memberships(self, user: User) -> list[dict[str, Any]]:
        from accounts.selectors import user_memberships

        return user_memberships(user=user)
