"""After-commit side effects never turn a committed request into an error."""

import functools

import pytest
from django.db import transaction

from common.transactions import on_commit_robust


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_hook_is_logged_not_raised(caplog):
    ran = []

    def boom(label: str) -> None:
        ran.append(label)
        raise RuntimeError("broker exploded")

    with transaction.atomic():
        on_commit_robust(functools.partial(boom), "first")
        on_commit_robust(ran.append, "second")
    assert ran == ["first", "second"]
    assert "broker exploded" in caplog.text
