"""The statistics table and its exactly-once writes.

Key design (table `referral211-<stage>-stats`, keys built only here):

| item | PK | SK | attributes |
|---|---|---|---|
| counters | `{table}#{region}` | `{period}#{shard}` | one number per cell: `measure|dim|dim...` |
| seen marker | `seen#{local day}` | `{shard}` | `ids` (string set of 128-bit event-id hashes), `v`,
`expires_at` |

- `period` is the table's stored grain: `2026-11-02` (day tables) or `2026-11` (month tables). A year of one
  region's daily table is one Query: `PK = requests#02 AND SK BETWEEN 2026-01-01# AND 2026-12-31#~`.
- A counter item holds every cell of one region and period (`shard` spreads cells of big tables over a few
items:
  hash of the cell % `TableSpec.shards`), so a batch costs one write per (table, region, period, shard) it
  touches,
  whatever the number of events and cells in it.
- Exactly once: an event counts only in the same transaction that adds its hash to its seen marker (day of the
  event, shard = hash % MARKER_SHARDS). The aggregator reads the markers first (strongly consistent), drops
  the
  events already there, and writes markers + counters in one TransactWriteItems whose marker updates are
  conditioned on the version it read. A concurrent writer (the same message delivered twice at once) changes
  the
  version: the transaction is cancelled, nothing is counted, and the batch re-reads and retries. See
  docs/ANALYTICS.md for the whole argument.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

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
MAX_CELLS_PER_ACTION = 150  # keeps one UpdateExpression well under DynamoDB's 4 KB expression limit
MAX_ATTEMPTS = 4

Key = tuple[str, str]


def counter_key(table: str, region: str, period: str, shard: int) -> Key:
    return f"{table}#{region}", f"{period}#{shard}"


def marker_key(day: date, shard: int) -> Key:
    return f"seen#{day.isoformat()}", str(shard)


def period_of(table: str, day: date) -> str:
    return day.isoformat() if TABLES[table].grain == "day" else day.strftime("%Y-%m")


def cell_shard(table: str, cell: tuple[str, ...]) -> int:
    shards = TABLES[table].shards
    if shards == 1:
        return 0
    return hashlib.blake2s("|".join(cell).encode(), digest_size=2).digest()[0] % shards


def marker_shard(dedupe_hash: str) -> int:
    return int(dedupe_hash[:2], 16) % MARKER_SHARDS


def event_marker_key(event: StreamEvent) -> Key:
    return marker_key(event.day, marker_shard(event.dedupe_hash))


def increment_target(increment: Increment) -> tuple[Key, str]:
    """The counter item and the attribute (cell) an increment adds to."""
    key = counter_key(
        increment.table,
        increment.region,
        period_of(increment.table, increment.day),
        cell_shard(increment.table, increment.cell),
    )
    return key, cell_name(increment.measure, increment.cell)


def combine(increments: Iterable[Increment]) -> dict[Key, dict[str, int]]:
    """Counters of many events combined: item -> cell -> amount."""
    combined: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for increment in increments:
        key, cell = increment_target(increment)
        combined[key][cell] += increment.amount
    return combined


@dataclass
class ApplyResult:
    counted: list[str] = field(default_factory=list)  # event ids counted now
    duplicates: list[str] = field(default_factory=list)  # already counted before (or twice in this batch)
    failed: list[str] = field(default_factory=list)  # not counted; the aggregator reports their messages
    writes: int = 0  # items written (markers + counters) by committed transactions
    transactions: int = 0


@dataclass
class _Marker:
    ids: set[str]
    version: int


@dataclass
class _Transaction:
    events: list[StreamEvent] = field(default_factory=list)
    markers: dict[Key, set[str]] = field(default_factory=dict)
    counters: dict[Key, dict[str, int]] = field(default_factory=dict)

    def fits(self, event: StreamEvent, targets: dict[Key, dict[str, int]]) -> bool:
        items = set(self.markers) | set(self.counters) | {event_marker_key(event)} | set(targets)
        if len(items) > MAX_ACTIONS:
            return False
        return all(
            len(set(self.counters.get(key, {})) | set(cells)) <= MAX_CELLS_PER_ACTION
            for key, cells in targets.items()
        )

    def add(self, event: StreamEvent, targets: dict[Key, dict[str, int]]) -> None:
        self.events.append(event)
        self.markers.setdefault(event_marker_key(event), set()).add(event.dedupe_hash)
        for key, cells in targets.items():
            item = self.counters.setdefault(key, {})
            for cell, amount in cells.items():
                item[cell] = item.get(cell, 0) + amount


class StatsStore:
    """Counters and seen markers in the statistics table."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table = Table(table_name, client)

    # ---- live path: exactly-once application of a batch
    # ------------------------------------------------------

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
        attempt = 0
        while pending:
            attempt += 1
            markers = self._read_markers({event_marker_key(e) for e in pending})
            fresh = []
            for event in pending:
                if event.dedupe_hash in markers[event_marker_key(event)].ids:
                    result.duplicates.append(event.event_id)
                else:
                    fresh.append(event)
            retry: list[StreamEvent] = []
            for transaction in _pack(fresh):
                try:
                    self._commit(transaction, markers)
                except Conflict:
                    # Someone else wrote one of these markers since we read it: re-read, drop what they
                    # counted.
                    logger.info(
                        "stats transaction conflicted", events=len(transaction.events), attempt=attempt
                    )
                    retry.extend(transaction.events)
                    continue
                except Exception as error:
                    logger.warning(
                        "stats transaction failed", events=len(transaction.events), error=type(error).__name__
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
                time.sleep(0.02 * attempt)
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

    def _commit(self, transaction: _Transaction, markers: dict[Key, _Marker]) -> None:
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
        for key, cells in sorted(transaction.counters.items()):
            actions.append(
                {"Update": {"TableName": self.table.name, "Key": _key(key), **_add_expression(cells)}}
            )
        self.table.transact(actions)
        for key, hashes in transaction.markers.items():
            markers[key].ids |= hashes
            markers[key].version += 1

    # ---- reads
    # ------------------------------------------------------------------------------------------------

    def read_counters(
        self, table: str, region: str, first_period: str, last_period: str
    ) -> list[tuple[str, dict[str, int]]]:
        """(period, cells) of one region between two periods of the table's grain: one Query."""
        pk = f"{table}#{region}"
        items = self.table.query_between(pk, f"{first_period}#", f"{last_period}#~")
        return [
            (
                item["SK"]["S"].split("#", 1)[0],
                {name: int(value["N"]) for name, value in item.items() if "N" in value and "|" in name},
            )
            for item in items
        ]

    # ---- rebuild
    # ----------------------------------------------------------------------------------------------

    def replace_counters(
        self, table: str, region: str, first_period: str, last_period: str, items: dict[Key, dict[str, int]]
    ) -> tuple[int, int]:
        """Make the stored counters of a range exactly `items`; returns (items written, items deleted)."""
        pk = f"{table}#{region}"
        stored = {
            (item["PK"]["S"], item["SK"]["S"]): {
                name: int(value["N"]) for name, value in item.items() if "N" in value and "|" in name
            }
            for item in self.table.query_between(pk, f"{first_period}#", f"{last_period}#~")
        }
        puts = [
            {**_key(key), **{cell: {"N": str(n)} for cell, n in cells.items()}}
            for key, cells in items.items()
            if stored.get(key) != cells
        ]
        deletes = [key for key in stored if key not in items]
        for _ in self.table.batch_put(puts):
            pass
        self.table.delete_items(deletes)
        return len(puts), len(deletes)

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


def _pack(events: list[StreamEvent]) -> list[_Transaction]:
    """Greedy packing into transactions of at most 100 items, events of one day and region together."""
    ordered = sorted(events, key=lambda e: (e.day, e.increments[0].region, e.detail_type))
    transactions: list[_Transaction] = []
    current = _Transaction()
    for event in ordered:
        targets = combine(event.increments)
        if current.events and not current.fits(event, targets):
            transactions.append(current)
            current = _Transaction()
        current.add(event, targets)
    if current.events:
        transactions.append(current)
    return transactions


def _key(key: Key) -> dict[str, Any]:
    return {"PK": {"S": key[0]}, "SK": {"S": key[1]}}


def _add_expression(cells: dict[str, int]) -> dict[str, Any]:
    names, values, parts = {}, {}, []
    for index, (cell, amount) in enumerate(sorted(cells.items())):
        names[f"#c{index}"] = cell
        values[f":c{index}"] = {"N": str(amount)}
        parts.append(f"#c{index} :c{index}")
    return {
        "UpdateExpression": "ADD " + ", ".join(parts),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _expiry(key: Key) -> int:
    day = date.fromisoformat(key[0].split("#", 1)[1])
    return int(time.mktime((day + timedelta(days=MARKER_RETENTION_DAYS)).timetuple()))
