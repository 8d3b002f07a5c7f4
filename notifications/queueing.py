"""Publishing to the broker without ever letting a broker outage reach the caller.

Everything enqueued here is also recorded in PostgreSQL (an outbox row, a pending
notification or delivery) and swept by a periodic task, so a lost publish only delays work.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger("allot.queueing")

# A short, bounded retry: a blip is absorbed, an outage costs the caller well under a second
# (plus the broker connect timeout) before it is logged and left to the sweepers.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4}

# What a broker outage looks like from the producer side: kombu wraps most of it, redis-py
# and the socket layer leak the rest.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuError, RedisError, OSError)


def enqueue(task: Any, *args: Any, **options: Any) -> bool:
    """``task.apply_async(args)``; True if the broker took it, False (logged) if it is unreachable."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, %s(%s) left to the sweeper: %r", task.name, args, exc)
        return False
    return True
