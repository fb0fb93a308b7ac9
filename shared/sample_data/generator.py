"""A deterministic, realistic Québec 211 directory of any size (1,000 to 100,000 services and beyond).

Same `size` and `seed`, same directory, byte for byte: one `random.Random(seed)` stream, uuid5 ids, no clock.
Services are spread over the 17 regions by population, organisations over municipalities by population; names,
descriptions, hours, fees and ages come from the archetypes in `content.py`; about a third of the records also
have English text (most in Montréal, few elsewhere), as in real Québec directories.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from shared.directory import taxonomy
from shared.directory.models import Organization, Service
from shared.sample_data import gazetteer
from shared.sample_data.content import ARCHETYPES, Archetype, ServiceTemplate

NAMESPACE = uuid.UUID("7d2f3b8e-211c-4a51-9c0e-5a6d1e2f0211")
ENGLISH_SHARE = {"06": 0.6, "13": 0.3, "07": 0.3, "16": 0.2, "05": 0.15}
DEFAULT_ENGLISH_SHARE = 0.08
EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
SECTORS = ("Nord", "Sud", "Est", "Ouest", "Centre")
_VOWEL = re.compile(r"^[AEIOUYÀÂÉÈÊÎÔaeiouyàâéèêîô]")


@dataclass
class SampleDirectory:
    organizations: list[Organization]
    services: list[Service]


def de(place: str) -> str:
    """French 'of + place' with elision and contraction: d'Alma, du Bic, de La Tuque, des Escoumins."""
    if place.startswith("Le "):
        return "du " + place[3:]
    if place.startswith("Les "):
        return "des " + place[4:]
    if _VOWEL.match(place):
        return "d'" + place
    return "de " + place


_NAMESPACE_BYTES = NAMESPACE.bytes


def _id(*parts: object) -> str:
    """A name-based (version 5) UUID, computed directly: uuid.uuid5 is a third of generation time at 100k."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + ":".join(map(str, parts)).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _slug(text: str) -> str:
    return gazetteer.slug(text).replace("-", "")[:24] or "organisme"


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by weights; every share gets at least one when total allows."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [max(1, int(r)) if total >= len(weights) else int(r) for r in raw]
    remainder = total - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while remainder != 0 and order:
        index = order[i % len(order)]
        if remainder > 0:
            counts[index] += 1
            remainder -= 1
        elif counts[index] > 1:
            counts[index] -= 1
            remainder += 1
        i += 1
    return counts


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.term_ids = {t.code: t.id for t in taxonomy.all_terms() if t.code}

    # ---- small pieces ------------------------------------------------------------------------------------------

    def phone(self, owner: str, place: gazetteer.Municipality) -> dict[str, Any]:
        area = self.rng.choice(place.area_codes or ("418",))
        return {"id": _id("phone", owner), "number": f"{area} 555-01{self.rng.randrange(100):02d}", "type": "voice"}

    def modified(self) -> datetime:
        return EPOCH + timedelta(days=self.rng.randrange(0, 1000), minutes=self.rng.randrange(0, 600))

    def postal_code(self, place: gazetteer.Municipality) -> str:
        fsa = self.rng.choice(place.fsas)
        letters = "ABCEGHJKLMNPRSTVWXYZ"
        return f"{fsa} {self.rng.randrange(10)}{self.rng.choice(letters)}{self.rng.randrange(10)}"

    def street_address(self, place: gazetteer.Municipality) -> str:
        street = self.rng.choice(place.streets or ("rue Principale",))
        return f"{self.rng.randrange(10, 2999)}, {street}"

    def schedules(self, owner: str, kind: str) -> list[dict[str, Any]]:
        weekdays = "MO,TU,WE,TH,FR"
        rows: list[tuple[str, str, str]]
        if kind == "always":
            rows = [("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")]
        elif kind == "evenings":
            rows = [("TU,WE,TH,FR", "15:00", "21:00"), ("SA", "13:00", "22:00")]
        elif kind == "weekends":
            rows = [("SA,SU", "09:00", "17:00")]
        elif kind == "meals":
            rows = [("MO,WE,FR", "11:30", "13:30")]
        elif kind == "split" or self.rng.random() < 0.3:
            rows = [(weekdays, "08:30", "12:00"), (weekdays, "13:00", "16:30")]
        else:
            opens = self.rng.choice(("08:00", "08:30", "09:00"))
            closes = self.rng.choice(("16:00", "16:30", "17:00"))
            rows = [(weekdays, opens, closes)]
            if self.rng.random() < 0.15:
                rows.append(("TH", "18:00", "20:30"))
        schedules = [
            {"id": _id("schedule", owner, n), "freq": "WEEKLY", "byday": byday, "opens_at": opens,
             "closes_at": closes, "timezone": -5, "dtstart": "2024-01-01"}
            for n, (byday, opens, closes) in enumerate(rows)
        ]
        if kind != "always" and self.rng.random() < 0.25:
            # Closed over the holidays: a row valid for a short window with no opening hours.
            schedules.append({
                "id": _id("schedule", owner, "holidays"),
                "valid_from": "2026-12-24", "valid_to": "2027-01-03",
                "description": {"fr": "Fermé pendant la période des Fêtes.", "en": "Closed over the holidays."},
            })
        return schedules

    # ---- records -----------------------------------------------------------------------------------------------

    def org_name(self, archetype: Archetype, place: gazetteer.Municipality, region: gazetteer.Region,
                 allow_suffix: bool = True) -> tuple[str, str, str] | None:
        patterns = list(archetype.names)
        self.rng.shuffle(patterns)
        nicknames = list(archetype.nicknames) or [""]
        self.rng.shuffle(nicknames)
        for attempt in range(6):
            pattern = patterns[attempt % len(patterns)]
            nick = nicknames[attempt % len(nicknames)]
            values = {"de": de(place.name), "place": place.name, "region_de": region.de.replace("du ", "du ", 1),
                      "region_name": region.name, "nick": nick}
            name = pattern.format(**values).replace("  ", " ").strip()
            if attempt >= 3 and not allow_suffix:
                return None
            if attempt >= 3:
                sector = self.rng.choice(place.neighbourhoods or tuple(f"secteur {s}" for s in SECTORS))
                name = f"{name} – {sector}"
            if name not in self.names:
                self.names.add(name)
                english = self.rng.choice(archetype.names_en).format(**values).replace("  ", " ").strip()
                return name, english, nick
        name = f"{name} ({len(self.names)})"
        self.names.add(name)
        return name, archetype.names_en[0].format(**values), nick

    def organization(self, archetype: Archetype, place: gazetteer.Municipality, region: gazetteer.Region,
                     english: bool, names: tuple[str, str, str]) -> tuple[Organization, str]:
        name, name_en, _ = names
        org_id = _id("org", region.code, name)
        slug = _slug(name)
        domain = self.rng.choice((".org", ".ca", ".qc.ca", ".com"))
        fill = {"de": de(place.name), "place": place.name, "a": f"à {place.name}",
                "region_name": region.name}
        data: dict[str, Any] = {
            "id": org_id,
            "name": {"fr": name, **({"en": name_en} if english else {})},
            "description": {"fr": archetype.desc_fr.format(**fill),
                            **({"en": archetype.desc_en.format(**fill)} if english else {})},
            "email": f"info@{slug}{domain}",
            "website": f"https://www.{slug}{domain}",
            "year_incorporated": self.rng.randrange(1972, 2021),
            "legal_status": "Organisme à but non lucratif (OBNL)",
            "phones": [self.phone(org_id, place)],
            "region": region.code,
            "last_modified": self.modified(),
        }
        return Organization.model_validate(data), name

    def service(self, template: ServiceTemplate, org: Organization, org_name: str, archetype: Archetype,
                places: list[gazetteer.Municipality], region: gazetteer.Region, english: bool) -> Service:
        service_id = _id("service", org.id, template.code, template.fr)
        place = places[0]
        roll = self.rng.random()
        status = "inactive" if roll < 0.03 else ("temporarily closed" if roll < 0.04 else "active")
        fee = template.fee
        free = fee is None
        price_fr = f"{fee:.2f} $".replace(".", ",") if fee else ""
        languages = [{"id": _id("lang", service_id, "fr"), "name": "Français", "code": "fr"}]
        if english or self.rng.random() < 0.25:
            languages.append({"id": _id("lang", service_id, "en"), "name": "English", "code": "en"})
        if region.code in ("06", "13") and self.rng.random() < 0.3:
            extra = self.rng.choice((("es", "Español"), ("ar", "العربية"), ("zh", "中文"), ("ht", "Kreyòl")))
            languages.append({"id": _id("lang", service_id, extra[0]), "name": extra[1], "code": extra[0]})
        locations = []
        count = 1 if self.rng.random() < 0.7 else (2 if self.rng.random() < 0.75 else 3)
        for n in range(count):
            where = places[n % len(places)]
            lat = where.latitude + self.rng.uniform(-0.012, 0.012)
            lng = where.longitude + self.rng.uniform(-0.018, 0.018)
            location_id = _id("location", service_id, n)
            locations.append({
                "id": _id("sal", service_id, n),
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": {"fr": org_name if n == 0 else f"{org_name} – point de service {where.name}"},
                    "latitude": round(lat, 5),
                    "longitude": round(lng, 5),
                    "addresses": [{
                        "id": _id("address", location_id),
                        "address_1": self.street_address(where),
                        "city": where.city,
                        "region": region.name,
                        "state_province": "QC",
                        "postal_code": self.postal_code(where),
                        "country": "CA",
                        "address_type": "physical",
                    }],
                    "accessibility": ([{"id": _id("access", location_id),
                                        "description": {"fr": "Entrée accessible en fauteuil roulant.",
                                                        "en": "Wheelchair-accessible entrance."}}]
                                      if self.rng.random() < 0.5 else []),
                },
            })
        if archetype.scope == "region":
            area = {"area_type": "region", "area_code": region.code, "name": {"fr": region.name}}
        elif archetype.scope == "mrc":
            area = {"area_type": "mrc", "area_code": place.mrc_code, "name": {"fr": f"MRC {place.mrc}"}}
        else:
            area = {"area_type": "municipality", "area_code": place.code, "name": {"fr": place.name}}
        areas = [{"id": _id("area", service_id, 0), **area}]
        if archetype.scope == "municipality" and place.fsas:
            areas.append({"id": _id("area", service_id, 1), "area_type": "fsa", "area_code": place.fsas[0],
                          "name": {"fr": place.fsas[0]}})
        codes = (template.code, *template.extra_codes)
        application_fr, application_en = (
            ("Appelez pour prendre rendez-vous.", "Call to book an appointment.")
            if template.hours in ("office", "split") and self.rng.random() < 0.5
            else ("Sans rendez-vous, pendant les heures d'ouverture.", "Walk in during opening hours.")
        )
        data: dict[str, Any] = {
            "id": service_id,
            "organization_id": org.id,
            "name": {"fr": template.fr, **({"en": template.en} if english else {})},
            "description": {"fr": template.desc_fr, **({"en": template.desc_en} if english else {})},
            "email": org.email,
            "url": org.website,
            "status": status,
            "application_process": {"fr": application_fr, **({"en": application_en} if english else {})},
            "fees_description": ({"fr": "Gratuit", "en": "Free"} if free
                                 else {"fr": f"{price_fr}; gratuit pour les personnes sans revenu.",
                                       "en": f"${fee:.2f}; free for people with no income."}),
            "minimum_age": template.ages[0],
            "maximum_age": template.ages[1],
            "last_modified": self.modified(),
            "phones": [self.phone(service_id, place)],
            "schedules": self.schedules(service_id, template.hours),
            "service_areas": areas,
            "service_at_locations": locations,
            "languages": languages,
            "cost_options": [
                {"id": _id("cost", service_id), "option": {"fr": "Gratuit", "en": "Free"}, "currency": "CAD"}
                if free else
                {"id": _id("cost", service_id), "option": {"fr": "Contribution", "en": "Contribution"},
                 "amount": fee, "currency": "CAD"}
            ],
            "attributes": [
                {"id": _id("attribute", service_id, code), "taxonomy_term_id": self.term_ids[code],
                 "link_type": "category", "link_entity": "service"}
                for code in codes
            ],
            "region": region.code,
        }
        if template.eligibility_fr:
            data["eligibility_description"] = {
                "fr": template.eligibility_fr,
                **({"en": template.eligibility_en} if english and template.eligibility_en else {}),
            }
        return Service.model_validate(data)


def generate_directory(
    size: int = 3000, seed: int = 211, progress: Callable[[int], None] | None = None
) -> SampleDirectory:
    """`size` services (and about size/6 organisations) over all 17 regions; identical for the same arguments."""
    if size < 1:
        raise ValueError("size must be at least 1")
    builder = _Builder(seed)
    regions = gazetteer.regions()
    per_region = _allocate(size, [r.population for r in regions])
    weights = [a.weight for a in ARCHETYPES]
    organizations: list[Organization] = []
    services: list[Service] = []
    for region, wanted in zip(regions, per_region, strict=True):
        places = [m for m in gazetteer.municipalities(region.code) if not m.is_seat or m.is_sector]
        places = places or gazetteer.municipalities(region.code)
        place_weights = [max(m.population, 500) for m in places]
        english_share = ENGLISH_SHARE.get(region.code, DEFAULT_ENGLISH_SHARE)
        made = 0
        while made < wanted:
            archetype = builder.rng.choices(ARCHETYPES, weights=weights)[0]
            # A name already taken in the region moves the organisation to another town before it gets a
            # sector suffix ("– secteur Nord"), as real directories have one CAB per town.
            for tries in range(4):
                place = builder.rng.choices(places, weights=place_weights)[0]
                names = builder.org_name(archetype, place, region, allow_suffix=tries == 3)
                if names is not None:
                    break
            nearby = [m for m in places if m.mrc_code == place.mrc_code and m is not place]
            english = builder.rng.random() < english_share
            org, org_name = builder.organization(archetype, place, region, english, names)  # type: ignore[arg-type]
            templates = [t for t in archetype.services if not t.optional or builder.rng.random() < 0.5]
            templates = templates[: wanted - made]
            organizations.append(org)
            for template in templates:
                services.append(builder.service(template, org, org_name, archetype, [place, *nearby], region,
                                                english))
            made += len(templates)
            if progress:
                progress(len(services))
    return SampleDirectory(organizations=organizations, services=services)


def _records(models: Iterable[Any]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in models]


def dump_hsds_json(directory: SampleDirectory, target: str | Path | IO[str]) -> None:
    """Write `{"organizations": [...], "services": [...]}` in the storage form (bilingual fields as objects)."""
    document = {"organizations": _records(directory.organizations), "services": _records(directory.services)}
    if isinstance(target, str | Path):
        out: IO[str] = sys.stdout if str(target) == "-" else open(target, "w", encoding="utf-8")  # noqa: SIM115
    else:
        out = target
    try:
        json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
        out.write("\n")
    finally:
        if out is not sys.stdout and out is not target:
            out.close()


def load_hsds_json(path: str | Path) -> SampleDirectory:
    document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    return SampleDirectory(
        organizations=[Organization.model_validate(o) for o in document.get("organizations", [])],
        services=[Service.model_validate(s) for s in document.get("services", [])],
    )


__all__ = ["SampleDirectory", "de", "dump_hsds_json", "generate_directory", "load_hsds_json"]
