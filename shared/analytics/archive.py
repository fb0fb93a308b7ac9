"""Reading the EventBridge archive back for `referral211 stats rebuild --source archive`.

The bus's archive (`EventArchive` in infra/template.yaml, 365 days) keeps every `referral211*` event, with the
`time` its publisher gave it: the event's `occurred_at` (shared/aws/event_bus.py). A rebuild of whole local
months [first, last] replays exactly the events whose `time` lies between local midnight of `first` and local
midnight after `last`, which are the events the live path counted in those months (it counts by the local day
of `occurred_at`).

The replay goes to one rule only (`StartReplay`'s `Destination.FilterArns`): `StatsRebuildRule`, whose pattern
matches only replays named `stats-rebuild-...`, into `StatsRebuildQueue`. The live aggregator never sees these
events; the command reads them from that queue until the replay is `COMPLETED` and the queue has stayed empty
for a few long polls, then recounts them (shared/analytics/rebuild.py). Messages of another replay (an
interrupted rebuild's leftovers) are deleted and counted as `stale`.

Resource names follow the template: `referral211-<stage>-archive`, `referral211-<stage>-stats-rebuild` (the
rule and the queue); a test checks they match.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import orjson

from shared.analytics.projections import LOCAL_TIME
from shared.aws.clients import client as aws_client

# StatsRebuildRule's pattern: {"replay-name": [{"prefix": "stats-rebuild-"}]}
REPLAY_PREFIX = "stats-rebuild-"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def archive_name(stage: str) -> str:
    return f"referral211-{stage}-archive"


def rebuild_rule_name(stage: str) -> str:
    return f"referral211-{stage}-stats-rebuild"


def rebuild_queue_name(stage: str) -> str:
    return f"referral211-{stage}-stats-rebuild"


class ArchiveError(Exception):
    """The archive cannot give the window's events (retention, a failed replay, a missing resource)."""


@dataclass(frozen=True)
class ArchiveTarget:
    archive_arn: str
    bus_arn: str
    rule_arn: str
    queue_url: str
    retention_days: int  # 0: kept indefinitely

    @classmethod
    def for_stage(cls, stage: str, *, events: Any | None = None, sqs: Any | None = None) -> ArchiveTarget:
        events = events or aws_client("events")
        sqs = sqs or aws_client("sqs")
        try:
            archive = events.describe_archive(ArchiveName=archive_name(stage))
            bus_arn = archive["EventSourceArn"]
            rule = events.describe_rule(Name=rebuild_rule_name(stage), EventBusName=bus_arn.split("/")[-1])
            queue_url = sqs.get_queue_url(QueueName=rebuild_queue_name(stage))["QueueUrl"]
        except Exception as error:  # a stack deployed before the rebuild rule existed, a wrong stage
            raise ArchiveError(f"stage {stage}: {type(error).__name__}: {error}") from error
        return cls(
            archive_arn=archive["ArchiveArn"],
            bus_arn=bus_arn,
            rule_arn=rule["Arn"],
            queue_url=queue_url,
            retention_days=int(archive.get("RetentionDays") or 0),
        )

    def check_window(self, first: date, today: date) -> None:
        if self.retention_days and first < today - timedelta(days=self.retention_days):
            raise ArchiveError(
                f"the archive keeps {self.retention_days} days: events before "
                f"{today - timedelta(days=self.retention_days)} are no longer in it (use --source log)"
            )


def replay_window(first: date, last: date) -> tuple[datetime, datetime]:
    """[local midnight of `first`, local midnight after `last`), in UTC: the events of those local days."""
    start = datetime.combine(first, clock_time(0), LOCAL_TIME)
    end = datetime.combine(last + timedelta(days=1), clock_time(0), LOCAL_TIME)
    return start.astimezone(UTC), end.astimezone(UTC)


class ArchiveReplay:
    """One replay of the archive into the rebuild rule, read back from the rebuild queue.

    Iterating starts the replay and yields each replayed envelope (a dict; raw bytes if a body is not JSON),
    deleting the messages as it goes. It ends when the replay is COMPLETED and `idle_polls` consecutive long
    polls of `wait_seconds` found the queue empty (EventBridge delivers to the queue asynchronously); it
    raises ArchiveError if the replay fails or is cancelled, or after `max_seconds`.
    """

    def __init__(
        self,
        target: ArchiveTarget,
        first: date,
        last: date,
        *,
        name: str | None = None,
        events: Any | None = None,
        sqs: Any | None = None,
        wait_seconds: int = 20,
        idle_polls: int = 3,
        poll_interval: float = 10.0,
        max_seconds: float | None = None,
    ) -> None:
        self.target, self.first, self.last = target, first, last
        self.name = name or f"{REPLAY_PREFIX}{first:%Y%m%d}-{last:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        self._events, self._sqs = events, sqs
        self.wait_seconds, self.idle_polls, self.poll_interval = wait_seconds, idle_polls, poll_interval
        self.max_seconds = max_seconds
        self.state = "NOT_STARTED"
        self.received = 0  # messages of this replay
        self.stale = 0  # messages of another replay, deleted

    @property
    def events(self) -> Any:
        return self._events or aws_client("events")

    @property
    def sqs(self) -> Any:
        return self._sqs or aws_client("sqs")

    def start(self) -> None:
        start, end = replay_window(self.first, self.last)
        answer = self.events.start_replay(
            ReplayName=self.name,
            Description=f"referral211 stats rebuild {self.first} .. {self.last}",
            EventSourceArn=self.target.archive_arn,
            EventStartTime=start,
            EventEndTime=end,
            Destination={"Arn": self.target.bus_arn, "FilterArns": [self.target.rule_arn]},
        )
        self.state = answer.get("State", "STARTING")

    def _refresh(self) -> None:
        described = self.events.describe_replay(ReplayName=self.name)
        self.state = described["State"]
        if self.state in ("FAILED", "CANCELLED"):
            raise ArchiveError(f"replay {self.name} {self.state}: {described.get('StateReason', '')}")

    def __iter__(self) -> Iterator[dict[str, Any] | bytes]:
        self.start()
        began = checked = time.monotonic()
        self._refresh()
        idle = 0
        while True:
            if self.max_seconds is not None and time.monotonic() - began > self.max_seconds:
                raise ArchiveError(f"replay {self.name}: still {self.state} after {self.max_seconds:.0f} s")
            done = self.state == "COMPLETED"
            wait = self.wait_seconds if done else min(self.wait_seconds, int(self.poll_interval))
            answer = self.sqs.receive_message(
                QueueUrl=self.target.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait
            )
            messages = answer.get("Messages", [])
            if messages:
                idle = 0
                for message in messages:
                    yield from self._read(message["Body"])
                self.sqs.delete_message_batch(
                    QueueUrl=self.target.queue_url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
                    ],
                )
            elif done:
                idle += 1
                if idle >= self.idle_polls:
                    return
            if not done and (not messages or time.monotonic() - checked >= self.poll_interval):
                self._refresh()
                checked = time.monotonic()

    def _read(self, body: str) -> Iterator[dict[str, Any] | bytes]:
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            self.received += 1
            yield body.encode()  # counted as unreadable by the recount
            return
        if isinstance(envelope, dict) and envelope.get("replay-name") != self.name:
            self.stale += 1
            return
        self.received += 1
        yield envelope
