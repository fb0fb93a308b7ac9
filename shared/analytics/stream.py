"""Reading the analytics stream: an EventBridge event (as SQS delivers it, or replayed from the archive or
the raw
event log) becomes a `StreamEvent`: its dedupe key, local day and counter increments.

An event that cannot be read (not JSON, not an EventBridge envelope, a known detail-type whose detail fails
its
contract) raises `PoisonEvent`: the aggregator reports it as a batch item failure, SQS retries it and, after
`maxReceiveCount`, moves it to the dead-letter queue without blocking the rest of the batch. An event of a
detail-type no projection counts (ListingChanged, ...) is valid and counts nothing; it is still logged, so a
later
projection can be back-filled by `referral211 stats rebuild`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from pydantic import ValidationError

from shared.analytics.projections import PROJECTIONS, Increment, local_day
from shared.event_contracts import SOURCE_PREFIX


class PoisonEvent(Exception):
    """An event the aggregator can never count; `reason` is a constant string for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StreamEvent:
    event_id: str
    detail_type: str
    day: date
    increments: tuple[Increment, ...]
    envelope: dict[str, Any] = field(repr=False, compare=False)
    replay_name: str | None = None

    @property
    def dedupe_hash(self) -> str:
        """128 bits of SHA-256 of the event id: what a seen marker stores (fixed size, no raw ids)."""
        return hashlib.sha256(self.event_id.encode()).hexdigest()[:32]


def parse_body(body: str | bytes) -> StreamEvent:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PoisonEvent("not json") from error
    return parse_envelope(envelope)


def parse_envelope(envelope: Any) -> StreamEvent:
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    if not isinstance(envelope, dict):
        raise PoisonEvent("not an eventbridge envelope")
    # Fields no projection reads may be missing (moto's server delivers to SQS without `account`): default them
    # rather than reject a valid event; id, source, detail-type, time and detail stay required.
    envelope = {"version": "0", "account": "", "region": "", "resources": [], **envelope}
    try:
        parsed = EventBridgeModel.model_validate(envelope)
    except ValidationError as error:
        raise PoisonEvent("not an eventbridge envelope") from error
    if not parsed.source.startswith(SOURCE_PREFIX) or not isinstance(parsed.detail, dict):
        raise PoisonEvent("not a referral211 event")
    detail_type = parsed.detail_type
    registered = PROJECTIONS.get(detail_type)
    if registered is None:
        event_id = str(parsed.detail.get("event_id") or parsed.id)
        return StreamEvent(event_id, detail_type, local_day(parsed.time), (), envelope, parsed.replay_name)
    try:
        detail = registered.model.model_validate(parsed.detail)
    except ValidationError as error:
        raise PoisonEvent("detail breaks its contract") from error
    occurred_at = getattr(detail, "occurred_at", None) or parsed.time
    increments = tuple(registered.project(detail, local_day(occurred_at)))
    return StreamEvent(
        event_id=str(detail.event_id),  # type: ignore[attr-defined]
        detail_type=detail_type,
        day=local_day(occurred_at),
        increments=increments,
        envelope=envelope,
        replay_name=parsed.replay_name,
    )
