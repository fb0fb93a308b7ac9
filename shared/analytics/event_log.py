"""The raw event log: every valid event the aggregator receives, as NDJSON in S3, partitioned by local day.

    raw-events/2026/11/02/<content hash>.ndjson     one object per (batch, day), one EventBridge envelope a
    line

The log is what `referral211 stats rebuild` recomputes the tables from. It may hold an event more than once
(duplicates, replays, a batch retried after a failure): the rebuild dedupes on `event_id` exactly as the live
path
does. The object name is a hash of its event ids, so writing the same events again overwrites the same object.
Events carry no personal data (shared/event_contracts.py), so neither does the log.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

import orjson

from shared.analytics.stream import StreamEvent
from shared.aws.s3 import Bucket

PREFIX = "raw-events"


def day_prefix(day: date) -> str:
    return f"{PREFIX}/{day:%Y/%m/%d}/"


class EventLog:
    def __init__(self, bucket_name: str, client: object | None = None) -> None:
        self.bucket = Bucket(bucket_name, client)

    def append(self, events: Sequence[StreamEvent]) -> int:
        """Write the events (one object per local day); returns the number of objects written."""
        by_day: dict[date, list[StreamEvent]] = defaultdict(list)
        for event in events:
            by_day[event.day].append(event)
        for day, group in by_day.items():
            ids = "\n".join(sorted(e.event_id for e in group)).encode()
            name = hashlib.sha256(ids).hexdigest()[:24]
            body = b"".join(orjson.dumps(e.envelope) + b"\n" for e in group)
            self.bucket.put(f"{day_prefix(day)}{name}.ndjson", body, content_type="application/x-ndjson")
        return len(by_day)

    def read(self, first: date, last: date) -> Iterator[bytes]:
        """Every logged line of the days in [first, last], in day order."""
        day = first
        while day <= last:
            for key in sorted(self.bucket.list_keys(day_prefix(day))):
                stored = self.bucket.get(key)
                if stored is not None:
                    yield from (line for line in stored.body.splitlines() if line.strip())
            day += timedelta(days=1)
