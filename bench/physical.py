"""The physical limit: the SQL of one booking request, replayed by pgbench.

``capture_booking_sql`` runs one real ``POST /api/v1/bookings`` (``confirm: true``)
in-process through the whole Django stack (middleware, JWT, DRF, the booking service,
on-commit hooks) against the bench database with the service's settings, and records
every statement it sends (``CaptureQueriesContext``): the JWT user lookup, BEGIN, the
locks and reads, the inserts and the confirm, COMMIT, and the two post-commit outbox
updates.

``pgbench_script`` turns those statements into a pgbench script that books a distinct
(resource, slot) on every transaction, so it really COMMITs and the exclusion constraint
is exercised, never violated. The statement text is kept byte for byte except literal
values: the ids become pgbench variables (bench ids end in 12 decimal digits, so
``'be5c0002000040008000:bv_rid'`` rebuilds a resource id from an integer; the booking
and outbox ids become unique per client and transaction), and the slot-dependent
timestamps become ``to_timestamp(:bv_ts + offset)``. "Now"-like timestamps (created_at,
hold expiry) and the JSON payloads stay as captured.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.config import (
    ID_BASE,
    PGBENCH_DAY0,
    PREFIX_RESOURCE,
    PREFIX_USER,
    VAR,
    Config,
    resource_id,
    user_id,
)
from bench.load import percentile

TS = re.compile(r"'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\+00:00)'::timestamptz")
RANGE = re.compile(r"'\[\"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\+00:00)\",\"([^\"]+)\"\)'::tstzrange")
GENERATED_PREFIXES = ("be5c00b0", "be5c00e1", "be5c00e2", "be5c00e3", "be5c00e4")


def pgbench_path() -> str | None:
    for candidate in ("/usr/lib/postgresql/15/bin/pgbench", shutil.which("pgbench")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def capture_booking_sql(cfg: Config, token: str, resource_index: int, start: datetime) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = {
        "resource": str(resource_id(resource_index)),
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "confirm": True,
    }
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/bookings",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    if response.status_code != 201:
        raise RuntimeError(f"the captured booking failed: {response.status_code} {response.content[:300]!r}")
    return {"statements": [q["sql"] for q in queries.captured_queries], "booking": response.json(), "start": start}


def _id_forms(value: uuid.UUID, prefix: str, var: str) -> list[tuple[str, str]]:
    """The dashed and the hex spelling of ``value`` and their templates (``:var`` = 12 digits)."""
    return [(str(value), f"{prefix}-0000-4000-8000-:{var}"), (value.hex, f"{prefix}000040008000:{var}")]


def pgbench_script(capture: dict[str, Any], customer_index: int, resource_index: int) -> tuple[str, list[str]]:
    """The pgbench script for the captured statements, and their templated form."""
    statements: list[str] = capture["statements"]
    start: datetime = capture["start"]
    booking_id = uuid.UUID(capture["booking"]["id"])
    replacements = [
        *_id_forms(booking_id, GENERATED_PREFIXES[0], "bv_seq"),
        *_id_forms(user_id(customer_index), PREFIX_USER, "bv_uid"),
        *_id_forms(resource_id(resource_index), PREFIX_RESOURCE, "bv_rid"),
    ]
    outbox_ids = []
    for text in statements:
        if text.startswith('INSERT INTO "notifications_outboxevent"'):
            match = re.search(r"VALUES \('([0-9a-f]{32})'::uuid", text)
            if match:
                outbox_ids.append(uuid.UUID(match[1]))
    for n, value in enumerate(outbox_ids, start=1):
        replacements += _id_forms(value, GENERATED_PREFIXES[min(n, len(GENERATED_PREFIXES) - 1)], "bv_seq")

    def slot_time(text: str) -> str | None:
        moment = datetime.fromisoformat(text)
        offset = (moment - start).total_seconds()
        if abs(offset) > 40 * 86400:
            return None  # a "now" timestamp (created_at, hold expiry): kept as captured
        return f"to_timestamp(:bv_ts + {int(offset)})"

    templated = []
    for text in statements:
        if ":bv_" in text:
            raise RuntimeError("captured SQL already contains ':bv_'; pick other variable names")
        for old, new in replacements:
            text = text.replace(old, new)

        def ts(match: re.Match[str]) -> str:
            return slot_time(match[1]) or match[0]

        def rng(match: re.Match[str]) -> str:
            lower, upper = slot_time(match[1]), slot_time(match[2])
            if lower is None or upper is None:
                return match[0]
            return f"tstzrange({lower}, {upper}, '[)')"

        text = RANGE.sub(rng, TS.sub(ts, text))
        templated.append(text)
    leftovers = [str(booking_id), booking_id.hex, *(str(v) for v in outbox_ids), *(v.hex for v in outbox_ids)]
    for text in templated:
        for value in leftovers:
            if value in text:
                raise RuntimeError(f"id {value} left in the templated SQL: {text[:200]}")
    header = [
        "-- pgbench replay of one POST /api/v1/bookings (confirm: true), as captured from the service.",
        "-- Variables (-D): bv_k=0 (per-client counter), bv_per (resources per client), bv_r0 (first resource",
        "-- index), bv_users, bv_run (0..), bv_t0 (epoch of the first day). Each transaction books the next",
        "-- slot of the client's own resources: never the same (resource, slot) twice, so COMMIT always succeeds.",
        "\\set bv_k :bv_k + 1",
        "\\set bv_slot :bv_k / :bv_per",
        f"\\set bv_rid {ID_BASE} + :bv_r0 + :client_id * :bv_per + (:bv_k % :bv_per)",
        f"\\set bv_uid {ID_BASE} + (:client_id % :bv_users)",
        f"\\set bv_seq {ID_BASE} + :bv_run * 10000000000 + :client_id * 10000000 + :bv_k",
        "\\set bv_ts :bv_t0 + (:bv_slot / 12) * 86400 + (8 + :bv_slot % 12) * 3600",
    ]
    return "\n".join(header + [t + ";" for t in templated]) + "\n", templated


def _conn_args(cfg: Config) -> list[str]:
    parts = urlsplit(cfg.database_url)
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]


def run_pgbench(
    cfg: Config,
    script: str,
    *,
    name: str,
    clients: int,
    duration: float,
    variables: dict[str, int] | None = None,
) -> dict[str, Any]:
    exe = pgbench_path()
    if exe is None:
        return {"skipped": "pgbench not found"}
    folder = VAR / "pgbench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(script)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "log"
        cmd = [
            exe,
            *_conn_args(cfg),
            "-n",
            "-M",
            "simple",
            "-c",
            str(clients),
            "-j",
            str(min(clients, cfg.threads)),
            "-T",
            str(max(1, round(duration))),
            "-f",
            str(path),
            "--log",
            f"--log-prefix={prefix}",
        ]
        for key, value in (variables or {}).items():
            cmd += ["-D", f"{key}={value}"]
        cmd.append(cfg.db_name)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
        latencies = []
        for log in Path(tmp).glob("log*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1e6)
    out = proc.stdout + proc.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    processed = re.search(r"number of transactions actually processed: (\d+)", out)
    latencies.sort()
    result: dict[str, Any] = {
        "tool": f"pgbench -c{clients} -M simple",
        "tps": float(tps[1]) if tps else None,
        "transactions": int(processed[1]) if processed else len(latencies),
        "failed": int(failed[1]) if failed else None,
        "exit_code": proc.returncode,
        "latency_ms": {
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
            "p50": round(percentile(latencies, 50) * 1000, 2),
            "p90": round(percentile(latencies, 90) * 1000, 2),
            "p99": round(percentile(latencies, 99) * 1000, 2),
        },
        "script": str(path.relative_to(VAR.parent.parent)),
    }
    if proc.returncode != 0 or tps is None:
        result["error"] = out.strip()[-800:]
    return result


def booking_variables(cfg: Config, *, clients: int, run: int) -> dict[str, int]:
    pool = cfg.layout.bookable
    t0 = cfg.at(PGBENCH_DAY0 + 10 * run)
    return {
        "bv_k": 0,
        "bv_per": len(pool) // clients,
        "bv_r0": pool.start,
        "bv_users": cfg.scale.users,
        "bv_run": run,
        "bv_t0": int(t0.replace(tzinfo=UTC).timestamp()),
    }
