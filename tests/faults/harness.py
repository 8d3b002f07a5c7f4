"""Real processes for the fault tests: a PostgreSQL cluster, a Redis server, gunicorn and Celery.

Everything here runs on loopback ports picked at random, in a temporary directory, and is
stopped by the caller's ``finally`` (``Stack.close()``), so killing or restarting any of it
never touches the machine's shared PostgreSQL and Redis or another test run.

PostgreSQL refuses to run as root. As root the cluster runs as an unprivileged system user
(``ALLOT_FAULTS_PG_USER``, else ``postgres`` or ``embedded_postgres`` if present, else a
``allotfault`` system user created once); as any other user it runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FAST_RATES = "1000000/min"


# --- small helpers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(interval)


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` from /proc (Linux), without psutil."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2] != "Z"


def kill9(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


# --- PostgreSQL ----------------------------------------------------------------------------


def pg_bindir() -> Path:
    if configured := os.environ.get("ALLOT_FAULTS_PG_BIN"):
        return Path(configured)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found; set ALLOT_FAULTS_PG_BIN")


def pg_os_user() -> str | None:
    """The user the cluster runs as (None: the current, non-root user)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("ALLOT_FAULTS_PG_USER"), "postgres", "embedded_postgres", "allotfault"):
        if not name:
            continue
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "allotfault"], check=True
    )
    return "allotfault"


def _as_pg_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


class PgCluster:
    """A throwaway cluster in ``datadir`` on ``port`` (trust auth on 127.0.0.1 only)."""

    def __init__(self, datadir: Path, *, port: int | None = None) -> None:
        self.datadir = datadir
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.user = pg_os_user()
        self.log = datadir.parent / f"{datadir.name}.log"

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _as_pg_user([str(self.bindir / args[0]), *args[1:]], self.user),
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            cwd="/",
        )

    def chown(self, path: Path) -> None:
        if self.user:
            info = pwd.getpwnam(self.user)
            subprocess.run(["chown", "-R", f"{info.pw_uid}:{info.pw_gid}", str(path)], check=True)

    def initdb(self) -> None:
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        self.chown(self.datadir.parent)
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _options(self) -> str:
        return " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.datadir.parent}",
                "-c shared_preload_libraries=''",
                "-c max_connections=200",
                "-c fsync=off",  # the tests kill our processes, never the machine
                # A backend notices within 1 s that its client died (e.g. a kill -9'd worker
                # blocked on a lock) and rolls back, instead of holding locks until it next writes.
                "-c client_connection_check_interval=1000",
            ]
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.log), "-o", self._options(), "-w", "start")

    def restart_fast(self) -> float:
        began = time.monotonic()
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.log), "-o", self._options(), "-m", "fast", "-w", "restart"
        )
        return time.monotonic() - began

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False)

    def url(self, database: str = "allot") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "allot", **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(database), connect_timeout=5, **kwargs)

    def create_database(self, name: str = "allot") -> None:
        with self.connect("postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def build_template(workdir: Path) -> Path:
    """initdb + ``manage.py migrate`` once; each test starts its own copy of this cluster."""
    cluster = PgCluster(workdir / "template")
    cluster.initdb()
    cluster.start()
    try:
        cluster.create_database()
        env = service_env(db_url=cluster.url(), redis_url="redis://127.0.0.1:1/0", workdir=workdir)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    finally:
        cluster.stop()
    return cluster.datadir


def clone_cluster(template: Path, workdir: Path) -> PgCluster:
    target = workdir / "pg"
    subprocess.run(["cp", "-a", str(template), str(target)], check=True)
    cluster = PgCluster(target)
    cluster.chown(workdir)
    with contextlib.suppress(FileNotFoundError):
        (target / "postmaster.pid").unlink()
    return cluster


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.log = workdir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or str(BIN / "redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.ping, timeout=10, what="redis-server")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


# --- the service ---------------------------------------------------------------------------


def service_env(*, db_url: str, redis_url: str, workdir: Path, broker_url: str | None = None, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "ALLOT_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": broker_url or redis_url,
            "ALLOT_THROTTLE_ANON": FAST_RATES,
            "ALLOT_THROTTLE_USER": FAST_RATES,
            "ALLOT_THROTTLE_LOGIN_IP": FAST_RATES,
            "ALLOT_THROTTLE_LOGIN_ACCOUNT": FAST_RATES,
            "ALLOT_THROTTLE_BOOKING": FAST_RATES,
            "ALLOT_ACCESS_TOKEN_MINUTES": "120",
            "ALLOT_LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(workdir / "mail"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class Gunicorn:
    """``gunicorn config.wsgi:application`` with ``workers`` sync workers on ``port``."""

    def __init__(self, env: dict, workdir: Path, *, port: int | None = None, workers: int = 3, name: str = "web"):
        self.env, self.workdir, self.workers, self.name = env, workdir, workers, name
        self.port = port or free_port()
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--name",
                f"allot-{self.name}",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.healthy, timeout=30, what=f"gunicorn {self.name} on {self.port}")
        wait_until(lambda: len(self.worker_pids()) == self.workers, timeout=15, what="gunicorn workers")

    def healthy(self) -> bool:
        return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def kill_worker(self) -> int:
        pid = random.choice(self.worker_pids())
        kill9(pid)
        return pid

    def kill_master(self) -> list[int]:
        """kill -9 the master; its orphaned workers notice (parent changed) and exit on their own."""
        assert self.proc is not None
        orphans = self.worker_pids()
        self.proc.kill()
        self.proc.wait()
        return orphans

    def stop(self) -> None:
        if self.proc is None:
            return
        workers = self.worker_pids()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in workers:
            kill9(pid)


class Celery:
    """``celery -A config worker`` (or ``beat``) as a process of its own."""

    def __init__(self, env: dict, workdir: Path, *, name: str = "worker", kind: str = "worker", concurrency: int = 2):
        self.env, self.workdir, self.name, self.kind, self.concurrency = env, workdir, name, kind, concurrency
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        if self.kind == "beat":
            return [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(self.workdir / f"{self.name}-schedule"),
                "--pidfile=",
            ]
        return [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-n",
            f"{self.name}@%h",
            "-Q",
            "default,notifications,webhooks",
            "--concurrency",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
        ]

    def start(self, *, wait: bool = True) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        if wait and self.kind == "worker":
            wait_until(lambda: b" ready." in self.log.read_bytes()[offset:], timeout=40, what=f"celery {self.name}")

    def pool_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def kill9_all(self) -> list[int]:
        """kill -9 the main process and its pool children at once (a machine or OOM kill)."""
        assert self.proc is not None
        pids = [self.proc.pid, *self.pool_pids()]
        for pid in pids:
            kill9(pid)
        self.proc.wait()
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        children = self.pool_pids()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in children:
            kill9(pid)

    def log_count(self, needle: str) -> int:
        return self.log.read_text(errors="replace").count(needle) if self.log.exists() else 0


# --- one test's world -------------------------------------------------------------------------


@dataclass
class Seed:
    """What ``seed.py`` created: a vendor, a resource, customers with access tokens."""

    vendor: str
    resource: str
    owner: dict[str, str]
    customers: list[dict[str, str]]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    """A test's own PostgreSQL + Redis, and whatever service processes it starts on them."""

    workdir: Path
    pg: PgCluster
    redis: RedisServer
    processes: list[Any] = field(default_factory=list)

    def env(self, **extra: str) -> dict:
        return service_env(
            db_url=self.pg.url(),
            redis_url=self.redis.url(0),
            broker_url=self.redis.url(1),
            workdir=self.workdir,
            **extra,
        )

    def gunicorn(self, *, workers: int = 3, name: str = "web", env: dict | None = None) -> Gunicorn:
        web = Gunicorn(env or self.env(), self.workdir, workers=workers, name=name)
        self.processes.append(web)
        web.start()
        return web

    def celery(self, *, name: str = "worker", kind: str = "worker", concurrency: int = 2, env: dict | None = None):
        proc = Celery(env or self.env(), self.workdir, name=name, kind=kind, concurrency=concurrency)
        self.processes.append(proc)
        proc.start()
        return proc

    def seed(self, *, customers: int = 10, capacity: int = 1, env: dict | None = None) -> Seed:
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("seed.py")), str(customers), str(capacity)],
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        return Seed(data["vendor"], data["resource"], data["owner"], data["customers"], data)

    def sql(self, query: str, params: tuple | list | None = None) -> list[tuple]:
        with self.pg.connect(autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params: tuple | list | None = None) -> Any:
        return self.sql(query, params)[0][0]

    def close(self) -> None:
        for proc in reversed(self.processes):
            with contextlib.suppress(Exception):
                proc.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        with contextlib.suppress(Exception):
            self.pg.stop()

    def logs(self) -> str:
        parts = [f"--- {p.log.name}\n{tail(p.log)}" for p in self.processes]
        parts.append(f"--- postgres\n{tail(self.pg.log, 15)}")
        return "\n".join(parts)


@contextlib.contextmanager
def stack(template: Path, *, keep: bool = False) -> Iterator[Stack]:
    """A fresh cluster cloned from the migrated template, a fresh Redis; everything stopped at exit."""
    workdir = Path(tempfile.mkdtemp(prefix="allot-fault-"))
    (workdir / "mail").mkdir()
    world = Stack(workdir=workdir, pg=clone_cluster(template, workdir), redis=RedisServer(workdir))
    try:
        world.pg.start()
        world.redis.start()
        yield world
    except BaseException:
        print(world.logs(), file=sys.stderr)
        raise
    finally:
        world.close()
        if not keep and not os.environ.get("ALLOT_FAULTS_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


# --- SQL invariants ------------------------------------------------------------------------

OVERLAPS = """
    SELECT count(*) FROM bookings_allocation a JOIN bookings_allocation b
      ON a.resource_id = b.resource_id AND a.unit = b.unit AND a.id < b.id
     WHERE a.is_active AND b.is_active AND a.blocked && b.blocked
"""

# Bookings whose active allocations do not match their quantity (for an occupying status),
# or that have any active allocation although they no longer occupy units.
PARTIAL_BOOKINGS = """
    SELECT count(*) FROM bookings_booking b
     WHERE (b.status IN ('held', 'pending', 'confirmed')
            AND (SELECT count(*) FROM bookings_allocation a WHERE a.booking_id = b.id AND a.is_active) <> b.quantity)
        OR (b.status NOT IN ('held', 'pending', 'confirmed')
            AND EXISTS (SELECT 1 FROM bookings_allocation a WHERE a.booking_id = b.id AND a.is_active))
        OR NOT EXISTS (SELECT 1 FROM bookings_bookingevent e WHERE e.booking_id = b.id AND e.action = 'create')
"""

ORPHAN_ALLOCATIONS = """
    SELECT count(*) FROM bookings_allocation a
     WHERE NOT EXISTS (SELECT 1 FROM bookings_booking b WHERE b.id = a.booking_id)
"""


def mail_counts(maildir: Path) -> dict[str, int]:
    """How many times each recorded email (``X-Allot-Notification`` id) reached the mail backend."""
    counts: dict[str, int] = {}
    for path in maildir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("X-Allot-Notification:"):
                key = line.split(":", 1)[1].strip()
                counts[key] = counts.get(key, 0) + 1
    return counts


def report(text: str) -> None:
    print(f"\n[faults] {text}", flush=True)
