"""Search freshness: listing events -> one rebuild per changed region (shared/search/indexer.py).

Consumes the EventBridge events the batches publish, delivered through SQS (`SearchRefreshQueue`, rule
`SearchRefreshRule` in infra/template.yaml) and read in batches. A batch of thousands of listings publishes
thousands
of `ListingChanged` and one `ListingsBatchApplied`: only the latter triggers a rebuild (the batch's own
listing
events are skipped), so an import costs one rebuild per region it changed. `ListingChanged` without a batch (a
restore) rebuilds its region. Delivery is at least once and a rebuild is idempotent (it reads the directory
as it
is), so a duplicate costs a rebuild and nothing else; regions are coalesced within a delivery.
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


def handle_records(records: Iterable[dict[str, Any]], rebuild: Callable[[str], Any]) -> dict[str, Any]:
    """SQS records whose bodies are EventBridge events -> rebuilds; a partial batch response for failures."""
    by_region: dict[str, list[str]] = {}
    failures: list[dict[str, str]] = []
    for record in records:
        try:
            envelope = orjson.loads(record["body"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("search refresh: unreadable message", message_id=record.get("messageId"))
            continue
        for region in regions_of(envelope):
            by_region.setdefault(region, []).append(record["messageId"])
    for region, message_ids in sorted(by_region.items()):
        try:
            rebuild(region)
            logger.info("search index refreshed", region=region, messages=len(message_ids))
        except Exception:
            logger.exception("search refresh failed", region=region)
            failures.extend({"itemIdentifier": m} for m in message_ids)
    return {"batchItemFailures": failures}


def default_rebuilder(directory_table: str, search_bucket: str) -> Callable[[str], Any]:
    """`rebuild_region` of the search indexer on the directory and the search bucket."""
    from shared.aws.s3 import Bucket
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import rebuild_region
    from shared.search.store import IndexStore

    repository = DirectoryRepository(directory_table)
    store = IndexStore(Bucket(search_bucket))
    return lambda region: rebuild_region(region, repository, store)
