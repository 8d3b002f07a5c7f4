"""Where the machine's CPU went during a scenario, by kind of process (from /proc).

A meter gives, per group, the CPU used in "cores" (1.0 = one core busy all the time) and
the machine's total busy fraction. Groups: the bench's own gunicorn and Celery worker
(by the process groups it started), PostgreSQL backends of the bench database,
PostgreSQL's shared processes (WAL writer, checkpointer, autovacuum), Redis, the load
generator, and **foreign**: everything else on the machine (another user's test run, its
database backends). Foreign CPU is interference: it is reported with every result, and
``wait_quiet`` holds a scenario back (boundedly) until the machine is quiet.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PG_SHARED = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum",
    "logical replication",
    "archiver",
    "stats",
    "startup",
    "walsender",
)


@dataclass
class Owners:
    """What belongs to this bench run: process groups by name, and its database."""

    db_name: str
    groups: dict[int, str] = field(default_factory=dict)  # pgid -> group name
    pg_prefix: str = "postgres: "  # "postgres: <cluster_name>: " of the bench's cluster
    pg_data_dir: str = ""


def _group(pid: int, ppid: int, pgrp: int, comm: str, cmdline: str, owners: Owners) -> str:
    if pgrp in owners.groups:
        return owners.groups[pgrp]
    if pid == os.getpid():
        return "bench driver"
    if ppid == os.getpid():
        if comm in ("wrk", "pgbench"):
            return f"load ({comm})"
        if comm == "py-spy":
            return "profiler"
        return "bench driver"
    if comm.startswith("postgres") or cmdline.startswith("postgres:") or "/bin/postgres" in cmdline:
        if cmdline.startswith(owners.pg_prefix):
            if f" {owners.db_name} " in cmdline:
                return "postgres (bench)"
            if any(name in cmdline for name in PG_SHARED):
                return "postgres (shared)"
        elif owners.pg_data_dir and owners.pg_data_dir in cmdline:
            return "postgres (shared)"  # the postmaster
        return "foreign"  # another database's backend, or another cluster
    if comm.startswith("redis"):
        return "redis"
    return "foreign"


def _snapshot(owners: Owners) -> tuple[dict[int, tuple[str, int]], dict[str, int]]:
    procs: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, pgrp = int(fields[1]), int(fields[2])
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        pid = int(entry.name)
        procs[pid] = (_group(pid, ppid, pgrp, comm, cmdline, owners), ticks)
    return procs, _machine()


def _machine() -> dict[str, int]:
    """Machine-wide ticks from /proc/stat (guest time is already inside user)."""
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return dict(zip(names, values, strict=True))


class CpuMeter:
    def __init__(self, owners: Owners) -> None:
        self.owners = owners

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.before, self.machine0 = _snapshot(self.owners)

    def stop(self) -> dict[str, object]:
        after, machine1 = _snapshot(self.owners)
        seconds = max(time.monotonic() - self.t0, 1e-6)
        groups: dict[str, float] = {}
        for pid, (group, ticks) in after.items():
            previous = self.before.get(pid, (group, 0))[1]  # started during the window: all of it
            groups[group] = groups.get(group, 0.0) + (ticks - previous) / TICK
        cores = {name: round(used / seconds, 2) for name, used in sorted(groups.items(), key=lambda kv: -kv[1])}
        delta = {k: machine1[k] - self.machine0[k] for k in machine1}
        total = max(sum(delta.values()), 1)
        busy = total - delta["idle"] - delta["iowait"]
        cpus = os.cpu_count() or 1
        attributed = sum(groups.values()) / seconds
        return {
            "machine_busy": round(busy / total, 3),
            "machine_split": {k: round(delta[k] / total, 3) for k in ("user", "system", "softirq", "steal", "iowait")},
            "cores_used": {k: v for k, v in cores.items() if v >= 0.01},
            # Busy time no process was charged with: softirq (loopback TCP), processes that exited.
            "unattributed_cores": round(max(busy / total * cpus - attributed, 0.0), 2),
            "foreign_cores": cores.get("foreign", 0.0),
            "cpus": cpus,
        }


class WindowMeter:
    """Measures a window inside a running scenario (from ``lead`` seconds after ``begin()``
    to ``lead`` seconds before its end), while every process of the scenario is alive:
    pgbench's backends exit when it finishes and would take their CPU time with them."""

    def __init__(self, owners: Owners, duration: float, lead: float = 1.0) -> None:
        self.result: dict[str, object] = {}
        lead = min(lead, duration / 4)
        self._meter = CpuMeter(owners)
        self._start = threading.Timer(lead, self._meter.start)
        self._stop = threading.Timer(max(duration - lead, lead + 0.5), self._finish)
        self._start.daemon = self._stop.daemon = True

    def _finish(self) -> None:
        self.result = self._meter.stop()

    def begin(self) -> None:
        self._start.start()
        self._stop.start()

    def end(self) -> dict[str, object]:
        self._start.join(timeout=1)
        self._stop.join(timeout=120)
        return self.result


class QuietGate:
    """Hold a scenario until other users of the machine leave it quiet, within a budget."""

    def __init__(self, owners: Owners, *, threshold: float, per_wait: float, budget: float) -> None:
        self.owners, self.threshold, self.per_wait, self.budget = owners, threshold, per_wait, budget
        self.spent = 0.0

    def wait(self) -> dict[str, float]:
        started = time.monotonic()
        foreign = 0.0
        while True:
            meter = CpuMeter(self.owners)
            meter.start()
            time.sleep(1.0)
            foreign = float(meter.stop()["foreign_cores"])  # type: ignore[arg-type]
            waited = time.monotonic() - started
            if foreign <= self.threshold or waited >= self.per_wait or self.spent + waited >= self.budget:
                self.spent += waited
                return {"waited_s": round(waited, 1), "foreign_cores_before": round(foreign, 2)}
