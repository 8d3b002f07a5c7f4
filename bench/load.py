"""Load generators: wrk (C, with bench/wrk/requests.lua) for throughput, and a small asyncio
HTTP/1.1 client that records every request (single-client latency series, the hot-slot
race, and the fallback when wrk is not installed). Only 127.0.0.1 is ever targeted; every
loop is bounded in requests and in time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import BENCH, VAR

HOST = "127.0.0.1"
LUA = BENCH / "wrk" / "requests.lua"


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    token: str = ""
    body: str = ""

    def line(self) -> str:
        return "\t".join((self.method, self.path, self.token, self.body))

    def raw(self, port: int) -> bytes:
        head = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
        if self.token:
            head.append(f"Authorization: Bearer {self.token}")
        body = self.body.encode()
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: Sequence[tuple[int, float]], duration: float, tool: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms) and status counts from per-request samples."""
    latencies = sorted(latency for _, latency in samples)
    status = Counter(str(code) for code, _ in samples)
    return {
        "tool": tool,
        "requests": len(samples),
        "duration_s": round(duration, 3),
        "rps": round(len(samples) / duration, 1) if duration > 0 else 0.0,
        "latency_ms": {
            "mean": round(sum(latencies) / len(latencies) * 1000, 2) if latencies else None,
            "p50": round(percentile(latencies, 50) * 1000, 2),
            "p90": round(percentile(latencies, 90) * 1000, 2),
            "p99": round(percentile(latencies, 99) * 1000, 2),
            "max": round(latencies[-1] * 1000, 2) if latencies else None,
        },
        "status": dict(sorted(status.items())),
        "errors": {},
    }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None and os.environ.get("BENCH_LOADGEN", "wrk") == "wrk"


def write_requests(name: str, reqs: Sequence[Req]) -> Path:
    folder = VAR / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.tsv"
    path.write_text("".join(r.line() + "\n" for r in reqs))
    return path


def run_wrk(
    name: str, port: int, reqs: Sequence[Req], *, connections: int, threads: int, duration: float, loop: bool
) -> dict[str, Any]:
    path = write_requests(name, reqs)
    threads = max(1, min(threads, connections))
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}",
        "--",
        str(path),
        str(threads),
        "loop" if loop else "once",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=duration + 60)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {proc.returncode}): {err.strip() or out.strip()}")
    data = json.loads(line[len("BENCH_JSON ") :])
    seconds = data["duration_us"] / 1e6
    counted = sum(data["status"].values())
    lat = data["latency_us"]
    return {
        "tool": f"wrk -t{threads} -c{connections}",
        "requests": counted,
        "duration_s": round(seconds, 3),
        "rps": round(counted / seconds, 1) if seconds else 0.0,
        "latency_ms": {k: round(lat[k] / 1000, 2) for k in ("mean", "p50", "p90", "p99", "max")},
        "status": dict(sorted(data["status"].items())),
        "errors": {k: v for k, v in data["errors"].items() if v and k != "status"},
        "exhausted_threads": data["exhausted_threads"],
    }


# --- the asyncio client ------------------------------------------------------------------------


async def _exchange(port: int, raw: bytes, timeout: float) -> int:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(_read_status(reader), timeout)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    for header in head.split(b"\r\n")[1:]:
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()  # Connection: close
    return status


async def _closed_loop(
    port: int, raws: Sequence[bytes], concurrency: int, duration: float, loop: bool
) -> tuple[list[tuple[int, float]], float]:
    samples: list[tuple[int, float]] = []
    position = 0
    started = time.perf_counter()
    deadline = started + duration

    async def client() -> None:
        nonlocal position
        while time.perf_counter() < deadline:
            if position >= len(raws):
                if not loop:
                    return
                position = 0
            raw = raws[position]
            position += 1
            t0 = time.perf_counter()
            try:
                status = await _exchange(port, raw, 10)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status = 0  # connection error or timeout
            samples.append((status, time.perf_counter() - t0))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return samples, time.perf_counter() - started


def run_python(port: int, reqs: Sequence[Req], *, concurrency: int, duration: float, loop: bool) -> dict[str, Any]:
    raws = [r.raw(port) for r in reqs]
    samples, seconds = asyncio.run(_closed_loop(port, raws, concurrency, duration, loop))
    return summarize(samples, seconds, f"python-asyncio c={concurrency}")


def run_load(
    name: str, port: int, reqs: Sequence[Req], *, connections: int, threads: int, duration: float, loop: bool
) -> dict[str, Any]:
    if wrk_available():
        return run_wrk(name, port, reqs, connections=connections, threads=threads, duration=duration, loop=loop)
    return run_python(port, reqs, concurrency=connections, duration=duration, loop=loop)


def run_sequential(port: int, reqs: Sequence[Req]) -> dict[str, Any]:
    """One client, one request at a time, each request once: the cost of one request."""
    return run_python(port, reqs, concurrency=1, duration=300, loop=False)


async def _race(port: int, raws: Sequence[bytes]) -> tuple[list[tuple[int, float]], float]:
    """Open every connection first, then send every request at the same instant."""
    conns = await asyncio.gather(*(asyncio.open_connection(HOST, port) for _ in raws))
    go = asyncio.Event()
    samples: list[tuple[int, float]] = []
    t0 = 0.0

    async def one(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes) -> None:
        reader, writer = conn
        await go.wait()
        try:
            writer.write(raw)
            await writer.drain()
            status = await asyncio.wait_for(_read_status(reader), 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status = 0
        samples.append((status, time.perf_counter() - t0))
        writer.close()

    tasks = [asyncio.create_task(one(conn, raw)) for conn, raw in zip(conns, raws, strict=True)]
    await asyncio.sleep(0.2)  # every task is waiting at the start line
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return samples, time.perf_counter() - t0


def race(port: int, reqs: Sequence[Req]) -> dict[str, Any]:
    samples, seconds = asyncio.run(_race(port, [r.raw(port) for r in reqs]))
    return summarize(samples, seconds, f"python-asyncio race n={len(reqs)}")
