"""Test helpers for the analytics stream: EventBridge envelopes, SQS batches, and an independent tally.

The tally is written from the table definitions in the issue, not from shared/analytics/projections.py, so a
projection bug shows up as a mismatch.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("America/Montreal")
FOOD = "0d05521e-0263-5540-bedb-09a4192a8bda"
FOOD_BANK = "9ac90e23-f2bc-509e-85a3-7068d05adb71"
FOOD_EMERG = "77a0b09b-b02d-5402-99ca-252d9cebb24f"


def lookup(
    *,
    region: str | None = "02",
    channel: str = "web",
    when: datetime | None = None,
    results: int = 3,
    term: str | None = FOOD_BANK,
    search_term: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "occurred_at": (when or datetime(2026, 3, 10, 15, tzinfo=UTC)).isoformat(),
        "schema_version": 1,
        "detail_type": "LookupPerformed",
        "source": "referral211.directory",
        "channel": channel,
        "route": "services",
        "region": region,
        "fsa": None,
        "taxonomy_term_id": term,
        "language": "fr",
        "result_count": results,
        "searched": search_term is not None,
    }
    if search_term is not None:
        detail["search_term"] = search_term
    return envelope("LookupPerformed", "referral211.directory", detail)


def contact_event(
    detail_type: str,
    *,
    region: str = "02",
    channel: str = "phone",
    when: datetime | None = None,
    event_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "occurred_at": (when or datetime(2026, 3, 10, 15, tzinfo=UTC)).isoformat(),
        "schema_version": 1,
        "detail_type": detail_type,
        "source": "referral211.channels",
        "origin": "agent",
        "channel": channel,
        "region": region,
        "language": "fr",
        **fields,
    }
    return envelope(detail_type, "referral211.channels", detail)


def envelope(
    detail_type: str, source: str, detail: dict[str, Any], replay: str | None = None
) -> dict[str, Any]:
    found = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": detail["occurred_at"].replace("+00:00", "Z"),
        "region": "ca-central-1",
        "resources": [],
        "detail": detail,
    }
    if replay:
        found["replay-name"] = replay
    return found


def redelivered(event: dict[str, Any], replay: str | None = None) -> dict[str, Any]:
    """The same event delivered again: a new EventBridge id (as a replay has), the same detail."""
    return envelope(event["detail-type"], event["source"], event["detail"], replay=replay)


def sqs_batch(bodies: list[Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ca-central-1:123456789012:referral211-test-analytics",
                "awsRegion": "ca-central-1",
            }
            for body in bodies
        ]
    }


def local_day(event: dict[str, Any]) -> str:
    return datetime.fromisoformat(event["detail"]["occurred_at"]).astimezone(LOCAL).date().isoformat()


def tally_requests(events: list[dict[str, Any]]) -> Counter[tuple[str, str, str, str]]:
    """(day, region, channel, measure) -> count, each distinct event_id once."""
    seen: set[str] = set()
    tally: Counter[tuple[str, str, str, str]] = Counter()
    for event in events:
        detail = event["detail"]
        if detail["event_id"] in seen:
            continue
        seen.add(detail["event_id"])
        region = detail.get("region") or "00"
        if event["detail-type"] == "LookupPerformed":
            tally[(local_day(event), region, detail["channel"], "lookups")] += 1
        elif event["detail-type"] == "ContactStarted":
            measure = "connect_contacts" if detail["origin"] == "connect" else "contacts"
            tally[(local_day(event), region, detail["channel"], measure)] += 1
        elif event["detail-type"] == "ContactDisconnected" and detail.get("abandoned"):
            tally[(local_day(event), region, detail["channel"], "abandoned")] += 1
    return tally


def random_stream(
    count: int, *, seed: int = 7, start: datetime | None = None, days: int = 60
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    begin = start or datetime(2026, 1, 1, 5, tzinfo=UTC)
    events = []
    for _ in range(count):
        when = begin + timedelta(seconds=rng.randrange(days * 86400))
        region = rng.choice(["02", "02", "03", "06", "06", "06", "13", None])
        kind = rng.random()
        if kind < 0.7:
            events.append(
                lookup(
                    region=region,
                    channel=rng.choice(["web", "web", "phone", "chat"]),
                    when=when,
                    results=rng.choice([0, 1, 4, 12]),
                    term=rng.choice([FOOD_BANK, FOOD_EMERG, None]),
                    search_term=rng.choice([None, "banque alimentaire", "popote"]),
                )
            )
        elif kind < 0.8:
            events.append(
                contact_event(
                    "ContactStarted",
                    region=region or "06",
                    origin=rng.choice(["agent", "connect"]),
                    channel=rng.choice(["phone", "chat"]),
                    when=when,
                )
            )
        elif kind < 0.9:
            events.append(
                contact_event(
                    "ContactDisconnected",
                    region=region or "06",
                    origin="connect",
                    channel=rng.choice(["phone", "chat"]),
                    when=when,
                    abandoned=rng.random() < 0.3,
                    wait_seconds=rng.randrange(5, 600),
                )
            )
        else:
            events.append(
                contact_event(
                    "ContactClosed",
                    region=region or "06",
                    channel=rng.choice(["phone", "chat"]),
                    when=when,
                    outcome=rng.choice(["referred", "information_given"]),
                    duration_seconds=rng.randrange(60, 1800),
                )
            )
    return events
