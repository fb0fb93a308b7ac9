"""Where a caller is: a region and at most an FSA, from a postal code, coordinates or a region code.

The finest geography kept anywhere is the FSA (the postal code's first three characters): a full postal code can
single out a household, so it is reduced on entry and never stored. The FSA and municipality lookups are the
gazetteer's (`shared/sample_data/gazetteer.py`). Rural FSAs (second character 0, e.g. G0W) are shared by many
municipalities and can span regions: when the gazetteer cannot name one region, the territory stays unknown and
the contact goes to the common centre.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from shared.directory.models import REGION_CODES

Source = Literal["postal_code", "coordinates", "region", "none"]
_POSTAL = re.compile(r"^([A-Z]\d[A-Z])(?:\s*-?\s*(\d[A-Z]\d))?$")
QUEBEC_FSA_LETTERS = ("G", "H", "J")
# A generous box around Québec; points outside are not looked up at all.
_QUEBEC_BOX = (44.9, 62.7, -79.9, -57.0)
NEAREST_MUNICIPALITY_KM = 80.0


@dataclass(frozen=True)
class Territory:
    region: str | None
    fsa: str | None
    source: Source
    in_quebec: bool | None  # None: nothing was said about where the person is

    @property
    def known(self) -> bool:
        return self.region is not None

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "fsa": self.fsa, "source": self.source, "in_quebec": self.in_quebec}


UNKNOWN = Territory(region=None, fsa=None, source="none", in_quebec=None)


def normalise_postal_code(raw: str) -> str | None:
    """'g8b3l2', 'G8B 3L2', 'G8B-3L2' or 'G8B' -> 'G8B' (the FSA); None when it is not a Canadian postal code."""
    match = _POSTAL.match(raw.strip().upper().replace("  ", " "))
    return match.group(1) if match else None


def from_postal_code(raw: str) -> Territory:
    fsa = normalise_postal_code(raw)
    if fsa is None:
        return UNKNOWN
    if fsa[0] not in QUEBEC_FSA_LETTERS:
        return Territory(region=None, fsa=None, source="postal_code", in_quebec=False)
    return Territory(region=_region_of_fsa(fsa), fsa=fsa, source="postal_code", in_quebec=True)


def from_region(code: str) -> Territory:
    code = code.strip().zfill(2) if code.strip().isdigit() else code.strip()
    if code in REGION_CODES:
        return Territory(region=code, fsa=None, source="region", in_quebec=True)
    return UNKNOWN


def from_coordinates(lat: float, lng: float) -> Territory:
    south, north, west, east = _QUEBEC_BOX
    if not (south <= lat <= north and west <= lng <= east):
        return Territory(region=None, fsa=None, source="coordinates", in_quebec=False)
    region = _region_near(lat, lng)
    return Territory(region=region, fsa=None, source="coordinates", in_quebec=True if region else None)


def resolve(
    *,
    postal_code: str | None = None,
    region: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
) -> Territory:
    """The most precise of what was given: a postal code, then coordinates, then a region code.

    A postal code outside Québec wins over everything else (the person is elsewhere); a rural FSA that names no
    single region keeps its FSA and takes the region from coordinates or the region code when given.
    """
    fallback = UNKNOWN
    if postal_code:
        found = from_postal_code(postal_code)
        if found.region or found.in_quebec is False:
            return found
        fallback = found
    if lat is not None and lng is not None:
        near = from_coordinates(lat, lng)
        if near.region:
            return Territory(region=near.region, fsa=fallback.fsa, source="coordinates", in_quebec=True)
        if fallback.source == "none":
            fallback = near
    if region:
        named = from_region(region)
        if named.region:
            return Territory(region=named.region, fsa=fallback.fsa, source="region", in_quebec=True)
    return fallback


# ---- the gazetteer (the sample-data module's; read lazily) -----------------------------------------------------


def _region_of_fsa(fsa: str) -> str | None:
    """The FSA's region when the gazetteer names exactly one; a rural FSA over several regions stays unknown."""
    from shared.sample_data import gazetteer

    found = [r.code for r in gazetteer.regions_of_fsa(fsa) if r.code in REGION_CODES]
    return found[0] if len(found) == 1 else None


def _region_near(lat: float, lng: float) -> str | None:
    from shared.search import geo

    place = geo.nearest_municipality(lat, lng)
    if (
        place is None
        or geo.haversine_m(lat, lng, place.latitude, place.longitude) > NEAREST_MUNICIPALITY_KM * 1000
    ):
        return None
    return place.region if place.region in REGION_CODES else None
