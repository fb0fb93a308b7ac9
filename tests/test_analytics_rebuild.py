"""`referral211 stats rebuild` on moto: from the EventBridge archive (a replay into the rebuild queue) and
from the raw log, the rebuilt tables equal the live path's, and the seen markers keep later deliveries exact.

moto 5.2.5 replays synchronously and ignores a replay's time window and `FilterArns` (every archived event goes
to every rule of the bus): the recount's own day filter keeps the window exact, and the replayed copies that
reach the live analytics queue are recognised by the seen markers (a test below consumes them: nothing moves).
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.config import get_settings
from tests.analytics_stream import random_stream, redelivered

REGIONS = ["00", "02", "03", "06", "13"]
TABLES = ("requests", "lookups_by_category", "lookups_without_results", "contacts")


def publish(envelopes: list[dict[str, Any]]) -> None:
    """Through the platform's publisher, as the routes do: onto the bus, into the archive and the queue."""
    from shared.analytics.projections import PROJECTIONS
    from shared.aws.event_bus import EventPublisher

    models = [PROJECTIONS[e["detail-type"]].model.model_validate(e["detail"]) for e in envelopes]
    outcome = EventPublisher(get_settings().event_bus_name).publish(models)
    assert outcome.failed == 0


def drain_analytics_queue(queue_url: str) -> int:
    """The live path: the aggregator consumes the analytics queue as the event source mapping does."""
    from functions.analytics_aggregator import _components, handle
    from shared.aws.clients import client
    from shared.local_stack.workers import sqs_event

    _components.cache_clear()
    sqs, consumed = client("sqs"), 0
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            return consumed
        failed = {f["itemIdentifier"] for f in handle(sqs_event(received, "arn", "ca-central-1"))["batchItemFailures"]}
        assert not failed
        for m in received:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        consumed += len(received)


def counted(envelopes: list[dict[str, Any]]) -> int:
    """Events that count something (a ContactDisconnected that was not abandoned counts nothing)."""
    from shared.analytics.stream import parse_envelope

    return sum(1 for e in envelopes if parse_envelope(e).increments)


def snapshot(months: tuple[str, str] = ("2025-12", "2026-06")) -> dict[Any, Any]:
    from shared.analytics.counters import StatsStore

    store = StatsStore(get_settings().stats_table)
    return {
        (t, r): store.read_counters(t, r, months[0], months[1] + "-31~") for t in TABLES for r in REGIONS
    }


def replay_for(first: date, last: date) -> Any:
    from shared.analytics.archive import ArchiveReplay, ArchiveTarget

    target = ArchiveTarget.for_stage(get_settings().stage)
    return ArchiveReplay(target, first, last, wait_seconds=0, idle_polls=1, poll_interval=0)


@pytest.fixture
def live(aws: dict[str, str]) -> dict[str, Any]:
    """GIVEN Jan-Feb 2026 published on the bus (10% published twice, as a publisher retry would) plus April,
    counted live from the analytics queue with a redelivery of some of them."""
    events = random_stream(300, seed=11, days=55)
    april = random_stream(40, seed=12, start=datetime(2026, 4, 2, 5, tzinfo=UTC), days=10)
    twice = random.Random(4).sample(events, 30)
    publish(events + twice + april)
    queue = aws["REFERRAL211_ANALYTICS_QUEUE_URL"]
    assert drain_analytics_queue(queue) == len(events) + len(twice) + len(april)
    from tests.analytics_stream import sqs_batch
    from tests.test_analytics_aggregator import consume

    consume(sqs_batch([redelivered(e) for e in events[:20]]))
    return {"events": events, "april": april, "queue": queue, "counters": snapshot()}


def damage() -> None:
    """Counters and markers of January and February lost or wrong."""
    from shared.analytics.counters import StatsStore, counter_item, marker_key
    from shared.aws.dynamodb import Table

    table = Table(get_settings().stats_table)
    table.delete_items([("requests#06", "2026-01#0"), marker_key(date(2026, 1, 10), 3)])
    store = StatsStore(get_settings().stats_table)
    before = next(store.read_items("requests", "02", "2026-02", "2026-02"))
    wrong = counter_item(("requests#02", "2026-02#0"), {"2026-02-03": {"lookups|web": 999}}, 9)
    for _ in table.batch_put([wrong]):
        pass
    assert before != table.get("requests#02", "2026-02#0")


def test_rebuild_from_the_archive_gives_the_live_numbers(live: dict[str, Any]) -> None:
    from shared.analytics.counters import StatsStore
    from shared.analytics.rebuild import rebuild_from_archive

    damage()
    assert snapshot() != live["counters"]
    # WHEN January and February are rebuilt from the archive
    replay = replay_for(date(2026, 1, 1), date(2026, 2, 28))
    report = rebuild_from_archive(
        date(2026, 1, 1),
        date(2026, 2, 28),
        store=StatsStore(get_settings().stats_table),
        replay=replay,
        regions=REGIONS,
        allow_decrease=True,  # the damage inflated one cell
    )
    # THEN every number is the live path's again, April untouched, and the report says what the replay held
    assert snapshot() == live["counters"]
    assert report.applied and report.source == "archive" and replay.name.startswith("stats-rebuild-")
    assert report.events == counted(live["events"])
    assert report.duplicates == 30  # the events published twice, the same event id
    assert report.outside == len(live["april"])  # moto replays the whole archive; the window is ours
    assert "requests.lookups" in report.changed_totals
    # AND recounting again finds nothing left to change
    again = rebuild_from_archive(
        date(2026, 1, 1),
        date(2026, 2, 28),
        store=StatsStore(get_settings().stats_table),
        replay=replay_for(date(2026, 1, 1), date(2026, 2, 28)),
        regions=REGIONS,
        dry_run=True,
    )
    assert (again.items_written, again.items_deleted, again.changed_totals) == (0, 0, {})


def test_after_an_archive_rebuild_later_deliveries_still_count_once(live: dict[str, Any]) -> None:
    from shared.analytics.counters import StatsStore
    from shared.analytics.rebuild import rebuild_from_archive

    damage()
    rebuild_from_archive(
        date(2026, 1, 1),
        date(2026, 2, 28),
        store=StatsStore(get_settings().stats_table),
        replay=replay_for(date(2026, 1, 1), date(2026, 2, 28)),
        regions=REGIONS,
        allow_decrease=True,
    )
    # WHEN the replayed copies moto also sent to the live analytics queue are consumed, and an event of the
    # window whose marker the damage had deleted is delivered again
    assert drain_analytics_queue(live["queue"]) > 0
    from tests.analytics_stream import sqs_batch
    from tests.test_analytics_aggregator import consume

    consume(sqs_batch([redelivered(e) for e in live["events"]]))
    # THEN nothing moves: the rebuild set the markers to exactly the events it counted
    assert snapshot() == live["counters"]


def test_an_archive_rebuild_that_would_lower_a_total_is_refused_unless_allowed(live: dict[str, Any]) -> None:
    from shared.analytics.counters import StatsStore
    from shared.analytics.rebuild import RebuildRefused, rebuild_from_archive

    damage()  # +999 web lookups on 2026-02-03 in region 02: the archive has fewer
    damaged = snapshot()
    store = StatsStore(get_settings().stats_table)
    with pytest.raises(RebuildRefused) as refused:
        rebuild_from_archive(
            date(2026, 1, 1),
            date(2026, 2, 28),
            store=store,
            replay=replay_for(date(2026, 1, 1), date(2026, 2, 28)),
            regions=REGIONS,
        )
    assert "requests.lookups" in refused.value.report.decreases
    assert snapshot() == damaged  # nothing written


def test_the_command_rebuilds_from_the_archive_and_a_dry_run_writes_nothing(
    live: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.aws.dynamodb import Table
    from shared.commands import stats

    Table(get_settings().stats_table).delete_items([("requests#06", "2026-01#0")])
    damaged = snapshot()
    options = argparse.Namespace(
        action="rebuild",
        first=date(2026, 1, 15),
        last=date(2026, 2, 3),
        source="archive",
        dry_run=True,
        allow_decrease=False,
        stage=None,
        idle_seconds=1,
    )
    assert stats.run(options) == 0
    out = capsys.readouterr().out
    assert "would rebuild (nothing written) 2026-01-01 .. 2026-02-28 from the archive" in out
    assert "requests.lookups:" in out
    assert snapshot() == damaged
    options.dry_run = False
    assert stats.run(options) == 0
    assert "rebuilt 2026-01-01 .. 2026-02-28 from the archive" in capsys.readouterr().out
    assert snapshot() == live["counters"]


def test_rebuild_from_the_raw_log_equals_rebuild_from_the_archive(live: dict[str, Any]) -> None:
    from shared.analytics.counters import StatsStore
    from shared.analytics.event_log import EventLog
    from shared.analytics.rebuild import rebuild, rebuild_from_archive

    store = StatsStore(get_settings().stats_table)
    from_log = rebuild(
        date(2026, 1, 1),
        date(2026, 2, 28),
        store=store,
        log=EventLog(get_settings().analytics_bucket),
        regions=REGIONS,
        dry_run=True,
    )
    from_archive = rebuild_from_archive(
        date(2026, 1, 1),
        date(2026, 2, 28),
        store=store,
        replay=replay_for(date(2026, 1, 1), date(2026, 2, 28)),
        regions=REGIONS,
        dry_run=True,
    )
    # both recount the live numbers: nothing to write, every total unchanged
    for report in (from_log, from_archive):
        assert report.events == counted(live["events"])
        assert (report.items_written, report.items_deleted, report.changed_totals) == (0, 0, {})


def test_the_archive_refuses_a_window_past_its_retention(aws: dict[str, str]) -> None:
    from shared.analytics.archive import ArchiveError, ArchiveTarget

    target = ArchiveTarget.for_stage(get_settings().stage)
    assert target.retention_days == 365
    target.check_window(date(2026, 1, 1), today=date(2026, 11, 23))
    with pytest.raises(ArchiveError, match="keeps 365 days"):
        target.check_window(date(2025, 10, 1), today=date(2026, 11, 23))


def test_the_template_names_what_the_archive_rebuild_looks_for() -> None:
    from shared.analytics import archive
    from shared.infra_template import load_template

    properties = {name: r.get("Properties", {}) for name, r in load_template()["Resources"].items()}
    stage = "${Stage}"
    assert properties["EventArchive"]["ArchiveName"]["Fn::Sub"] == archive.archive_name(stage)
    assert properties["StatsRebuildRule"]["Name"]["Fn::Sub"] == archive.rebuild_rule_name(stage)
    assert properties["StatsRebuildQueue"]["QueueName"]["Fn::Sub"] == archive.rebuild_queue_name(stage)
    # the rule takes replays of the rebuild only: never a live event, never another replay
    assert properties["StatsRebuildRule"]["EventPattern"] == {
        "source": [{"prefix": "referral211"}],
        "replay-name": [{"prefix": archive.REPLAY_PREFIX}],
    }
