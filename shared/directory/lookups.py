"""Every directory read that answers a person becomes a `LookupPerformed` event for the analytics stream.

Only coarse, non-identifying facts leave: channel, region, category, language, result count. Never the search
text (it may hold a name or a phone number), never an address or coordinates.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from shared.aws.event_bus import EventPublisher, PublishOutcome
from shared.event_contracts import LookupPerformed
from shared.observability import metrics

Route = Literal["services", "service", "service_at_locations", "service_at_location", "organizations"]


def lookup_event(
    *,
    route: Route,
    channel: str,
    language: str,
    result_count: int,
    regions: list[str] | None = None,
    taxonomy_term_id: str | None = None,
    searched: bool = False,
    search_term: str | None = None,
    fsa: str | None = None,
) -> LookupPerformed:
    """`search_term` must already be scrubbed (shared.analytics.scrub); `fsa` is the finest place allowed."""
    return LookupPerformed(
        route=route,
        channel=channel,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        result_count=result_count,
        region=regions[0] if regions and len(regions) == 1 else None,
        taxonomy_term_id=taxonomy_term_id,
        searched=searched,
        search_term=search_term,
        fsa=fsa if fsa and len(fsa) == 3 else None,
    )


@lru_cache(maxsize=2)
def _publisher(bus_name: str) -> EventPublisher:
    return EventPublisher(bus_name)


def publish_lookup(bus_name: str, event: LookupPerformed) -> PublishOutcome:
    metrics.add_metric(name="Lookups", unit="Count", value=1)
    return _publisher(bus_name).publish([event])
