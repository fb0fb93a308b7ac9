"""EventBridge adapter: publishes typed events in batches of at most 10 and retries failed entries.

`PutEvents` can fail partially (`FailedEntryCount` > 0 with no exception): those entries are retried with
backoff. Publishing is best effort on request paths: analytics being down never fails a person's request; the
failure is logged and counted in the `EventsNotPublished` metric.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.aws.clients import client as aws_client
from shared.event_contracts import EventDetail
from shared.observability import logger, metrics

MAX_ENTRIES = 10
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class PublishOutcome:
    published: int
    failed: int


class EventPublisher:
    def __init__(self, bus_name: str, client: Any | None = None) -> None:
        self.bus_name = bus_name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws_client("events")

    def entry(self, event: EventDetail) -> dict[str, Any]:
        return {
            "Source": event.source,
            "DetailType": str(event.detail_type),
            "Detail": event.model_dump_json(),
            "EventBusName": self.bus_name,
            "Time": event.occurred_at,
        }

    def publish(self, events: Sequence[EventDetail]) -> PublishOutcome:
        """Publish, retrying failed entries; never raises. Returns what was and was not published."""
        published = failed = 0
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = [self.entry(e) for e in events[start : start + MAX_ENTRIES]]
            ok, lost = self._put_with_retries(chunk)
            published += ok
            failed += lost
        if failed:
            logger.warning("events not published", failed=failed, bus=self.bus_name)
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=failed)
        return PublishOutcome(published=published, failed=failed)

    def _put_with_retries(self, entries: list[dict[str, Any]]) -> tuple[int, int]:
        pending = entries
        published = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                answer = self.client.put_events(Entries=pending)
            except Exception as error:  # network, throttling, missing bus: all retryable here
                logger.warning("put_events failed", attempt=attempt, error=type(error).__name__)
                answer = None
            if answer is not None:
                results = answer.get("Entries", [])
                retry = [e for e, r in zip(pending, results, strict=False) if r.get("ErrorCode")]
                published += len(pending) - len(retry)
                pending = retry
            if not pending:
                return published, 0
            if attempt < MAX_ATTEMPTS:
                time.sleep(0.05 * 2**attempt)
        return published, len(pending)
