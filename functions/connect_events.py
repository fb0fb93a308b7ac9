"""`connect_events`: the consumer of Amazon Connect contact events (SQS, fed by `ConnectEventsRule` on the default
bus; see infra/template.yaml `ConnectEventsQueueMapping`, which asks for partial batch responses).

Thin: each SQS record is one EventBridge event; `shared.channels.connect_events` turns it into a platform event.
A record that fails (EventBridge refused the platform event, DynamoDB unavailable) is reported in
`batchItemFailures` and comes back; unreadable or unknown events are acknowledged. The local stack's workers call
`handle` the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice import Blueprint

from shared.config import get_settings

blueprint = Blueprint(__name__)


@lru_cache(maxsize=4)
def _consumer(table: str, bus: str) -> Any:
    from shared.aws.event_bus import EventPublisher
    from shared.channels.connect_events import ConnectEventConsumer
    from shared.channels.repository import ChannelsRepository

    return ConnectEventConsumer(ChannelsRepository(table), EventPublisher(bus))


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from shared.channels.connect_events import envelope_of_record
    from shared.observability import metrics

    settings = get_settings()
    consumer = _consumer(settings.channels_table, settings.event_bus_name)

    def record_handler(record: SQSRecord) -> str:
        try:
            envelope = envelope_of_record(record.body)
        except ValueError:
            return "ignored"  # not JSON: retrying will not help
        return str(consumer.handle(envelope))

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    if metrics.metric_set:
        metrics.flush_metrics()
    return dict(response)


@blueprint.lambda_function(name="connect_events")
def connect_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
