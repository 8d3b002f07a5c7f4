"""Start and stop what the bench runs: gunicorn + a Celery worker, each in its own process
group, so stopping kills every child (also on Ctrl-C and errors: ``Procs.stop_all`` runs
from the ``finally`` of ``bench.main``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.config import ROOT, VAR

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Procs:
    """Every long-running process the bench started, stopped by process group."""

    def __init__(self, on_start: Callable[[int, str], None] | None = None) -> None:
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.on_start = on_start

    def start(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = log.open("ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.running[name] = proc
        if self.on_start is not None:
            self.on_start(proc.pid, name)  # its process group id: the CPU meter's "ours"
        return proc

    def stop(self, name: str, timeout: float = 15) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        # Children that outlived their parent (a worker mid-request) go with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def gunicorn_cmd(port: int, workers: int) -> list[str]:
    # Same server and worker class as scripts/serve.py (`make run`), bound to loopback only,
    # without the access log (the bench measures the app, not stdout).
    return [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--backlog",
        "2048",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]


def celery_cmd(concurrency: int) -> list[str]:
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-l",
        "warning",
        "-Q",
        "default,notifications,webhooks",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
    ]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:
            last = exc
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s ({last})")


class Service:
    """gunicorn (``workers``) + one Celery worker against the bench database."""

    def __init__(self, procs: Procs, env: dict[str, str], port: int, celery_concurrency: int) -> None:
        self.procs, self.env, self.port, self.celery_concurrency = procs, env, port, celery_concurrency
        self.workers = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int) -> None:
        self.stop()
        self.workers = workers
        env = {**self.env, "ALLOT_WEB_WORKERS": str(workers)}
        self.procs.start("web", gunicorn_cmd(self.port, workers), env, VAR / "logs" / "gunicorn.log")
        if "celery" not in self.procs.running:
            self.procs.start("celery", celery_cmd(self.celery_concurrency), env, VAR / "logs" / "celery.log")
        wait_http(f"{self.base}/healthz")
        wait_http(f"{self.base}/readyz")

    def stop(self) -> None:
        self.procs.stop("web")

    def web_pids(self) -> list[int]:
        proc = self.procs.running.get("web")
        if proc is None:
            return []
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [proc.pid, *pids]
