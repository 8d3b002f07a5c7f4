"""The run's verdict on the targets and its markdown report (bench/results/<date>.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _fivexx(status: dict[str, int]) -> int:
    return sum(n for code, n in status.items() if code.startswith("5"))


def _all_results(results: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, res in results.get("scenarios", {}).items():
        yield name, res
    for step in results.get("scaling", {}).get("bookings", []):
        yield f"scaling {step['bookings']} availability", step["availability_cold"]
        yield f"scaling {step['bookings']} search", step["search"]
    for label, res in results.get("scaling", {}).get("window_density", {}).items():
        yield f"window {label}", res
    for step in results.get("scaling", {}).get("workers", []):
        yield f"booking_create_w{step['workers']}", step["http"]
    for race in results.get("hot_slot", []):
        yield f"hot slot cap {race['resource_capacity']} ({race['workers']} workers)", race["result"]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    booking = results.get("physical", {}).get("booking", {})
    ratio = booking.get("ratio")
    pg_tps = booking.get("pgbench", {}).get("tps")
    out.append(
        {
            "target": "booking-create throughput >= 50 % of pgbench for the same transaction",
            "measured": f"{ratio:.1%} ({booking.get('http_rps')} req/s vs {_num(pg_tps)} tps)"
            if ratio is not None
            else "not measured",
            "met": ratio is not None and ratio >= 0.5,
        }
    )
    scenarios = results.get("scenarios", {})
    cold, warm = scenarios.get("availability_cold"), scenarios.get("availability_warm")
    if cold and warm and cold["rps"]:
        factor = warm["rps"] / cold["rps"]
        out.append(
            {
                "target": "warm availability reads >= 5x the cold ones",
                "measured": f"{factor:.1f}x ({warm['rps']} vs {cold['rps']} req/s; p50 {warm['latency_ms']['p50']}"
                f" vs {cold['latency_ms']['p50']} ms)",
                "met": factor >= 5,
            }
        )
    errors = {name: _fivexx(res["status"]) for name, res in _all_results(results)}
    socket_errors = {
        name: res["status"].get("0", 0) + sum(res.get("errors", {}).values()) for name, res in _all_results(results)
    }
    bad = {k: v for k, v in errors.items() if v}
    out.append(
        {
            "target": "zero 5xx in every scenario",
            "measured": "0 x 5xx in all" if not bad else ", ".join(f"{k}: {v}" for k, v in bad.items()),
            "met": not bad and bool(errors),
            "socket_errors": {k: v for k, v in socket_errors.items() if v},
        }
    )
    races = results.get("hot_slot", [])
    out.append(
        {
            "target": "exact winners in the hot-slot scenarios",
            "measured": "; ".join(
                f"cap {r['resource_capacity']}: {r['winners_http']} won, {r['conflicts_409']} x 409,"
                f" {r['active_allocations_sql']} active allocations in SQL ({r['workers']} workers)"
                for r in races
            )
            or "not measured",
            "met": bool(races) and all(r["exact"] for r in races),
        }
    )
    inv = results.get("invariants")
    if inv:
        out.append(
            {
                "target": "no overlapping active allocations per unit (SQL, whole database)",
                "measured": f"{inv['overlapping_active_allocations']} overlaps,"
                f" {inv['allocations_beyond_capacity']} units beyond capacity",
                "met": inv["overlapping_active_allocations"] == 0 and inv["allocations_beyond_capacity"] == 0,
            }
        )
    return out


def _num(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _codes(status: dict[str, int]) -> str:
    return " ".join(f"{code}: {n}" for code, n in status.items()) or "-"


def _cores(res: dict[str, Any], group: str) -> str:
    value = res.get("cpu", {}).get("cores_used", {}).get(group)
    return f"{value:.2f}" if value is not None else "-"


def _busy(res: dict[str, Any]) -> str:
    value = res.get("cpu", {}).get("machine_busy")
    return f"{value:.0%}" if value is not None else "-"


def _row(name: str, res: dict[str, Any]) -> str:
    lat = res["latency_ms"]
    return (
        f"| {name} | {res.get('workers', '-')} / {res['tool'].split('-c')[-1] if 'wrk' in res['tool'] else '-'} "
        f"| {res['rps']:.1f} | {lat['p50']} | {lat['p90']} | {lat['p99']} | {res['requests']} "
        f"| {_codes(res['status'])} "
        f"| {_fivexx(res['status'])} | {_busy(res)} | {_cores(res, 'web (gunicorn)')} "
        f"| {_cores(res, 'postgres (bench)')} | {_cores(res, 'celery worker')} | {_cores(res, 'foreign')} |"
    )


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    machine, cfg = results.get("machine", {}), results.get("config", {})
    add(f"# Allot benchmark — {results.get('started', '')[:10]}")
    add("")
    add(
        f"Machine: {machine.get('cpus')} x {machine.get('cpu')}, {machine.get('memory_gib')} GiB, PostgreSQL"
        f" {machine.get('postgres')}, Python {machine.get('python')},"
        f" {machine.get('wrk') or cfg.get('load_generator')}."
        f" Commit {machine.get('git_commit')}{' (+ uncommitted changes)' if machine.get('git_dirty') else ''}."
    )
    add(
        f"Scale `{cfg.get('scale')}`: {results.get('seed', {}).get('platform', {}).get('resources')} resources,"
        f" {results.get('invariants', {}).get('final_counts', {}).get('bookings', '?')} bookings at the end;"
        f" gunicorn {cfg.get('workers')} sync workers, {cfg.get('connections')} connections,"
        f" {cfg.get('duration_s')} s per scenario; {cfg.get('settings')}."
    )
    add("")
    add("## Scenarios")
    add("")
    add(
        "| scenario | workers / conns | req/s | p50 ms | p90 ms | p99 ms | requests | status | 5xx | CPU busy"
        " | web cores | postgres cores | celery cores | foreign cores |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for name, res in results.get("scenarios", {}).items():
        add(_row(name, res))
    for step in results.get("scaling", {}).get("workers", []):
        add(_row(f"booking_create ({step['workers']} workers)", step["http"]))
    add("")
    phys = results.get("physical", {})
    if phys:
        add("## The physical limit (same clients, same machine, same run)")
        add("")
        add("| measure | clients | HTTP req/s | pgbench tps | pgbench p50 ms | HTTP ÷ pgbench |")
        add("|---|---:|---:|---:|---:|---:|")
        for key, label in (("booking", "booking create (captured SQL)"), ("select1", "/ops/db-ping vs SELECT 1")):
            item = phys.get(key)
            if item:
                pg = item["pgbench"]
                ratio = item.get("ratio")
                add(
                    f"| {label} | {item['clients']} | {item['http_rps']} | {_num(pg.get('tps'))} | "
                    f"{pg.get('latency_ms', {}).get('p50')} | {f'{ratio:.1%}' if ratio is not None else '-'} |"
                )
        for step in results.get("scaling", {}).get("workers", []):
            ratio = step.get("ratio")
            add(
                f"| booking create, {step['workers']} workers | {step['connections']} | {step['http']['rps']} |"
                f" {_num(step['pgbench'].get('tps'))} | {step['pgbench'].get('latency_ms', {}).get('p50')} |"
                f" {f'{ratio:.1%}' if ratio is not None else '-'} |"
            )
        booking = phys.get("booking", {})
        if booking:
            add("")
            add(
                f"One booking request sends {booking.get('statements_per_request')} statements (JWT user lookup,"
                " BEGIN … COMMIT, the post-commit outbox update); pgbench replays all of them per transaction"
                f" (`{booking.get('pgbench_script')}`)."
            )
        add("")
    races = results.get("hot_slot", [])
    if races:
        add("## Hot slot")
        add("")
        add("| capacity | clients | workers | 201 | 409 | 5xx | p50 ms | p99 ms | active allocations (SQL) | exact |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in races:
            lat = r["result"]["latency_ms"]
            add(
                f"| {r['resource_capacity']} | {r['clients']} | {r['workers']} | {r['winners_http']} |"
                f" {r['conflicts_409']} | {r['errors_5xx_or_connection']} | {lat['p50']} | {lat['p99']} |"
                f" {r['active_allocations_sql']} | {'yes' if r['exact'] else 'NO'} |"
            )
        add("")
    steps = results.get("scaling", {}).get("bookings", [])
    if steps:
        add("## Scaling with existing bookings (one client, cold cache; extra bookings outside the window)")
        add("")
        add(
            "| bookings | active allocations | allocations near the window | availability p50 / p99 ms"
            " | search p50 / p99 ms |"
        )
        add("|---:|---:|---:|---:|---:|")
        for s in steps:
            a, q = s["availability_cold"]["latency_ms"], s["search"]["latency_ms"]
            add(
                f"| {s['bookings']:,} | {s['active_allocations']:,} | {s['allocations_near_window']:,} |"
                f" {a['p50']} / {a['p99']} | {q['p50']} / {q['p99']} |"
            )
        add("")
    density = results.get("scaling", {}).get("window_density", {})
    if density:
        add("## Availability cost against bookings inside the window (one client, cold)")
        add("")
        add("| bookings in the resource-week | p50 ms | p90 ms | p99 ms |")
        add("|---|---:|---:|---:|")
        for label, res in density.items():
            lat = res["latency_ms"]
            add(f"| {label} | {lat['p50']} | {lat['p90']} | {lat['p99']} |")
        add("")
    profiles = {k: v for k, v in results.get("profiles", {}).items() if isinstance(v, dict)}
    for name, prof in profiles.items():
        if "top_self" not in prof:
            continue
        kind = "wall time, idle included" if prof.get("idle_included") else "on-CPU samples holding the GIL"
        add(
            f"## py-spy: {name} — {prof.get('process', 'gunicorn workers')} ({prof['samples']} samples, {kind};"
            f" {prof['rps_while_profiling']} req/s while sampled)"
        )
        add("")
        if prof.get("focus") and not prof.get("idle_included"):
            add("| where the time goes (inclusive) | share |")
            add("|---|---:|")
            for item in prof["focus"]:
                add(f"| {item['frame']} | {item['share']:.1%} |")
            add("")
        right_title = "worker main thread was" if prof.get("idle_included") else "top packages (self)"
        add(f"| top self frames | share | | {right_title} | share |")
        add("|---|---:|---|---|---:|")
        selfs = prof["top_self"][:12]
        pkgs = (prof.get("activity") if prof.get("idle_included") else prof["self_by_package"])[:12]
        for i in range(max(len(selfs), len(pkgs))):
            left = selfs[i] if i < len(selfs) else None
            right = pkgs[i] if i < len(pkgs) else None
            lcell = f"{left['frame']} | {left['share']:.1%}" if left else " | "
            rcell = f"{right['frame']} | {right['share']:.1%}" if right else " | "
            add(f"| {lcell} | | {rcell} |")
        add("")
    add("## Targets")
    add("")
    add("| target | measured | met |")
    add("|---|---|---|")
    for t in results.get("targets", []):
        add(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    add("")
    return "\n".join(lines)


def main() -> int:
    """``python -m bench.report bench/results/<date>.json``: write the .md (and targets) again."""
    import json
    import sys
    from pathlib import Path

    path = Path(sys.argv[1])
    results = json.loads(path.read_text())
    results["targets"] = targets(results)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    path.with_suffix(".md").write_text(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
