"""CPU time per request, in-process: an A/B tool for app-code changes on a noisy machine.

``python -m bench.inprocess [--app-root DIR] [-n 300]`` runs requests one at a time through
the whole Django stack (``django.test.Client``: middleware, JWT, DRF, services, on-commit
hooks, a real Celery publish) against the database ``make bench`` left behind, and prints
the process CPU time and the SQL statements per request. CPU time of one process barely
moves when other programs load the machine, unlike requests/s, so two trees (``--app-root``
a patched copy) can be compared within a few percent. Bookings go to days 360-364, which no
other part of the bench uses; each run books one slot per resource: give every run another ``--slot`` (0-59).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import ROOT, VAR, Config


def measure(name: str, paths: list[tuple[str, str, str]], token: str) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    cpu, wall, queries, statuses = [], [], [], {}
    for method, path, body in paths:
        with CaptureQueriesContext(connection) as ctx:
            c0, w0 = time.process_time(), time.perf_counter()
            if method == "POST":
                response = client.post(
                    path, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
                )
            else:
                response = client.get(path)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        queries.append(len(ctx.captured_queries))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    skip = max(1, len(cpu) // 10)  # the first requests warm caches and imports
    return {
        "name": name,
        "requests": len(cpu) - skip,
        "cpu_ms_median": round(statistics.median(cpu[skip:]) * 1000, 2),
        "cpu_ms_mean": round(statistics.fmean(cpu[skip:]) * 1000, 2),
        "wall_ms_median": round(statistics.median(wall[skip:]) * 1000, 2),
        "sql_per_request": round(statistics.fmean(queries[skip:]), 1),
        "status": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-root", default=str(ROOT), help="the tree whose app code to load")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument(
        "--slot", type=int, default=0, help="first slot (hour) of days 360-364 to book; use a new one per run"
    )
    args = parser.parse_args()
    app_root = Path(args.app_root).resolve()
    sys.path.insert(0, str(app_root))
    os.chdir(app_root)  # Celery's loader puts the working directory first on sys.path
    cfg = Config.from_env()
    from bench import seed
    from bench.scenarios import Requests

    seed.setup_django(cfg)
    tokens = json.loads((VAR / "tokens.json").read_text())
    reqs = Requests(cfg, tokens)
    pool = cfg.layout.bookable
    creates = []
    for k in range(args.n):
        r, slot = pool[k % len(pool)], args.slot + k // len(pool)
        req = reqs.booking(r, cfg.at(360 + slot // 12, 8 + slot % 12), tokens[0])
        creates.append(("POST", req.path, req.body))
    import redis

    redis.Redis.from_url(cfg.redis_url).flushdb()  # cold means cold
    cold = [("GET", r.path, "") for r in reqs.availability_cold(cfg.layout.probes)[-args.n :]]
    warm = [("GET", reqs.availability(0).path, "")] * args.n
    search = [("GET", r.path, "") for r in (reqs.searches() * args.n)[: max(30, args.n // 5)]]
    import django

    results = [
        measure("booking_create", creates, tokens[0]),
        measure("availability_cold", cold, tokens[0]),
        measure("availability_warm", warm, tokens[0]),
        measure("search", search, tokens[0]),
    ]
    import bookings

    print(f"app code from {Path(bookings.__file__).parent.parent} (Django {django.get_version()})")
    for res in results:
        print(
            f"  {res['name']:<18} CPU {res['cpu_ms_median']:>7} ms (mean {res['cpu_ms_mean']})"
            f"  wall {res['wall_ms_median']:>7} ms  SQL {res['sql_per_request']:>5}  {res['status']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
