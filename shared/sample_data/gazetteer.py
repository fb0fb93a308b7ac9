"""Québec places: the 17 administrative regions, MRCs, municipalities (and the boroughs and sectors people name), FSAs.

Shipped as data (`data/gazetteer.json`) and read once, on first use. It feeds the sample-directory generator and
resolves what people type in a search box: "st-jerome", "Chicoutimi", "plateau", "G8B" or "G8B 3L2".

Codes: a region is "01".."17"; a municipality and an MRC have a stable slug code (`municipality_code("Alma")` is
"alma"; a name used twice, such as Ville-Marie in Montréal and in Témiscamingue, gets the region as suffix).
Those slugs are what sample service areas carry in `area_code` for `area_type` "municipality" and "mrc".

Boroughs and sectors of merged cities (Montréal, Québec, Saguenay, Laval, Longueuil, Gatineau, Sherbrooke,
Trois-Rivières) are listed as places of their own with `city` set to the legal municipality, the name a postal
address carries.

Rural FSAs (second character 0, such as G0W) cover many municipalities and sometimes two regions:
`region_of_fsa` answers with the region holding most of the listed population, `regions_of_fsa` lists them all.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "gazetteer.json"
FSA_PATTERN = re.compile(r"^[A-Z]\d[A-Z]$")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str
    de: str  # French "of" form: "du Saguenay–Lac-Saint-Jean", "de l'Estrie", "des Laurentides"
    a: str  # French "in" form: "au Saguenay–Lac-Saint-Jean", "en Estrie", "dans les Laurentides"
    population: int
    area_codes: tuple[str, ...]


@dataclass(frozen=True)
class Mrc:
    """A regional county municipality, or the territory equivalent (TE) / agglomeration standing for one."""

    code: str
    name: str
    region: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    city: str  # the legal municipality, as written in a postal address ("Montréal" for a borough)
    region: str
    region_name: str
    mrc: str
    mrc_code: str
    latitude: float
    longitude: float
    population: int
    fsas: tuple[str, ...]
    area_codes: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    is_sector: bool = False  # a borough, sector or former town inside `city`
    is_seat: bool = False  # the sector that stands for the whole city when only the city is named


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a place name; "St-" and "Ste-" spell out Saint(e)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    folded = re.sub(r"[^a-z0-9]+", " ", folded).strip()
    folded = re.sub(r"\bste\b", "sainte", folded)
    folded = re.sub(r"\bst\b", "saint", folded)
    return folded


def slug(text: str) -> str:
    return fold(text).replace(" ", "-")


def normalize_fsa(value: str) -> str | None:
    """"g8b", "G8B 3L2", "g8b3l2" -> "G8B"; anything else -> None."""
    compact = re.sub(r"\s+", "", value or "").upper()[:3]
    return compact if FSA_PATTERN.match(compact) else None


@dataclass(frozen=True)
class _Gazetteer:
    regions: tuple[Region, ...]
    region_by_code: dict[str, Region]
    municipalities: tuple[Municipality, ...]
    by_code: dict[str, Municipality]
    by_name: dict[str, tuple[Municipality, ...]]
    by_alias: dict[str, tuple[Municipality, ...]]
    by_city: dict[str, tuple[Municipality, ...]]
    by_fsa: dict[str, tuple[Municipality, ...]]
    mrcs: tuple[Mrc, ...]


def _by_population(places: list[Municipality]) -> tuple[Municipality, ...]:
    return tuple(sorted(places, key=lambda m: (-m.population, m.code)))


@cache
def _gazetteer() -> _Gazetteer:
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    regions = tuple(
        Region(
            code=r["code"],
            name=r["name"],
            name_en=r["name_en"],
            de=r["de"],
            a=r["a"],
            population=r["population"],
            area_codes=tuple(r["area_codes"]),
        )
        for r in document["regions"]
    )
    region_by_code = {r.code: r for r in regions}
    name_counts: dict[str, int] = defaultdict(int)
    for raw in document["municipalities"]:
        name_counts[slug(raw["name"])] += 1
    mrc_regions: dict[str, set[str]] = defaultdict(set)
    for raw in document["municipalities"]:
        mrc_regions[slug(raw["mrc"])].add(raw["region"])

    places: list[Municipality] = []
    mrcs: dict[str, Mrc] = {}
    for raw in document["municipalities"]:
        code = slug(raw["name"])
        if name_counts[code] > 1:
            code = f"{code}-{raw['region']}"
        mrc_code = slug(raw["mrc"])
        if len(mrc_regions[mrc_code]) > 1:
            mrc_code = f"{mrc_code}-{raw['region']}"
        mrcs.setdefault(mrc_code, Mrc(code=mrc_code, name=raw["mrc"], region=raw["region"]))
        places.append(
            Municipality(
                code=code,
                name=raw["name"],
                city=raw.get("city", raw["name"]),
                region=raw["region"],
                region_name=raw["region_name"],
                mrc=raw["mrc"],
                mrc_code=mrc_code,
                latitude=raw["latitude"],
                longitude=raw["longitude"],
                population=raw["population"],
                fsas=tuple(raw["fsas"]),
                area_codes=tuple(raw.get("area_codes") or region_by_code[raw["region"]].area_codes),
                aliases=tuple(raw.get("aliases", ())),
                neighbourhoods=tuple(raw.get("neighbourhoods", ())),
                streets=tuple(raw.get("streets", ())),
                is_sector="city" in raw and raw["city"] != raw["name"],
                is_seat=bool(raw.get("seat")),
            )
        )

    by_name: dict[str, list[Municipality]] = defaultdict(list)
    by_alias: dict[str, list[Municipality]] = defaultdict(list)
    by_city: dict[str, list[Municipality]] = defaultdict(list)
    by_fsa: dict[str, list[Municipality]] = defaultdict(list)
    for place in places:
        by_name[fold(place.name)].append(place)
        for alias in place.aliases:
            by_alias[fold(alias)].append(place)
        by_city[fold(place.city)].append(place)
        for fsa in place.fsas:
            by_fsa[fsa].append(place)
    for city, members in by_city.items():
        # The seat first, then by population: naming only "Montréal" lands in Ville-Marie.
        by_city[city] = sorted(members, key=lambda m: (not m.is_seat, -m.population, m.code))
    return _Gazetteer(
        regions=regions,
        region_by_code=region_by_code,
        municipalities=tuple(places),
        by_code={p.code: p for p in places},
        by_name={k: _by_population(v) for k, v in by_name.items()},
        by_alias={k: _by_population(v) for k, v in by_alias.items()},
        by_city={k: tuple(v) for k, v in by_city.items()},
        by_fsa={k: _by_population(v) for k, v in by_fsa.items()},
        mrcs=tuple(mrcs.values()),
    )


def regions() -> list[Region]:
    return list(_gazetteer().regions)


def region(code: str) -> Region | None:
    return _gazetteer().region_by_code.get(code)


@cache
def region_names() -> dict[str, tuple[str, str]]:
    """code -> (French name, English name) of the 17 regions, without building the municipality indexes (the
    analyst tables label every row with its region)."""
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {r["code"]: (r["name"], r["name_en"]) for r in document["regions"]}


def mrcs(region: str | None = None) -> list[Mrc]:
    return [m for m in _gazetteer().mrcs if region is None or m.region == region]


def municipalities(region: str | None = None) -> list[Municipality]:
    """Every listed place, in file order (by region), or only those of one region."""
    return [m for m in _gazetteer().municipalities if region is None or m.region == region]


def municipality(code: str) -> Municipality | None:
    """Lookup by slug code ("alma", "saint-jerome", "ville-marie-06")."""
    return _gazetteer().by_code.get(code)


_PREFIXES = re.compile(r"^(ville de |ville d |municipalite de |municipalite d |city of |town of |arrondissement )")


def find_municipality(name: str, region: str | None = None) -> Municipality | None:
    """Resolve a typed place name, ignoring accents, case, dashes and "St-"/"Ste-" abbreviations.

    Tries the place's own name, then known aliases (former towns, neighbourhoods, common short forms), then the
    legal city ("Saguenay" finds Chicoutimi, "Montréal" finds Ville-Marie). `region` narrows homonyms; without
    it the most populous match wins.
    """
    gazetteer = _gazetteer()
    key = _PREFIXES.sub("", fold(name or ""))
    if not key:
        return None
    for table in (gazetteer.by_name, gazetteer.by_alias, gazetteer.by_city):
        matches = [m for m in table.get(key, ()) if region is None or m.region == region]
        if matches:
            return matches[0]
    return None


def municipalities_of_fsa(fsa: str) -> list[Municipality]:
    """Places whose main FSAs include this one, most populous first ("G8B 3L2" is accepted)."""
    key = normalize_fsa(fsa)
    return list(_gazetteer().by_fsa.get(key, ())) if key else []


def municipality_of_fsa(fsa: str) -> Municipality | None:
    places = municipalities_of_fsa(fsa)
    return places[0] if places else None


def regions_of_fsa(fsa: str) -> list[Region]:
    """Regions with a listed place in this FSA, the one holding most of the listed population first."""
    gazetteer = _gazetteer()
    population: dict[str, int] = defaultdict(int)
    for place in municipalities_of_fsa(fsa):
        population[place.region] += place.population
    if not population:
        fallback = _region_by_fsa_prefix(normalize_fsa(fsa))
        return [gazetteer.region_by_code[fallback]] if fallback else []
    ordered = sorted(population, key=lambda code: (-population[code], code))
    return [gazetteer.region_by_code[code] for code in ordered]


def region_of_fsa(fsa: str) -> Region | None:
    found = regions_of_fsa(fsa)
    return found[0] if found else None


def _region_by_fsa_prefix(fsa: str | None) -> str | None:
    # Every H FSA is on the island of Montréal except H7x, which is Laval; G and J FSAs span several regions.
    if not fsa or fsa[0] != "H":
        return None
    return "13" if fsa[1] == "7" else "06"
