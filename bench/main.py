"""``make bench``: fresh database, seed, real service, load, the pgbench limit, a report.

Run with ``bash bench/run`` (what ``make bench`` does). Phases:

1. ``allot_bench`` is dropped and recreated, migrated, and seeded (vendors, 10k resources
   with hours, customers with JWTs, bookings) in bulk.
2. gunicorn (``BENCH_WORKERS``, default 2) + one Celery worker start on a spare
   loopback port against it, with production-like settings (DEBUG off, WARNING logs,
   throttles raised so they never answer 429 but still run).
3. The scaling series: bookings grow 1k -> 10k -> 100k outside the probed window; at each
   step one client measures availability (cold) and search.
4. The scenarios at full size (wrk, per-request latencies), the pgbench replay of the
   captured booking SQL and of SELECT 1, the hot-slot races with their SQL checks, the
   mixed workload, py-spy on the workers, and booking throughput with 1, 2 and 4 workers.
5. ``bench/results/<date>.json`` and ``.md``; everything started is stopped (finally).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import load, physical, profiling, report, seed
from bench.config import RESULTS, ROOT, VAR, WINDOW_START_DAY, Config, resource_id, with_redis_db
from bench.cpu import CpuMeter, Owners, QuietGate, WindowMeter
from bench.load import Req
from bench.scenarios import Requests
from bench.service import Procs, Service, free_port


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class Bench:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.owners = Owners(cfg.db_name)
        self.procs = Procs(on_start=self._own)
        self.gate = QuietGate(
            self.owners,
            threshold=float(os.environ.get("BENCH_QUIET_CORES", "0.15")),
            per_wait=float(os.environ.get("BENCH_QUIET_WAIT", "20")),
            budget=float(os.environ.get("BENCH_QUIET_BUDGET", "120")),
        )
        # A scenario during which other users took more than this much CPU runs once more.
        self.retry_cores = float(os.environ.get("BENCH_RETRY_CORES", "0.25"))
        self.retry_budget = float(os.environ.get("BENCH_RETRY_BUDGET", "100"))
        self.retry_spent = 0.0
        self.results: dict[str, Any] = {
            "started": cfg.started.isoformat(),
            "config": {
                "scale": cfg.scale.name,
                "workers": cfg.workers,
                "connections": cfg.connections,
                "wrk_threads": cfg.threads,
                "duration_s": cfg.duration,
                "hot_clients": cfg.hot_clients,
                "celery_concurrency": cfg.celery_concurrency,
                "database": cfg.db_name,
                "settings": "config.settings.dev with DJANGO_DEBUG=0, ALLOT_LOG_LEVEL=WARNING, throttles raised",
                "load_generator": "wrk" if load.wrk_available() else "python-asyncio",
            },
            "scenarios": {},
            "scaling": {"bookings": [], "window_density": {}, "workers": []},
            "physical": {},
            "hot_slot": [],
            "profiles": {},
        }
        self.service: Service | None = None
        self.reqs: Requests | None = None

    # --- helpers ---

    def _own(self, pgid: int, name: str) -> None:
        self.owners.groups[pgid] = {"web": "web (gunicorn)", "celery": "celery worker"}.get(name, name)

    def settle(self) -> dict[str, Any]:
        """Before a measurement: let the Celery worker finish earlier scenarios' outbox work
        (bounded), then wait (bounded) for other users of the machine to leave it quiet."""
        import redis

        broker = redis.Redis.from_url(with_redis_db(self.cfg.base_redis_url, self.cfg.broker_db))
        started = time.monotonic()
        backlog = 0
        while time.monotonic() - started < 120:
            backlog = sum(int(broker.llen(q)) for q in ("default", "notifications", "webhooks"))
            backlog += int(broker.hlen("unacked"))
            if backlog == 0:
                break
            time.sleep(0.5)
        quiet = self.gate.wait()
        return {
            "celery_drain_s": round(time.monotonic() - started - quiet["waited_s"], 1),
            "celery_backlog_left": backlog,
            **quiet,
        }

    @property
    def port(self) -> int:
        assert self.service is not None
        return self.service.port

    def flush_cache(self) -> None:
        import redis

        redis.Redis.from_url(self.cfg.redis_url).flushdb()

    def _retry(self, result: dict[str, Any], seconds: float) -> bool:
        """Run a scenario once more when other users loaded the machine during it (bounded)."""
        foreign = float(result.get("cpu", {}).get("foreign_cores") or 0.0)
        if foreign <= self.retry_cores or self.retry_spent + seconds > self.retry_budget:
            return False
        self.retry_spent += seconds
        say(f"  (foreign CPU {foreign} cores during it: once more)")
        return True

    def scenario(
        self,
        name: str,
        reqs: list[Req] | Callable[[], list[Req]],
        *,
        loop: bool,
        duration: float | None = None,
        connections: int | None = None,
        store: bool = True,
        settle: bool = True,
        prepare: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        duration = duration or self.cfg.duration
        connections = connections or self.cfg.connections
        attempts: list[dict[str, Any]] = []
        while True:
            if prepare is not None:
                prepare()
            before = self.settle() if settle else {}
            meter = WindowMeter(self.owners, duration)
            meter.begin()
            result = load.run_load(
                name,
                self.port,
                reqs() if callable(reqs) else reqs,
                connections=connections,
                threads=self.cfg.threads,
                duration=duration,
                loop=loop,
            )
            result["cpu"] = meter.end()
            result["settle"] = before
            attempts.append(result)
            if not settle or len(attempts) >= 2 or not self._retry(result, duration + 5):
                break
        result = min(attempts, key=lambda r: float(r["cpu"].get("foreign_cores") or 0.0))
        if len(attempts) > 1:
            result["attempts"] = [
                {"rps": a["rps"], "foreign_cores": a["cpu"].get("foreign_cores"), "kept": a is result} for a in attempts
            ]
        result["workers"] = self.service.workers if self.service else None
        if store:
            self.results["scenarios"][name] = result
        codes = ", ".join(f"{k}x{v}" for k, v in result["status"].items())
        lat = result["latency_ms"]
        foreign = result["cpu"].get("foreign_cores")
        say(
            f"  {name:<28} {result['rps']:>8.1f} req/s  p50 {lat['p50']} ms  p99 {lat['p99']} ms  [{codes}]"
            f"  (foreign CPU {foreign} cores)"
        )
        return result

    def pgbench(
        self, name: str, script: str, clients: int, variables: Callable[[int], dict[str, int]] | None = None
    ) -> dict[str, Any]:
        """``variables(attempt)``: a retry must book other slots than the first attempt."""
        attempts: list[dict[str, Any]] = []
        while True:
            before = self.settle()
            meter = WindowMeter(self.owners, self.cfg.duration)
            meter.begin()
            result = physical.run_pgbench(
                self.cfg,
                script,
                name=name,
                clients=clients,
                duration=self.cfg.duration,
                variables=variables(len(attempts)) if variables else None,
            )
            result["cpu"] = meter.end()
            result["settle"] = before
            attempts.append(result)
            if len(attempts) >= 2 or not self._retry(result, self.cfg.duration + 5):
                break
        result = min(attempts, key=lambda r: float(r["cpu"].get("foreign_cores") or 0.0))
        if len(attempts) > 1:
            result["attempts"] = [
                {"tps": a.get("tps"), "foreign_cores": a["cpu"].get("foreign_cores"), "kept": a is result}
                for a in attempts
            ]
        say(
            f"  {name:<28} {result.get('tps') or 0:>8.1f} tps    p50 {result['latency_ms'].get('p50')} ms"
            f"  (foreign CPU {result['cpu'].get('foreign_cores')} cores)"
        )
        return result

    def sequential(self, reqs: list[Req]) -> dict[str, Any]:
        """One client, each request once, with the machine's CPU around it."""
        before = self.settle()
        meter = CpuMeter(self.owners)
        meter.start()
        result = load.run_sequential(self.port, reqs)
        result["cpu"] = meter.stop()
        result["settle"] = before
        return result

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(query, params or [])
            return list(cursor.fetchall())

    # --- phases ---

    def setup(self) -> None:
        cfg = self.cfg
        started = time.monotonic()
        say(f"fresh database {cfg.db_name} (scale {cfg.scale.name})")
        seed.recreate_database(cfg)
        seed.migrate(cfg)
        seed.setup_django(cfg)
        cluster = self.sql("SHOW cluster_name")[0][0]
        self.owners.pg_prefix = f"postgres: {cluster}: " if cluster else "postgres: "
        self.owners.pg_data_dir = self.sql("SHOW data_directory")[0][0]
        say("seeding the platform")
        self.results["seed"] = {"platform": seed.seed_platform(cfg)}
        self.seeder = seed.BookingSeeder(cfg)
        self.seeder.write(self.seeder.window_slots(), "window")
        self.seeder.grow_to(cfg.scale.stages[0])
        seed.vacuum_analyze()
        tokens = seed.mint_tokens(cfg)
        self.reqs = Requests(cfg, tokens)
        self.results["seed"]["seconds_to_first_stage"] = round(time.monotonic() - started, 1)
        say(f"seeded {self.seeder.total:,} bookings in {time.monotonic() - started:.0f}s")

    def start_service(self, workers: int) -> None:
        if self.service is None:
            port = self.cfg.port or free_port()
            self.service = Service(self.procs, self.cfg.service_env(), port, self.cfg.celery_concurrency)
        say(f"starting gunicorn ({workers} workers) + celery worker on 127.0.0.1:{self.service.port}")
        self.service.start(workers)
        self.warmup()

    def warmup(self) -> None:
        assert self.reqs is not None
        bookable = self.cfg.layout.bookable
        reqs = [
            Req("GET", "/ops/db-ping"),
            self.reqs.search(),
            *(self.reqs.availability(r) for r in bookable[:40]),
            *self.reqs.creates(200),
        ]
        load.run_load(
            "warmup",
            self.port,
            reqs,
            connections=self.cfg.connections,
            threads=self.cfg.threads,
            duration=2,
            loop=False,
        )

    def scaling_series(self) -> None:
        assert self.reqs is not None
        cfg, reqs = self.cfg, self.reqs
        n = cfg.scale.seq_requests
        say(f"scaling series: one client, {n} requests each, bookings outside the window")
        for stage in cfg.scale.stages:
            seeded = time.monotonic()
            self.seeder.grow_to(stage)
            seed.vacuum_analyze()
            seed_s = time.monotonic() - seeded
            self.flush_cache()
            cold = self.sequential(reqs.availability_cold(cfg.layout.probes, limit=n))
            search = self.sequential((reqs.searches() * n)[:n])
            counts = seed.counts()
            in_window = self.sql(
                "SELECT count(*) FROM bookings_allocation WHERE is_active AND blocked && tstzrange(%s, %s)",
                [cfg.at(WINDOW_START_DAY - 3), cfg.at(WINDOW_START_DAY + 10)],
            )[0][0]
            self.results["scaling"]["bookings"].append(
                {
                    "bookings": counts["bookings"],
                    "active_allocations": counts["active_allocations"],
                    "allocations_near_window": in_window,
                    "seed_seconds": round(seed_s, 1),
                    "availability_cold": cold,
                    "search": search,
                }
            )
            say(
                f"  {counts['bookings']:>7,} bookings: availability p50 {cold['latency_ms']['p50']} ms,"
                f" search p50 {search['latency_ms']['p50']} ms"
            )

    def window_density(self) -> None:
        """Cold availability of a resource-week with 0, 4 and 84 (all) slots booked."""
        assert self.reqs is not None
        cfg, reqs = self.cfg, self.reqs
        self.seeder.write(self.seeder.dense_slots(), "full weeks")
        seed.vacuum_analyze()
        self.flush_cache()
        n = max(24, cfg.scale.seq_requests // 2)
        groups = {
            "0 bookings": cfg.layout.empty,
            "4 bookings": cfg.layout.probes,
            "84 bookings (full)": cfg.layout.dense,
        }
        for label, resources in groups.items():
            result = self.sequential(reqs.availability_cold(list(resources), limit=n))
            self.results["scaling"]["window_density"][label] = result
            say(f"  window with {label:<20} availability p50 {result['latency_ms']['p50']} ms")

    def framework_overhead(self) -> None:
        say("db-ping over HTTP vs pgbench SELECT 1")
        http = self.scenario("ops_db_ping", [Req("GET", "/ops/db-ping")], loop=True)
        pg = self.pgbench("pgbench_select1", "SELECT 1;\n", self.cfg.connections)
        self.results["physical"]["select1"] = {
            "http_rps": http["rps"],
            "pgbench": pg,
            "clients": self.cfg.connections,
            "ratio": round(http["rps"] / pg["tps"], 4) if pg.get("tps") else None,
        }

    def reads(self) -> None:
        assert self.reqs is not None
        say("availability (cold, warm) and search")
        self.flush_cache()
        # Every request a new (resource, window) key: the probe resources (4 bookings in the
        # week each) x 48 half-hour shifts of the week, after a flush of the bench cache DB.
        cold = self.scenario(
            "availability_cold",
            self.reqs.availability_cold(self.cfg.layout.probes),
            loop=False,
            prepare=self.flush_cache,  # a retry must be cold again
        )
        warm = self.scenario("availability_warm", [self.reqs.availability(0)], loop=True)
        self.results["scenarios"]["availability_warm"]["warm_over_cold"] = round(warm["rps"] / cold["rps"], 2)
        self.scenario("search", self.reqs.searches(), loop=True)

    def bookings(self) -> None:
        assert self.reqs is not None
        cfg = self.cfg
        say("uncontended booking create vs pgbench replay of its SQL")
        http = self.scenario("booking_create", lambda: self.reqs.creates(int(1500 * cfg.duration)), loop=False)  # type: ignore[union-attr]
        capture = physical.capture_booking_sql(cfg, self.reqs.tokens[0], cfg.layout.bookable.start, cfg.at(350, 9))
        script, _templated = physical.pgbench_script(capture, 0, cfg.layout.bookable.start)
        (VAR / "pgbench").mkdir(parents=True, exist_ok=True)
        (VAR / "pgbench" / "captured.sql").write_text("\n".join(s + ";" for s in capture["statements"]) + "\n")
        clients = cfg.connections
        pg = self.pgbench(
            "pgbench_booking",
            script,
            clients,
            lambda attempt: physical.booking_variables(cfg, clients=clients, run=4 * attempt),
        )
        self.results["physical"]["booking"] = {
            "http_rps": http["rps"],
            "clients": clients,
            "pgbench": pg,
            "ratio": round(http["rps"] / pg["tps"], 4) if pg.get("tps") else None,
            "statements_per_request": len(capture["statements"]),
            "captured_statements": [s[:160] + ("…" if len(s) > 160 else "") for s in capture["statements"]],
            "pgbench_script": "bench/var/pgbench/pgbench_booking.sql",
        }
        ratio = self.results["physical"]["booking"]["ratio"]
        say(f"  HTTP booking / pgbench = {ratio}")

    def hot_slot(self) -> None:
        assert self.reqs is not None
        cfg, layout = self.cfg, self.cfg.layout
        for index, capacity in ((layout.hot_cap1, 1), (layout.hot_cap10, 10)):
            reqs, start = self.reqs.hot(index, cfg.hot_clients)
            result = load.race(self.port, reqs)
            rows = self.sql(
                "SELECT count(*), count(DISTINCT a.unit) FROM bookings_allocation a"
                " JOIN bookings_booking b ON b.id = a.booking_id"
                " WHERE a.resource_id = %s AND a.is_active AND a.blocked && tstzrange(%s, %s)"
                " AND b.status IN ('held', 'pending', 'confirmed')",
                [str(resource_id(index)), start, start + timedelta(hours=1)],
            )[0]
            wins = int(result["status"].get("201", 0))
            five = sum(v for k, v in result["status"].items() if k.startswith("5") or k == "0")
            check = {
                "resource_capacity": capacity,
                "clients": cfg.hot_clients,
                "workers": self.service.workers if self.service else None,
                "slot": start.isoformat(),
                "result": result,
                "winners_http": wins,
                "conflicts_409": int(result["status"].get("409", 0)),
                "errors_5xx_or_connection": five,
                "active_allocations_sql": rows[0],
                "distinct_units_sql": rows[1],
            }
            check["exact"] = (
                wins == capacity
                and rows[0] == capacity
                and rows[1] == capacity
                and five == 0
                and (check["conflicts_409"] == cfg.hot_clients - capacity)
            )
            self.results["hot_slot"].append(check)
            say(
                f"  hot slot cap {capacity:>2} x {cfg.hot_clients} clients ({check['workers']} workers): "
                f"{wins} x 201, {check['conflicts_409']} x 409, {five} x 5xx; SQL: {rows[0]} active allocations"
                f" -> {'exact' if check['exact'] else 'WRONG'}"
            )

    def mixed(self) -> None:
        assert self.reqs is not None
        say("mixed workload (80 % reads / 20 % writes)")
        self.scenario("mixed_80_20", lambda: self.reqs.mixed(int(1500 * self.cfg.duration)), loop=False)  # type: ignore[union-attr]

    def profile(self) -> None:
        assert self.reqs is not None
        assert self.service is not None
        if not self.cfg.profile or not profiling.available():
            self.results["profiles"]["skipped"] = "py-spy not installed or BENCH_PROFILE=0"
            return
        say("py-spy on the gunicorn workers (separate runs, not counted above)")
        seconds = min(10.0, self.cfg.duration)
        runs: list[tuple[str, Callable[[], list[Req]], bool, bool]] = [
            ("booking_create_cpu", lambda: self.reqs.creates(int(1500 * seconds)), False, False),  # type: ignore[union-attr]
            ("booking_create_wall", lambda: self.reqs.creates(int(1500 * seconds)), False, True),  # type: ignore[union-attr]
            ("search_cpu", lambda: self.reqs.searches(), True, False),  # type: ignore[union-attr]
            ("availability_cold_cpu", lambda: self.reqs.availability_cold(self.cfg.layout.probes)[::-1], False, False),  # type: ignore[union-attr]
            ("ops_db_ping_cpu", lambda: [Req("GET", "/ops/db-ping")], True, False),
        ]
        for name, build, loop, idle in runs:
            if name.startswith("availability"):
                self.flush_cache()
            reqs = build()
            self.settle()  # before py-spy starts: its clock runs from the start
            raw = VAR / "profiles" / f"{name}.txt"
            spies = {
                name: (profiling.start(self.service.web_pids()[0], seconds + 1, raw, idle=idle, gil=not idle), raw)
            }
            celery = self.procs.running.get("celery")
            if name == "booking_create_cpu" and celery is not None:  # the outbox work each booking causes
                celery_raw = VAR / "profiles" / "celery_outbox_cpu.txt"
                spies["celery_outbox_cpu"] = (
                    profiling.start(celery.pid, seconds + 1, celery_raw, gil=True),
                    celery_raw,
                )
            time.sleep(0.5)
            result = self.scenario(f"profile_{name}", reqs, loop=loop, duration=seconds, store=False, settle=False)
            for key, (spy, path) in spies.items():
                profiling.finish(spy, timeout=30)
                worker = key != "celery_outbox_cpu"
                summary = (
                    profiling.summarize(path, main_thread_only=worker) if path.exists() else {"error": "no output"}
                )
                summary["rps_while_profiling"] = result["rps"]
                summary["idle_included"] = idle
                summary["process"] = "gunicorn workers" if worker else "celery worker (during booking_create)"
                self.results["profiles"][key] = summary

    def worker_series(self) -> None:
        assert self.reqs is not None
        cfg = self.cfg
        say(f"booking throughput with {', '.join(map(str, cfg.worker_series))} gunicorn workers")
        for run, workers in enumerate(cfg.worker_series, start=1):
            self.start_service(workers)
            clients = 2 * workers
            http = self.scenario(
                f"booking_create_w{workers}",
                lambda: self.reqs.creates(int(1500 * cfg.duration)),  # type: ignore[union-attr]
                loop=False,
                connections=clients,
                store=False,
            )
            pg = self.pgbench(
                f"pgbench_booking_c{clients}",
                self._booking_script,
                clients,
                lambda attempt, run=run, clients=clients: physical.booking_variables(  # type: ignore[misc]
                    cfg, clients=clients, run=run + 4 * attempt
                ),
            )
            self.results["scaling"]["workers"].append(
                {
                    "workers": workers,
                    "connections": clients,
                    "http": http,
                    "pgbench": pg,
                    "ratio": round(http["rps"] / pg["tps"], 4) if pg.get("tps") else None,
                }
            )
            if workers == max(cfg.worker_series):
                self.hot_slot()

    @property
    def _booking_script(self) -> str:
        return (VAR / "pgbench" / "pgbench_booking.sql").read_text()

    def invariants(self) -> None:
        overlaps = self.sql(
            "SELECT count(*) FROM ("
            " SELECT lower(blocked) AS lo, max(upper(blocked)) OVER (PARTITION BY resource_id, unit"
            "   ORDER BY lower(blocked), id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi"
            " FROM bookings_allocation WHERE is_active) s WHERE prev_hi > lo"
        )[0][0]
        over_capacity = self.sql(
            "SELECT count(*) FROM bookings_allocation a JOIN resources_resource r ON r.id = a.resource_id"
            " WHERE a.is_active AND a.unit >= r.capacity"
        )[0][0]
        counts = seed.counts()
        self.results["invariants"] = {
            "overlapping_active_allocations": overlaps,
            "allocations_beyond_capacity": over_capacity,
            "final_counts": counts,
        }
        say(f"invariant: {overlaps} overlapping active allocations, {over_capacity} beyond capacity")

    def environment(self) -> None:
        def run(cmd: list[str]) -> str:
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
            except OSError:
                return ""

        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            platform.processor(),
        )
        mem_kb = int(
            next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        )
        self.results["machine"] = {
            "cpu": cpu,
            "cpus": os.cpu_count(),
            "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "postgres": self.sql("SHOW server_version")[0][0],
            "postgres_settings": {
                k: self.sql(f"SHOW {k}")[0][0]
                for k in ("shared_buffers", "synchronous_commit", "fsync", "max_connections")
            },
            "wrk": run(["wrk", "--version"]).splitlines()[0] if load.wrk_available() else None,
            "git_commit": os.environ.get("BENCH_COMMIT")
            or run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
            "git_dirty": bool(run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])),
        }

    def run(self) -> Path:
        self.setup()
        self.environment()
        self.flush_broker()
        self.start_service(self.cfg.workers)
        self.scaling_series()
        self.window_density()
        self.framework_overhead()
        self.reads()
        self.bookings()
        say("hot slot races")
        self.hot_slot()
        self.mixed()
        self.profile()
        self.worker_series()
        self.invariants()
        return self.write()

    def flush_broker(self) -> None:
        import redis

        self.flush_cache()
        redis.Redis.from_url(with_redis_db(self.cfg.base_redis_url, self.cfg.broker_db)).flushdb()

    def write(self, partial: bool = False) -> Path:
        self.results["finished"] = datetime.now(UTC).isoformat()
        self.results["targets"] = report.targets(self.results)
        folder = VAR if partial else RESULTS
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.cfg.started:%Y-%m-%d}" + ("-partial" if partial else "")
        path = folder / f"{stem}.json"
        path.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        (folder / f"{stem}.md").write_text(report.markdown(self.results))
        return path


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    cfg = Config.from_env()
    bench = Bench(cfg)
    started = time.monotonic()
    try:
        path = bench.run()
    except BaseException as exc:
        say(f"stopped: {type(exc).__name__}: {exc}")
        try:
            partial = bench.write(partial=True)
            say(f"partial results in {partial.relative_to(ROOT)}")
        except Exception as write_error:
            say(f"(could not write partial results: {write_error})")
        if not isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return 130
    finally:
        bench.procs.stop_all()
        say("stopped everything the bench started")
    say(f"done in {time.monotonic() - started:.0f}s: {path.relative_to(ROOT)} and {path.with_suffix('.md').name}")
    print()
    print(path.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
