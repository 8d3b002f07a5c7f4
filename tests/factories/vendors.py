"""Vendors and memberships. ``VendorFactory()`` is an active vendor in Europe/Berlin."""

from __future__ import annotations

import factory

from accounts.models import User
from tests.factories.accounts import UserFactory
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    category = "hotel"
    timezone = "Europe/Berlin"
    description = ""
    contact_email = factory.Sequence(lambda n: f"vendor{n}@example.com")
    status = VendorStatus.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)
    role = MembershipRole.OWNER


def member_of(vendor: Vendor, role: str = MembershipRole.OWNER, **user_fields) -> User:
    """A new user holding ``role`` at ``vendor``."""
    return MembershipFactory(vendor=vendor, role=role, user=UserFactory(**user_fields)).user
