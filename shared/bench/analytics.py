"""Benchmark section "analytics": a realistic year of events (10% duplicates, a replay slice) aggregated into
the stats table on moto, checked against an independent tally; then a year of one region's daily table asked
through the analyst route.

    run(options) -> {"events": ..., "events_per_second": ..., "writes_per_event": ..., "exact": ...,
                     "year_daily_table_ms": {"first", "median", "min", "max", "repeats", "path"}, ...}

Events are delivered in batches of `batch_size` (1,000, the event source mapping's BatchSize in infra/), in
arrival order; counts are compared cell by cell with a tally computed from the generated stream. The year of
daily requests is `GET /stats/requests?region=06&...&granularity=day` with an analyst's token, through
Chalice's handler in process (token check, parameters, Query, roll-up, suppression, labels, JSON),
`--analytics-repeats` times (default 11): the first request, the median and the minimum are reported, with the
DynamoDB operations, items and bytes one request reads. Nothing caches answers: every request reads DynamoDB.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

TERMS = 40  # distinct sub-categories asked for, drawn from the shipped taxonomy
REGION_WEIGHTS = {
    "06": 30,
    "16": 15,
    "03": 9,
    "13": 5,
    "14": 6,
    "15": 7,
    "02": 4,
    "05": 4,
    "04": 3,
    "07": 4,
    "12": 5,
    "17": 3,
    "01": 2,
    "08": 2,
    "09": 1,
    "11": 1,
    "10": 1,
}


def _stream(count: int, seed: int) -> list[dict[str, Any]]:
    from shared.directory import taxonomy

    rng = random.Random(seed)
    subs = [t.id for t in taxonomy.all_terms() if t.parent_id][:TERMS]
    regions, weights = list(REGION_WEIGHTS), list(REGION_WEIGHTS.values())
    start = datetime(2026, 1, 1, 5, tzinfo=UTC)
    moments = sorted(start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count))
    events = []
    for when in moments:
        region = rng.choices(regions, weights)[0]
        detail: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "occurred_at": when.isoformat(),
            "schema_version": 1,
            "region": region,
        }
        kind = rng.random()
        if kind < 0.6:
            results = rng.choice([0, 0, 2, 5, 9, 14, 30])
            detail.update(
                detail_type="LookupPerformed",
                source="referral211.directory",
                channel=rng.choice(["web"] * 6 + ["phone", "chat"]),
                route="services",
                fsa=None,
                taxonomy_term_id=rng.choice(subs),
                language=rng.choice(["fr"] * 4 + ["en"]),
                result_count=results,
                searched=True,
                search_term=rng.choice(
                    ["banque alimentaire", "logement", "popote roulante", "impot", "transport medical"]
                )
                if results == 0
                else None,
            )
        else:
            channel = rng.choice(["phone"] * 3 + ["chat"])
            detail.update(
                source="referral211.channels", origin="agent", channel=channel, language="fr", fsa=None
            )
            step = rng.random()
            if step < 0.3:
                detail.update(detail_type="ContactStarted")
            elif step < 0.6:
                detail.update(detail_type="NeedRecorded", taxonomy_term_ids=[rng.choice(subs)])
            elif step < 0.75:
                service = rng.randrange(300)
                detail.update(
                    detail_type="ReferralGiven",
                    service_id=str(uuid.UUID(int=service)),
                    organization_id=str(uuid.UUID(int=10_000 + service % 80)),
                    taxonomy_term_ids=[rng.choice(subs)],
                )
            elif step < 0.85:
                detail.update(
                    detail_type="UnmetNeedRecorded",
                    taxonomy_term_id=rng.choice(subs),
                    reason=rng.choice(["none_exists", "full", "too_far", "cost"]),
                )
            else:
                detail.update(
                    detail_type="ContactClosed",
                    outcome=rng.choice(["referred", "information_given"]),
                    duration_seconds=rng.randrange(60, 1800),
                )
        events.append(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": detail["detail_type"],
                "source": detail["source"],
                "account": "123456789012",
                "time": when.isoformat().replace("+00:00", "Z"),
                "region": "ca-central-1",
                "resources": [],
                "detail": detail,
            }
        )
    return events


def _with_redeliveries(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """10% duplicates delivered soon after the original; a replay slice (a week, again, with replay-name)."""
    rng = random.Random(seed + 1)
    stream: list[dict[str, Any]] = []
    for event in events:
        stream.append(event)
        if rng.random() < 0.10:
            position = max(0, len(stream) - rng.randrange(1, 50))
            stream.insert(position, {**event, "id": str(uuid.uuid4())})
    week = [e for e in events if e["time"].startswith("2026-06-0")]
    stream += [{**e, "id": str(uuid.uuid4()), "replay-name": "bench-replay"} for e in week]
    return stream


def _tally(events: list[dict[str, Any]]) -> Counter[tuple[str, ...]]:
    """Expected requests cells, computed independently of the projections."""
    from zoneinfo import ZoneInfo

    local = ZoneInfo("America/Montreal")
    tally: Counter[tuple[str, ...]] = Counter()
    for event in events:
        detail = event["detail"]
        day = datetime.fromisoformat(detail["occurred_at"]).astimezone(local).date().isoformat()
        if event["detail-type"] == "LookupPerformed":
            tally[(day, detail["region"], detail["channel"], "lookups")] += 1
        elif event["detail-type"] == "ContactStarted":
            tally[(day, detail["region"], detail["channel"], "contacts")] += 1
        elif event["detail-type"] == "NeedRecorded":
            tally[(day[:7], detail["region"], "needs")] += 1
    return tally


def run(options: Any = None) -> dict[str, Any]:
    import orjson
    from moto import mock_aws

    count = int(getattr(options, "analytics_events", 0) or 50_000)
    batch_size = int(getattr(options, "analytics_batch", 0) or 1000)
    repeats = max(1, int(getattr(options, "analytics_repeats", 0) or 11))
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ca-central-1",
        "AWS_REGION": "ca-central-1",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    events = _stream(count, seed=211)
    stream = _with_redeliveries(events, seed=211)
    with mock_aws():
        from shared.analytics.aggregator import handle_batch
        from shared.analytics.counters import StatsStore
        from shared.analytics.event_log import EventLog
        from shared.analytics.projections import split_cell_name
        from shared.aws.clients import reset_clients
        from shared.config import reset_settings
        from shared.local_stack.aws import provision
        from shared.local_stack.workers import sqs_event

        reset_clients()
        variables = provision(stage="bench")
        os.environ.update(variables)
        reset_settings()
        store = StatsStore(variables["REFERRAL211_STATS_TABLE"])
        log = EventLog(variables["REFERRAL211_ANALYTICS_BUCKET"])
        writes = counted = duplicates = 0
        started = time.perf_counter()
        for start in range(0, len(stream), batch_size):
            messages = [
                {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "h", "Body": orjson.dumps(e).decode()}
                for e in stream[start : start + batch_size]
            ]
            outcome = handle_batch(sqs_event(messages, "arn", "ca-central-1"), None, store=store, log=log)
            assert not outcome.response["batchItemFailures"]
            writes += outcome.writes
            counted += outcome.counted
            duplicates += outcome.duplicates
        elapsed = time.perf_counter() - started

        expected = _tally(events)
        found: Counter[tuple[str, ...]] = Counter()
        for region in REGION_WEIGHTS:
            for period, cells in store.read_counters("requests", region, "2025-12-01", "2027-01-31"):
                for name, value in cells.items():
                    measure, (channel,) = split_cell_name(name)
                    if measure in ("lookups", "contacts"):
                        found[(period, region, channel, measure)] += value
            for period, cells in store.read_counters("needs", region, "2025-12", "2027-01"):
                for name, value in cells.items():
                    if name.startswith("needs|"):
                        found[(period, region, "needs")] += value
        exact = found == expected and counted == len(events)

        reads = _read_year(variables, repeats)
        reset_clients()
    return {
        "events": len(events),
        "deliveries": len(stream),
        "duplicates_dropped": duplicates,
        "batch_size": batch_size,
        "events_per_second": round(len(stream) / elapsed),
        "writes": writes,
        "writes_per_event": round(writes / len(events), 3),
        "exact": exact,
        **reads,
        "targets": {"exact": True, "writes_per_event_max": 1.5, "year_daily_table_ms_max": 300},
    }


class _QueryMeter:
    """What the route's DynamoDB requests return (botocore after-call hook): operations, items, bytes."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.items = 0
        self.response_bytes = 0

    def __call__(self, http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
        self.operations[model.name] += 1
        if isinstance(parsed, dict):
            self.items += len(parsed.get("Items", []))
        if http_response is not None:
            self.response_bytes += len(http_response.content or b"")


def _read_year(variables: dict[str, str], repeats: int) -> dict[str, Any]:
    """A year of region 06's daily requests table, asked `repeats` times through the real route
    (GET /stats/requests with an analyst's bearer token, Chalice's handler in process): every request is
    answered from DynamoDB (nothing caches answers), the first one included."""
    import orjson
    from chalice.test import Client

    from shared.aws.clients import client
    from shared.config import get_settings
    from shared.identity import issue_dev_token
    from shared.local_stack.server import load_app

    os.environ.setdefault("REFERRAL211_DEV_KEY_PATH", ".local/dev-jwt-key.pem")
    token = issue_dev_token(get_settings(), roles=["analyst"], regions=["06"], username="bench-analyst")
    app = load_app()
    meter = _QueryMeter()
    client("dynamodb").meta.events.register("after-call.dynamodb.*", meter)
    path = "/stats/requests?region=06&from=2026-01-01&to=2026-12-31&granularity=day&group_by=channel"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    timings: list[float] = []
    rows = 0
    with Client(app) as api:
        for _ in range(repeats):
            began = time.perf_counter()
            response = api.http.get(path, headers=headers)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.body
            rows = len(orjson.loads(response.body)["rows"])
    client("dynamodb").meta.events.unregister("after-call.dynamodb.*", meter)
    ordered = sorted(timings)
    return {
        "year_daily_table_ms": {
            "first": round(timings[0], 1),
            "median": round(ordered[len(ordered) // 2], 1),
            "min": round(ordered[0], 1),
            "max": round(ordered[-1], 1),
            "repeats": repeats,
            "path": "GET " + path,
        },
        "year_daily_rows": rows,
        "year_daily_reads_per_request": {
            "operations": {name: count / repeats for name, count in sorted(meter.operations.items())},
            "items": meter.items / repeats,
            "response_kb": round(meter.response_bytes / repeats / 1024, 1),
        },
    }


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--analytics-events", type=int, default=50_000, help="distinct events aggregated (default 50000)"
    )
    parser.add_argument(
        "--analytics-repeats",
        type=int,
        default=11,
        help="times the year of daily requests is asked through the route (default 11)",
    )


def render(figures: dict[str, Any]) -> str:
    year, reads = figures["year_daily_table_ms"], figures["year_daily_reads_per_request"]
    return "\n".join(
        [
            "analytics: aggregation and the analyst route",
            f"  events {figures['events']:,}   deliveries {figures['deliveries']:,}   "
            f"duplicates dropped {figures['duplicates_dropped']:,}   every count exact: {figures['exact']}",
            f"  aggregation {figures['events_per_second']:,} deliveries/s (moto)   "
            f"writes {figures['writes']:,} = {figures['writes_per_event']} per event (target <= 1.5)",
            f"  a year of region 06's daily requests ({figures['year_daily_rows']:,} rows) "
            f"through GET /stats: first {year['first']} ms, median {year['median']} ms, "
            f"min {year['min']} ms, max {year['max']} ms over {year['repeats']} requests (target < 300 ms)",
            f"  DynamoDB per request: {reads['operations']}, {reads['items']:.0f} items, "
            f"{reads['response_kb']} KB",
        ]
    )


if __name__ == "__main__":
    import json
    import sys

    class _Options:
        analytics_events = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
        analytics_batch = 1000
        analytics_repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 11

    figures = run(_Options())
    print(render(figures))
    print(json.dumps(figures, indent=2))
