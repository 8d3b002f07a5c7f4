"""Celery wiring (queues, routes, retries, beat), periodic-sweep locks and housekeeping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_redis import get_redis_connection
from redis.exceptions import ConnectionError as RedisConnectionError

from bookings.models import IdempotencyRecord
from config.celery import app as celery_app
from notifications import locks, tasks
from notifications.models import OutboxEvent, SentNotification
from notifications.services import records_purge
from tests.factories.accounts import UserFactory
from tests.factories.notifications import OutboxEventFactory, WebhookDeliveryFactory

# --- Celery configuration ----------------------------------------------------------------


def test_email_and_webhook_tasks_have_their_own_queues():
    router = celery_app.amqp.router
    assert router.route({}, "notifications.tasks.send_notification")["queue"].name == "notifications"
    assert router.route({}, "notifications.tasks.deliver_webhook")["queue"].name == "webhooks"
    assert router.route({}, "notifications.tasks.process_outbox_event")["queue"].name == "default"
    assert router.route({}, "bookings.tasks.sweep_expired_holds")["queue"].name == "default"
    assert {queue.name for queue in celery_app.conf.task_queues} == {"default", "notifications", "webhooks"}


def test_tasks_ack_late_and_retry_transient_errors_with_backoff_and_jitter():
    from django.db import OperationalError

    task = tasks.send_notification
    assert task.acks_late
    assert task.reject_on_worker_lost
    assert OperationalError in task.autoretry_for
    assert task.retry_backoff
    assert task.retry_jitter
    assert task.max_retries == 5
    assert (task.soft_time_limit, task.time_limit) == (60, 90)
    assert tasks.relay_outbox.autoretry_for == ()  # a sweep's retry is the next beat tick


def test_beat_runs_the_sweeps_and_the_booking_jobs():
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert scheduled == {
        "notifications.tasks.relay_outbox",
        "notifications.tasks.dispatch_due_webhook_deliveries",
        "notifications.tasks.dispatch_due_notifications",
        "notifications.tasks.purge_old_records",
        "bookings.tasks.sweep_expired_holds",
        "bookings.tasks.complete_finished_bookings",
        "bookings.tasks.send_reminders",
        "waitlist.tasks.sweep_waitlists",
    }
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    names = set(celery_app.tasks)
    assert scheduled <= names  # every scheduled task is registered with the worker


# --- Periodic locks ----------------------------------------------------------------------


def test_a_sweep_does_not_run_while_another_holds_its_lock():
    ran = []
    with locks.periodic_lock("relay_outbox", timeout_seconds=10) as first:
        assert first is True
        assert tasks._exclusively("relay_outbox", lambda: ran.append(1)) is None
    assert ran == []
    assert tasks._exclusively("relay_outbox", lambda: ran.append(1) or 7) == 7  # released


def test_the_lock_expires_on_its_own(monkeypatch):
    with locks.periodic_lock("short", timeout_seconds=1) as acquired:
        assert acquired
        key = locks._key("short")
        assert 0 < get_redis_connection("default").pttl(key) <= 1000


def test_without_redis_the_sweep_is_skipped_not_run_unlocked(monkeypatch):
    class DeadRedis:
        def lock(self, *args, **kwargs):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(locks, "get_redis_connection", lambda alias: DeadRedis())
    ran = []
    assert tasks._exclusively("relay_outbox", lambda: ran.append(1)) is None
    assert ran == []


# --- Housekeeping ------------------------------------------------------------------------


@pytest.mark.django_db
def test_purge_removes_old_idempotency_keys_and_old_processed_events_only(settings):
    settings.ALLOT_IDEMPOTENCY_RETENTION_HOURS = 48
    settings.ALLOT_OUTBOX_RETENTION_DAYS = 14
    now = timezone.now()
    user = UserFactory()

    def key(name: str, age: dt.timedelta) -> None:
        record = IdempotencyRecord.objects.create(
            user=user, key=name, scope="bookings.create", fingerprint="x", response_status=201, response_body={}
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=now - age)

    key("old", dt.timedelta(hours=49))
    key("fresh", dt.timedelta(hours=47))
    old_done = OutboxEventFactory(processed_at=now - dt.timedelta(days=15))
    recent_done = OutboxEventFactory(processed_at=now - dt.timedelta(days=13))
    unprocessed = OutboxEventFactory()
    OutboxEvent.objects.filter(pk=unprocessed.pk).update(created_at=now - dt.timedelta(days=30))
    retrying = WebhookDeliveryFactory(event__processed_at=now - dt.timedelta(days=15))  # still pending
    SentNotification.objects.create(event=old_done, kind="booking.confirmed", recipient="a@example.com", status="sent")

    counts = records_purge(now=now)

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent_done.pk, unprocessed.pk, retrying.event_id}
    assert counts == {"idempotency_records": 1, "outbox_events": 1, "reminders": 0}
    assert not SentNotification.objects.exists()  # went with its event


@pytest.mark.django_db
def test_idempotency_keys_are_kept_at_least_a_day_whatever_the_setting(settings):
    settings.ALLOT_IDEMPOTENCY_RETENTION_HOURS = 1
    user = UserFactory()
    record = IdempotencyRecord.objects.create(
        user=user, key="k", scope="bookings.create", fingerprint="x", response_status=201, response_body={}
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(hours=23))
    records_purge()
    assert IdempotencyRecord.objects.exists()
