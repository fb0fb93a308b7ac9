"""The analytics consumer: an SQS batch of EventBridge events counted exactly once.

Powertools' `BatchProcessor` reads each record (`parse_body`): a poison record raises and becomes a batch item
failure, so SQS retries only it and moves it to the dead-letter queue after `maxReceiveCount`. The readable
events
of the batch are then counted together (`StatsStore.apply`: counters combined across the batch, seen markers
in
the same transactions) and logged to S3 (`EventLog`). Events whose transaction failed are reported as failures
too: their retry is harmless because counting is idempotent per event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.analytics.counters import StatsStore
from shared.analytics.event_log import EventLog
from shared.analytics.stream import PoisonEvent, StreamEvent, parse_body
from shared.observability import logger, metrics


@dataclass(frozen=True)
class BatchOutcome:
    response: dict[str, list[dict[str, str]]]
    counted: int
    duplicates: int
    poison: int
    writes: int


def handle_batch(
    event: dict[str, Any], context: Any, *, store: StatsStore, log: EventLog | None
) -> BatchOutcome:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    parsed: list[tuple[str, StreamEvent]] = []

    def read_record(record: SQSRecord) -> None:
        try:
            parsed.append((record.message_id, parse_body(record.body)))
        except PoisonEvent as error:
            logger.warning("poison event", reason=error.reason, message_id=record.message_id)
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=read_record, processor=processor, context=context
    )
    failures = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
    poison = len(failures)
    events = [e for _, e in parsed]
    result = store.apply(events)
    failed_ids = set(result.failed)
    if failed_ids:
        failures += [message_id for message_id, e in parsed if e.event_id in failed_ids]
    if log is not None:
        logged = [e for e in events if e.event_id not in failed_ids]
        try:
            if logged:
                log.append(logged)
        except Exception as error:  # counted already; the retry is deduped and logs them again
            logger.warning("event log not written", error=type(error).__name__)
            failures += [message_id for message_id, e in parsed if e.event_id not in failed_ids]
    unique_failures = list(dict.fromkeys(failures))
    logger.info(
        "analytics batch",
        records=len(event.get("Records", [])),
        counted=len(result.counted),
        duplicates=len(result.duplicates),
        poison=poison,
        failed=len(unique_failures),
        writes=result.writes,
    )
    metrics.add_metric(name="EventsCounted", unit="Count", value=len(result.counted))
    metrics.add_metric(name="DuplicateEvents", unit="Count", value=len(result.duplicates))
    metrics.add_metric(name="PoisonEvents", unit="Count", value=poison)
    metrics.add_metric(name="StatsWrites", unit="Count", value=result.writes)
    return BatchOutcome(
        response={"batchItemFailures": [{"itemIdentifier": m} for m in unique_failures]},
        counted=len(result.counted),
        duplicates=len(result.duplicates),
        poison=poison,
        writes=result.writes,
    )
