"""Run web (gunicorn) + Celery worker + Celery beat in the foreground; stop all on Ctrl-C.

Started by ``make run`` after migrations and demo data. If any process dies, the
others are stopped too and the exit code says so, so a broken start is never silent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def commands(port: str, workers: str) -> dict[str, list[str]]:
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    return {
        "web": [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"0.0.0.0:{port}",
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-Q",
            "default,notifications,webhooks",
            "--concurrency",
            "2",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(var / "celerybeat-schedule"),
        ],
    }


def main() -> int:
    port = os.environ.get("ALLOT_PORT", "8000")
    workers = os.environ.get("ALLOT_WEB_WORKERS", "2")
    procs = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands(port, workers).items()}
    print(f"\nAllot is starting on http://127.0.0.1:{port}/  (API docs: /api/docs/, admin: /admin/)", flush=True)
    print("Web, worker and beat run in this terminal; Ctrl-C stops all three.\n", flush=True)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[serve] {name} exited with {proc.returncode}; stopping the others", flush=True)
                exit_code = proc.returncode or 1
                stopping = True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
