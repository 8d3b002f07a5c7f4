"""Fault-injection fixtures: one migrated PostgreSQL cluster template per session, cloned per test.

Every test here is marked ``faults`` and deselected from the default run (pyproject's
``-m "not faults"``); ``make test-faults`` runs them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import harness


@pytest.fixture(scope="session")
def pg_template() -> Iterator[Path]:
    """initdb + migrate once (about 15 s); each test copies the stopped, migrated cluster."""
    try:
        harness.pg_bindir()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    if not shutil.which("redis-server") and not (harness.BIN / "redis-server").exists():
        pytest.skip("redis-server not found")
    workdir = Path(tempfile.mkdtemp(prefix="allot-fault-template-"))
    try:
        yield harness.build_template(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def world(pg_template: Path) -> Iterator[harness.Stack]:
    with harness.stack(pg_template) as stack:
        yield stack
