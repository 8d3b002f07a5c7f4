"""Dispute services: every write to a dispute goes through one of these functions.

The API and the Django admin call the same functions, so both enforce the same rules and
leave the same trail: a ``DisputeEvent`` per status change and outbox events
(``dispute.opened``, ``dispute.resolved`` — also for a rejection, with its status) that
email the booking's customer and the vendor's managers. Each function owns its
transaction; status changes are compare-and-set UPDATEs whose row count says who won.

Who may do what: the booking's customer and its vendor's members are the parties; a
dispute (or booking) is invisible (404) to everyone else except platform admins
(``is_staff``), who alone move a dispute through review.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingStatus
from bookings.permissions import BookingRole, booking_roles
from common.errors import InvalidInput, NotFound, PermissionDenied
from disputes import lifecycle
from disputes.errors import (
    BookingNotDisputable,
    CommentLimitReached,
    DisputeAlreadyOpen,
    DisputeChanged,
    DisputeClosed,
)
from disputes.lifecycle import DisputeAction, next_status, refund_for
from disputes.models import OPEN_STATUSES, Dispute, DisputeComment, DisputeEvent, DisputeReason
from notifications import outbox, payloads

# Bookings a party can have a grievance about: ones that were (or still are) firm.
# Holds, pending requests, expiries and vendor rejections never took place.
DISPUTABLE_BOOKING_STATUSES = frozenset(
    {BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED}
)
MAX_COMMENTS_PER_DISPUTE = 200  # keeps GET /disputes/{id}, which embeds the thread, bounded
MAX_DESCRIPTION = 5000
MAX_COMMENT = 5000
MAX_NOTE = 2000
ONE_OPEN_CONSTRAINT = "dispute_one_open_per_booking"

Roles = frozenset[BookingRole]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        "The request has invalid fields; see errors.", code="validation_error", extra={"errors": {field: [message]}}
    )


def _text(value: str, *, field: str, max_length: int, required: bool) -> str:
    """The API validates first; this keeps admin actions and scripts to the same limits."""
    value = (value or "").strip()
    if required and not value:
        raise _field_error(field, "This field may not be blank.")
    if len(value) > max_length:
        raise _field_error(field, f"Ensure this field has no more than {max_length} characters.")
    return value


# --- loading with access checks -------------------------------------------------------


def _booking_for(booking_id: uuid.UUID, actor: User) -> tuple[Booking, Roles]:
    """The booking and the actor's roles on it; another party's booking does not exist (404)."""
    booking = Booking.objects.select_related("resource__vendor", "customer").filter(pk=booking_id).first()
    roles = booking_roles(booking, actor) if booking is not None else frozenset()
    if booking is None or not roles:
        raise NotFound("No such booking.")
    return booking, roles


def _dispute_for(dispute_id: uuid.UUID, actor: User, *, lock: bool = False) -> tuple[Dispute, Roles]:
    """The dispute and the actor's roles on its booking; a non-party sees no dispute (404)."""
    disputes = Dispute.objects.select_related("booking__resource__vendor", "booking__customer")
    if lock:
        disputes = disputes.select_for_update(of=("self",), no_key=True)
    dispute = disputes.filter(pk=dispute_id).first()
    roles = booking_roles(dispute.booking, actor) if dispute is not None else frozenset()
    if dispute is None or not roles:
        raise NotFound("No such dispute.")
    return dispute, roles


def _require_admin(roles: Roles, what: str) -> None:
    if BookingRole.ADMIN not in roles:
        raise PermissionDenied(f"Only platform admins can {what} disputes.")


# --- history and outbox ---------------------------------------------------------------


def _record(dispute: Dispute, *, action: str, from_status: str, actor: User | None, note: str = "") -> None:
    DisputeEvent.objects.create(
        dispute=dispute, action=action, from_status=from_status, to_status=dispute.status, actor=actor, note=note
    )


def _emit(dispute: Dispute, event_type: str) -> None:
    """Outbox event with the dispute and its booking snapshot (customer and vendor, for emails)."""
    booking = dispute.booking
    data = payloads.dispute_data(
        dispute_id=dispute.pk,
        status=dispute.status,
        reason=dispute.reason,
        description=dispute.description,
        booking=payloads.booking_data(booking),
        opened_at=dispute.created_at,
        outcome=dispute.outcome or None,
        refund_amount=dispute.refund_amount,
        note=dispute.admin_note,
        resolved_at=dispute.resolved_at,
    )
    outbox.emit(event_type=event_type, vendor_id=booking.resource.vendor_id, data=dict(data), booking_id=booking.pk)


# --- open and comment -----------------------------------------------------------------


def _insert_open(booking: Booking, *, actor: User, reason: str, description: str) -> Dispute:
    """Insert the dispute; the partial unique index decides between two racing openers.

    Race: the customer and the vendor open a dispute on the same booking at once. Both
    pass every check above; the second INSERT waits on the index entry of the first and
    fails with a unique violation once it commits. The savepoint keeps the caller's
    transaction usable so the loser gets a clean 409 naming the winner.
    """
    try:
        with transaction.atomic():
            return Dispute.objects.create(booking=booking, opened_by=actor, reason=reason, description=description)
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != ONE_OPEN_CONSTRAINT:
            raise
        existing = Dispute.objects.filter(booking=booking, status__in=OPEN_STATUSES).values_list("pk", flat=True)
        winner = existing.first()
        raise DisputeAlreadyOpen(
            "This booking already has an open dispute; add a comment to it instead.",
            extra={"dispute_id": str(winner)} if winner else None,
        ) from exc


def dispute_open(*, booking_id: uuid.UUID, actor: User, reason: str, description: str) -> Dispute:
    """The booking's customer or a member of its vendor opens a dispute (one open per booking)."""
    if reason not in DisputeReason.values:
        raise _field_error("reason", f"Must be one of {', '.join(DisputeReason.values)}.")
    description = _text(description, field="description", max_length=MAX_DESCRIPTION, required=True)
    with transaction.atomic():
        booking, roles = _booking_for(booking_id, actor)
        if not roles & {BookingRole.CUSTOMER, BookingRole.VENDOR}:
            raise PermissionDenied("Only the booking's customer or its vendor can open a dispute.")
        if booking.status not in DISPUTABLE_BOOKING_STATUSES:
            raise BookingNotDisputable(
                f"A {booking.status} booking cannot be disputed.", extra={"booking_status": booking.status}
            )
        dispute = _insert_open(booking, actor=actor, reason=reason, description=description)
        _record(dispute, action="open", from_status="", actor=actor)
        _emit(dispute, outbox.DISPUTE_OPENED)
    return dispute


def dispute_comment(*, dispute_id: uuid.UUID, actor: User, body: str) -> DisputeComment:
    """A party or an admin adds to the thread of a dispute that is still open or under review."""
    body = _text(body, field="body", max_length=MAX_COMMENT, required=True)
    with transaction.atomic():
        # The row lock queues a comment behind a concurrent resolve/reject (and vice versa),
        # so "closed disputes take no comments" holds exactly, not just most of the time.
        dispute, _ = _dispute_for(dispute_id, actor, lock=True)
        if not dispute.is_open:
            raise DisputeClosed(f"The dispute is {dispute.status}; it takes no more comments.")
        if dispute.comments.count() >= MAX_COMMENTS_PER_DISPUTE:
            raise CommentLimitReached(f"A dispute takes at most {MAX_COMMENTS_PER_DISPUTE} comments.")
        return DisputeComment.objects.create(dispute=dispute, author=actor, body=body)


# --- admin review ---------------------------------------------------------------------


def _transition(
    dispute: Dispute,
    *,
    action: DisputeAction,
    actor: User,
    now: datetime,
    note: str,
    fields: dict[str, Any] | None = None,
) -> None:
    """Compare-and-set ``dispute.status`` along the lifecycle table; raise if someone else won."""
    current = lifecycle.DisputeStatus(dispute.status)
    target = next_status(current, action)  # InvalidTransition (409) for illegal pairs
    fields = fields or {}
    # Race: two admins resolving at once both get here. The second UPDATE waits for the
    # first's row lock, re-checks ``status = current`` against the committed row and
    # matches nothing; its row count of 0 says it lost.
    won = Dispute.objects.filter(pk=dispute.pk, status=current).update(status=target, updated_at=now, **fields)
    if not won:
        dispute.refresh_from_db(fields=["status"])
        next_status(lifecycle.DisputeStatus(dispute.status), action)  # InvalidTransition if it moved on
        raise DisputeChanged("The dispute changed while we were updating it; reload it.")
    dispute.status = str(target)
    for name, value in fields.items():
        setattr(dispute, name, value)
    _record(dispute, action=str(action), from_status=str(current), actor=actor, note=note)


def dispute_start_review(*, dispute_id: uuid.UUID, actor: User, note: str = "", now: datetime | None = None) -> Dispute:
    """open → under_review: an admin takes the case."""
    now = _now(now)
    note = _text(note, field="note", max_length=MAX_NOTE, required=False)
    with transaction.atomic():
        dispute, roles = _dispute_for(dispute_id, actor)
        _require_admin(roles, "review")
        _transition(
            dispute,
            action=DisputeAction.START_REVIEW,
            actor=actor,
            now=now,
            note=note,
            fields={"review_started_at": now},
        )
    return dispute


def dispute_resolve(
    *,
    dispute_id: uuid.UUID,
    actor: User,
    outcome: str,
    note: str,
    refund_amount: Decimal | None = None,
    now: datetime | None = None,
) -> Dispute:
    """under_review → resolved with an outcome and a recorded refund (≤ the booking's price, same currency)."""
    now = _now(now)
    try:
        decided = lifecycle.DisputeOutcome(outcome)
    except ValueError:
        raise _field_error("outcome", f"Must be one of {', '.join(lifecycle.DisputeOutcome)}.") from None
    note = _text(note, field="note", max_length=MAX_NOTE, required=True)
    with transaction.atomic():
        dispute, roles = _dispute_for(dispute_id, actor)
        _require_admin(roles, "resolve")
        booking = dispute.booking
        refund = refund_for(outcome=decided, requested=refund_amount, price=booking.price_amount)
        _transition(
            dispute,
            action=DisputeAction.RESOLVE,
            actor=actor,
            now=now,
            note=note,
            fields={
                "outcome": str(decided),
                "refund_amount": refund,
                "refund_currency": booking.price_currency,
                "admin_note": note,
                "resolved_by": actor,
                "resolved_at": now,
            },
        )
        _emit(dispute, outbox.DISPUTE_RESOLVED)
    return dispute


def dispute_reject(*, dispute_id: uuid.UUID, actor: User, note: str, now: datetime | None = None) -> Dispute:
    """under_review → rejected: closed without an outcome. Notified as ``dispute.resolved``
    with ``status: "rejected"`` (there is no separate event type)."""
    now = _now(now)
    note = _text(note, field="note", max_length=MAX_NOTE, required=True)
    with transaction.atomic():
        dispute, roles = _dispute_for(dispute_id, actor)
        _require_admin(roles, "reject")
        _transition(
            dispute,
            action=DisputeAction.REJECT,
            actor=actor,
            now=now,
            note=note,
            fields={"admin_note": note, "resolved_by": actor, "resolved_at": now},
        )
        _emit(dispute, outbox.DISPUTE_RESOLVED)
    return dispute
