"""The analytics consumer Lambda: SQS (fed by the bus's analytics rule) -> exactly-once counters.

Chalice's `on_sqs_message` cannot enable partial batch responses, so this is a plain `lambda_function`; its
event
source mapping (with `FunctionResponseTypes: [ReportBatchItemFailures]`) is in infra/template.yaml
(`AnalyticsAggregatorQueueMapping`). The local stack's workers call `handle` the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice import Blueprint

from shared.config import get_settings

blueprint = Blueprint(__name__)


@lru_cache(maxsize=4)
def _components(table: str, bucket: str) -> tuple[Any, Any]:
    from shared.analytics.counters import StatsStore
    from shared.analytics.event_log import EventLog

    return StatsStore(table), EventLog(bucket)


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from shared.analytics.aggregator import handle_batch
    from shared.observability import metrics

    settings = get_settings()
    store, log = _components(settings.stats_table, settings.analytics_bucket)
    outcome = handle_batch(event, context, store=store, log=log)
    metrics.flush_metrics()
    return outcome.response


@blueprint.lambda_function(name="analytics_aggregator")
def analytics_aggregator(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
