"""``make fuzz``: schemathesis against the live OpenAPI schema of a throwaway Allot.

Starts its own PostgreSQL cluster (migrated) and Redis on spare loopback ports, seeds a
vendor with a bookable resource, a customer, the vendor's owner and a platform admin,
serves the API with gunicorn, then runs ``schemathesis run`` once per identity (every
check, every phase: examples, coverage, fuzzing, and stateful sequences over the links
schemathesis infers), and stops everything. Reports (JUnit and a pytest file reproducing
each failure) go to ``var/fuzz/<identity>/``; the summary lines go to stdout.

    python tests/hostile/fuzz.py [--as customer,owner,admin] [--max-examples 50] [--seed 1] [--workers 2]

Exit status: 0 when every run passed, else 1. No Celery worker runs, so nothing the
fuzzer creates (webhook endpoints, emails) leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import requests

from tests.faults import harness
from tests.faults.load import iso, slot_starts

ROOT = harness.ROOT
REPORTS = ROOT / "var" / "fuzz"


def run(identities: list[str], *, max_examples: int, seed: int, workers: int, phases: str, max_time: int) -> int:
    template_dir = Path(tempfile.mkdtemp(prefix="allot-fuzz-template-"))
    failures = 0
    try:
        template = harness.build_template(template_dir)
        with harness.stack(template) as world:
            data = world.seed(customers=1, capacity=3)
            tokens = {
                "customer": data.customers[0]["token"],
                "owner": data.owner["token"],
                "admin": data.raw["admin"]["token"],
            }
            web = world.gunicorn(workers=2)
            config = write_config(REPORTS / "schemathesis.toml", known_objects(web.base, data))
            schema = f"{web.base}/api/schema/"
            print(f"[fuzz] Allot on {web.base} (database {world.pg.url()}); schema {schema}", flush=True)
            for identity in identities:
                report_dir = REPORTS / identity
                shutil.rmtree(report_dir, ignore_errors=True)
                command = [
                    str(harness.BIN / "schemathesis"),
                    "--config-file",
                    str(config),
                    "run",
                    schema,
                    "--checks",
                    "all",
                    "--phases",
                    phases,
                    "--max-examples",
                    str(max_examples),
                    "--seed",
                    str(seed),
                    "--workers",
                    str(workers),
                    "--request-timeout",
                    "20",
                    "--header",
                    f"Authorization: Bearer {tokens[identity]}",
                    "--report",
                    "junit,pytest",
                    "--report-dir",
                    str(report_dir),
                    "--no-color",
                ]
                if max_time:
                    command += ["--max-time", str(max_time)]
                print(f"\n[fuzz] === as {identity} ===", flush=True)
                began = time.monotonic()
                result = subprocess.run(command, cwd=ROOT, check=False)
                print(
                    f"[fuzz] as {identity}: exit {result.returncode} after {time.monotonic() - began:.0f} s", flush=True
                )
                failures += result.returncode != 0
            errors = [line for line in web.log.read_text(errors="replace").splitlines() if "Traceback" in line]
            print(f"\n[fuzz] tracebacks in the server log: {len(errors)}", flush=True)
    finally:
        shutil.rmtree(template_dir, ignore_errors=True)
    return 1 if failures else 0


def known_objects(base: str, data: harness.Seed) -> dict[str, list[str]]:
    """A confirmed booking with a dispute, a schedule exception and a webhook, made through the
    API, so path parameters can name real objects (random UUIDs alone only ever reach 404s)."""
    session = requests.Session()
    session.trust_env = False

    def post(token: str, path: str, body: dict) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        response = session.post(f"{base}/api/v1{path}", json=body, headers=headers, timeout=20)
        response.raise_for_status()
        return dict(response.json())

    customer, owner = data.customers[0]["token"], data.owner["token"]
    start, end = slot_starts(2, days_ahead=3)
    booking = post(
        customer, "/bookings", {"resource": data.resource, "start": iso(start), "end": iso(end), "confirm": True}
    )
    dispute = post(customer, f"/bookings/{booking['id']}/disputes", {"reason": "other", "description": "Seeded."})
    closed_from, closed_to = slot_starts(1, days_ahead=20)[0], slot_starts(1, days_ahead=21)[0]
    exception = post(
        owner,
        f"/resources/{data.resource}/exceptions",
        {"start": iso(closed_from), "end": iso(closed_to), "kind": "closed"},
    )
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["booking.confirmed"]}
    webhook = post(owner, f"/vendors/{data.vendor}/webhooks", hook)
    ids = [data.vendor, data.resource, booking["id"], dispute["id"], data.customers[0]["id"], data.owner["id"]]
    return {"ids": ids, "exceptions": [exception["id"]], "webhooks": [webhook["id"]], "keys": ["fault-slots"]}


def write_config(path: Path, known: dict[str, list[str]]) -> Path:
    """schemathesis.toml beside this file, plus dictionaries of the seeded objects' ids: half
    the generated path parameters name a real object."""
    lines = [Path(__file__).with_name("schemathesis.toml").read_text(), ""]
    for name, values in known.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    bindings = {"id": "ids", "vendor_id": "ids", "user_id": "ids", "exception_id": "exceptions"}
    bindings.update(webhook_id="webhooks", key="keys")
    lines.append("[parameters]")
    lines += [f'"path.{param}" = {{ dictionary = "{name}", probability = 0.5 }}' for param, name in bindings.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as", dest="identities", default="customer,owner,admin")
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--max-time", type=int, default=0, help="seconds per identity (0: no limit)")
    args = parser.parse_args()
    # A plain kill (SIGTERM) must still stop the cluster, Redis and gunicorn in the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run(
        [name.strip() for name in args.identities.split(",") if name.strip()],
        max_examples=args.max_examples,
        seed=args.seed,
        workers=args.workers,
        phases=args.phases,
        max_time=args.max_time,
    )


if __name__ == "__main__":
    sys.exit(main())
