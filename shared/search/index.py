"""The compact per-region search index: what it holds, how it is built, packed into bytes and loaded.

One index per Québec region (01..17) plus one shared partition, `QC`, holding the listings that serve beyond
their
own region (province-wide lines, services covering several regions). A search limited to region 02 reads the
02
index and the QC partition; a province-wide search reads every region.

Each index is a Tantivy index (Rust, in process) with a small sidecar (`IndexMeta`) of per-document facts the
engine needs for every candidate without touching Tantivy's store: ids, coordinates, compiled opening hours,
top
categories, coverage codes and name sort keys. Documents are:
- one per service (`kind` svc): the service with every place it is offered at (all coordinates, areas and
  places), answering `/services` without collapsing locations;
- one per service_at_location (`kind` sal): the unit people search for, with its own place and hours;
- one per organization (`kind` org): its names and the categories of its services.

Text is analysed in Python (text.py) and handed to Tantivy pre-tokenised on whitespace, so the thesaurus, the
typo corrector and the index agree on every word form. Fields and what ranking makes of them are in engine.py.

Bytes layout (`pack`/`unpack`): magic, a JSON header (format, region, version, files and sizes), then the
zlib-compressed concatenation of the Tantivy files and the sidecar. One S3 object per version.
"""

from __future__ import annotations

import gc
import json
import math
import os
import shutil
import struct
import tempfile
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import tantivy

from shared.directory.models import Organization, Service, ServiceAtLocation
from shared.search import opening_hours
from shared.search.params import normalise_language
from shared.search.text import analyse_en, analyse_fr, analyse_raw, fold, tokens

FORMAT_VERSION = 1
MAGIC = b"R211IDX1"
SHARED_PARTITION = "QC"
KIND_SAL, KIND_SVC, KIND_ORG = 0, 1, 2
KIND_NAMES = {KIND_SAL: "sal", KIND_SVC: "svc", KIND_ORG: "org"}
TEXT_FIELDS = (
    "name_fr",
    "name_en",
    "org_fr",
    "org_en",
    "cat_fr",
    "cat_en",
    "desc_fr",
    "desc_en",
    "raw",
    "place",
)
KEYWORD_FIELDS = (
    "kind",
    "terms",
    "status",
    "langs",
    "areas",
    "org_id",
    "svc_id",
    "free",
    "region",
    "tops",
    "slots",
    "shown",
)
FAST_KEYWORDS = ("region", "tops", "terms")  # counted by Tantivy's aggregations (facets, suggestions)
NO_AGE_MIN, NO_AGE_MAX = 0, 200
_FREE_WORDS = (
    "gratuit",
    "gratuite",
    "gratuits",
    "sans frais",
    "aucun frais",
    "free",
    "no charge",
    "no cost",
    "no fee",
)


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("ord", fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=name in FAST_KEYWORDS)
    builder.add_unsigned_field("sortkey", fast=True)
    builder.add_integer_field("min_age", indexed=True, fast=True)
    builder.add_integer_field("max_age", indexed=True, fast=True)
    builder.add_integer_field("modified", indexed=True, fast=True)
    builder.add_float_field("lat", indexed=True, fast=True)
    builder.add_float_field("lng", indexed=True, fast=True)
    return builder.build()


_SCHEMA: tantivy.Schema | None = None


def schema() -> tantivy.Schema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = build_schema()
    return _SCHEMA


# ---- the sidecar
# -----------------------------------------------------------------------------------------------


@dataclass
class IndexMeta:
    """Per-document facts, addressed by the `ord` fast field. Serialised compactly (repeated values interned,
    service ids as positions, several-location points only): loading it is part of every cold start."""

    region: str
    ids: list[str] = field(default_factory=list)
    service_ids: list[str | None] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)  # owning region of each document
    lat: array = field(default_factory=lambda: array("d"))
    lng: array = field(default_factory=lambda: array("d"))
    sort: list[str] = field(default_factory=list)
    schedules: list[tuple[Any, ...]] = field(default_factory=list)
    tops: list[tuple[str, ...]] = field(default_factory=list)
    covers: list[tuple[str, ...]] = field(default_factory=list)
    points: list[tuple[tuple[float, float], ...]] = field(
        default_factory=list
    )  # a service's several locations
    statuses: list[str] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.ids)

    def to_bytes(self) -> bytes:
        tables: dict[str, dict[Any, int]] = {
            name: {} for name in ("schedules", "covers", "tops", "owners", "statuses")
        }

        def interned(name: str, values: list[Any]) -> list[int]:
            table = tables[name]
            return [table.setdefault(v, len(table)) for v in values]

        position = {doc_id: n for n, doc_id in enumerate(self.ids)}
        payload = {
            "region": self.region,
            "ids": self.ids,
            "service": [position.get(s, -1) if s else -1 for s in self.service_ids],
            "owners": interned("owners", self.owners),
            "lat": [None if math.isnan(v) else v for v in self.lat],
            "lng": [None if math.isnan(v) else v for v in self.lng],
            "sort": self.sort,
            "schedules": interned("schedules", self.schedules),
            "covers": interned("covers", self.covers),
            "tops": interned("tops", self.tops),
            "statuses": interned("statuses", self.statuses),
            "points": {str(n): [list(p) for p in pts] for n, pts in enumerate(self.points) if len(pts) > 1},
            "tables": {name: list(table) for name, table in tables.items()},
            "vocabulary": sorted(self.vocabulary),
        }
        return orjson.dumps(payload)

    @classmethod
    def from_bytes(cls, data: bytes) -> IndexMeta:
        raw = orjson.loads(data)
        tables = raw["tables"]
        schedule_table = [_thaw_schedule(s) for s in tables["schedules"]]
        cover_table = [tuple(c) for c in tables["covers"]]
        top_table = [tuple(t) for t in tables["tops"]]
        ids = raw["ids"]
        nan = math.nan
        points: list[tuple[tuple[float, float], ...]] = [()] * len(ids)
        for n, pts in raw["points"].items():
            points[int(n)] = tuple((p[0], p[1]) for p in pts)
        return cls(
            region=raw["region"],
            ids=ids,
            service_ids=[ids[i] if i >= 0 else None for i in raw["service"]],
            owners=[tables["owners"][i] for i in raw["owners"]],
            lat=array("d", [nan if v is None else v for v in raw["lat"]]),
            lng=array("d", [nan if v is None else v for v in raw["lng"]]),
            sort=raw["sort"],
            schedules=[schedule_table[i] for i in raw["schedules"]],
            covers=[cover_table[i] for i in raw["covers"]],
            points=points,
            tops=[top_table[i] for i in raw["tops"]],
            statuses=[tables["statuses"][i] for i in raw["statuses"]],
            vocabulary=set(raw["vocabulary"]),
        )


def _thaw_schedule(rows: list[Any]) -> tuple[Any, ...]:
    return tuple(
        (
            r[0],
            r[1],
            r[2],
            tuple(tuple(x) if isinstance(x, list) else x for x in r[3]) if r[3] else None,
            r[4],
            r[5],
        )
        for r in rows
    )


# ---- from directory records to documents
# -----------------------------------------------------------------------


@dataclass(frozen=True)
class TermInfo:
    ids: tuple[str, ...]  # the terms and all their ancestors
    tops: tuple[str, ...]
    text_fr: str
    text_en: str
    raw: str


@cache
def _term_info(term_ids: tuple[str, ...]) -> TermInfo:
    """Category ids (with ancestors) and texts of a set of terms; cached: listings share few combinations."""
    from shared.directory import taxonomy

    ids: list[str] = []
    tops: list[str] = []
    fr: list[str] = []
    en: list[str] = []
    raw: list[str] = []
    for term_id in term_ids:
        current = taxonomy.term(term_id)
        leaf = True
        while current is not None:
            if current.id not in ids:
                ids.append(current.id)
                fr.append(current.name.fr or "")
                en.append(current.name.en or "")
                raw.extend([current.name.fr or "", current.name.en or ""])
                if leaf:
                    fr.extend(current.keywords.get("fr", []))
                    en.extend(current.keywords.get("en", []))
            if current.parent_id is None and current.id not in tops:
                tops.append(current.id)
            leaf = False
            current = taxonomy.term(current.parent_id) if current.parent_id else None
    return TermInfo(
        ids=tuple(ids),
        tops=tuple(tops),
        text_fr=" ; ".join(fr),
        text_en=" ; ".join(en),
        raw=" ".join(raw),
    )


def _texts(*values: Any, lang: str) -> str:
    parts = []
    for value in values:
        if value is None:
            continue
        text = getattr(value, lang, None) if not isinstance(value, str) else (value if lang == "fr" else None)
        if text:
            parts.append(text)
    return " ; ".join(parts)


def _all_langs(*values: Any) -> str:
    return " ".join(filter(None, (_texts(v, lang="fr") + " " + _texts(v, lang="en") for v in values)))


def _area_codes(service: Service) -> list[str]:
    from shared.sample_data import gazetteer

    codes: list[str] = []
    for area in service.service_areas:
        kind = (area.area_type or "").lower()
        code = (area.area_code or "").strip()
        if kind == "province":
            codes.append("P:QC")
        elif kind == "region" and code:
            codes.append(f"R:{code.zfill(2)}")
        elif kind == "mrc" and code:
            codes.append(f"C:{code}")
        elif kind == "municipality" and code:
            codes.append(f"M:{code}")
        elif kind == "fsa" and code:
            codes.append(f"F:{code.upper()[:3]}")
        elif area.name is not None:
            # Imported areas often carry only a name: resolve it like a typed place.
            name = area.name.pick("fr")
            from shared.search import geo

            region = geo.region_code_of_name(name)
            if region:
                codes.append(f"R:{region}")
            elif fold(name) in ("quebec province", "province de quebec", "tout le quebec", "province"):
                codes.append("P:QC")
            else:
                found = gazetteer.find_municipality(name)
                if found is not None:
                    codes.append(f"M:{found.code}")
    return codes


@cache
def _mrc_regions() -> dict[str, str]:
    from shared.sample_data import gazetteer

    return {m.code: m.region for m in gazetteer.mrcs()}


def _regions_of_codes(codes: Iterable[str]) -> set[str]:
    from shared.sample_data import gazetteer

    regions: set[str] = set()
    mrc_regions = _mrc_regions()
    for code in codes:
        kind, _, value = code.partition(":")
        if kind == "P":
            regions.add("*")
        elif kind == "R":
            regions.add(value)
        elif kind == "C" and value in mrc_regions:
            regions.add(mrc_regions[value])
        elif kind == "M":
            place = gazetteer.municipality(value)
            if place is not None:
                regions.add(place.region)
        elif kind == "F":
            region = gazetteer.region_of_fsa(value)
            if region is not None:
                regions.add(region.code)
    return regions


def _location_codes(sal: ServiceAtLocation) -> tuple[list[str], str]:
    """Coverage codes of a physical location (its municipality and FSA) and a place text for matching."""
    from shared.sample_data import gazetteer

    codes: list[str] = []
    words: list[str] = []
    location = sal.location
    for text in (location.name, location.description):
        if text is not None:
            words.append(_all_langs(text))
    for address in location.addresses:
        words.append(address.city)
        place = gazetteer.find_municipality(address.city)
        fsa = gazetteer.normalize_fsa(address.postal_code)
        if fsa:
            codes.append(f"F:{fsa}")
            by_fsa = gazetteer.municipality_of_fsa(fsa)
            if place is not None and by_fsa is not None and by_fsa.city == place.city:
                place = by_fsa  # the sector (Chicoutimi) rather than the city (Saguenay)
        if place is not None:
            codes.append(f"M:{place.code}")
            if place.is_sector:
                codes.append(f"M:{gazetteer.slug(place.city)}")
            words.extend([place.name, place.city, place.mrc, place.region_name, *place.aliases])
    return codes, " ".join(words)


def _is_free(service: Service) -> bool:
    amounts = [c.amount for c in service.cost_options if c.amount is not None]
    option_text = " ".join(fold(_all_langs(c.option, c.amount_description)) for c in service.cost_options)
    fee_text = fold(_all_langs(service.fees, service.fees_description))
    says_free = any(word in option_text or word in fee_text for word in _FREE_WORDS)
    if amounts and all(a > 0 for a in amounts):
        return False
    return (bool(amounts) and any(a == 0 for a in amounts)) or says_free


def _languages(service: Service, sal: ServiceAtLocation | None) -> list[str]:
    found: list[str] = []
    sources = list(service.languages)
    if sal is not None:
        sources += sal.location.languages
        for phone in [*sal.phones, *sal.location.phones]:
            sources += phone.languages
    for phone in service.phones:
        sources += phone.languages
    for language in sources:
        code = normalise_language(language.code or "") or normalise_language(language.name or "")
        if code and code not in found:
            found.append(code)
    return found


def _slots(rows: tuple[Any, ...]) -> list[str]:
    """Hours of the week a listing may be open (a superset; "none" when it has no schedule)."""
    return sorted(opening_hours.week_slots(rows)) if rows else ["none"]


def sort_rank(sort: str) -> int:
    """The first eight characters of a name sort key as a number: Tantivy orders by it across partitions."""
    return int.from_bytes(sort.encode("ascii", "ignore")[:8].ljust(8, b"\0"), "big")


def _epoch(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


@dataclass
class PendingDoc:
    document: tantivy.Document
    id: str
    kind: int
    service_id: str | None
    org_id: str
    owner: str
    lat: float
    lng: float
    sort: str
    schedules: tuple[Any, ...]
    tops: tuple[str, ...]
    covers: tuple[str, ...]
    status: str
    cross_region: bool
    words: set[str]
    points: tuple[tuple[float, float], ...] = ()


def _document(fields: dict[str, Any]) -> tantivy.Document:
    # kind and status in one term: the filter every lookup applies is then a single cheap term lookup.
    fields["shown"] = f"{fields.get('kind')}:{fields.get('status')}"
    doc = tantivy.Document()
    for name, value in fields.items():
        if value is None:
            continue
        if name in TEXT_FIELDS:
            if value:
                doc.add_text(name, value)
        elif name in KEYWORD_FIELDS:
            for item in value if isinstance(value, (list, tuple, set)) else [value]:
                if item:
                    doc.add_text(name, str(item))
        elif name in ("lat", "lng"):
            for item in value if isinstance(value, (list, tuple)) else [value]:
                doc.add_float(name, float(item))
        elif name == "sortkey":
            doc.add_unsigned(name, int(value))
        else:
            doc.add_integer(name, int(value))
    return doc


def service_documents(service: Service, organization: Organization | None) -> Iterator[PendingDoc]:
    """The search documents of one service: one for the service (all its places), then one per location."""
    from shared.directory.models import sort_key

    terms = _term_info(tuple(service.taxonomy_term_ids))
    org_name_fr = _texts(organization.name, organization.alternate_name, lang="fr") if organization else ""
    org_name_en = _texts(organization.name, organization.alternate_name, lang="en") if organization else ""
    name_fr = _texts(service.name, service.alternate_name, lang="fr")
    name_en = _texts(service.name, service.alternate_name, lang="en")
    service_areas = _area_codes(service)
    area_regions = _regions_of_codes(service_areas)
    cross_region = bool(area_regions - {service.region})
    base_desc_fr = _texts(service.description, service.eligibility_description, lang="fr")
    base_desc_en = _texts(service.description, service.eligibility_description, lang="en")
    raw_text = " ".join([name_fr, name_en, org_name_fr, org_name_en, terms.raw])
    schedules = opening_hours.compile_schedules(service.schedules)
    common: dict[str, Any] = {
        "name_fr": analyse_fr(name_fr),
        "name_en": analyse_en(name_en),
        "org_fr": analyse_fr(org_name_fr) + " " + analyse_fr(org_name_en)
        if org_name_en
        else analyse_fr(org_name_fr),
        "org_en": analyse_en(org_name_en or org_name_fr),
        "cat_fr": analyse_fr(terms.text_fr),
        "cat_en": analyse_en(terms.text_en),
        "raw": analyse_raw(raw_text),
        "terms": terms.ids,
        "tops": terms.tops,
        "status": service.status,
        "org_id": service.organization_id,
        "svc_id": service.id,
        "free": "1" if _is_free(service) else None,
        "region": service.region,
        "min_age": service.minimum_age if service.minimum_age is not None else NO_AGE_MIN,
        "max_age": service.maximum_age if service.maximum_age is not None else NO_AGE_MAX,
        "modified": _epoch(service.last_modified),
    }
    words = set(tokens(raw_text))
    sort = sort_key(service.name.pick("fr"))
    common["sortkey"] = sort_rank(sort)
    # One document for the service itself (entity "service"): every location's place, coordinates and codes.
    located = [(sal, *_location_codes(sal)) for sal in service.service_at_locations]
    points = tuple(
        (sal.location.latitude, sal.location.longitude)
        for sal, _, _ in located
        if sal.location.latitude is not None and sal.location.longitude is not None
    )
    service_covers = tuple(dict.fromkeys(service_areas + [c for _, codes, _ in located for c in codes]))
    place_words = " ".join(text for _, _, text in located)
    langs = list(dict.fromkeys(code for sal, _, _ in located for code in _languages(service, sal)))
    sal_descriptions_fr = [_texts(sal.description, lang="fr") for sal in service.service_at_locations]
    sal_descriptions_en = [_texts(sal.description, lang="en") for sal in service.service_at_locations]
    fields = common | {
        "kind": "svc",
        "desc_fr": analyse_fr(" ; ".join(filter(None, [base_desc_fr, *sal_descriptions_fr]))),
        "desc_en": analyse_en(" ; ".join(filter(None, [base_desc_en, *sal_descriptions_en]))),
        "place": analyse_raw(place_words),
        "langs": langs or _languages(service, None),
        "areas": service_covers,
        "lat": [p[0] for p in points] or None,
        "lng": [p[1] for p in points] or None,
    }
    first_schedules = schedules
    if not first_schedules and service.service_at_locations:
        sal = service.service_at_locations[0]
        first_schedules = opening_hours.compile_schedules(sal.schedules) or opening_hours.compile_schedules(
            sal.location.schedules
        )
    fields["slots"] = _slots(first_schedules)
    yield PendingDoc(
        _document(fields),
        service.id,
        KIND_SVC,
        service.id,
        service.organization_id,
        service.region,
        points[0][0] if points else math.nan,
        points[0][1] if points else math.nan,
        sort,
        first_schedules,
        terms.tops,
        service_covers,
        service.status,
        cross_region,
        words | set(tokens(place_words)),
        points,
    )
    # One document per service_at_location (entity "service_at_location"): this service, at this place.
    for sal, location_codes, place_text in located:
        covers = tuple(dict.fromkeys(service_areas + location_codes))
        desc_fr = " ; ".join(filter(None, [base_desc_fr, _texts(sal.description, lang="fr")]))
        desc_en = " ; ".join(filter(None, [base_desc_en, _texts(sal.description, lang="en")]))
        sal_schedules = (
            opening_hours.compile_schedules(sal.schedules)
            or schedules
            or opening_hours.compile_schedules(sal.location.schedules)
        )
        lat = sal.location.latitude
        lng = sal.location.longitude
        fields = common | {
            "kind": "sal",
            "desc_fr": analyse_fr(desc_fr),
            "desc_en": analyse_en(desc_en),
            "place": analyse_raw(place_text),
            "langs": _languages(service, sal),
            "areas": covers,
            "lat": lat,
            "lng": lng,
            "slots": _slots(sal_schedules),
        }
        yield PendingDoc(
            _document(fields),
            sal.id,
            KIND_SAL,
            service.id,
            service.organization_id,
            service.region,
            lat if lat is not None else math.nan,
            lng if lng is not None else math.nan,
            sort,
            sal_schedules,
            terms.tops,
            covers,
            service.status,
            cross_region,
            words | set(tokens(place_text)),
        )


def organization_document(organization: Organization, services: list[Service]) -> PendingDoc:
    from shared.directory.models import sort_key

    terms = _term_info(tuple(sorted({t for s in services for t in s.taxonomy_term_ids})))
    name_fr = _texts(organization.name, organization.alternate_name, lang="fr")
    name_en = _texts(organization.name, organization.alternate_name, lang="en")
    service_names_fr = " ; ".join(_texts(s.name, lang="fr") for s in services)
    service_names_en = " ; ".join(_texts(s.name, lang="en") for s in services)
    areas = tuple(dict.fromkeys(code for s in services for code in _area_codes(s)))
    raw_text = " ".join([name_fr, name_en, terms.raw])
    fields = {
        "kind": "org",
        "name_fr": analyse_fr(name_fr),
        "name_en": analyse_en(name_en),
        "org_fr": analyse_fr(service_names_fr),
        "org_en": analyse_en(service_names_en),
        "cat_fr": analyse_fr(terms.text_fr),
        "cat_en": analyse_en(terms.text_en),
        "desc_fr": analyse_fr(_texts(organization.description, lang="fr")),
        "desc_en": analyse_en(_texts(organization.description, lang="en")),
        "raw": analyse_raw(raw_text),
        "terms": terms.ids,
        "tops": terms.tops,
        "status": "active",
        "org_id": organization.id,
        "sortkey": sort_rank(sort_key(organization.name.pick("fr"))),
        "region": organization.region,
        "areas": areas,
        "min_age": NO_AGE_MIN,
        "max_age": NO_AGE_MAX,
        "modified": _epoch(organization.last_modified),
    }
    return PendingDoc(
        _document(fields),
        organization.id,
        KIND_ORG,
        None,
        organization.id,
        organization.region,
        math.nan,
        math.nan,
        sort_key(organization.name.pick("fr")),
        (),
        terms.tops,
        areas,
        "active",
        False,
        set(tokens(raw_text)),
    )


# ---- building, packing, loading
# ---------------------------------------------------------------------------------


@dataclass
class BuiltIndex:
    region: str
    data: bytes
    documents: int
    cross_region_services: list[str]


def build_index(
    region: str,
    services: Iterable[Service],
    organizations: Iterable[Organization],
    *,
    include_organizations: bool = True,
) -> BuiltIndex:
    """Build one partition's index from directory records; returns its packed bytes."""
    services = list(services)
    orgs = {o.id: o for o in organizations}
    workdir = Path(tempfile.mkdtemp(prefix=f"referral211-build-{region}-"))
    try:
        index = tantivy.Index(schema(), path=str(workdir))
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        meta = IndexMeta(region=region)
        cross_region: list[str] = []
        by_org: dict[str, list[Service]] = {}

        def add(pending: PendingDoc) -> None:
            pending.document.add_unsigned("ord", len(meta.ids))
            meta.ids.append(pending.id)
            meta.service_ids.append(pending.service_id)
            meta.owners.append(pending.owner)
            meta.lat.append(pending.lat)
            meta.lng.append(pending.lng)
            meta.sort.append(pending.sort)
            meta.schedules.append(pending.schedules)
            meta.tops.append(pending.tops)
            meta.covers.append(pending.covers)
            meta.points.append(pending.points)
            meta.statuses.append(pending.status)
            meta.vocabulary.update(pending.words)

        # Tantivy receives the documents grouped by kind (service_at_location, service, organization), so each
        # kind is a contiguous run of document ids. A lookup asks for one kind through the `shown` filter term,
        # and Tantivy's intersection jumps over the other kinds' runs instead of scoring them: a broad query
        # scores the documents of the asked kind only (about a third of them). The sidecar (`ord`) keeps the
        # service-by-service order, whose repeats (a service and its locations) pack much smaller.
        by_kind: dict[int, list[PendingDoc]] = {KIND_SAL: [], KIND_SVC: [], KIND_ORG: []}
        for service in services:
            by_org.setdefault(service.organization_id, []).append(service)
            first = True
            for pending in service_documents(service, orgs.get(service.organization_id)):
                if first and pending.cross_region:
                    cross_region.append(service.id)
                first = False
                add(pending)
                by_kind[pending.kind].append(pending)
        if include_organizations:
            for org in orgs.values():
                pending = organization_document(org, by_org.get(org.id, []))
                add(pending)
                by_kind[KIND_ORG].append(pending)
        for kind in (KIND_SAL, KIND_SVC, KIND_ORG):
            for pending in by_kind[kind]:
                writer.add_document(pending.document)
        writer.commit()
        writer.wait_merging_threads()
        data = pack(workdir, region=region, meta=meta)
        return BuiltIndex(region=region, data=data, documents=len(meta), cross_region_services=cross_region)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def pack(directory: Path, *, region: str, meta: IndexMeta) -> bytes:
    files: list[tuple[str, bytes]] = []
    for entry in sorted(directory.iterdir()):
        if entry.is_file() and not entry.name.startswith(".tantivy-"):
            files.append((entry.name, entry.read_bytes()))
    files.append(("sidecar.json", meta.to_bytes()))
    header = {
        "format": FORMAT_VERSION,
        "region": region,
        "documents": len(meta),
        "files": [[name, len(body)] for name, body in files],
    }
    header_bytes = json.dumps(header).encode()
    body = zlib.compress(b"".join(body for _, body in files), 1)
    return MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + body


def read_header(data: bytes) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise ValueError("not a referral211 search index")
    (length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    header: dict[str, Any] = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
    if header.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported search index format {header.get('format')}")
    return header


def unpack(data: bytes, directory: Path) -> IndexMeta:
    """Write the Tantivy files into `directory` and return the sidecar."""
    header = read_header(data)
    (length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    body = zlib.decompress(data[len(MAGIC) + 4 + length :])
    directory.mkdir(parents=True, exist_ok=True)
    offset = 0
    sidecar = b""
    for name, size in header["files"]:
        chunk = body[offset : offset + size]
        offset += size
        if name == "sidecar.json":
            sidecar = chunk
            continue
        if "/" in name or name.startswith(".."):
            raise ValueError("bad file name in search index")
        (directory / name).write_bytes(chunk)
    return IndexMeta.from_bytes(sidecar)


@dataclass
class LoadedIndex:
    region: str
    version: str
    index: tantivy.Index
    searcher: tantivy.Searcher
    meta: IndexMeta
    directory: Path
    size_bytes: int

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def load_index(data: bytes, *, version: str, root: Path | None = None) -> LoadedIndex:
    """Materialise a packed index under `root` (Lambda: /tmp) and open it."""
    header = read_header(data)
    base = (
        root or Path(os.environ.get("REFERRAL211_SEARCH_CACHE", tempfile.gettempdir())) / "referral211-search"
    )
    directory = Path(tempfile.mkdtemp(prefix=f"{header['region']}-", dir=_ensure(base)))
    meta = unpack(data, directory)
    index = tantivy.Index.open(str(directory))
    # The sidecar is millions of long-lived objects: keep them out of the cyclic garbage collector, whose full
    # passes over them would otherwise pause random lookups for tens of milliseconds.
    gc.freeze()
    return LoadedIndex(
        region=header["region"],
        version=version,
        index=index,
        searcher=index.searcher(),
        meta=meta,
        directory=directory,
        size_bytes=len(data),
    )


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
