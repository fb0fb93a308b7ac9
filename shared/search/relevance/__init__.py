"""The labelled relevance set: a fixed hand-written directory (dataset.json), graded queries (queries.json).

`load_dataset()` expands the compact authoring format into HSDS models with stable ids (uuid5 of each key), so
the
benchmark, the tests and PostgreSQL all see exactly the same records. `judgments()` maps each query to its
graded
keys; `metrics` computes nDCG@10, MRR@10 and recall@10 the same way for every engine.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from shared.directory import taxonomy
from shared.directory.models import (
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from shared.search.params import LANGUAGES

HERE = Path(__file__).parent
NAMESPACE = uuid.UUID("8d0c6a52-3f5e-5b7e-9c21-211211211211")
MODIFIED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_AREA_TYPES = {"P": "province", "R": "region", "C": "mrc", "M": "municipality", "F": "fsa"}


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _days(spec: str) -> str:
    days: list[str] = []
    for part in spec.split(","):
        if "-" in part:
            start, end = part.split("-")
            i, j = _DAYS.index(start), _DAYS.index(end)
            days.extend(_DAYS[i : j + 1] if i <= j else _DAYS[i:] + _DAYS[: j + 1])
        else:
            days.append(part)
    return ",".join(days)


def schedules_of(rows: list[str], key: str) -> list[Schedule]:
    """Rows: 'MO-FR 09:00-16:00', '24/7', 'closed 2026-12-24..2026-12-26',
    '2026-06-24..2026-09-01 MO-TH 09:00-15:00'."""
    found: list[Schedule] = []
    for n, row in enumerate(rows):
        sid = uid("schedule", f"{key}:{n}")
        if row == "24/7":
            found.append(
                Schedule(id=sid, freq="WEEKLY", byday=",".join(_DAYS), opens_at="00:00", closes_at="24:00")
            )
            continue
        closed = re.fullmatch(r"closed (\d{4}-\d\d-\d\d)(?:\.\.(\d{4}-\d\d-\d\d))?", row)
        if closed:
            start = date.fromisoformat(closed.group(1))
            end = date.fromisoformat(closed.group(2) or closed.group(1))
            found.append(
                Schedule(id=sid, valid_from=start, valid_to=end, description={"fr": "Fermé", "en": "Closed"})
            )
            continue
        seasonal = re.fullmatch(r"(\d{4}-\d\d-\d\d)\.\.(\d{4}-\d\d-\d\d) (\S+) (\d\d:\d\d)-(\d\d:\d\d)", row)
        if seasonal:
            found.append(
                Schedule(
                    id=sid,
                    valid_from=date.fromisoformat(seasonal.group(1)),
                    valid_to=date.fromisoformat(seasonal.group(2)),
                    freq="WEEKLY",
                    byday=_days(seasonal.group(3)),
                    opens_at=seasonal.group(4),
                    closes_at=seasonal.group(5),
                )
            )
            continue
        regular = re.fullmatch(r"(\S+) (\d\d:\d\d)-(\d\d:\d\d)", row)
        if not regular:
            raise ValueError(f"{key}: cannot read hours {row!r}")
        found.append(
            Schedule(
                id=sid,
                freq="WEEKLY",
                byday=_days(regular.group(1)),
                opens_at=regular.group(2),
                closes_at=regular.group(3),
            )
        )
    return found


def _text(fr: str | None, en: str | None) -> dict[str, str] | None:
    value = {k: v for k, v in (("fr", fr), ("en", en)) if v}
    return value or None


def _languages(codes: list[str], key: str) -> list[Language]:
    return [
        Language(id=uid("language", f"{key}:{code}"), code=code, name=LANGUAGES.get(code, (code, code))[1])
        for code in codes
    ]


@dataclass
class Dataset:
    organizations: list[Organization]
    services: list[Service]
    key_of_service: dict[str, str] = field(default_factory=dict)  # service id -> key
    key_of_sal: dict[str, str] = field(default_factory=dict)  # service_at_location id -> key
    raw: dict[str, Any] = field(default_factory=dict)


@cache
def load_dataset() -> Dataset:
    raw = json.loads((HERE / "dataset.json").read_text(encoding="utf-8"))
    organizations: dict[str, Organization] = {}
    for key, org in raw["organizations"].items():
        name = _text(org["name"] if org.get("lang") != "en" else None, org.get("name_en"))
        organizations[key] = Organization(
            id=uid("org", key),
            name=name or {"fr": org["name"]},
            alternate_name=_text(org.get("alt"), None),
            description=_text(org.get("desc"), org.get("desc_en")) or {"fr": org["name"]},
            region=org["region"],
            last_modified=MODIFIED,
        )
    services: list[Service] = []
    dataset = Dataset(organizations=list(organizations.values()), services=services, raw=raw)
    for item in raw["services"]:
        key = item["key"]
        org = raw["organizations"][item["org"]]
        english_only = org.get("lang") == "en"
        langs = item.get("lang") or ["fr"]
        sals = []
        for n, (city, street, postal, lat, lng) in enumerate(item.get("loc", [])):
            sal_id = uid("sal", f"{key}:{n}")
            dataset.key_of_sal[sal_id] = key
            sals.append(
                ServiceAtLocation(
                    id=sal_id,
                    service_id=uid("service", key),
                    location_id=uid("location", f"{key}:{n}"),
                    location=Location(
                        id=uid("location", f"{key}:{n}"),
                        location_type="physical",
                        name={"fr": org["name"]} if not english_only else {"en": org["name"]},
                        latitude=lat,
                        longitude=lng,
                        addresses=[
                            Address(
                                id=uid("address", f"{key}:{n}"),
                                address_1=street,
                                city=city,
                                postal_code=postal,
                            )
                        ],
                    ),
                )
            )
        areas = []
        for n, code in enumerate(item.get("areas", [])):
            kind, _, value = code.partition(":")
            areas.append(
                ServiceArea(id=uid("area", f"{key}:{n}"), area_type=_AREA_TYPES[kind], area_code=value)  # type: ignore[arg-type]
            )
        attributes = []
        for code in item["cat"]:
            term = taxonomy.term_by_code(code)
            if term is None:
                raise ValueError(f"{key}: unknown category {code}")
            attributes.append(
                Attribute(
                    id=uid("attribute", f"{key}:{code}"),
                    link_id=uid("service", key),
                    taxonomy_term_id=term.id,
                )
            )
        fees = item.get("fees")
        cost_options = []
        if fees:
            amount = 0.0 if fees.lower() in ("gratuit", "free") else None
            cost_options.append(
                CostOption(
                    id=uid("cost", key), option={"en": fees} if english_only else {"fr": fees}, amount=amount
                )
            )
        ages = item.get("age") or [None, None]
        name = _text(None if english_only else item["name"], item.get("name_en"))
        services.append(
            Service(
                id=uid("service", key),
                organization_id=uid("org", item["org"]),
                name=name or {"fr": item["name"]},
                description=_text(item.get("desc"), item.get("desc_en")),
                status=item.get("status", "active"),
                minimum_age=ages[0],
                maximum_age=ages[1],
                last_modified=MODIFIED,
                phones=[Phone(id=uid("phone", key), number="418-555-0100", languages=_languages(langs, key))],
                schedules=schedules_of(item.get("hours", []), key),
                service_areas=areas,
                service_at_locations=sals,
                languages=_languages(langs, key),
                cost_options=cost_options,
                attributes=attributes,
                region=org["region"],
            )
        )
        dataset.key_of_service[uid("service", key)] = key
    return dataset


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    kind: str
    query: str
    params: dict[str, Any]
    relevant: dict[str, int]


@cache
def load_queries() -> tuple[LabelledQuery, ...]:
    raw = json.loads((HERE / "queries.json").read_text(encoding="utf-8"))
    return tuple(
        LabelledQuery(q["id"], q["kind"], q["query"], dict(q.get("params") or {}), dict(q["relevant"]))
        for q in raw["queries"]
    )


# ---- metrics
# ----------------------------------------------------------------------------------------------------

K = 10


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    """Graded nDCG (gain 2^g - 1). A query with no relevant listing scores 1 for an empty answer, else 0."""
    if not relevant:
        return 1.0 if not ranked else 0.0
    dcg = sum((2 ** relevant.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at_k(ranked: list[str], relevant: dict[str, int], k: int = K, min_grade: int = 2) -> float:
    """Reciprocal rank of the first good answer (grade >= 2); no-answer queries as in ndcg_at_k."""
    if not relevant:
        return 1.0 if not ranked else 0.0
    for i, key in enumerate(ranked[:k]):
        if relevant.get(key, 0) >= min_grade:
            return 1.0 / (i + 1)
    return 0.0


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    """Share of the relevant listings (any grade) in the top k, capped at k (R-capped recall)."""
    if not relevant:
        return 1.0 if not ranked else 0.0
    found = len(set(ranked[:k]) & set(relevant))
    return found / min(k, len(relevant))


def dedupe(keys: list[str]) -> list[str]:
    """Keep the first occurrence of each key (a service with two locations is one answer)."""
    return list(dict.fromkeys(keys))


@cache
def dataset_engine() -> Any:
    """A search engine over the labelled dataset, built once per process (tests, benchmark)."""
    from shared.search.engine import SearchEngine
    from shared.search.indexer import build_partitions

    dataset = load_dataset()
    return SearchEngine(build_partitions(dataset.services, dataset.organizations).provider())


def ranked_keys(engine: Any, query: LabelledQuery, *, entity: str = "service") -> list[str]:
    """The engine's top 10 for a labelled query, as dataset keys."""
    from shared.search.params import SearchParams

    dataset = load_dataset()
    params = SearchParams.from_query({"search": query.query, **query.params})
    result = engine.search(params, entity, 1, K, "fr")
    return dedupe([dataset.key_of_service.get(h.id, h.id) for h in result.hits])
