"""`referral211 stats rebuild --from --to`: recompute the counters from the raw event log.

The range is widened to whole months (month tables are stored by month). Every logged event of those days is
read,
deduped on `event_id` and projected exactly as the live path does; the counters of the range are then replaced
(an item is written only when it differs; stale items are deleted) and the seen markers of those days set to
the
events counted, so a later redelivery of any of them is still recognised. Run it on closed periods, or with
the
aggregator's event source mapping disabled, since a live batch landing during a rebuild of the same days
could be
overwritten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from shared.analytics.counters import Key, StatsStore, combine, period_of
from shared.analytics.event_log import EventLog
from shared.analytics.stream import PoisonEvent, StreamEvent, parse_body
from shared.analytics.tables import TABLES
from shared.observability import logger


@dataclass(frozen=True)
class RebuildReport:
    first: date
    last: date
    lines: int
    events: int
    duplicates: int
    unreadable: int
    items_written: int
    items_deleted: int


def month_range(first: date, last: date) -> tuple[date, date]:
    end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.replace(day=1), end


def rebuild(
    first: date, last: date, *, store: StatsStore, log: EventLog, regions: list[str]
) -> RebuildReport:
    first, last = month_range(first, last)
    seen: dict[str, StreamEvent] = {}
    lines = duplicates = unreadable = 0
    for line in log.read(first, last):
        lines += 1
        try:
            event = parse_body(line)
        except PoisonEvent:
            unreadable += 1
            continue
        if event.event_id in seen:
            duplicates += 1
            continue
        if first <= event.day <= last:
            seen[event.event_id] = event
    counted = [e for e in seen.values() if e.increments]
    combined = combine(i for e in counted for i in e.increments)
    written = deleted = 0
    for table in TABLES:
        lo, hi = period_of(table, first), period_of(table, last)
        for region in regions:
            pk = f"{table}#{region}"
            items: dict[Key, dict[str, int]] = {k: v for k, v in combined.items() if k[0] == pk}
            w, d = store.replace_counters(table, region, lo, hi, items)
            written, deleted = written + w, deleted + d
    by_day: dict[date, set[str]] = defaultdict(set)
    for event in counted:
        by_day[event.day].add(event.dedupe_hash)
    day = first
    while day <= last:
        store.replace_markers(day, by_day.get(day, set()))
        day += timedelta(days=1)
    logger.info(
        "stats rebuilt",
        first=first.isoformat(),
        last=last.isoformat(),
        events=len(counted),
        written=written,
        deleted=deleted,
    )
    return RebuildReport(first, last, lines, len(counted), duplicates, unreadable, written, deleted)
