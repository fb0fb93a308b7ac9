"""The statistics table and its exactly-once writes.

Key design (table `referral211-<stage>-stats`, keys built only here):

| item | PK | SK | attributes |
|---|---|---|---|
| counters | `{table}#{region}` | `{month}#{shard}` | `cells` (S, JSON `{period: {cell: n}}`), `v` (N) |
| seen marker | `seen#{local day}` | `{shard}` | `ids` (SS of 128-bit event-id hashes), `v`, `expires_at` |

- Every counter item holds one **month** of one region: for a day table (`requests`) the month's days, for a
  month table the month. `period` inside it is the table's grain (`2026-11-02` or `2026-11`); a cell is named
  `measure|dim|dim...`. A year of one region's daily table is one Query of 12 to 14 small items:
  `PK = requests#02 AND SK BETWEEN "2026-01" AND "2026-12~"`.
- The cells are packed in one attribute rather than one attribute per cell: reading a year is 13 attributes to
  decode instead of ~2,000, and the item is smaller (a cell name is stored once per period, with no type
  descriptors). `shard` spreads the cells of big tables over a few items (hash of the cell %
  `TableSpec.shards`) to keep items far under DynamoDB's 400 KB.
- Packed cells cannot be `ADD`ed, so a counter item is written whole (`Put`) conditioned on the version `v` it
  was read at: a batch reads the items it touches (strongly consistent) and writes each once, whatever the
  number of events and cells in it.
- Exactly once: an event counts only in the same transaction that adds its hash to its seen marker (day of the
  event, shard = hash % MARKER_SHARDS). The aggregator reads the markers first (strongly consistent), drops
  the events already there, reads the counter items of the rest, and writes markers + counters in one
  TransactWriteItems whose every item is conditioned on the version it read. A concurrent writer (the same
  message delivered twice at once, another batch of the same month, a rebuild) changes a version: the
  transaction is cancelled, nothing is counted, and the batch re-reads and retries. See docs/ANALYTICS.md.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter as CounterType
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson

from shared.analytics.projections import Increment, cell_name
from shared.analytics.stream import StreamEvent
from shared.analytics.tables import TABLES
from shared.aws.dynamodb import Table
from shared.errors import Conflict
from shared.observability import logger

MARKER_SHARDS = 8  # part of the dedupe key: changing it needs the markers rewritten (stats rebuild)
MARKER_RETENTION_DAYS = (
    400  # longer than the archive's 365 days, so a replay of its oldest event is recognised
)
MAX_ACTIONS = 100  # TransactWriteItems limit
MAX_TRANSACTION_BYTES = 3_000_000  # under TransactWriteItems' 4 MB limit (counter items are written whole)
MAX_ITEM_BYTES = 380_000  # under DynamoDB's 400 KB item limit, with room for keys and attribute names
MAX_ATTEMPTS = 6
CELLS = "cells"

Key = tuple[str, str]
Cells = dict[str, dict[str, int]]  # period -> cell name -> count


def counter_key(table: str, region: str, month: str, shard: int) -> Key:
    return f"{table}#{region}", f"{month}#{shard}"


def marker_key(day: date, shard: int) -> Key:
    return f"seen#{day.isoformat()}", str(shard)


def period_of(table: str, day: date) -> str:
    """The period a cell is counted in: the table's grain."""
    return day.isoformat() if TABLES[table].grain == "day" else day.strftime("%Y-%m")


def month_of(day: date) -> str:
    """The period a counter item holds: a month, for every table."""
    return day.strftime("%Y-%m")


def cell_shard(table: str, cell: tuple[str, ...]) -> int:
    shards = TABLES[table].shards
    if shards == 1:
        return 0
    return hashlib.blake2s("|".join(cell).encode(), digest_size=2).digest()[0] % shards


def marker_shard(dedupe_hash: str) -> int:
    return int(dedupe_hash[:2], 16) % MARKER_SHARDS


def event_marker_key(event: StreamEvent) -> Key:
    return marker_key(event.day, marker_shard(event.dedupe_hash))


def increment_target(increment: Increment) -> tuple[Key, str, str]:
    """The counter item, the period and the cell an increment adds to."""
    key = counter_key(
        increment.table,
        increment.region,
        month_of(increment.day),
        cell_shard(increment.table, increment.cell),
    )
    return key, period_of(increment.table, increment.day), cell_name(increment.measure, increment.cell)


def combine(increments: Iterable[Increment]) -> dict[Key, Cells]:
    """Counters of many events combined: item -> period -> cell -> amount."""
    combined: dict[Key, Cells] = {}
    for increment in increments:
        key, period, cell = increment_target(increment)
        cells = combined.setdefault(key, {}).setdefault(period, {})
        cells[cell] = cells.get(cell, 0) + increment.amount
    return combined


def add_cells(into: Cells, more: Cells) -> Cells:
    """`into` plus `more`, in place (returns `into`)."""
    for period, cells in more.items():
        target = into.setdefault(period, {})
        for cell, amount in cells.items():
            target[cell] = target.get(cell, 0) + amount
    return into


def encode_cells(cells: Cells) -> str:
    return orjson.dumps(cells, option=orjson.OPT_SORT_KEYS).decode()


def decode_cells(item: dict[str, Any]) -> Cells:
    packed = item.get(CELLS)
    if packed:
        return orjson.loads(packed["S"])
    # The layout before packed month items: one number attribute per cell, SK `{period}#{shard}` (a day item
    # for day tables). Still read as it is; the next batch touching such an item rewrites it packed, and a
    # rebuild replaces the old day items.
    legacy = {name: int(value["N"]) for name, value in item.items() if "|" in name and "N" in value}
    return {item["SK"]["S"].split("#", 1)[0]: legacy} if legacy else {}


def counter_item(key: Key, cells: Cells, version: int) -> dict[str, Any]:
    """The stored form of one counter item."""
    return {**_key(key), CELLS: {"S": encode_cells(cells)}, "v": {"N": str(version)}}


@dataclass
class ApplyResult:
    counted: list[str] = field(default_factory=list)  # event ids counted now
    duplicates: list[str] = field(default_factory=list)  # already counted before (or twice in this batch)
    failed: list[str] = field(default_factory=list)  # not counted; the aggregator reports their messages
    writes: int = 0  # items written (markers + counters) by committed transactions
    transactions: int = 0
    attempts: int = 0  # marker reads (1 + retries after conflicts)


@dataclass
class _Marker:
    ids: set[str]
    version: int


@dataclass
class _Counter:
    cells: Cells
    version: int  # 0: the item does not exist yet
    size: int  # bytes of its packed cells


@dataclass
class _Transaction:
    events: list[StreamEvent] = field(default_factory=list)
    markers: dict[Key, set[str]] = field(default_factory=dict)
    counters: dict[Key, Cells] = field(default_factory=dict)
    size: int = 0  # estimated request bytes

    def cost(self, event: StreamEvent, targets: dict[Key, Cells], stored: dict[Key, _Counter]) -> int:
        extra = 48  # the event's hash in its marker update
        for key, periods in targets.items():
            if key not in self.counters:
                extra += stored[key].size + 64
            extra += sum(len(period) + len(cell) + 12 for period, cells in periods.items() for cell in cells)
        return extra

    def fits(self, event: StreamEvent, targets: dict[Key, Cells], stored: dict[Key, _Counter]) -> bool:
        items = set(self.markers) | set(self.counters) | {event_marker_key(event)} | set(targets)
        size = self.size + self.cost(event, targets, stored)
        return len(items) <= MAX_ACTIONS and size <= MAX_TRANSACTION_BYTES

    def add(self, event: StreamEvent, targets: dict[Key, Cells], stored: dict[Key, _Counter]) -> None:
        self.size += self.cost(event, targets, stored)
        self.events.append(event)
        self.markers.setdefault(event_marker_key(event), set()).add(event.dedupe_hash)
        for key, periods in targets.items():
            add_cells(self.counters.setdefault(key, {}), periods)


@dataclass
class CounterPlan:
    """A rebuild's replacement of one table's counters for one region and range of months."""

    puts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[Key] = field(default_factory=list)
    stored: CounterType[str] = field(default_factory=CounterType)  # "table.measure" -> total stored now
    rebuilt: CounterType[str] = field(default_factory=CounterType)  # "table.measure" -> total after


def _add_totals(totals: CounterType[str], table: str, cells: Cells) -> None:
    for period_cells in cells.values():
        for name, value in period_cells.items():
            totals[f"{table}.{name.split('|', 1)[0]}"] += value


class CounterItemTooLarge(Exception):
    """A counter item would pass DynamoDB's item limit: the table needs more shards (TableSpec.shards)."""


class StatsStore:
    """Counters and seen markers in the statistics table."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table = Table(table_name, client)

    # ---- live path: exactly-once application of a batch ----------------------------------------------

    def apply(self, events: Sequence[StreamEvent]) -> ApplyResult:
        result = ApplyResult()
        pending: list[StreamEvent] = []
        seen_in_batch: set[str] = set()
        for event in events:
            if not event.increments:
                continue
            if event.event_id in seen_in_batch:
                result.duplicates.append(event.event_id)
                continue
            seen_in_batch.add(event.event_id)
            pending.append(event)
        targets = {e.event_id: combine(e.increments) for e in pending}
        attempt = 0
        while pending:
            attempt += 1
            result.attempts = attempt
            markers = self._read_markers({event_marker_key(e) for e in pending})
            fresh = []
            for event in pending:
                if event.dedupe_hash in markers[event_marker_key(event)].ids:
                    result.duplicates.append(event.event_id)
                else:
                    fresh.append(event)
            if not fresh:
                break
            counters = self._read_counters({key for e in fresh for key in targets[e.event_id]})
            retry: list[StreamEvent] = []
            for transaction in _pack(fresh, targets, counters):
                try:
                    self._commit(transaction, markers, counters)
                except Conflict:
                    # Someone else wrote one of these items since we read it: re-read, drop what they counted.
                    logger.info(
                        "stats transaction conflicted", events=len(transaction.events), attempt=attempt
                    )
                    retry.extend(transaction.events)
                    continue
                except Exception as error:
                    logger.warning(
                        "stats transaction failed",
                        events=len(transaction.events),
                        error=type(error).__name__,
                        reason=str(error)[:200],
                    )
                    result.failed.extend(e.event_id for e in transaction.events)
                    continue
                result.counted.extend(e.event_id for e in transaction.events)
                result.writes += len(transaction.markers) + len(transaction.counters)
                result.transactions += 1
            if retry and attempt >= MAX_ATTEMPTS:
                result.failed.extend(e.event_id for e in retry)
                break
            pending = retry
            if pending:
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # jitter: two consumers do not collide again
        return result

    def _read_markers(self, keys: set[Key]) -> dict[Key, _Marker]:
        found = self.table.batch_get(sorted(keys), consistent=True)
        markers = {}
        for key in keys:
            item = found.get(key)
            markers[key] = (
                _Marker(set(item.get("ids", {}).get("SS", [])), int(item.get("v", {}).get("N", "0")))
                if item
                else _Marker(set(), 0)
            )
        return markers

    def _read_counters(self, keys: set[Key]) -> dict[Key, _Counter]:
        found = self.table.batch_get(sorted(keys), consistent=True)
        counters = {}
        for key in keys:
            item = found.get(key)
            if item is None:
                counters[key] = _Counter({}, 0, 0)
            else:
                cells = decode_cells(item)
                size = len(item[CELLS]["S"]) if CELLS in item else len(encode_cells(cells))
                counters[key] = _Counter(cells, int(item.get("v", {}).get("N", "0")), size)
        return counters

    def _commit(
        self, transaction: _Transaction, markers: dict[Key, _Marker], counters: dict[Key, _Counter]
    ) -> None:
        actions: list[dict[str, Any]] = []
        for key, hashes in sorted(transaction.markers.items()):
            marker = markers[key]
            values: dict[str, Any] = {
                ":ids": {"SS": sorted(hashes)},
                ":next": {"N": str(marker.version + 1)},
                ":expires": {"N": str(_expiry(key))},
            }
            if marker.version:
                condition = "v = :seen"
                values[":seen"] = {"N": str(marker.version)}
            else:
                condition = "attribute_not_exists(v)"
            actions.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": _key(key),
                        "UpdateExpression": "ADD ids :ids SET v = :next, expires_at = :expires",
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        written: dict[Key, _Counter] = {}
        for key, delta in sorted(transaction.counters.items()):
            stored = counters[key]
            cells = add_cells({period: dict(c) for period, c in stored.cells.items()}, delta)
            item = counter_item(key, cells, stored.version + 1)
            size = len(item[CELLS]["S"])
            if size > MAX_ITEM_BYTES:
                raise CounterItemTooLarge(f"{key[0]} {key[1]}: {size} bytes; raise the table's shards")
            put: dict[str, Any] = {"TableName": self.table.name, "Item": item}
            if stored.version:
                put["ConditionExpression"] = "v = :read"
                put["ExpressionAttributeValues"] = {":read": {"N": str(stored.version)}}
            else:  # a new item, or one of the layout before versions (rewritten packed here)
                put["ConditionExpression"] = "attribute_not_exists(v)"
            actions.append({"Put": put})
            written[key] = _Counter(cells, stored.version + 1, size)
        self.table.transact(actions)
        for key, hashes in transaction.markers.items():
            markers[key].ids |= hashes
            markers[key].version += 1
        counters.update(written)

    # ---- reads -------------------------------------------------------------------------------------------

    def read_items(
        self, table: str, region: str, first_month: str, last_month: str
    ) -> Iterator[dict[str, Any]]:
        """The counter items of one region's months (one Query; one page for years of a small table).

        `SK BETWEEN "2026-01" AND "2026-12~"` also holds the former layout's day items (`2026-12-31#0`)."""
        return iter(self.table.query_between(f"{table}#{region}", first_month, f"{last_month}~"))

    def read_counters(
        self, table: str, region: str, first_period: str, last_period: str
    ) -> list[tuple[str, dict[str, int]]]:
        """(period, cells) of one region between two periods of the table's grain: one Query.

        A period appears once per shard item holding cells of it.
        """
        found = []
        for item in self.read_items(table, region, first_period[:7], last_period[:7]):
            for period, cells in sorted(decode_cells(item).items()):
                if first_period <= period <= last_period:
                    found.append((period, cells))
        return found

    # ---- rebuild -----------------------------------------------------------------------------------------

    def plan_counters(
        self, table: str, region: str, first_month: str, last_month: str, items: dict[Key, Cells]
    ) -> CounterPlan:
        """What makes the stored counter items of a range of months exactly `items`: the items that differ,
        the stale items, and every measure's total before and after. Nothing is written (`apply_plan` is)."""
        plan = CounterPlan()
        stored = {}
        for item in self.read_items(table, region, first_month, last_month):
            key, cells = (item["PK"]["S"], item["SK"]["S"]), decode_cells(item)
            stored[key] = (cells, int(item.get("v", {}).get("N", "0")))
            _add_totals(plan.stored, table, cells)
        for key, cells in items.items():
            _add_totals(plan.rebuilt, table, cells)
            if key not in stored or stored[key][0] != cells:
                # the version moves on, so a live batch that read the old item cannot overwrite the new one
                plan.puts.append(counter_item(key, cells, stored.get(key, ({}, 0))[1] + 1))
        plan.deletes = [key for key in stored if key not in items]
        return plan

    def apply_plan(self, plan: CounterPlan) -> None:
        for _ in self.table.batch_put(plan.puts):
            pass
        self.table.delete_items(plan.deletes)

    def replace_markers(self, day: date, hashes: set[str]) -> None:
        """Seen markers of one day set to exactly `hashes` (what the rebuilt counters hold)."""
        by_shard: dict[int, set[str]] = defaultdict(set)
        for value in hashes:
            by_shard[marker_shard(value)].add(value)
        puts, deletes = [], []
        for shard in range(MARKER_SHARDS):
            key = marker_key(day, shard)
            if by_shard.get(shard):
                puts.append(
                    {
                        **_key(key),
                        "ids": {"SS": sorted(by_shard[shard])},
                        "v": {"N": str(int(time.time() * 1000))},
                        "expires_at": {"N": str(_expiry(key))},
                    }
                )
            else:
                deletes.append(key)
        for _ in self.table.batch_put(puts):
            pass
        self.table.delete_items(deletes)


def _pack(
    events: list[StreamEvent], targets: dict[str, dict[Key, Cells]], stored: dict[Key, _Counter]
) -> list[_Transaction]:
    """Greedy packing into transactions of at most 100 items (and 3 MB), events of one month and region
    together."""
    ordered = sorted(events, key=lambda e: (e.day.strftime("%Y-%m"), e.increments[0].region, e.day))
    transactions: list[_Transaction] = []
    current = _Transaction()
    for event in ordered:
        mine = targets[event.event_id]
        if current.events and not current.fits(event, mine, stored):
            transactions.append(current)
            current = _Transaction()
        current.add(event, mine, stored)
    if current.events:
        transactions.append(current)
    return transactions


def _key(key: Key) -> dict[str, Any]:
    return {"PK": {"S": key[0]}, "SK": {"S": key[1]}}


def _expiry(key: Key) -> int:
    day = date.fromisoformat(key[0].split("#", 1)[1])
    return int(time.mktime((day + timedelta(days=MARKER_RETENTION_DAYS)).timetuple()))
