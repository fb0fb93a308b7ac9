"""Places and distances: what "Alma", "G8B 3L2", "plateau" or lat/lng mean to the search engine.

- `haversine_m`: great-circle distance in metres.
- `Place`: a resolved reference (a point when there is one, its region, and the area codes that cover it).
- `resolve_municipality`, `resolve_postcode`, `resolve_point`: the place of a filter parameter.
- `PlaceMatcher.find`: place names inside a free-text query ("food bank Roberval", "hébergement Chicoutimi"),
  longest name first, so "Bas-Saint-Laurent" is a region and not the borough of Saint-Laurent.

Coverage codes link places to listings without geometry: a listing's service areas and its location become
codes such as `M:alma`, `C:lac-saint-jean-est`, `R:02`, `F:G8B`, `P:QC` (index.py), and a place lists the
codes
that cover it, so "serves Alma" is one term lookup.

Postal-code centroids come from the gazetteer's municipality of the FSA: in rural FSAs (second character 0)
that
is a poor point, so such places carry `coarse=True` and the engine widens distances accordingly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache

from shared.sample_data import gazetteer
from shared.sample_data.gazetteer import Municipality
from shared.search.text import phrase_tokens

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing a circle; a cheap pre-filter before haversine."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(0.01, math.cos(math.radians(lat)))
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


@dataclass(frozen=True)
class Place:
    kind: str  # "municipality" | "region" | "postcode" | "point"
    label: str
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    coverage: tuple[str, ...] = field(default=())  # area codes that cover this place
    municipality_code: str | None = None
    coarse: bool = False  # a rural FSA centroid: distances from it are approximate

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def municipality_coverage(place: Municipality, fsa: str | None = None) -> tuple[str, ...]:
    codes = [f"M:{place.code}", f"C:{place.mrc_code}", f"R:{place.region}", "P:QC"]
    if place.is_sector:
        city = gazetteer.find_municipality(place.city, region=place.region)
        city_code = gazetteer.slug(place.city)
        codes.append(f"M:{city_code}")
        if city is not None and city.code != place.code:
            codes.append(f"M:{city.code}")
    for code in [fsa] if fsa else place.fsas:
        codes.append(f"F:{code}")
    return tuple(dict.fromkeys(codes))


def place_of_municipality(place: Municipality) -> Place:
    return Place(
        kind="municipality",
        label=place.name,
        region=place.region,
        latitude=place.latitude,
        longitude=place.longitude,
        coverage=municipality_coverage(place),
        municipality_code=place.code,
    )


def find_municipality(name: str) -> Municipality | None:
    return gazetteer.find_municipality(name)


def resolve_municipality(name: str) -> Place | None:
    found = gazetteer.find_municipality(name)
    return place_of_municipality(found) if found else None


def resolve_postcode(postcode: str) -> Place | None:
    fsa = gazetteer.normalize_fsa(postcode)
    if not fsa:
        return None
    place = gazetteer.municipality_of_fsa(fsa)
    if place is None:
        return None
    return Place(
        kind="postcode",
        label=postcode,
        region=place.region,
        latitude=place.latitude,
        longitude=place.longitude,
        coverage=municipality_coverage(place, fsa),
        municipality_code=place.code,
        coarse=fsa[1] == "0",
    )


def resolve_point(lat: float, lng: float) -> Place:
    """A point; its region is that of the nearest known place (good enough to pick the index to search)."""
    nearest = nearest_municipality(lat, lng)
    return Place(
        kind="point",
        label=f"{lat:.4f},{lng:.4f}",
        region=nearest.region if nearest else None,
        latitude=lat,
        longitude=lng,
        coverage=(),
    )


def nearest_municipality(lat: float, lng: float) -> Municipality | None:
    """The nearest gazetteer place. A flat-earth distance (no trigonometry per place) ranks them; the few
    nearest are then compared exactly (within Québec the flat ranking errs by well under 1 %)."""
    places = _places_in_radians()
    if not places:
        return None
    p1 = math.radians(lat)
    l1 = math.radians(lng)
    shrink = math.cos(p1)
    flat = sorted(places, key=lambda item: (item[0] - p1) ** 2 + ((item[1] - l1) * shrink) ** 2)[:4]
    best = min(flat, key=lambda item: haversine_m(lat, lng, item[2].latitude, item[2].longitude))
    return best[2]


@cache
def _places_in_radians() -> list[tuple[float, float, Municipality]]:
    return [(math.radians(m.latitude), math.radians(m.longitude), m) for m in gazetteer.municipalities()]


@cache
def _region_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for region in gazetteer.regions():
        for name in (region.name, region.name_en):
            names[gazetteer.fold(name)] = region.code
            base = re.sub(r"\(.*?\)", "", name).strip()
            names[gazetteer.fold(base)] = region.code
    # Parts people type alone.
    partial = {
        "saguenay lac saint jean": "02",
        "lac saint jean": "02",
        "saglac": "02",
        "gaspesie": "11",
        "iles de la madeleine": "11",
        "abitibi": "08",
        "temiscamingue": "08",
        "cantons de l est": "05",
        "eastern townships": "05",
        "chaudiere": "12",
        "beauce": "12",
        "charlevoix": "03",
        "jamesie": "10",
        "nunavik": "10",
        "baie james": "10",
    }
    names.update(partial)
    return names


def region_code_of_name(name: str) -> str | None:
    return _region_names().get(gazetteer.fold(name))


def region_name(code: str, lang: str = "fr") -> str:
    region = gazetteer.region(code)
    if region is None:
        return code
    return region.name_en if lang == "en" else region.name


def similar_municipality_names(name: str, limit: int = 3) -> list[str]:
    from rapidfuzz import fuzz, process

    choices = {m.code: m.name for m in gazetteer.municipalities()}
    found = process.extract(
        gazetteer.fold(name),
        {k: gazetteer.fold(v) for k, v in choices.items()},
        scorer=fuzz.WRatio,
        limit=limit,
        score_cutoff=70,
    )
    return [choices[key] for _, _, key in found]


# ---- place names inside a query
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    place: Place


class PlaceMatcher:
    """Finds municipality, sector and region names in folded query tokens (longest match first)."""

    MAX_NAME_TOKENS = 6

    def __init__(self) -> None:
        self.names: dict[tuple[str, ...], list[Place]] = {}
        ordered = sorted(gazetteer.municipalities(), key=lambda m: -m.population)
        for place in ordered:  # most populous first: it wins homonyms unless a region filter says otherwise
            resolved = place_of_municipality(place)
            for name in (place.name, *place.aliases, *place.neighbourhoods, *_compound_parts(place.name)):
                self._add(name, resolved)
        # A merged city's own name ("Saguenay", "Québec", "Laval") resolves to its seat sector.
        for place in gazetteer.municipalities():
            if place.is_sector and place.city:
                seat = gazetteer.find_municipality(place.city)
                if seat is not None:
                    self._add(place.city, place_of_municipality(seat))
        for folded, code in _region_names().items():
            self._add(  # region names are folded already; phrase_tokens keeps them as they are
                folded,
                Place(kind="region", label=region_name(code), region=code, coverage=(f"R:{code}", "P:QC")),
            )

    def _add(self, name: str, place: Place) -> None:
        key = tuple(_expand_saint(phrase_tokens(name)))
        if not key:
            return
        found = self.names.setdefault(key, [])
        if all(p.label != place.label or p.kind != place.kind for p in found):
            found.append(place)

    def find(
        self,
        words: list[str],
        blocked: frozenset[str] = frozenset(),
        regions: frozenset[str] | None = None,
    ) -> list[PlaceMention]:
        """Place mentions in folded tokens. A lone word in `blocked` (domain vocabulary) is not a place; with
        `regions`, a name is only a place inside those regions (the homonym there, if any)."""
        mentions: list[PlaceMention] = []
        i = 0
        n = len(words)
        while i < n:
            step = 1
            for length in range(min(self.MAX_NAME_TOKENS, n - i), 0, -1):
                key = tuple(_expand_saint(words[i : i + length]))
                candidates = self.names.get(key)
                if not candidates:
                    continue
                if length == 1 and (key[0] in blocked or len(key[0]) < 3):
                    continue
                if regions:
                    candidates = [p for p in candidates if p.region in regions]
                    if not candidates:
                        continue
                mentions.append(PlaceMention(i, i + length, candidates[0]))
                step = length
                break
            i += step
        return mentions


_GENERIC_NAME_PARTS = frozenset(
    "saint sainte lac mont riviere rivieres baie ile iles port pointe cap val notre dame sur mer trois sept "
    "deux "
    "grand grande petit petite haute haut nord sud est ouest centre ville vieux nouvelle new east vale mines "
    "forest lorette monts sources".split()
)


def _compound_parts(name: str) -> list[str]:
    """ "Dolbeau-Mistassini" is also "Dolbeau" and "Mistassini": parts of a two-town name people say alone."""
    parts = [p for p in re.split(r"[-–\s]+", gazetteer.fold(name)) if p]
    if len(parts) != 2 or any(len(p) < 5 or p in _GENERIC_NAME_PARTS for p in parts):
        return []
    return parts


def _expand_saint(words: list[str]) -> list[str]:
    return ["saint" if w == "st" else "sainte" if w == "ste" else w for w in words]


@cache
def place_matcher() -> PlaceMatcher:
    return PlaceMatcher()
