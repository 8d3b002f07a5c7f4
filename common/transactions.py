"""After-commit hooks that never break the request that committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def on_commit_robust(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` after the current transaction commits (now, outside one).

    ``robust=True``: the data is already committed, so a failing side effect is logged and
    left to the periodic relays instead of turning a successful request into a 500. The
    wrapper has a ``__qualname__`` (a ``functools.partial`` has none, and Django's error
    logging for robust hooks needs it).
    """

    def hook() -> None:
        func(*args)

    hook.__qualname__ = getattr(func, "__qualname__", repr(func))
    transaction.on_commit(hook, robust=True)
