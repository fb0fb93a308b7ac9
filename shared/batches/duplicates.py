"""Duplicates across sources: a listing a batch would create that looks like one the region already has.

Blocking is by name (rapidfuzz on accent-folded, token-sorted "organization + service" and on the service name
alone, over the region's compact index entries: one Query, no document read), then evidence on the few
candidates'
documents: a phone number in common, a postal code in common, locations within 250 m. A candidate is reported
when the names are nearly identical (>= 95) or similar (>= 85) with at least one piece of evidence. Reported
listings are held back; the admin links, merges or keeps both (POST /admin/batches/{id}/duplicates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.directory.models import Service, sort_key
from shared.directory.repository import IndexEntry

NAME_ALONE = 95
NAME_WITH_EVIDENCE = 85
NEAR_METRES = 250.0


@dataclass
class PossibleDuplicate:
    incoming_id: str
    ref: str | None
    candidate_id: str
    score: int
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "service_id": self.incoming_id,
            "candidate_id": self.candidate_id,
            "score": self.score,
            "reasons": self.reasons,
        }
        if self.ref:
            found["ref"] = self.ref
        return found


def _key(*parts: str) -> str:
    return " ".join(sorted(" ".join(sort_key(p) for p in parts if p).split()))


def _phones(service: Service) -> set[str]:
    numbers = [p.number for p in service.phones]
    for sal in service.service_at_locations:
        numbers += [p.number for p in sal.phones] + [p.number for p in sal.location.phones]
    return {re.sub(r"\D", "", n)[-10:] for n in numbers if len(re.sub(r"\D", "", n)) >= 10}


def _postal_codes(service: Service) -> set[str]:
    return {
        a.postal_code.replace(" ", "") for sal in service.service_at_locations for a in sal.location.addresses
    }


def _points(service: Service) -> list[tuple[float, float]]:
    return [
        (sal.location.latitude, sal.location.longitude)
        for sal in service.service_at_locations
        if sal.location.latitude is not None and sal.location.longitude is not None
    ]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6_371_000 * 2 * math.asin(math.sqrt(h))


def evidence(incoming: Service, existing: Service) -> list[str]:
    reasons = []
    if _phones(incoming) & _phones(existing):
        reasons.append("phone")
    if _postal_codes(incoming) & _postal_codes(existing):
        reasons.append("postal_code")
    if any(_metres(a, b) <= NEAR_METRES for a in _points(incoming) for b in _points(existing)):
        reasons.append("distance")
    return reasons


def find(
    incoming: list[tuple[Service, str, str | None]],
    existing: list[IndexEntry],
    organization_names: dict[str, str],
    fetch: Callable[[list[str]], dict[str, Service]],
) -> list[PossibleDuplicate]:
    """`incoming`: (service, its organization's name, ref) of listings about to be created; `existing`: the
    region's service index entries; `fetch`: reads documents of candidate ids (one BatchGetItem per 100)."""
    if not incoming or not existing:
        return []
    from rapidfuzz import fuzz, process  # lazy: only batches that create listings pay for it

    full = [_key(organization_names.get(e.organization_id, ""), e.sort) for e in existing]
    alone = [_key(e.sort) for e in existing]
    shortlist: dict[str, list[tuple[int, int, bool]]] = {}
    for service, org_name, _ in incoming:
        hits: dict[int, tuple[int, bool]] = {}
        queries = (
            (_key(org_name, service.name.pick("fr")), full, True),
            (_key(service.name.pick("fr")), alone, False),
        )
        for query, choices, whole in queries:
            for _, score, index in process.extract(
                query, choices, scorer=fuzz.ratio, processor=None, limit=3, score_cutoff=NAME_WITH_EVIDENCE
            ):
                best = hits.get(index, (0, False))
                hits[index] = (max(best[0], int(score)), best[1] or (whole and score >= NAME_ALONE))
        if hits:
            shortlist[service.id] = sorted(((i, s, w) for i, (s, w) in hits.items()), key=lambda hit: -hit[1])
    if not shortlist:
        return []
    documents = fetch(sorted({existing[i].id for hits in shortlist.values() for i, _, _ in hits}))
    found = []
    for service, _, ref in incoming:
        for index, score, whole_name_match in shortlist.get(service.id, []):
            candidate = documents.get(existing[index].id)
            if candidate is None or candidate.id == service.id:
                continue
            reasons = evidence(service, candidate)
            if whole_name_match or reasons:
                found.append(PossibleDuplicate(service.id, ref, candidate.id, score, ["name", *reasons]))
                break
    return found
