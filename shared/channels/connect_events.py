"""Amazon Connect contact events -> the platform's contact events.

Connect publishes `aws.connect` / `Amazon Connect Contact Event` on the default bus; a rule (infra/template.yaml,
`ConnectEventsRule`) sends them to a queue this consumer reads. AWS documents them as best effort, unordered,
growing new fields and event types over time, and its own samples mix camelCase and PascalCase keys and `VOICE` /
`Voice`: every key is therefore read case-insensitively and every value defensively.

| Connect eventType   | platform event                                                                       |
|---------------------|--------------------------------------------------------------------------------------|
| INITIATED           | ContactStarted (origin connect, initiation method)                                   |
| QUEUED              | ContactQueued (regional team or common centre, from the flow's recorded route)       |
| CONNECTED_TO_AGENT  | ContactAnswered (seconds waited in queue)                                            |
| DISCONNECTED        | ContactDisconnected; abandoned = queued and never reached an agent                   |
| COMPLETED           | ContactClosed (outcome completed, or abandoned)                                      |
| anything else       | ignored (acknowledged)                                                               |

A conversation is keyed by its initial contact id, so a transfer's second leg does not count as a second contact.
Duplicates: each (conversation, event type) is published once; a "seen" marker is written after a successful
publish, and the platform event's `event_id` is derived from the same pair, so even a duplicate that races past the
marker is deduped downstream. Out of order: abandonment is decided from the DISCONNECTED event's own queueInfo and
agentInfo (present when the contact was queued or answered), completed with what earlier events recorded.
Territory and language come from the route the flow function recorded for the contact (`CONNECT#{id}` / ROUTE).
Never forwarded: the contact id, agent ARNs, tags, endpoints.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson

from shared.aws.event_bus import EventPublisher
from shared.channels.repository import ChannelsRepository, ConnectRoute
from shared.event_contracts import (
    ContactAnswered,
    ContactClosed,
    ContactDisconnected,
    ContactEvent,
    ContactQueued,
    ContactStarted,
)
from shared.observability import logger, metrics

SOURCE = "aws.connect"
DETAIL_TYPE = "Amazon Connect Contact Event"
HANDLED = ("INITIATED", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED")
IGNORED_INITIATIONS = ("MONITOR",)  # a supervisor listening in is not a person's contact
SEEN_RETENTION = timedelta(days=7)
EVENT_NAMESPACE = uuid.UUID("3c0f6c2e-8a55-5b1d-9f3e-211c0c0a7e75")
Outcome = Literal["published", "duplicate", "ignored"]


class PublishFailed(Exception):
    """EventBridge refused the platform event: the record must be retried."""


def lower_keys(value: Any) -> Any:
    """Keys lower-cased at every level: `AgentInfo` and `agentInfo` read alike, as do `InstanceARN`/`instanceArn`."""
    if isinstance(value, Mapping):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return None if parsed.year < 2000 else parsed  # AWS uses 1970-01-01T00:00:00.001Z for "not set"


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds())


@dataclass(frozen=True)
class ConnectContactEvent:
    event_type: str
    contact_id: str
    conversation_id: str  # the initial contact id: one conversation across transfers
    channel_raw: str
    initiation_method: str
    time: datetime
    initiated_at: datetime | None
    enqueued_at: datetime | None
    answered_at: datetime | None
    disconnected_at: datetime | None
    after_contact_work_end: datetime | None
    queued: bool
    reached_agent: bool

    @property
    def channel(self) -> Literal["phone", "chat", "email"] | None:
        upper = self.channel_raw.upper()
        return {"VOICE": "phone", "CHAT": "chat", "EMAIL": "email"}.get(upper)  # type: ignore[return-value]


def parse(envelope: Any) -> ConnectContactEvent | None:
    """The EventBridge event as Connect sends it; None when it is not a contact event we can read."""
    if not isinstance(envelope, Mapping):
        return None
    event = lower_keys(envelope)
    if _text(event.get("source")) != SOURCE or _text(event.get("detail-type")) != DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return None
    event_type = _text(detail.get("eventtype")).upper()
    contact_id = _text(detail.get("contactid"))
    if not event_type or not contact_id:
        return None
    queue = detail.get("queueinfo") if isinstance(detail.get("queueinfo"), Mapping) else {}
    agent = detail.get("agentinfo") if isinstance(detail.get("agentinfo"), Mapping) else {}
    answered_at = _time(agent.get("connectedtoagenttimestamp"))
    return ConnectContactEvent(
        event_type=event_type,
        contact_id=contact_id,
        conversation_id=_text(detail.get("initialcontactid")) or contact_id,
        channel_raw=_text(detail.get("channel")),
        initiation_method=_text(detail.get("initiationmethod")).upper(),
        time=_time(event.get("time")) or datetime.now(UTC),
        initiated_at=_time(detail.get("initiationtimestamp")),
        enqueued_at=_time(queue.get("enqueuetimestamp")),
        answered_at=answered_at,
        disconnected_at=_time(detail.get("disconnecttimestamp")),
        after_contact_work_end=_time(agent.get("aftercontactworkendtimestamp")),
        queued=bool(queue.get("queuearn") or queue.get("arn") or queue.get("enqueuetimestamp")),
        reached_agent=bool(answered_at or agent.get("agentarn") or agent.get("arn")),
    )


class ConnectEventConsumer:
    def __init__(self, repository: ChannelsRepository, publisher: EventPublisher) -> None:
        self.repository = repository
        self.publisher = publisher

    def handle(self, envelope: Any) -> Outcome:
        event = parse(envelope)
        if event is None:
            logger.info("contact event ignored", reason="unreadable")
            return "ignored"
        channel = event.channel
        if (
            event.event_type not in HANDLED
            or channel is None
            or event.initiation_method in IGNORED_INITIATIONS
        ):
            logger.info(
                "contact event ignored", event_type=event.event_type[:40], channel=event.channel_raw[:16]
            )
            metrics.add_metric(name="ConnectEventsIgnored", unit="Count", value=1)
            return "ignored"
        route, seen = self.repository.connect_state(event.conversation_id)
        if route is None and event.contact_id != event.conversation_id:
            route, _ = self.repository.connect_state(event.contact_id)
        if event.event_type in seen:
            metrics.add_metric(name="ConnectEventsDuplicated", unit="Count", value=1)
            return "duplicate"
        platform_event = self._platform_event(event, channel, route, seen)
        outcome = self.publisher.publish([platform_event])
        if outcome.failed:
            raise PublishFailed(event.event_type)
        expires = int((event.time + SEEN_RETENTION).timestamp())
        self.repository.mark_connect_seen(
            event.conversation_id, event.event_type, max(expires, _epoch_now() + 60)
        )
        logger.info(
            "contact event published",
            event_type=event.event_type,
            detail_type=str(platform_event.detail_type),
        )
        return "published"

    def _platform_event(
        self,
        event: ConnectContactEvent,
        channel: Literal["phone", "chat", "email"],
        route: ConnectRoute | None,
        seen: set[str],
    ) -> ContactEvent:
        common: dict[str, Any] = {
            "event_id": str(uuid.uuid5(EVENT_NAMESPACE, f"{event.conversation_id}:{event.event_type}")),
            "channel": channel,
            "language": route.language if route and route.language in ("fr", "en") else None,
            "region": route.region if route else None,
            "fsa": route.fsa if route else None,
        }
        abandoned = (event.queued or "QUEUED" in seen) and not (
            event.reached_agent or "CONNECTED_TO_AGENT" in seen
        )
        if event.event_type == "INITIATED":
            return ContactStarted(
                origin="connect",
                occurred_at=event.initiated_at or event.time,
                initiation=event.initiation_method.lower()[:32] or None,
                **common,
            )
        if event.event_type == "QUEUED":
            kind = route.route if route and route.route in ("regional_team", "common_centre") else "unknown"
            return ContactQueued(occurred_at=event.enqueued_at or event.time, route=kind, **common)
        if event.event_type == "CONNECTED_TO_AGENT":
            return ContactAnswered(
                occurred_at=event.answered_at or event.time,
                wait_seconds=_seconds(event.enqueued_at, event.answered_at),
                **common,
            )
        if event.event_type == "DISCONNECTED":
            end = event.disconnected_at or event.time
            return ContactDisconnected(
                occurred_at=end,
                abandoned=abandoned,
                wait_seconds=_seconds(event.enqueued_at, event.answered_at or end) if event.queued else None,
                duration_seconds=_seconds(event.initiated_at, end),
                **common,
            )
        end = event.after_contact_work_end or event.disconnected_at or event.time
        return ContactClosed(
            origin="connect",
            occurred_at=end,
            outcome="abandoned" if abandoned else "completed",
            duration_seconds=_seconds(event.initiated_at, event.disconnected_at or end),
            **common,
        )


def _epoch_now() -> int:
    return int(datetime.now(UTC).timestamp())


def envelope_of_record(body: str) -> Any:
    """An SQS record's body: the EventBridge event (the rule targets the queue without an input transformer)."""
    return orjson.loads(body)
