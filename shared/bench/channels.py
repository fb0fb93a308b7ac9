"""Benchmark section "channels": latency of `connect_contact_flow` and DynamoDB requests per routing decision.

    from shared.bench import channels
    figures = channels.run(argparse.Namespace(calls=500))

Runs against the embedded AWS (moto's server on loopback, the same as `referral211 up`), provisioned from
infra/template.yaml with the seeded region configurations. Three measures:
- warm: the handler called in this process, N times, over the documented ContactFlowEvent fixtures with varied
  postal codes, regions, channels and hours (route, recorded route, no category);
- fresh: a new Python process that imports the handler and answers one flow event (imports, clients, first
  DynamoDB round trip included), timed from inside the process and from the parent (interpreter start included);
- DynamoDB requests per routing decision, counted on the client (reads of region configurations and the write
  of the contact's route).
Targets (issue 5): p99 under 50 ms warm, first answer under 1 s from a fresh process.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = PROJECT_ROOT / "tests" / "events"
TARGET_WARM_P99_MS = 50.0
TARGET_FRESH_S = 1.0
POSTAL_CODES = (
    "G8B 3L2",
    "G7H 1A1",
    "H7N 5H9",
    "H2L 1K5",
    "J6A 1A1",
    "G5L 8Y7",
    "K1A 0A6",
    "G0W 1A0",
    "",
    "J9X 1A1",
)

_FRESH_CHILD = r"""
import time
started = time.perf_counter()
import json, sys
from datetime import datetime, timezone
from functions.connect_contact_flow import handle
event = json.loads(sys.stdin.read())
out = handle(event, None, now=datetime(2026, 11, 4, 15, 0, tzinfo=timezone.utc))
first = time.perf_counter() - started
t1 = time.perf_counter()
handle(event, None, now=datetime(2026, 11, 4, 15, 0, tzinfo=timezone.utc))
second = time.perf_counter() - t1
print(json.dumps({"first_answer_s": first, "second_answer_s": second, "route": out["route"]}))
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=500, help="warm invocations (default 500)")
    parser.add_argument("--fresh-runs", type=int, default=3, help="fresh processes (default 3)")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _events(calls: int) -> list[tuple[dict[str, Any], datetime]]:
    bases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("connect_flow_*.json"))]
    monday = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # 00:00 in Montréal
    found = []
    for n in range(calls):
        event = copy.deepcopy(bases[n % len(bases)])
        contact = event.setdefault("Details", {}).setdefault("ContactData", {})
        contact["ContactId"] = f"bench-{n:06d}"
        attributes = contact.get("Attributes") or {}
        attributes.pop("region", None)
        attributes["postal_code"] = POSTAL_CODES[n % len(POSTAL_CODES)]
        contact["Attributes"] = attributes
        parameters = event["Details"].get("Parameters") or {}
        parameters.pop("category", None)
        event["Details"]["Parameters"] = parameters
        found.append((event, monday + timedelta(minutes=37 * n)))  # every hour of the week, and nights
    return found


def run(options: argparse.Namespace) -> dict[str, Any]:
    from shared.local_stack.aws import provision, start_embedded_aws

    calls = int(getattr(options, "calls", 500))
    fresh_runs = int(getattr(options, "fresh_runs", 3))
    embedded = start_embedded_aws(0, apply_env=True)
    try:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        provision(stage="bench", apply_env=True)
        from functions.channel_services import region_store

        region_store().seed()
        warm = _warm(calls)
        fresh = [_fresh() for _ in range(fresh_runs)]
    finally:
        embedded.stop()
    first = [f["first_answer_s"] for f in fresh]
    figures = {
        "warm": warm,
        "fresh": {
            "runs": fresh_runs,
            "first_answer_s_max": round(max(first), 3),
            "first_answer_s_median": round(statistics.median(first), 3),
            "process_start_to_answer_s_median": round(statistics.median(f["wall_s"] for f in fresh), 3),
            "second_answer_ms_median": round(
                statistics.median(f["second_answer_s"] for f in fresh) * 1000, 2
            ),
        },
        "targets": {
            "warm_p99_ms": TARGET_WARM_P99_MS,
            "fresh_first_answer_s": TARGET_FRESH_S,
            "warm_p99_met": warm["p99_ms"] < TARGET_WARM_P99_MS,
            "fresh_first_answer_met": max(first) < TARGET_FRESH_S,
        },
    }
    return figures


def _warm(calls: int) -> dict[str, Any]:
    from functions.connect_contact_flow import handle
    from shared.aws.clients import client

    counts: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    events = _events(calls)
    handle(events[0][0], None, now=events[0][1])  # the first call of this process warms caches and clients
    client("dynamodb").meta.events.register("before-call.dynamodb.*", count)
    durations = []
    routes: Counter[str] = Counter()
    started = time.perf_counter()
    for event, now in events:
        t0 = time.perf_counter()
        out = handle(event, None, now=now)
        durations.append((time.perf_counter() - t0) * 1000)
        routes[out["route"]] += 1
    elapsed = time.perf_counter() - started
    client("dynamodb").meta.events.unregister("before-call.dynamodb.*", count)
    reads = counts["BatchGetItem"] + counts["GetItem"] + counts["Query"]
    return {
        "calls": calls,
        "p50_ms": round(_percentile(durations, 0.50), 2),
        "p99_ms": round(_percentile(durations, 0.99), 2),
        "max_ms": round(max(durations), 2),
        "per_second": round(calls / elapsed, 1),
        "routes": dict(routes),
        "dynamodb_requests_per_decision": round(sum(counts.values()) / calls, 3),
        "dynamodb_reads_per_decision": round(reads / calls, 3),
        "dynamodb_writes_per_decision": round((counts["PutItem"] + counts["TransactWriteItems"]) / calls, 3),
        "dynamodb_operations": dict(counts),
        "scans": counts["Scan"],
    }


def _fresh() -> dict[str, Any]:
    event = json.loads((FIXTURES / "connect_flow_voice_inbound.json").read_text(encoding="utf-8"))
    event["Details"]["Parameters"] = {}
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", _FRESH_CHILD],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
        check=False,
        timeout=120,
    )
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(f"fresh process failed: {finished.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def render(figures: dict[str, Any]) -> str:
    warm, fresh = figures["warm"], figures["fresh"]
    return "\n".join(
        [
            "channels: connect_contact_flow",
            f"  warm ({warm['calls']} calls)   p50 {warm['p50_ms']} ms   p99 {warm['p99_ms']} ms   "
            f"max {warm['max_ms']} ms   (target p99 < {TARGET_WARM_P99_MS:.0f} ms)",
            f"  fresh process        first answer {fresh['first_answer_s_max']} s max, "
            f"{fresh['first_answer_s_median']} s median; process start to answer "
            f"{fresh['process_start_to_answer_s_median']} s   (target < {TARGET_FRESH_S:.0f} s)",
            f"  DynamoDB per decision  {warm['dynamodb_requests_per_decision']} requests "
            f"({warm['dynamodb_reads_per_decision']} reads, {warm['dynamodb_writes_per_decision']} writes), "
            f"scans {warm['scans']}",
            f"  routes  {warm['routes']}",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    configure(parser)
    figures = run(parser.parse_args())
    print(render(figures))
    print(json.dumps(figures, indent=2))
