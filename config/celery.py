"""The Celery app ``config``: ``celery -A config worker`` / ``celery -A config beat``.

Queues: ``default`` (outbox fan-out, sweeps, booking jobs), ``notifications`` (email
sends) and ``webhooks`` (outbound HTTP to vendors, slow and failure-prone, kept apart so
a dead receiver never delays an email or a hold expiry). A plain ``celery -A config
worker`` consumes all three; ``-Q webhooks`` scales one out on its own.

Every task is idempotent (DESIGN.md, Jobs): late acks, re-queued if the worker dies, and
retried with exponential backoff and jitter on transient infrastructure errors only.
Business failures (a webhook receiver answering 500, a mail server refusing) are retried
from PostgreSQL by the sweeps, not by Celery, so the retry state survives any broker.
"""

import os

from celery import Celery, Task
from celery.schedules import crontab
from django.db import InterfaceError, OperationalError
from kombu import Queue
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


class AllotTask(Task):
    """Defaults for every task in the project (a task may override any of them)."""

    acks_late = True
    reject_on_worker_lost = True
    # Transient: the database or broker blinked. Anything else is a bug and is not retried.
    autoretry_for = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError)
    retry_backoff = 2  # seconds before the first retry, then doubling
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5


app = Celery("config", task_cls=AllotTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

QUEUE_DEFAULT = "default"
QUEUE_NOTIFICATIONS = "notifications"
QUEUE_WEBHOOKS = "webhooks"

app.conf.task_queues = (Queue(QUEUE_DEFAULT), Queue(QUEUE_NOTIFICATIONS), Queue(QUEUE_WEBHOOKS))
# task_default_queue ("default") and the global time limits are CELERY_* settings.
app.conf.task_routes = {
    "notifications.tasks.send_notification": {"queue": QUEUE_NOTIFICATIONS},
    "notifications.tasks.deliver_webhook": {"queue": QUEUE_WEBHOOKS},
    # Everything else (outbox fan-out, sweeps, bookings.tasks.*) runs on "default".
}


def _every(seconds: float, task: str) -> dict[str, object]:
    # A sweep message older than its own period is worthless (a newer one is queued): let it expire.
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


# Booking jobs are named here and written in bookings/tasks.py; each calls a bookings service.
# bookings.tasks.expire_hold(booking_id) is not periodic: the booking service schedules it
# with eta=hold_expires_at, and sweep_expired_holds is the backstop for lost ones.
app.conf.beat_schedule = {
    "relay-outbox": _every(10, "notifications.tasks.relay_outbox"),
    "dispatch-due-webhook-deliveries": _every(15, "notifications.tasks.dispatch_due_webhook_deliveries"),
    "dispatch-due-notifications": _every(30, "notifications.tasks.dispatch_due_notifications"),
    "sweep-expired-holds": _every(30, "bookings.tasks.sweep_expired_holds"),
    "complete-finished-bookings": _every(300, "bookings.tasks.complete_finished_bookings"),
    "send-reminders": _every(300, "bookings.tasks.send_reminders"),
    "sweep-waitlists": _every(60, "waitlist.tasks.sweep_waitlists"),
    "purge-old-records": {
        "task": "notifications.tasks.purge_old_records",
        "schedule": crontab(minute=17),
        "options": {"expires": 3600},
    },
}
