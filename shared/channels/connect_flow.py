"""The Amazon Connect flow's Lambda: route the contact and, when asked, name the top three open resources nearby.

In: the standard `ContactFlowEvent` (`{"Name": "ContactFlowEvent", "Details": {"ContactData": {...},
"Parameters": {...}}}`). Read raw and tolerantly: Channel may be VOICE or Voice, CHAT, TASK, EMAIL or a value
invented later; InitiationMethod anything; CustomerEndpoint, SystemEndpoint and Queue may be null; MediaStreams
and Attributes may be missing or empty. (Powertools' ConnectContactFlowEvent raises on enum values it does not
know, so it is not used for those.) The caller's number (CustomerEndpoint.Address) is never read.

What the flow may pass, as Parameters (which win) or contact Attributes set earlier in the flow:
- `postal_code` (or postalCode, code_postal): the postal code the caller keyed in or said; only its FSA is used;
- `region` (01..17), or `lat` and `lng`;
- `language` (fr or en; else ContactData.LanguageCode such as fr-CA; else French);
- `category`: a category id, code (FOOD-BANK) or menu digit (1..9, see MENU) to name open resources.

Out: a flat map of strings (the flow reads `$.External.route`, `$.External.message`...), well under 32 KB:
route, open, reason, channel, region, fsa, queue_arn, queue_name, next_opening, message (what the voice says),
language, and with a category: category_id, resources_status, resource_count, resource_1..3, resources_message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from shared.channels.region_config import LineChannel, RegionConfig
from shared.channels.resources import ResourceAnswer
from shared.channels.routing import RoutingDecision, decide
from shared.channels.territory import Territory, resolve
from shared.directory import taxonomy
from shared.directory.models import Lang
from shared.search.opening_hours import local_time

MAX_RESPONSE_BYTES = 32 * 1024
# Menu digits a voice flow can offer ("press 1 for food..."): the top categories most asked for at 211.
MENU: dict[str, str] = {
    "1": "FOOD",
    "2": "HOUSING",
    "3": "INCOME",
    "4": "HEALTH",
    "5": "MENTAL",
    "6": "VIOLENCE",
    "7": "LEGAL",
    "8": "FAMILY",
    "9": "SENIORS",
}
_POSTAL_KEYS = ("postal_code", "postalCode", "PostalCode", "code_postal", "postcode")
_LANGUAGE_KEYS = ("language", "lang", "Language")
_CATEGORY_KEYS = ("category", "Category", "categorie", "category_id")
ROUTE_RETENTION = timedelta(days=3)


@dataclass(frozen=True)
class FlowRequest:
    contact_id: str | None
    initial_contact_id: str | None
    channel_raw: str
    channel: LineChannel | None  # None: a task, routed to the common centre without hours
    language: Lang
    territory: Territory
    lat: float | None
    lng: float | None
    category: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float | bool):
        return str(value)
    return ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first(sources: tuple[Mapping[str, Any], ...], keys: tuple[str, ...]) -> str:
    for source in sources:
        for key in keys:
            found = _text(source.get(key))
            if found:
                return found
    return ""


def _float(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if number == number else None  # NaN


def line_channel(raw: str) -> tuple[LineChannel | None, bool]:
    """(routing channel, known). VOICE/Voice -> phone; CHAT and EMAIL -> chat (written, read by the chat team);
    TASK -> None (work items, not people); anything else is routed as a call."""
    upper = raw.strip().upper()
    if upper in ("VOICE", "PHONE", "TELEPHONE"):
        return "phone", True
    if upper in ("CHAT", "EMAIL", "SMS"):
        return "chat", True
    if upper == "TASK":
        return None, True
    return "phone", False


def language_of(value: str) -> Lang | None:
    lowered = value.strip().lower().replace("_", "-")
    if lowered.startswith("fr"):
        return "fr"
    if lowered.startswith("en"):
        return "en"
    return None


def read_request(event: Any) -> FlowRequest:
    root = _mapping(event)
    details = _mapping(root.get("Details"))
    contact = _mapping(details.get("ContactData"))
    parameters = _mapping(details.get("Parameters"))
    attributes = _mapping(contact.get("Attributes"))
    sources = (parameters, attributes)
    channel_raw = _text(contact.get("Channel"))
    channel, _ = line_channel(channel_raw)
    language = (
        language_of(_first(sources, _LANGUAGE_KEYS))
        or language_of(_text(contact.get("LanguageCode")))
        or "fr"
    )
    lat = _float(_first(sources, ("lat", "latitude")))
    lng = _float(_first(sources, ("lng", "lon", "longitude")))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        lat = lng = None
    territory = resolve(
        postal_code=_first(sources, _POSTAL_KEYS) or None,
        region=_first(sources, ("region", "Region")) or None,
        lat=lat,
        lng=lng,
    )
    return FlowRequest(
        contact_id=_text(contact.get("ContactId")) or None,
        initial_contact_id=_text(contact.get("InitialContactId")) or None,
        channel_raw=channel_raw,
        channel=channel,
        language=language,
        territory=territory,
        lat=lat,
        lng=lng,
        category=_first(sources, _CATEGORY_KEYS) or None,
    )


def find_category(value: str) -> Any | None:
    value = value.strip()
    if value in MENU:
        return taxonomy.term_by_code(MENU[value])
    return taxonomy.term(value) or taxonomy.term_by_code(value)


# ---- the answer ---------------------------------------------------------------------------------------------------

ResourceFinder = Callable[..., ResourceAnswer]


def answer(
    event: Any,
    configs: Mapping[str, RegionConfig],
    *,
    now: datetime | None = None,
    find_resources: ResourceFinder | None = None,
    web_url: str = "https://www.211qc.ca",
) -> tuple[dict[str, str], FlowRequest, RoutingDecision | None]:
    """The flat string map for the flow, the request read, and the routing decision (None for tasks)."""
    now = now or datetime.now(UTC)
    request = read_request(event)
    lang = request.language
    out: dict[str, str] = {"language": lang, "channel": request.channel or "task", "error": ""}
    decision: RoutingDecision | None = None
    if request.channel is None:
        out.update(
            route="common_centre",
            open="true",
            reason="task",
            region=request.territory.region or "",
            fsa=request.territory.fsa or "",
            queue_arn=configs["common"].line("chat").queue_arn or "",
            queue_name="referral211-common-chat",
            next_opening="",
            next_opening_speech="",
            message="",
        )
    else:
        decision = decide(request.channel, request.territory, configs, now)
        out.update(_routing_fields(decision, lang, now, web_url))
    if request.category:
        out.update(_resource_fields(request, lang, find_resources, now))
    return _bounded(out), request, decision


def _routing_fields(decision: RoutingDecision, lang: Lang, now: datetime, web_url: str) -> dict[str, str]:
    territory = decision.territory
    return {
        "route": decision.route,
        "open": "true" if decision.is_open else "false",
        "reason": decision.reason,
        "region": territory.region or "",
        "fsa": territory.fsa or "",
        "queue_arn": decision.queue_arn or "",
        "queue_name": decision.queue_name or "",
        "next_opening": decision.next_opening.isoformat() if decision.next_opening else "",
        "next_opening_speech": speak_when(decision.next_opening, now, lang) if decision.next_opening else "",
        "message": routing_message(decision, lang, now, web_url),
    }


def routing_message(decision: RoutingDecision, lang: Lang, now: datetime, web_url: str) -> str:
    french = lang == "fr"
    config = decision.config
    if decision.route == "regional_team":
        team = config.team_name.pick(lang) if config.team_name else config.name.pick(lang)
        return (
            f"Nous vous mettons en relation avec {team}." if french else f"We are connecting you with {team}."
        )
    if decision.route == "common_centre":
        return (
            "Nous vous mettons en relation avec une intervenante ou un intervenant du 2-1-1."
            if french
            else "We are connecting you with a 2-1-1 information and referral specialist."
        )
    site = speak_url(web_url, lang)
    if decision.route == "unavailable":
        service = "le clavardage" if decision.channel == "chat" else "le service téléphonique"
        service_en = "chat" if decision.channel == "chat" else "the phone line"
        return (
            _sentences(
                f"Le 2-1-1 n'offre pas encore {service} dans votre région",
                f"Consultez le répertoire en ligne : {site}",
            )
            if french
            else _sentences(
                f"2-1-1 does not offer {service_en} in your region yet",
                f"Please visit the online directory: {site}",
            )
        )
    when = speak_when(decision.next_opening, now, lang) if decision.next_opening else ""
    if decision.reason == "not_live_yet":
        return (
            _sentences(f"Ce service du 2-1-1 ouvrira dans votre région {when}", f"D'ici là, consultez {site}")
            if french
            else _sentences(
                f"This 2-1-1 service opens in your region {when}", f"Until then, please visit {site}"
            )
        )
    closed = (
        ("Le 2-1-1 est fermé aujourd'hui, jour férié" if french else "2-1-1 is closed today for a holiday")
        if decision.reason == "holiday"
        else ("Le 2-1-1 est fermé en ce moment" if french else "2-1-1 is closed right now")
    )
    back = (f"Nous serons de retour {when}" if french else f"We will be back {when}") if when else ""
    return _sentences(closed, back)


def _sentences(*parts: str) -> str:
    """Sentences joined with one full stop each ('8 a.m.' does not get a second one)."""
    return " ".join(p if p.endswith(".") else p + "." for p in parts if p)


_DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def speak_when(moment: datetime, now: datetime, lang: Lang) -> str:
    """'aujourd'hui à 8 h', 'demain à 8 h 30', 'lundi à 8 h', 'le 3 janvier à 8 h' (or the English forms)."""
    local, today = local_time(moment), local_time(now).date()
    days = (local.date() - today).days
    if lang == "fr":
        clock = f"{local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
        if days == 0:
            return f"aujourd'hui à {clock}"
        if days == 1:
            return f"demain à {clock}"
        if 1 < days < 7:
            return f"{_DAYS_FR[local.weekday()]} à {clock}"
        return f"le {local.day}{'er' if local.day == 1 else ''} {_MONTHS_FR[local.month - 1]} à {clock}"
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d}" if local.minute else f"{hour}"
    clock += " a.m." if local.hour < 12 else " p.m."
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if 1 < days < 7:
        return f"on {_DAYS_EN[local.weekday()]} at {clock}"
    return f"on {_MONTHS_EN[local.month - 1]} {local.day} at {clock}"


def speak_url(url: str, lang: Lang) -> str:
    """'https://www.211qc.ca' -> '2-1-1 q c point c a' (what a voice can say)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    dot = " point " if lang == "fr" else " dot "
    spoken = []
    for part in host.split("."):
        spoken.append(part.replace("211", "2-1-1 ").replace("qc", "q c").replace("ca", "c a").strip())
    return dot.join(spoken)


def _resource_fields(
    request: FlowRequest, lang: Lang, find_resources: ResourceFinder | None, now: datetime
) -> dict[str, str]:
    term = find_category(request.category or "")
    if term is None:
        return {
            "category_id": "",
            "resources_status": "unknown_category",
            "resource_count": "0",
            "resources_message": "Cette catégorie est inconnue." if lang == "fr" else "Unknown category.",
            "resource_1": "",
            "resource_2": "",
            "resource_3": "",
        }
    found = (
        find_resources(
            term_id=term.id, territory=request.territory, lang=lang, lat=request.lat, lng=request.lng, at=now
        )
        if find_resources is not None
        else ResourceAnswer(status="unavailable")
    )
    fields = {
        "category_id": term.id,
        "resources_status": found.status,
        "resource_count": str(len(found.items)),
    }
    for n in range(3):
        fields[f"resource_{n + 1}"] = found.items[n].text if n < len(found.items) else ""
    name = term.name.pick(lang).lower()
    if found.items:
        intro = (
            f"Voici {len(found.items)} ressources ouvertes près de chez vous en {name}. "
            if lang == "fr"
            else f"Here are {len(found.items)} open resources near you for {name}. "
        )
        fields["resources_message"] = intro + " ".join(i.text for i in found.items)
    elif found.status == "none":
        fields["resources_message"] = (
            f"Aucune ressource en {name} n'est ouverte près de chez vous en ce moment."
            if lang == "fr"
            else f"No {name} resource near you is open right now."
        )
    else:
        fields["resources_message"] = (
            "La recherche de ressources est indisponible pour le moment."
            if lang == "fr"
            else "Resource search is unavailable right now."
        )
    return fields


def _bounded(out: dict[str, str]) -> dict[str, str]:
    """Every value a string; the whole map under Amazon Connect's 32 KB (long texts are cut, never the keys)."""
    clean = {str(k): (v if isinstance(v, str) else str(v)) for k, v in out.items()}
    while len(orjson.dumps(clean)) > MAX_RESPONSE_BYTES:
        longest = max(clean, key=lambda k: len(clean[k]))
        clean[longest] = clean[longest][: len(clean[longest]) // 2]
    return clean


def route_expiry(now: datetime) -> int:
    return int((now + ROUTE_RETENTION).timestamp())
