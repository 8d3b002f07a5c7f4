"""The vendor admin renders, searches, and guards the last owner."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests.factories.vendors import VendorFactory, member_of
from vendors.admin import MembershipInline
from vendors.models import Vendor, VendorStatus

pytestmark = pytest.mark.django_db


def test_vendor_changelist_filters_and_searches_by_member_email(client, admin_user):
    vendor = VendorFactory(name="Aurora Hotel", status=VendorStatus.PENDING)
    member_of(vendor, email="night.manager@example.com")
    VendorFactory(name="Bella Salon")
    client.force_login(admin_user)

    response = client.get("/admin/vendors/vendor/", {"q": "night.manager", "status__exact": "pending"})
    assert response.status_code == 200
    assert b"Aurora Hotel" in response.content
    assert b"Bella Salon" not in response.content


def test_vendor_change_page_shows_members_and_read_only_status(client, admin_user):
    vendor = VendorFactory()
    member_of(vendor, email="owner@example.com")
    client.force_login(admin_user)

    response = client.get(f"/admin/vendors/vendor/{vendor.pk}/change/")
    assert response.status_code == 200
    assert b"owner@example.com" in response.content
    assert b'name="status"' not in response.content


def test_membership_changelist_renders(client, admin_user):
    member_of(VendorFactory(), email="owner@example.com")
    client.force_login(admin_user)
    response = client.get("/admin/vendors/membership/", {"q": "owner@"})
    assert response.status_code == 200
    assert b"owner@example.com" in response.content


def _membership_formset(vendor, admin_user, rows):
    request = RequestFactory().post("/")
    request.user = admin_user
    inline = MembershipInline(Vendor, admin.site)
    formset_class = inline.get_formset(request, vendor)
    data = {
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, (membership, role, delete) in enumerate(rows):
        data |= {
            f"memberships-{i}-id": str(membership.pk),
            f"memberships-{i}-vendor": str(vendor.pk),
            f"memberships-{i}-user": str(membership.user_id),
            f"memberships-{i}-role": role,
        }
        if delete:
            data[f"memberships-{i}-DELETE"] = "on"
    return formset_class(data, instance=vendor, prefix="memberships")


def test_admin_cannot_delete_or_demote_the_last_owner(admin_user):
    vendor = VendorFactory()
    owner = member_of(vendor).memberships.get()
    manager = member_of(vendor, "manager").memberships.get()

    assert not _membership_formset(vendor, admin_user, [(owner, "owner", True), (manager, "manager", False)]).is_valid()
    assert not _membership_formset(
        vendor, admin_user, [(owner, "staff", False), (manager, "manager", False)]
    ).is_valid()
    assert _membership_formset(vendor, admin_user, [(owner, "manager", False), (manager, "owner", False)]).is_valid()
