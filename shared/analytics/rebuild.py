"""`referral211 stats rebuild --from --to [--source log|archive]`: recompute the counters of whole months.

Both sources go through the same recount, so they give the live path's numbers by construction:

1. the range is widened to whole months (every counter item holds one month);
2. the events are read: the raw event log's objects of those days (`--source log`,
   shared/analytics/event_log.py), or a replay of the EventBridge archive over those days into the rebuild
   queue (`--source archive`, shared/analytics/archive.py);
3. `Recount` parses each event as the aggregator does (`parse_body`/`parse_envelope`, the same projections),
   keeps those of the range's local days, drops every repeat of an event id (duplicates, replays, retries),
   and combines the counters exactly as the live path's `combine`;
4. the counters of the range are replaced (an item is written only when it differs, stale items are deleted,
   every written item's version moves on) and the seen markers of those days are set to exactly the events
   counted, so a later delivery of any of them is still recognised and one never counted still counts.

Before writing, the rebuild compares every measure's total with what is stored. It refuses to lower a total
unless asked (`allow_decrease`): a source missing events (an archive past its retention, a log with missing
objects) would otherwise erase counts. `dry_run` stops there and reports what would change.

Run it on closed periods, or with the aggregator's event source mapping disabled: a live batch of the same
months landing between the recount and the replacement could be overwritten (docs/ANALYTICS.md, "Rebuild").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.analytics.counters import (
    Cells,
    CounterPlan,
    Key,
    StatsStore,
    add_cells,
    combine,
    month_of,
)
from shared.analytics.event_log import EventLog
from shared.analytics.stream import PoisonEvent, StreamEvent, parse_body, parse_envelope
from shared.analytics.tables import TABLES
from shared.observability import logger


@dataclass(frozen=True)
class RebuildReport:
    source: str
    first: date
    last: date
    lines: int  # events read from the source (log lines, replayed messages)
    events: int  # distinct events counted
    duplicates: int
    unreadable: int
    outside: int  # events of other days (a replay's edges)
    items_written: int
    items_deleted: int
    totals: dict[str, tuple[int, int]]  # "table.measure" -> (stored before, rebuilt)
    applied: bool
    replay_name: str | None = None
    stale: int = 0  # another replay's messages found in the rebuild queue

    @property
    def changed_totals(self) -> dict[str, tuple[int, int]]:
        return {name: pair for name, pair in self.totals.items() if pair[0] != pair[1]}

    @property
    def decreases(self) -> dict[str, tuple[int, int]]:
        return {name: pair for name, pair in self.totals.items() if pair[1] < pair[0]}


class RebuildRefused(Exception):
    def __init__(self, report: RebuildReport, reason: str) -> None:
        super().__init__(reason)
        self.report = report


@dataclass
class Recount:
    """Events of whole local days [first, last] counted as the live path counts them: once per event id."""

    first: date
    last: date
    lines: int = 0
    duplicates: int = 0
    unreadable: int = 0
    outside: int = 0
    combined: dict[Key, Cells] = field(default_factory=dict)
    by_day: dict[date, set[str]] = field(default_factory=lambda: defaultdict(set))
    _seen: set[str] = field(default_factory=set)

    @property
    def events(self) -> int:
        return sum(len(hashes) for hashes in self.by_day.values())

    def add(self, item: bytes | str | dict[str, Any]) -> StreamEvent | None:
        """One logged line, queue message body, or parsed envelope."""
        self.lines += 1
        try:
            event = parse_envelope(item) if isinstance(item, dict) else parse_body(item)
        except PoisonEvent:
            self.unreadable += 1
            return None
        if not self.first <= event.day <= self.last:
            self.outside += 1
            return None
        if event.dedupe_hash in self._seen:  # the key the seen markers use
            self.duplicates += 1
            return None
        self._seen.add(event.dedupe_hash)
        if event.increments:  # the live path marks only what it counts
            for key, cells in combine(event.increments).items():
                add_cells(self.combined.setdefault(key, {}), cells)
            self.by_day[event.day].add(event.dedupe_hash)
        return event

    def add_all(self, items: Iterable[bytes | str | dict[str, Any]]) -> Recount:
        for item in items:
            self.add(item)
        return self


def month_range(first: date, last: date) -> tuple[date, date]:
    end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.replace(day=1), end


def rebuild(
    first: date,
    last: date,
    *,
    store: StatsStore,
    log: EventLog,
    regions: list[str],
    dry_run: bool = False,
    allow_decrease: bool = False,
) -> RebuildReport:
    """Recompute whole months from the raw event log."""
    first, last = month_range(first, last)
    recount = Recount(first, last).add_all(log.read(first, last))
    return replace(
        recount, store=store, regions=regions, source="log", dry_run=dry_run, allow_decrease=allow_decrease
    )


def rebuild_from_archive(
    first: date,
    last: date,
    *,
    store: StatsStore,
    replay: Any,
    regions: list[str],
    dry_run: bool = False,
    allow_decrease: bool = False,
) -> RebuildReport:
    """Recompute whole months from an archive replay (shared/analytics/archive.py: ArchiveReplay over the
    month range, which `first`/`last` must already be)."""
    recount = Recount(*month_range(first, last)).add_all(replay)
    return replace(
        recount,
        store=store,
        regions=regions,
        source="archive",
        dry_run=dry_run,
        allow_decrease=allow_decrease,
        replay_name=replay.name,
        stale=replay.stale,
    )


def replace(
    recount: Recount,
    *,
    store: StatsStore,
    regions: list[str],
    source: str,
    dry_run: bool,
    allow_decrease: bool,
    replay_name: str | None = None,
    stale: int = 0,
) -> RebuildReport:
    first, last = recount.first, recount.last
    lo, hi = month_of(first), month_of(last)
    by_pk: dict[str, dict[Key, Cells]] = defaultdict(dict)
    for key, cells in recount.combined.items():
        by_pk[key[0]][key] = cells
    plans: list[CounterPlan] = []
    stored: Counter[str] = Counter()
    rebuilt: Counter[str] = Counter()
    for table in TABLES:
        for region in regions:
            plan = store.plan_counters(table, region, lo, hi, by_pk.get(f"{table}#{region}", {}))
            plans.append(plan)
            stored.update(plan.stored)
            rebuilt.update(plan.rebuilt)
    totals = {name: (stored[name], rebuilt[name]) for name in sorted(set(stored) | set(rebuilt))}

    def report(applied: bool) -> RebuildReport:
        return RebuildReport(
            source=source,
            first=first,
            last=last,
            lines=recount.lines,
            events=recount.events,
            duplicates=recount.duplicates,
            unreadable=recount.unreadable,
            outside=recount.outside,
            items_written=sum(len(p.puts) for p in plans),
            items_deleted=sum(len(p.deletes) for p in plans),
            totals=totals,
            applied=applied,
            replay_name=replay_name,
            stale=stale,
        )

    planned = report(applied=False)
    if planned.decreases and not allow_decrease and not dry_run:
        raise RebuildRefused(
            planned,
            "the rebuild would lower "
            + ", ".join(f"{name} {before} -> {after}" for name, (before, after) in planned.decreases.items())
            + f": the {source} may be missing events. Nothing was written (--allow-decrease to proceed).",
        )
    if dry_run:
        return planned
    for plan in plans:
        store.apply_plan(plan)
    day = first
    while day <= last:
        store.replace_markers(day, recount.by_day.get(day, set()))
        day += timedelta(days=1)
    done = report(applied=True)
    logger.info(
        "stats rebuilt",
        source=source,
        first=first.isoformat(),
        last=last.isoformat(),
        events=done.events,
        written=done.items_written,
        deleted=done.items_deleted,
        changed=len(done.changed_totals),
    )
    return done
