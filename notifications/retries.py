"""Retry plumbing shared by emails and webhook deliveries: backoff, and claiming due rows for a sweep."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.db import models, transaction


def setting_seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, name)))


def backoff_seconds(attempt: int, *, base_seconds: int, max_seconds: int) -> int:
    """Exponential backoff with up to +25 % jitter: attempt 1 → base, 2 → 2 x base … capped at max.

    The jitter only ever adds, so consecutive delays strictly grow until the cap, and a crowd
    of failures (one receiver down for everyone) does not come back in lock step.
    """
    delay = min(max_seconds, base_seconds * 2 ** max(0, attempt - 1))
    return int(delay * (1 + random.uniform(0, 0.25)))


def claim_due(
    queryset: models.QuerySet[Any],
    *,
    time_field: str,
    retry_at: dt.datetime,
    batch_size: int,
    max_attempts: int,
    failed: dict[str, Any],
) -> list[tuple[Any, int]]:
    """Claim due rows (``SKIP LOCKED``, push their due time to ``retry_at``), fail exhausted ones.

    Returns ``[(id, attempts)]`` to enqueue. The attempts count is the task's compare-and-set
    token, so a message that lingers in the queue after a newer attempt does nothing, and
    pushing the due time keeps the next sweep from enqueueing the same row again.
    """
    with transaction.atomic():
        rows = list(queryset.select_for_update(skip_locked=True).values_list("id", "attempts")[:batch_size])
        exhausted = [row_id for row_id, attempts in rows if attempts >= max_attempts]
        due = [(row_id, attempts) for row_id, attempts in rows if attempts < max_attempts]
        manager = queryset.model._default_manager
        if exhausted:
            manager.filter(id__in=exhausted).update(**failed)
        if due:
            manager.filter(id__in=[row_id for row_id, _ in due]).update(**{time_field: retry_at})
    return due
