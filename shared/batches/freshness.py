"""Search freshness: listing events -> a region's index that includes them (shared/search/indexer.py).

Reads the EventBridge events the batches publish, delivered through SQS (`SearchRefreshQueue`, rule
`SearchRefreshRule` in infra/template.yaml) in batches. A batch of thousands of listings publishes thousands of
`ListingChanged` and one `ListingsBatchApplied`: only the latter concerns search (the batch's own listing events
are skipped). `ListingChanged` without a batch (a restore) concerns its region. Before publishing, the writer
recorded what the event changed in each region (`IndexStore.put_changes`); per region, the consumer applies those
records to the documents of the region's current index (`indexer.refresh_region`): no read of the directory. An
event the index already holds costs one S3 GET (delivery is at least once); one whose record is missing, a
rebuild of the region from the directory. Regions are coalesced within a delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from shared.observability import logger

_BATCH_CHANGES = {"created", "updated", "deactivated"}


def regions_of(envelope: dict[str, Any]) -> set[str]:
    detail_type = envelope.get("detail-type")
    detail = envelope.get("detail") or {}
    if detail_type == "ListingsBatchApplied":
        changed = (
            detail.get("created", 0)
            + detail.get("updated", 0)
            + detail.get("deactivated", 0)
            + detail.get("organizations_changed", 0)
        )
        return set(detail.get("regions_changed") or [detail.get("region")]) - {None} if changed else set()
    if detail_type == "ListingChanged":
        if detail.get("batch_id") and detail.get("change") in _BATCH_CHANGES:
            return set()
        return {detail["region"]} if detail.get("region") else set()
    return set()


# (region, ids of the events to include) -> whether the region was rebuilt (False: its index included them)
Refresh = Callable[[str, list[str]], bool]


def handle_records(records: Iterable[dict[str, Any]], refresh: Refresh) -> dict[str, Any]:
    """SQS records whose bodies are EventBridge events -> refreshes; a partial batch response for failures."""
    by_region: dict[str, tuple[list[str], list[str]]] = {}
    failures: list[dict[str, str]] = []
    for record in records:
        try:
            envelope = orjson.loads(record["body"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("search refresh: unreadable message", message_id=record.get("messageId"))
            continue
        event_id = (envelope.get("detail") or {}).get("event_id")
        for region in regions_of(envelope):
            message_ids, event_ids = by_region.setdefault(region, ([], []))
            message_ids.append(record["messageId"])
            if event_id:
                event_ids.append(str(event_id))
    for region, (message_ids, event_ids) in sorted(by_region.items()):
        try:
            rebuilt = refresh(region, event_ids)
            logger.info("search index refreshed" if rebuilt else "search index already current", region=region,
                        messages=len(message_ids))
        except Exception:
            logger.exception("search refresh failed", region=region)
            failures.extend({"itemIdentifier": m} for m in message_ids)
    return {"batchItemFailures": failures}


def default_refresh(directory_table: str, search_bucket: str) -> Refresh:
    """`refresh_region` of the search indexer on the directory and the search bucket."""
    from shared.aws.s3 import Bucket
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import refresh_region
    from shared.search.store import IndexStore

    repository = DirectoryRepository(directory_table)
    store = IndexStore(Bucket(search_bucket))
    return lambda region, event_ids: refresh_region(region, event_ids, repository, store)
