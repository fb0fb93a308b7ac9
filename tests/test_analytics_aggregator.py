"""The analytics consumer on moto: exactly-once counts under duplicates, replays, partial failures, poison."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.config import get_settings
from tests.analytics_stream import (
    FOOD_BANK,
    contact_event,
    lookup,
    random_stream,
    redelivered,
    sqs_batch,
    tally_requests,
)


def consume(batch: dict[str, Any]) -> dict[str, Any]:
    from functions.analytics_aggregator import handle

    return handle(batch)


def stored_requests() -> Counter[tuple[str, str, str, str]]:
    from shared.analytics.counters import StatsStore
    from shared.analytics.projections import split_cell_name

    store = StatsStore(get_settings().stats_table)
    found: Counter[tuple[str, str, str, str]] = Counter()
    for region in ["00", "02", "03", "06", "13"]:
        for period, cells in store.read_counters("requests", region, "2025-12-01", "2026-12-31"):
            for name, value in cells.items():
                measure, (channel,) = split_cell_name(name)
                found[(period, region, channel, measure)] += value
    return found


@pytest.fixture(autouse=True)
def _fresh_components() -> None:
    from functions.analytics_aggregator import _components

    _components.cache_clear()


def test_duplicates_in_and_across_batches_and_replays_count_once(aws: dict[str, str]) -> None:
    # GIVEN 300 events, 10% delivered twice in the same batch, 10% again in a later batch, 5% replayed
    events = random_stream(300, seed=1)
    rng = random.Random(2)
    first = events + rng.sample(events, 30)
    rng.shuffle(first)
    later = [redelivered(e) for e in rng.sample(events, 30)]
    replayed = [redelivered(e, replay="replay-2026-03") for e in rng.sample(events, 15)]
    # WHEN they arrive in batches of 100
    stream = first + later + replayed
    for start in range(0, len(stream), 100):
        answer = consume(sqs_batch(stream[start : start + 100]))
        assert answer == {"batchItemFailures": []}
    # THEN every count equals an independent tally of distinct events
    assert stored_requests() == +tally_requests(events)


def test_poison_messages_are_reported_without_blocking_the_rest(aws: dict[str, str]) -> None:
    # GIVEN a batch with good events and three kinds of poison
    good = [lookup(channel="web"), lookup(channel="phone")]
    broken_contract = lookup()
    broken_contract["detail"]["region"] = "99"
    batch = sqs_batch([good[0], "not json {", {"unexpected": "shape"}, broken_contract, good[1]])
    ids = [r["messageId"] for r in batch["Records"]]
    # WHEN it is consumed
    answer = consume(batch)
    # THEN only the poison is reported, and the good events are counted
    assert {f["itemIdentifier"] for f in answer["batchItemFailures"]} == {ids[1], ids[2], ids[3]}
    assert stored_requests() == +tally_requests(good)


def test_a_batch_of_only_poison_is_reported_not_raised(aws: dict[str, str]) -> None:
    batch = sqs_batch(["{", "[]"])
    answer = consume(batch)
    assert len(answer["batchItemFailures"]) == 2


def test_events_no_projection_counts_are_accepted_and_logged(aws: dict[str, str]) -> None:
    # GIVEN an event type analytics does not count yet
    other = contact_event("ListingChanged", channel="web")
    other["source"] = "referral211.batches"
    answer = consume(sqs_batch([other]))
    # THEN it is not a failure, counts nothing, and the raw log keeps it for a later rebuild
    assert answer == {"batchItemFailures": []}
    assert stored_requests() == Counter()
    from shared.analytics.event_log import EventLog

    logged = list(
        EventLog(get_settings().analytics_bucket).read(
            datetime(2026, 3, 10).date(), datetime(2026, 3, 10).date()
        )
    )
    assert len(logged) == 1


def test_a_failed_transaction_fails_only_its_messages_and_the_retry_counts_once(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.aws.dynamodb import Table
    from shared.errors import ServiceUnavailable

    # GIVEN events over 120 days (more items than one transaction holds), and DynamoDB throttling the second
    # transaction only
    day1 = [
        lookup(when=datetime(2026, 1, 1, 15, tzinfo=UTC) + timedelta(days=n), region="02") for n in range(120)
    ]
    day2 = [lookup(when=datetime(2026, 3, 11, 15, tzinfo=UTC), region="06") for _ in range(3)]
    original = Table.transact
    calls = {"n": 0}

    def flaky(self: Table, actions: list[dict[str, Any]]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ServiceUnavailable("throttled", message_en="throttled")
        original(self, actions)

    monkeypatch.setattr(Table, "transact", flaky)
    batch = sqs_batch(day1 + day2)
    # WHEN the batch is consumed
    answer = consume(batch)
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    # THEN some messages are reported failed, not all
    assert 0 < len(failed) < len(batch["Records"])
    # WHEN SQS redelivers the whole batch (the worst case: even the successes come back)
    monkeypatch.setattr(Table, "transact", original)
    assert consume(sqs_batch(day1 + day2)) == {"batchItemFailures": []}
    # THEN every event counts once
    assert stored_requests() == +tally_requests(day1 + day2)


def test_a_concurrent_consumer_of_the_same_events_cannot_double_count(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.analytics.counters import StatsStore

    # GIVEN a consumer that reads the seen markers, then another consumer counts the same events before it
    # writes
    events = [lookup(channel="chat") for _ in range(5)]
    original = StatsStore._read_markers
    state = {"raced": False}

    def read_then_race(self: StatsStore, keys: Any) -> Any:
        markers = original(self, keys)
        if not state["raced"]:
            state["raced"] = True
            consume(sqs_batch(events))  # the other consumer (SQS delivered the message twice at once)
        return markers

    monkeypatch.setattr(StatsStore, "_read_markers", read_then_race)
    # WHEN the first consumer writes with its stale view
    assert consume(sqs_batch(events)) == {"batchItemFailures": []}
    # THEN its transaction is refused, it re-reads, and every event counts once
    assert stored_requests() == +tally_requests(events)


def test_two_consumers_counting_other_events_of_the_same_month_lose_no_count(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.analytics.counters import StatsStore

    # GIVEN a consumer that has read a month's counter item, and another consumer that counts other events of
    # the same month and region (other days: other seen markers, no marker conflict) before the first writes
    earlier = [lookup(channel="web", when=datetime(2026, 3, 1, 15, tzinfo=UTC))]
    assert consume(sqs_batch(earlier)) == {"batchItemFailures": []}  # the month's items exist (version 1)
    mine = [lookup(channel="web", when=datetime(2026, 3, 10, 15, tzinfo=UTC)) for _ in range(4)]
    theirs = [lookup(channel="web", when=datetime(2026, 3, 20, 15, tzinfo=UTC)) for _ in range(3)]
    original = StatsStore._read_counters
    state = {"raced": False}

    def read_then_race(self: StatsStore, keys: Any) -> Any:
        counters = original(self, keys)
        if not state["raced"]:
            state["raced"] = True
            assert consume(sqs_batch(theirs)) == {"batchItemFailures": []}
        return counters

    monkeypatch.setattr(StatsStore, "_read_counters", read_then_race)
    # WHEN the first consumer writes the month item it read before the other's write
    assert consume(sqs_batch(mine)) == {"batchItemFailures": []}
    # THEN its write was refused (the item's version moved), it re-read, and both consumers' events count
    assert stored_requests() == +tally_requests(earlier + mine + theirs)


def test_a_counter_item_past_the_size_limit_fails_its_events_and_counts_nothing(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.analytics import counters

    monkeypatch.setattr(counters, "MAX_ITEM_BYTES", 40)
    batch = sqs_batch([lookup(), lookup()])
    answer = consume(batch)
    assert len(answer["batchItemFailures"]) == 2
    assert stored_requests() == Counter()


def test_a_month_of_one_region_is_one_item_per_shard_with_packed_cells(aws: dict[str, str]) -> None:
    from shared.analytics.counters import StatsStore

    # GIVEN lookups every day of March in region 02, on two channels
    events = [
        lookup(region="02", channel=channel, when=datetime(2026, 3, 1, 15, tzinfo=UTC) + timedelta(days=n))
        for n in range(31)
        for channel in ("web", "phone")
    ]
    assert consume(sqs_batch(events)) == {"batchItemFailures": []}
    # THEN the requests table of region 02 holds one item for the month, its cells packed in one attribute
    items = list(StatsStore(get_settings().stats_table).read_items("requests", "02", "2026-01", "2026-12"))
    assert [(i["PK"]["S"], i["SK"]["S"]) for i in items] == [("requests#02", "2026-03#0")]
    assert set(items[0]) == {"PK", "SK", "cells", "v"}
    assert len(json.loads(items[0]["cells"]["S"])) == 31


def test_counters_of_the_former_layout_are_still_read_and_rewritten_packed_when_touched(
    aws: dict[str, str],
) -> None:
    from shared.analytics.counters import StatsStore
    from shared.aws.dynamodb import Table

    # GIVEN counters written before month items were packed: a day item of the requests table and a month item
    # of lookups_by_category, one number attribute per cell and no version
    table = Table(get_settings().stats_table)
    old = [
        {"PK": {"S": "requests#02"}, "SK": {"S": "2026-03-31#0"}, "lookups|web": {"N": "7"}},
        {
            "PK": {"S": "lookups_by_category#02"},
            "SK": {"S": "2026-03#0"},
            f"lookups|{FOOD_BANK}|web": {"N": "7"},
        },
    ]
    for _ in table.batch_put(old):
        pass
    # WHEN new lookups of the same month are counted
    when = datetime(2026, 3, 10, 15, tzinfo=UTC)
    events = [lookup(region="02", channel="web", when=when) for _ in range(2)]
    assert consume(sqs_batch(events)) == {"batchItemFailures": []}
    # THEN both layouts are read together
    assert stored_requests() == Counter(
        {("2026-03-31", "02", "web", "lookups"): 7, ("2026-03-10", "02", "web", "lookups"): 2}
    )
    store = StatsStore(get_settings().stats_table)
    assert store.read_counters("lookups_by_category", "02", "2026-03", "2026-03") == [
        ("2026-03", {f"lookups|{FOOD_BANK}|web": 9})
    ]
    # AND the month item the batch touched was rewritten packed, its old attributes folded in
    migrated = table.get("lookups_by_category#02", "2026-03#0")
    assert migrated is not None and set(migrated) == {"PK", "SK", "cells", "v"}


def test_writes_per_event_stay_low_when_counters_combine(aws: dict[str, str], aws_calls: Any) -> None:
    # GIVEN 1,000 lookups of one busy day across regions and channels (a live batch)
    events = [
        lookup(region=r, channel=c, when=datetime(2026, 3, 10, 15, tzinfo=UTC), term=FOOD_BANK)
        for r in ("02", "03", "06", "13")
        for c in ("web", "phone")
        for _ in range(125)
    ]
    # WHEN they are consumed as one batch
    from shared.analytics.aggregator import handle_batch
    from shared.analytics.counters import StatsStore

    outcome = handle_batch(sqs_batch(events), None, store=StatsStore(get_settings().stats_table), log=None)
    # THEN it costs a handful of item writes, not one per event, and no Scan
    assert outcome.counted == 1000
    assert outcome.writes / 1000 < 0.05
    assert "Scan" not in aws_calls.of("dynamodb")


def test_poison_lands_in_the_dead_letter_queue_after_max_receives(aws: dict[str, str]) -> None:
    from shared.aws.clients import client
    from shared.local_stack.workers import sqs_event

    # GIVEN the analytics queue holding one poison message and one good event, consumed as the event source
    # mapping does (delete what succeeded; failures come back after the visibility timeout)
    sqs = client("sqs")
    queue, dlq = aws["REFERRAL211_ANALYTICS_QUEUE_URL"], aws["REFERRAL211_ANALYTICS_DEAD_LETTER_QUEUE_URL"]
    sqs.send_message(QueueUrl=queue, MessageBody="poison")
    good = lookup()
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(good))
    for _ in range(8):
        received = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            break
        batch = sqs_event(received, "arn", "ca-central-1")
        failed = {f["itemIdentifier"] for f in consume(batch)["batchItemFailures"]}
        for m in received:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    # THEN the good event counted once and the poison waits in the dead-letter queue
    assert stored_requests() == +tally_requests([good])
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ["poison"]
