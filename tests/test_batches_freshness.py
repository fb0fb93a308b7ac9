"""Search freshness: which listing events rebuild which region, and partial failures."""

from __future__ import annotations

import json
from typing import Any

from shared.batches.freshness import handle_records, regions_of
from shared.event_catalogue import envelope
from shared.event_contracts import ListingChanged, ListingsBatchApplied


def _record(message_id: str, event: Any) -> dict[str, Any]:
    return {"messageId": message_id, "body": json.dumps(envelope(event), default=str)}


def test_a_batch_rebuilds_its_changed_regions_once_and_its_listing_events_nothing() -> None:
    applied = ListingsBatchApplied.example().model_copy(update={"regions_changed": ["02", "03"]})
    listing = ListingChanged.example()
    unchanged = ListingsBatchApplied.example().model_copy(update={"created": 0, "updated": 0})
    restored = ListingChanged.example().model_copy(
        update={"change": "restored", "batch_id": None, "region": "06"}
    )
    assert regions_of(envelope(applied)) == {"02", "03"}
    assert regions_of(envelope(listing)) == set()
    assert regions_of(envelope(unchanged)) == set()
    assert regions_of(envelope(restored)) == {"06"}
    rebuilt: list[str] = []
    answer = handle_records(
        [
            _record("a", applied),
            _record("b", applied),
            _record("c", restored),
            {"messageId": "d", "body": "not json"},
        ],
        lambda region, events: rebuilt.append(region) is None,
    )
    assert sorted(rebuilt) == ["02", "03", "06"] and answer == {"batchItemFailures": []}


def test_a_failed_rebuild_reports_only_its_messages() -> None:
    applied = ListingsBatchApplied.example()
    restored = ListingChanged.example().model_copy(
        update={"change": "restored", "batch_id": None, "region": "06"}
    )

    def rebuild(region: str, events: list[str]) -> bool:
        if region == "02":
            raise RuntimeError("index store down")
        return True

    answer = handle_records([_record("a", applied), _record("c", restored)], rebuild)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "a"}]}
