"""A process-local cooldown: after a failure, skip an optional step for a few seconds."""

from __future__ import annotations

import threading
import time


class Cooldown:
    """``trip()`` starts ``seconds`` during which ``active`` is true; ``reset()`` ends it early.

    Process-local on purpose: it only spares this process from paying a timeout again and
    again while a dependency (the broker, a mail server) is down; the work itself is recorded
    elsewhere and picked up by a sweep.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return time.monotonic() < self._until

    def trip(self) -> None:
        with self._lock:
            self._until = time.monotonic() + self.seconds

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0
