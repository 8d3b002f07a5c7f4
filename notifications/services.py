"""Outbox processing, email notifications (record, then send), reminders and housekeeping.

Email exactly-once: every email is first *recorded* (subject and body rendered) in a
``SentNotification`` row whose unique constraint is the dedupe key — (event, recipient,
kind), or (booking, recipient, kind) for reminders — so however often an event is
processed there is one row per email. Sending then claims the row with a compare-and-set
on ``attempts`` (exactly one of two racing workers wins), sends outside any transaction
and marks it ``sent``. A failed send goes back to ``pending`` with a backoff and is
retried by ``notifications_dispatch_due``. The one window left is a worker dying after
the mail server accepted the message and before ``sent`` was written: the row's lease
(``next_attempt_at``) passes and it is sent again. So: exactly once normally, at most one
duplicate after a crash, never lost.

The fan-out sends up to ``INLINE_EMAILS_MAX`` of the emails it records itself, right after
its commit: it inserts those rows already claimed (attempt 1, a send lease), so the same
claim, lease and retry rules hold without a task per email.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from common.cooldown import Cooldown
from common.transactions import on_commit_robust
from notifications import emails, outbox
from notifications.models import DeliveryStatus, NotificationStatus, OutboxEvent, SentNotification
from notifications.outbox import BOOKING_REMINDER
from notifications.queueing import enqueue
from notifications.retries import backoff_seconds, claim_due, setting_seconds
from notifications.webhooks import webhook_deliveries_record

logger = logging.getLogger("allot.notifications")

_OPEN = (NotificationStatus.PENDING, NotificationStatus.SENDING)

# Inline sends. A send_notification task per email costs a publish, a consume, a task run and
# a database connection each, plus a read of the row: as much CPU as the fan-out itself. So
# the fan-out claims up to INLINE_EMAILS_MAX of the rows it records and sends them itself
# after commit, with the same claim, record-then-send and retry rules as ``notification_send``
# (a failure goes back to pending with a backoff and ``dispatch_due_notifications`` retries
# it). To keep a slow or dead mail server from holding up the default queue (fan-out, hold
# expiry), a failed send or one slower than INLINE_SLOW_SECONDS pauses inline sending in
# this process for INLINE_PAUSE_SECONDS: the remaining emails go to the notifications queue.

INLINE_EMAILS_MAX = 5
INLINE_SLOW_SECONDS = 2.0
INLINE_PAUSE_SECONDS = 60.0
_inline_paused = Cooldown(INLINE_PAUSE_SECONDS)


# --- The outbox ------------------------------------------------------------------------


def outbox_process_event(*, event_id: uuid.UUID, now: dt.datetime | None = None) -> bool:
    """Fan one event out into email records and webhook deliveries; True if this call did it.

    Safe to run any number of times, concurrently too: the first run records everything and
    sets ``processed_at``; later runs find it set and do nothing. After its commit the run
    sends up to ``INLINE_EMAILS_MAX`` of the emails it recorded itself (see ``_send_inline``)
    and hands the rest, and every webhook delivery, to their queues.
    """
    now = now or timezone.now()
    # Counted in its own statement, so an event that fails every time (a poison event) shows
    # its attempts and the relay eventually stops retrying it.
    if not OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(attempts=F("attempts") + 1):
        return False
    with transaction.atomic():
        # The row lock serialises two workers handed the same event: the second waits here,
        # then sees processed_at and leaves. Whether the event already has email records
        # (only if processed_at was cleared after a run) comes with the same statement.
        event = (
            OutboxEvent.objects.select_for_update(of=("self",))
            .filter(pk=event_id, processed_at__isnull=True)
            .annotate(has_notifications=Exists(SentNotification.objects.filter(event=OuterRef("pk"))))
            .order_by()
            .first()
        )
        if event is None:
            return False
        inline, queued = _record_event_notifications(
            event, now=now, recorded_before=bool(getattr(event, "has_notifications", True))
        )
        delivery_ids = webhook_deliveries_record(event=event, now=now)
        outbox.run_consumers(event.event_type, event.data)
        event.processed_at = now
        event.save(update_fields=["processed_at"])
        on_commit_robust(_dispatch_new, inline, queued, delivery_ids)
    return True


def _record_event_notifications(
    event: OutboxEvent, *, now: dt.datetime, recorded_before: bool
) -> tuple[list[SentNotification], list[int]]:
    """Record the event's emails (inside the fan-out transaction, under the event's row lock).

    Returns the rows this run claimed to send itself after commit, and the ids of the pending
    rows to hand to the ``notifications`` queue. Only a run holding the event's lock with
    ``processed_at`` unset records emails, so nothing else inserts rows for this event
    meanwhile; the unique constraint (event, recipient, kind) still refuses a second record.
    """
    planned = emails.plan(kind=event.event_type, vendor_id=event.vendor_id, data=event.data)
    if not planned:
        return [], []
    queued: list[int] = []
    if recorded_before:  # processed once already (processed_at was cleared): keep those records
        recorded = SentNotification.objects.filter(event=event, kind=event.event_type)
        known = set()
        for pk, recipient, status, attempts in recorded.values_list("id", "recipient", "status", "attempts"):
            known.add(recipient)
            if status == NotificationStatus.PENDING and attempts == 0:
                queued.append(pk)  # recorded but never attempted: hand it out again, as before
        planned = [email for email in planned if email.recipient not in known]
    claim = min(len(planned), INLINE_EMAILS_MAX) if _inline_sending_allowed() else 0
    retry_at = now + setting_seconds("ALLOT_NOTIFICATION_REDISPATCH_SECONDS")
    lease_until = now + setting_seconds("ALLOT_NOTIFICATION_LEASE_SECONDS")
    rows = [
        SentNotification(
            event=event,
            booking_id=event.booking_id,
            kind=event.event_type,
            recipient=email.recipient,
            subject=email.subject,
            body=email.body,
            # The first ``claim`` rows are born claimed by this run, exactly as
            # ``notification_send`` claims a row (attempt 1, status sending, a lease in
            # next_attempt_at): no one else can see them before commit, so no race. If this
            # worker dies before sending, the lease passes and the sweep sends them.
            status=NotificationStatus.SENDING if index < claim else NotificationStatus.PENDING,
            attempts=1 if index < claim else 0,
            next_attempt_at=lease_until if index < claim else retry_at,
        )
        for index, email in enumerate(planned)
    ]
    SentNotification.objects.bulk_create(rows)  # ids come back with the INSERT (RETURNING)
    queued += [row.pk for row in rows[claim:]]
    return rows[:claim], queued


def _dispatch_new(
    inline: Sequence[SentNotification], notification_ids: Iterable[int], delivery_ids: Iterable[uuid.UUID]
) -> None:
    """After commit: hand the queued rows to their queues, then send the claimed emails here.

    A failed publish is left to the sweepers. Webhooks always go through their own queue
    (slow, failure-prone receivers must never hold up this one).
    """
    from notifications.tasks import deliver_webhook, send_notification

    for delivery_id in delivery_ids:
        enqueue(deliver_webhook, str(delivery_id), 0)
    for notification_id in notification_ids:
        enqueue(send_notification, notification_id, 0)
    for index, notification in enumerate(inline):
        if not _inline_sending_allowed():
            _hand_over(inline[index:])
            return
        try:
            _send_inline(notification)
        except Exception:  # e.g. the database went away: the others go to the queue
            logger.warning("inline send of email %s failed", notification.pk, exc_info=True)
            _inline_paused.trip()
            _hand_over(inline[index + 1 :])
            return


# --- Inline sends (the fan-out sends the emails it recorded) ---------------------------


def _inline_sending_allowed() -> bool:
    return INLINE_EMAILS_MAX > 0 and settings.ALLOT_EMAIL_MAX_ATTEMPTS >= 1 and not _inline_paused.active


def resume_inline_sending() -> None:
    _inline_paused.reset()


def _send_inline(notification: SentNotification) -> None:
    """Send one row this worker claimed at fan-out (attempt 1); pause inline sending if it was slow or failed."""
    started = time.monotonic()
    sent = _deliver(notification, max_attempts=settings.ALLOT_EMAIL_MAX_ATTEMPTS, now=timezone.now())
    if not sent or time.monotonic() - started > INLINE_SLOW_SECONDS:
        logger.info("pausing inline email sends for %ss; emails go through the queue", INLINE_PAUSE_SECONDS)
        _inline_paused.trip()


def _hand_over(claimed: Sequence[SentNotification]) -> None:
    """Release claimed rows that will not be sent here (back to pending, attempt 0) and queue them."""
    from notifications.tasks import send_notification

    if not claimed:
        return
    ids = [notification.pk for notification in claimed]
    retry_at = timezone.now() + setting_seconds("ALLOT_NOTIFICATION_REDISPATCH_SECONDS")
    try:
        SentNotification.objects.filter(pk__in=ids, status=NotificationStatus.SENDING, attempts=1).update(
            status=NotificationStatus.PENDING, attempts=0, next_attempt_at=retry_at
        )
    except DatabaseError:  # they stay claimed: the sweep sends them once their lease has passed
        logger.warning("could not release claimed emails %s; the sweep will send them", ids, exc_info=True)
        return
    for notification_id in ids:
        enqueue(send_notification, notification_id, 0)


def outbox_relay(*, now: dt.datetime | None = None, batch_size: int = 100, max_batches: int = 20) -> int:
    """Enqueue committed events that were never handed to the broker (or long ago); returns how many.

    The backstop for an outage at commit time: such rows keep ``dispatched_at`` NULL. Rows are
    claimed with ``FOR UPDATE SKIP LOCKED`` so two relays split the work instead of doubling it.
    """
    from notifications.tasks import process_outbox_event

    now = now or timezone.now()
    # The grace period leaves the on-commit enqueue its chance first.
    created_before = now - setting_seconds("ALLOT_OUTBOX_RELAY_GRACE_SECONDS")
    dispatched_before = now - setting_seconds("ALLOT_OUTBOX_REDISPATCH_SECONDS")
    relayed = 0
    for _ in range(max_batches):
        with transaction.atomic():
            candidates = (
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(processed_at__isnull=True, created_at__lte=created_before)
                .filter(attempts__lt=settings.ALLOT_OUTBOX_MAX_ATTEMPTS)
                .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=dispatched_before))
                .order_by("created_at")
            )
            ids = list(candidates.values_list("id", flat=True)[:batch_size])
            OutboxEvent.objects.filter(id__in=ids).update(dispatched_at=now)
        # Published after the claim committed: no broker I/O while holding row locks.
        failed = [event_id for event_id in ids if not enqueue(process_outbox_event, str(event_id))]
        if failed:  # broker down: un-claim and stop; the next run tries again
            OutboxEvent.objects.filter(id__in=failed).update(dispatched_at=None)
            return relayed + len(ids) - len(failed)
        relayed += len(ids)
        if len(ids) < batch_size:
            break
    return relayed


# --- Email -----------------------------------------------------------------------------


def notification_send(*, notification_id: int, expected_attempts: int, now: dt.datetime | None = None) -> bool:
    """Send one recorded email if it is still due; True if this call sent it."""
    now = now or timezone.now()
    max_attempts = settings.ALLOT_EMAIL_MAX_ATTEMPTS
    # Compare-and-set claim: of two workers handed the same row (a duplicate message, a sweep
    # racing the first dispatch), exactly one moves attempts from N to N+1 and sends. The
    # lease in next_attempt_at lets a sweep take over if this worker dies mid-send.
    claimed = SentNotification.objects.filter(
        pk=notification_id, status__in=_OPEN, attempts=expected_attempts, attempts__lt=max_attempts
    ).update(
        status=NotificationStatus.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + setting_seconds("ALLOT_NOTIFICATION_LEASE_SECONDS"),
    )
    if not claimed:
        return False
    notification = SentNotification.objects.get(pk=notification_id)
    return _deliver(notification, max_attempts=max_attempts, now=now)


def _deliver(notification: SentNotification, *, max_attempts: int, now: dt.datetime) -> bool:
    """Send a row this worker has claimed (``notification.attempts`` is its claim) and record the outcome."""
    mine = SentNotification.objects.filter(pk=notification.pk, attempts=notification.attempts)
    try:
        _send_email(notification)
    except Exception as exc:  # noqa: BLE001 - any failure of the mail backend is a retryable send failure
        logger.warning("email %s to %s failed: %r", notification.pk, notification.recipient, exc)
        mine.update(**_failure_fields(notification.attempts, max_attempts, now, exc))
        return False
    mine.update(status=NotificationStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error="")
    return True


def _failure_fields(attempts: int, max_attempts: int, now: dt.datetime, exc: Exception) -> dict[str, Any]:
    error = f"{type(exc).__name__}: {exc}"[:500]
    if attempts >= max_attempts:
        return {"status": NotificationStatus.FAILED, "next_attempt_at": None, "last_error": error}
    delay = backoff_seconds(
        attempts,
        base_seconds=settings.ALLOT_EMAIL_RETRY_BASE_SECONDS,
        max_seconds=settings.ALLOT_EMAIL_RETRY_MAX_SECONDS,
    )
    return {
        "status": NotificationStatus.PENDING,
        "next_attempt_at": now + dt.timedelta(seconds=delay),
        "last_error": error,
    }


def _send_email(notification: SentNotification) -> None:
    connection = get_connection(timeout=settings.ALLOT_EMAIL_TIMEOUT_SECONDS)
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Allot-Notification": str(notification.pk), "X-Allot-Kind": notification.kind},
        connection=connection,
    )
    message.send(fail_silently=False)


def notifications_dispatch_due(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Re-enqueue emails whose retry time or send lease has passed; give up on exhausted ones."""
    from notifications.tasks import send_notification

    now = now or timezone.now()
    max_attempts = settings.ALLOT_EMAIL_MAX_ATTEMPTS
    due = claim_due(
        SentNotification.objects.filter(status__in=_OPEN, next_attempt_at__lte=now).order_by("next_attempt_at"),
        time_field="next_attempt_at",
        retry_at=now + setting_seconds("ALLOT_NOTIFICATION_REDISPATCH_SECONDS"),
        batch_size=batch_size,
        max_attempts=max_attempts,
        failed={"status": NotificationStatus.FAILED, "next_attempt_at": None},
    )
    for notification_id, attempts in due:
        enqueue(send_notification, notification_id, attempts)
    return len(due)


def notification_send_reminder(*, booking_data: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Record and send the ``booking.reminder`` email for one booking, once ever.

    ``booking_data`` is ``notifications.payloads.booking_data(booking)``. Returns True if
    this call recorded the reminder (it is sent right after commit), False if the booking
    already had one. Safe to call from overlapping sweeps: the unique constraint on
    (booking, recipient, kind) decides.
    """
    from notifications.tasks import send_notification

    now = now or timezone.now()
    booking_id = uuid.UUID(str(booking_data["id"]))
    created_ids: list[int] = []
    with transaction.atomic():
        for email in emails.plan(kind=BOOKING_REMINDER, vendor_id=None, data=booking_data):
            row, created = SentNotification.objects.get_or_create(
                event=None,
                kind=BOOKING_REMINDER,
                booking_id=booking_id,
                recipient=email.recipient,
                defaults={
                    "subject": email.subject,
                    "body": email.body,
                    "next_attempt_at": now + setting_seconds("ALLOT_NOTIFICATION_REDISPATCH_SECONDS"),
                },
            )
            if created:
                created_ids.append(row.pk)
        for notification_id in created_ids:
            on_commit_robust(enqueue, send_notification, notification_id, 0)
    return bool(created_ids)


# --- Housekeeping ----------------------------------------------------------------------


def _delete_in_batches(queryset: models.QuerySet[Any], *, batch_size: int = 1000) -> int:
    """Delete in short transactions so a large purge never holds long locks."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        queryset.model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)


def records_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete old idempotency keys, processed outbox events (with their emails and deliveries) and reminders."""
    from bookings.models import IdempotencyRecord

    now = now or timezone.now()
    # A replayed request must find its key for at least a day, whatever the setting says.
    idempotency_hours = max(24, int(settings.ALLOT_IDEMPOTENCY_RETENTION_HOURS))
    outbox_cutoff = now - dt.timedelta(days=int(settings.ALLOT_OUTBOX_RETENTION_DAYS))
    old_events = (
        OutboxEvent.objects.filter(processed_at__lt=outbox_cutoff)
        .exclude(webhook_deliveries__status=DeliveryStatus.PENDING)
        .exclude(notifications__status__in=_OPEN)
    )
    counts = {
        "idempotency_records": _delete_in_batches(
            IdempotencyRecord.objects.filter(created_at__lt=now - dt.timedelta(hours=idempotency_hours))
        ),
        "outbox_events": _delete_in_batches(old_events),
        "reminders": _delete_in_batches(
            SentNotification.objects.filter(event__isnull=True, created_at__lt=outbox_cutoff).exclude(status__in=_OPEN)
        ),
    }
    stuck = OutboxEvent.objects.filter(processed_at__isnull=True, attempts__gte=settings.ALLOT_OUTBOX_MAX_ATTEMPTS)
    if stuck_count := stuck.count():
        logger.error("%d outbox events exhausted their processing attempts; see the admin", stuck_count)
    return counts
