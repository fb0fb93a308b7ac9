"""The top open resources near a caller, as short sentences a text-to-speech voice can read.

The search engine (`shared.search.engine`) finds them: the category asked for, open now in America/Montreal,
nearest first when the caller's place is known (coordinates or FSA), else within the caller's region. The
directory then gives their names, addresses and phone numbers (one BatchGetItem for the services).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.channels.territory import Territory
from shared.directory.models import Lang, Service
from shared.observability import logger

Status = Literal["found", "none", "unavailable"]
MAX_SPOKEN_CHARS = 240
RADIUS_KM = 50.0


@dataclass(frozen=True)
class SpokenResource:
    service_id: str
    service_at_location_id: str | None
    text: str
    phone: str | None


@dataclass(frozen=True)
class ResourceAnswer:
    status: Status
    items: tuple[SpokenResource, ...] = ()


def search_available() -> bool:
    try:
        from shared.search import engine  # noqa: F401
    except ImportError:
        return False
    return True


def top_open_resources(
    *,
    term_id: str,
    territory: Territory,
    lang: Lang,
    directory_table: str,
    lat: float | None = None,
    lng: float | None = None,
    limit: int = 3,
    at: datetime | None = None,
) -> ResourceAnswer:
    try:
        from shared.search.engine import search
        from shared.search.params import SearchParams
    except ImportError:
        logger.warning("search engine unavailable for the phone flow")
        return ResourceAnswer(status="unavailable")

    query: dict[str, Any] = {"taxonomy_term_id": term_id}
    if at is None:
        query["open_now"] = True
    else:
        query["open_at"] = at
    if lat is not None and lng is not None:
        query.update(lat=lat, lng=lng, radius_km=RADIUS_KM, sort="distance")
    elif territory.fsa:
        query.update(postcode=territory.fsa, sort="distance")
    elif territory.region:
        query["region"] = [territory.region]
    try:
        params = SearchParams.model_validate(query)
        result = search(params, "service_at_location", 1, limit, lang)
    except Exception as error:  # a search failure must not break a call: the flow reads status=unavailable
        logger.warning("phone flow search failed", error=type(error).__name__)
        return ResourceAnswer(status="unavailable")
    hits = list(getattr(result, "hits", []) or [])[:limit]
    if not hits:
        return ResourceAnswer(status="none")
    from shared.directory.repository import DirectoryRepository

    service_ids = [str(getattr(h, "service_id", "") or "") for h in hits]
    services = DirectoryRepository(directory_table).get_services([s for s in service_ids if s])
    items = []
    for hit, service_id in zip(hits, service_ids, strict=True):
        service = services.get(service_id)
        if service is not None:
            items.append(speak(service, str(getattr(hit, "id", "")), lang, getattr(hit, "distance_m", None)))
    return ResourceAnswer(status="found" if items else "none", items=tuple(items))


def speak(service: Service, sal_id: str, lang: Lang, distance_m: float | None = None) -> SpokenResource:
    """'Banque alimentaire, 100 rue Sacré-Cœur Ouest, Alma. Téléphone : 418 555-0142.'"""
    name = service.name.pick(lang)
    sal = next((s for s in service.service_at_locations if s.id == sal_id), None)
    parts = [name]
    if sal is not None and sal.location is not None and sal.location.addresses:
        address = sal.location.addresses[0]
        parts.append(f"{address.address_1}, {address.city}")
    if distance_m is not None and distance_m >= 0:
        km = distance_m / 1000
        spoken = f"{km:.0f}" if km >= 10 else f"{km:.1f}".replace(".", "," if lang == "fr" else ".")
        parts.append(f"à {spoken} km" if lang == "fr" else f"{spoken} km away")
    phones = (sal.phones if sal is not None and getattr(sal, "phones", None) else None) or service.phones
    phone = phones[0].number if phones else None
    text = ", ".join(parts) + "."
    if phone:
        text += (" Téléphone : " if lang == "fr" else " Phone: ") + spoken_phone(phone) + "."
    return SpokenResource(
        service_id=service.id, service_at_location_id=sal.id if sal else None, text=_clip(text), phone=phone
    )


def spoken_phone(number: str) -> str:
    """Digits grouped the way people say them: '418 555-0142' -> '418 555 0142'."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return number.strip()


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_SPOKEN_CHARS else text[: MAX_SPOKEN_CHARS - 1].rstrip() + "…"
