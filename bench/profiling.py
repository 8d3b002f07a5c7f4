"""py-spy on the gunicorn workers during a scenario, summarised as top frames.

``record()`` samples the master and its workers (``--subprocesses``) into py-spy's raw
(collapsed stack) format; ``summarize()`` turns that into the frames with the most samples
on top of the stack (self) and anywhere in it (inclusive), and self samples by package.
With ``idle=True`` waiting threads are sampled too, so the shares are of wall time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.config import ROOT

PY_SPY = Path(sys.executable).parent / "py-spy"
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*)\)$")
SITE = re.compile(r".*/site-packages/")
STDLIB = re.compile(r".*/lib/python3\.\d+/")


def available() -> bool:
    return PY_SPY.exists() or shutil.which("py-spy") is not None


def start(
    pid: int, seconds: float, output: Path, *, idle: bool = False, gil: bool = False, rate: int = 100
) -> subprocess.Popen[bytes]:
    exe = str(PY_SPY) if PY_SPY.exists() else "py-spy"
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--full-filenames",
        "--nolineno",
        "--format",
        "raw",
        "--rate",
        str(rate),
        "--duration",
        str(max(1, round(seconds))),
        "--output",
        str(output),
    ]
    if idle:
        cmd.append("--idle")
    if gil:  # only samples holding the GIL: on-CPU Python, not "runnable again after I/O"
        cmd.append("--gil")
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.with_suffix(".log").open("wb") as log:  # never a pipe: a full pipe would stall py-spy
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def finish(proc: subprocess.Popen[bytes], timeout: float) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=10)


def _short(path: str) -> str:
    root = str(ROOT) + "/"
    if path.startswith(root) and "/site-packages/" not in path:
        return path[len(root) :]
    path = SITE.sub("", path)
    return STDLIB.sub("stdlib/", path)


def _package(path: str) -> str:
    short = _short(path)
    if short.startswith("stdlib/"):
        return "stdlib:" + short.split("/")[1].removesuffix(".py")
    if "/site-packages/" in path:
        return short.split("/")[0]
    if path.startswith(str(ROOT)):
        return "app:" + short.split("/")[0]
    return short.split("/")[0] or "?"


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for part in stack.split(";"):
        match = FRAME.match(part.strip())
        if match is None:
            continue  # "process 123:..." / thread markers
        frames.append((match["func"], match["file"]))
    return frames


# Functions whose inclusive share answers "what does a request spend its CPU on".
FOCUS = [
    ("JWT authentication", "JWTAuthentication.authenticate", ""),
    ("throttles (Redis)", "APIView.check_throttles", ""),
    ("input validation", "BaseSerializer.is_valid", ""),
    ("booking_create (service, in the transaction)", "booking_create", "bookings/services.py"),
    ("  lock_resource (SELECT ... FOR UPDATE)", "lock_resource", ""),
    ("  _plan (busy units, hours, explain)", "_plan", "bookings/services.py"),
    ("  history + outbox rows (events.record)", "record", "bookings/events.py"),
    ("post-commit hooks (outbox dispatch, cache bump)", "BaseDatabaseWrapper.run_and_clear_commit_hooks", ""),
    ("  Celery publish (apply_async)", "Task.apply_async", ""),
    ("availability selector", "resource_availability", ""),
    ("availability cache", "_cached", "resources/cache.py"),
    ("search: catalog batches with free units (SQL)", "AvailableCatalog._batches", ""),
    ("search: hours check of the batches", "resources_open_for", ""),
    ("output serialization (.data)", "Serializer.data", "rest_framework/serializers.py"),
    ("ORM: SQL compilation (as_sql)", "SQLCompiler.as_sql", ""),
    ("ORM/driver: execute", "CursorWrapper._execute", "django/db/backends/utils.py"),
    ("prometheus middleware", "PrometheusAfterMiddleware.process_response", ""),
    ("outbox processing (Celery task)", "process_outbox_event", ""),
]


def _focus(inclusive: Counter[str], total: int) -> list[dict[str, Any]]:
    out = []
    for label, func, file_part in FOCUS:
        samples = sum(
            n
            for frame, n in inclusive.items()
            if frame.split(" (", 1)[0] in (func, func.rsplit(".", 1)[-1]) and file_part in frame
        )
        if samples:
            out.append({"frame": label, "samples": samples, "share": round(samples / total, 3)})
    return out


def _is_worker_main(frames: list[tuple[str, str]]) -> bool:
    return any(file.endswith("gunicorn/workers/sync.py") for _, file in frames)


def _wall_bucket(frames: list[tuple[str, str]]) -> str:
    """What a worker's main thread was doing, from its stack (idle-inclusive profiles)."""
    funcs = {func.rsplit(".", 1)[-1] for func, _ in frames}
    leaf_pkg = _package(frames[-1][1])
    if "handle_request" not in funcs:
        if "close_graceful" in funcs:
            return "closing the connection (lingering close)"
        if "wait" in funcs or "accept" in funcs:
            return "idle: waiting for a connection"
        return "gunicorn: reading the request / other"
    if leaf_pkg in ("psycopg", "psycopg_pool", "psycopg_c", "psycopg_binary"):
        return "in request: PostgreSQL round trips (psycopg)"
    if leaf_pkg in ("redis", "django_redis"):
        return "in request: Redis round trips"
    if any(_package(file) in ("kombu", "celery", "amqp") for _, file in frames):
        return "in request: Celery publish (kombu)"
    return "in request: Python"


def summarize(raw: Path, top: int = 20, *, main_thread_only: bool = True) -> dict[str, Any]:
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    in_request = 0
    total = 0
    wall: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames or (main_thread_only and not _is_worker_main(frames)):
            continue
        wall[_wall_bucket(frames)] += count
        total += count
        names = [f"{func} ({_short(file)})" for func, file in frames]
        self_counts[names[-1]] += count
        packages[_package(frames[-1][1])] += count
        for name in set(names):
            inclusive[name] += count
        if any(func.rsplit(".", 1)[-1] == "handle_request" for func, _ in frames):
            in_request += count

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"frame": k, "samples": v, "share": round(v / total, 3)} for k, v in counter.most_common(top)]

    return {
        "samples": total,
        "in_request_share": round(in_request / total, 3) if total else None,
        "top_self": share(self_counts),
        "top_inclusive": share(inclusive),
        "self_by_package": share(packages),
        "activity": share(wall),
        "focus": _focus(inclusive, total) if total else [],
    }
