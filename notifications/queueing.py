"""Publishing to the broker without ever letting a broker outage reach the caller.

Everything enqueued here is also recorded in PostgreSQL (an outbox row, a pending
notification or delivery) and swept by a periodic task, so a lost publish only delays work.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from common.cooldown import Cooldown

logger = logging.getLogger("allot.queueing")

# A short, bounded retry: a blip is absorbed, an outage costs the caller well under a second
# (plus the broker connect timeout) before it is logged and left to the sweepers.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4}

# What a broker outage looks like from the producer side: kombu wraps most of it, redis-py
# and the socket layer leak the rest.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuError, RedisError, OSError)

# Circuit breaker: after a failed publish, this process skips publishing for a few seconds.
# Without it a transaction that emitted 50 events (a booking series) would pay the timeout
# 50 times at commit during an outage; with it, only the first one does.
BREAKER_SECONDS = 5.0
_broker_down = Cooldown(BREAKER_SECONDS)


def reset_breaker() -> None:
    _broker_down.reset()


def enqueue(task: Any, *args: Any, **options: Any) -> bool:
    """``task.apply_async(args)``; True if the broker took it, False (logged) if it is unreachable."""
    eager = bool(task.app.conf.task_always_eager)  # eager runs never touch the broker
    if not eager and _broker_down.active:
        logger.info("broker recently unavailable, %s(%s) left to the sweeper", task.name, args)
        return False
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, %s(%s) left to the sweeper: %r", task.name, args, exc)
        if not eager:
            _broker_down.trip()
        return False
    return True
