"""Vendor services: onboarding, profile edits, the admin review lifecycle, memberships.

Callers (API views, Django admin actions, tasks) decide *who* may call what; these
functions enforce the business rules and record *who did it* (``actor``). None of them
knows about HTTP.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone as django_timezone
from django.utils.text import slugify

from accounts.models import User
from common.errors import Conflict, InvalidInput, NotFound
from notifications import outbox, payloads
from vendors.models import Membership, MembershipRole, Vendor, VendorStatus, VendorStatusEvent
from vendors.signals import vendor_status_changed


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Invalid status transition"


class UserNotFound(InvalidInput):
    code = "user_not_found"
    title = "No such user"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "Already a member"


class LastOwner(Conflict):
    code = "last_owner"
    title = "Last owner"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "Not a member"


# Fields a vendor's owners/managers may change. ``status`` is deliberately absent: it only
# moves through the transitions below, so every change has an actor and a reason.
UPDATABLE_FIELDS = frozenset({"name", "category", "timezone", "description", "contact_email"})

# action -> (from status, to status, outbox event or None)
TRANSITIONS: dict[str, tuple[str, str, str | None]] = {
    "approve": (VendorStatus.PENDING, VendorStatus.ACTIVE, outbox.VENDOR_APPROVED),
    "reject": (VendorStatus.PENDING, VendorStatus.REJECTED, None),
    "suspend": (VendorStatus.ACTIVE, VendorStatus.SUSPENDED, outbox.VENDOR_SUSPENDED),
    "reinstate": (VendorStatus.SUSPENDED, VendorStatus.ACTIVE, None),
}

_SLUG_MAX = Vendor._meta.get_field("slug").max_length or 140
_SLUG_SUFFIX_ROOM = 8  # "-" plus up to 7 digits
_SLUG_ATTEMPTS = 5


def _now() -> datetime:
    return django_timezone.now()


# --- onboarding and profile -------------------------------------------------------------


def _validate(vendor: Vendor, *, fields: set[str]) -> None:
    """Model field validation (lengths, IANA zone, email) as one 400 with field errors.

    The API validates first; this keeps admin actions, tasks and scripts honest too.
    """
    exclude = {f.name for f in Vendor._meta.concrete_fields} - fields
    try:
        vendor.clean_fields(exclude=exclude)
    except DjangoValidationError as exc:
        raise InvalidInput(
            "The vendor has invalid fields; see errors.",
            code="validation_error",
            extra={"errors": exc.message_dict},
        ) from exc


def _slug_base(name: str) -> str:
    return slugify(name)[: _SLUG_MAX - _SLUG_SUFFIX_ROOM].strip("-") or "vendor"


def _free_slug(base: str) -> str:
    """``base`` if unused, else ``base-N`` with the smallest N not taken yet."""
    pattern = rf"^{re.escape(base)}(-[0-9]+)?$"
    taken = set(Vendor.objects.filter(slug__regex=pattern).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _insert_with_unique_slug(vendor: Vendor) -> None:
    """Insert ``vendor`` under a free slug derived from its name.

    Race: two applications for "Acme" can both see ``acme`` free; the unique index lets
    one insert win and the other gets an IntegrityError. Each attempt runs in its own
    savepoint, so the loser picks the next free slug and tries again.
    """
    base = _slug_base(vendor.name)
    for _ in range(_SLUG_ATTEMPTS):
        vendor.slug = _free_slug(base)
        try:
            with transaction.atomic():
                vendor.save(force_insert=True)
        except IntegrityError:
            if not Vendor.objects.filter(slug=vendor.slug).exists():
                raise  # some other constraint: not ours to retry
            continue
        return
    raise Conflict("Could not find a free slug for this name; try again.", code="slug_conflict")


def vendor_apply(
    *,
    user: User,
    name: str,
    category: str,
    timezone: str,
    description: str = "",
    contact_email: str = "",
) -> Vendor:
    """Anyone may apply: a ``pending`` vendor with a unique slug, the applicant as its owner."""
    now = _now()
    vendor = Vendor(
        name=name.strip(),
        category=category.strip(),
        timezone=timezone,
        description=description,
        contact_email=contact_email,
        status=VendorStatus.PENDING,
        status_changed_at=now,
    )
    _validate(vendor, fields={"name", "category", "timezone", "description", "contact_email"})
    with transaction.atomic():
        _insert_with_unique_slug(vendor)
        Membership.objects.create(user=user, vendor=vendor, role=MembershipRole.OWNER)
        VendorStatusEvent.objects.create(vendor=vendor, from_status="", to_status=vendor.status, actor=user)
    return vendor


def vendor_update(*, vendor: Vendor, actor: User | None, **fields: Any) -> Vendor:
    """Change profile fields. The slug stays as it was, so links to the vendor keep working."""
    del actor  # part of every service's signature; profile edits keep no history yet
    not_writable = set(fields) - UPDATABLE_FIELDS
    if not_writable:
        raise InvalidInput(
            "These fields cannot be changed here.",
            code="validation_error",
            extra={"errors": {name: ["This field cannot be changed here."] for name in sorted(not_writable)}},
        )
    if not fields:
        return vendor
    for name, value in fields.items():
        setattr(vendor, name, value.strip() if name in {"name", "category"} else value)
    _validate(vendor, fields=set(fields))
    with transaction.atomic():
        # update_fields, never a full save: a full save would write back the status this
        # instance was loaded with and silently undo an approval or suspension that
        # committed in between.
        vendor.save(update_fields=[*sorted(fields), "updated_at"])
    return vendor


# --- status lifecycle (admin review) ----------------------------------------------------


def _transition(*, vendor: Vendor, actor: User | None, reason: str, action: str) -> Vendor:
    from_status, to_status, event_type = TRANSITIONS[action]
    now = _now()
    with transaction.atomic():
        # Compare-and-set: the UPDATE only matches while the row still has the expected
        # status. Two admins approving at once both reach this line; PostgreSQL makes the
        # second wait for the first's row lock, re-checks the WHERE against the committed
        # row and updates nothing. The row count says who won.
        won = Vendor.objects.filter(pk=vendor.pk, status=from_status).update(
            status=to_status, status_reason=reason, status_changed_at=now, updated_at=now
        )
        if not won:
            current = Vendor.objects.filter(pk=vendor.pk).values_list("status", flat=True).first()
            if current is None:
                raise NotFound("No such vendor.")
            raise InvalidTransition(
                f"Cannot {action} a vendor that is {current}.",
                extra={"current_status": current, "action": action},
            )
        VendorStatusEvent.objects.create(
            vendor_id=vendor.pk, from_status=from_status, to_status=to_status, actor=actor, reason=reason
        )
        vendor_status_changed.send(sender=Vendor, vendor_id=vendor.pk, from_status=from_status, to_status=to_status)
        vendor.refresh_from_db()
        if event_type is not None:
            data = dict(payloads.vendor_data(vendor, reason=reason))
            outbox.emit(event_type=event_type, vendor_id=vendor.pk, data=data)
    return vendor


def vendor_approve(*, vendor: Vendor, actor: User | None, reason: str = "") -> Vendor:
    """pending → active: the vendor goes public and its resources become bookable."""
    return _transition(vendor=vendor, actor=actor, reason=reason, action="approve")


def vendor_reject(*, vendor: Vendor, actor: User | None, reason: str = "") -> Vendor:
    """pending → rejected."""
    return _transition(vendor=vendor, actor=actor, reason=reason, action="reject")


def vendor_suspend(*, vendor: Vendor, actor: User | None, reason: str = "") -> Vendor:
    """active → suspended: hidden from the public and not bookable until reinstated."""
    return _transition(vendor=vendor, actor=actor, reason=reason, action="suspend")


def vendor_reinstate(*, vendor: Vendor, actor: User | None, reason: str = "") -> Vendor:
    """suspended → active."""
    return _transition(vendor=vendor, actor=actor, reason=reason, action="reinstate")


# --- memberships ------------------------------------------------------------------------


def _lock_vendor(vendor: Vendor) -> None:
    """Queue membership changes of one vendor behind each other.

    Race: two owners removing each other at once would each count two owners and both
    succeed, leaving nobody in charge. With the vendor row locked the second one counts
    again after the first committed. ``no_key`` so that inserts referencing the vendor
    elsewhere (resources, bookings) are not blocked.
    """
    locked = Vendor.objects.select_for_update(no_key=True).filter(pk=vendor.pk).values_list("pk", flat=True)
    if locked.first() is None:
        raise NotFound("No such vendor.")


def membership_add(*, vendor: Vendor, actor: User | None, email: str, role: str) -> Membership:
    """Give an existing, active user a role at ``vendor``."""
    del actor  # the caller authorises; memberships carry no history of their own yet
    if role not in MembershipRole.values:
        raise InvalidInput("Unknown role.", code="validation_error", extra={"errors": {"role": ["invalid"]}})
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise UserNotFound(
            "No account with this email. Ask them to sign up first.", extra={"errors": {"email": ["not found"]}}
        )
    with transaction.atomic():
        _lock_vendor(vendor)
        if Membership.objects.filter(vendor=vendor, user=user).exists():
            raise AlreadyMember("This user is already a member of the vendor.")
        try:
            with transaction.atomic():
                return Membership.objects.create(vendor=vendor, user=user, role=role)
        except IntegrityError as exc:  # unique (user, vendor): belt and braces behind the lock
            raise AlreadyMember("This user is already a member of the vendor.") from exc


def membership_remove(*, vendor: Vendor, actor: User | None, user_id: uuid.UUID) -> None:
    """Take a user's role away. A vendor always keeps at least one owner."""
    del actor
    with transaction.atomic():
        _lock_vendor(vendor)
        membership = Membership.objects.filter(vendor=vendor, user_id=user_id).first()
        if membership is None:
            raise MemberNotFound("This user is not a member of the vendor.")
        if membership.role == MembershipRole.OWNER:
            owners = Membership.objects.filter(vendor=vendor, role=MembershipRole.OWNER).count()
            if owners <= 1:
                raise LastOwner("A vendor needs at least one owner; add another owner first.")
        membership.delete()
