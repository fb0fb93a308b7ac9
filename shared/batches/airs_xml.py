"""iCarol / AIRS XML 3.0 exports (`<Source>` > `<Agency>` > `<Site>` > `<SiteService>`), how most 211 software
exchanges resources.

Mapping: Agency -> organization; SiteService -> service, grouped by its Key across Sites (a service offered
at two
sites is one listing with two service_at_locations); Site -> location (PhysicalAddress, SpatialLocation);
Taxonomy/Code (AIRS codes) -> our categories through `airs_codes`; TimeOpen -> schedules (free text kept as
the
schedule's description when it is not a day-and-hours rule); GeographicAreaServed -> service areas.
Not imported: ResourceInfo contacts (people's names), MailingAddress, and addresses marked Confidential="true"
(shelters keep theirs private). Inactive: ExcludeFromDirectory="true", or a name/description starting "DEL "
(the iCarol convention for records pending deletion).
Security: a DOCTYPE (entity expansion, external entities) is refused before parsing.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any

from shared.batches import categories
from shared.batches.problems import Problem, file_problem
from shared.batches.records import ParsedBatch, SourceRecord

FORMAT = "airs-xml"
_DAYS = (
    ("Monday", "MO"),
    ("Tuesday", "TU"),
    ("Wednesday", "WE"),
    ("Thursday", "TH"),
    ("Friday", "FR"),
    ("Saturday", "SA"),
    ("Sunday", "SU"),
)
_HOURS = re.compile(
    r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*(?:-|–|to|à)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return clean(found.text) if found is not None and found.text else ""


def clean(raw: str) -> str:
    """iCarol double-escapes HTML in descriptions (`&amp;lt;b&amp;gt;`): unescape, drop tags, tidy spaces."""
    text = html.unescape(html.unescape(raw))
    text = _TAG.sub(" ", text).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _phones(element: ET.Element) -> list[dict[str, Any]]:
    phones = []
    for phone in element.findall("Phone"):
        if phone.get("Confidential", "false").lower() == "true":
            continue
        number = _text(phone, "PhoneNumber")
        if not number:
            continue
        kind = _text(phone, "Type")
        entry: dict[str, Any] = {"number": number, "type": "fax" if kind.lower() == "fax" else "voice"}
        if kind and kind.lower() not in ("phone1", "fax"):
            entry["description"] = kind
        phones.append(entry)
    return phones


def _hour(hours: str, minutes: str | None, meridiem: str | None) -> str:
    value = int(hours)
    suffix = (meridiem or "").lower().replace(".", "")
    if suffix == "pm" and value < 12:
        value += 12
    if suffix == "am" and value == 12:
        value = 0
    return f"{value:02d}:{minutes or '00'}"


def _schedules(element: ET.Element | None) -> list[dict[str, Any]]:
    if element is None:
        return []
    by_hours: dict[tuple[str, str], list[str]] = {}
    for day, code in _DAYS:
        text = _text(element, day)
        for found in _HOURS.finditer(text):
            opens = _hour(found.group(1), found.group(2), found.group(3))
            closes = _hour(
                found.group(4),
                found.group(5),
                found.group(6)
                or ("pm" if found.group(3) and int(found.group(4)) < int(found.group(1)) else None),
            )
            by_hours.setdefault((opens, closes), []).append(code)
    schedules: list[dict[str, Any]] = [
        {"freq": "WEEKLY", "byday": ",".join(days), "opens_at": opens, "closes_at": closes}
        for (opens, closes), days in by_hours.items()
    ]
    notes = _text(element, "Notes")
    if notes and schedules:
        schedules[0]["description"] = notes
    elif notes:
        schedules.append({"description": notes})
    return schedules


def _address(site: ET.Element) -> list[dict[str, Any]]:
    physical = site.find("PhysicalAddress")
    if physical is None or physical.get("Confidential", "false").lower() == "true":
        return []
    line1, city, postal = _text(physical, "Line1"), _text(physical, "City"), _text(physical, "ZipCode")
    if not (line1 or city or postal):
        return []
    address = {
        "address_1": line1,
        "city": city,
        "postal_code": postal,
        "state_province": _text(physical, "State") or "QC",
        "country": "CA",
        "address_type": "physical",
    }
    line2 = _text(physical, "Line2")
    if line2:
        address["address_2"] = line2
    return [address]


def _inactive(agency: ET.Element, *texts: str) -> bool:
    return agency.get("ExcludeFromDirectory", "false").lower() == "true" or any(
        t.startswith("DEL ") for t in texts
    )


def parse(data: bytes) -> ParsedBatch:
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise file_problem("malformed_file", detail="DOCTYPE / ENTITY refusés / not accepted")
    if not head.startswith(b"<"):
        raise file_problem("malformed_file", detail="XML attendu / XML expected")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise file_problem("malformed_file", detail=f"XML: {error}") from error
    if root.tag != "Source":
        raise file_problem(
            "malformed_file", detail=f"<Source> attendu, <{root.tag}> trouvé / expected <Source>"
        )
    parsed = ParsedBatch(format=FORMAT)
    services: dict[str, SourceRecord] = {}
    unmapped: set[str] = set()
    for agency_index, agency in enumerate(root.findall("Agency"), start=1):
        agency_key = _text(agency, "Key")
        agency_ref = f"Agency[{agency_key or agency_index}]"
        if not agency_key:
            parsed.errors.append(
                Problem(ref=agency_ref, field="Agency/Key", code="missing_field", ref_kind="element")
            )
            continue
        agency_name = _text(agency, "Name")
        organization = {
            "id": f"agency:{agency_key}",
            "name": agency_name,
            "description": _text(agency, "AgencyDescription") or agency_name,
            "website": _text(agency, "URL/Address") or None,
            "email": _text(agency, "Email/Address") or None,
            "phones": _phones(agency),
        }
        parsed.organizations.append((agency_ref, organization))
        for site in agency.findall("Site"):
            site_key = _text(site, "Key")
            site_ref = f"{agency_ref}/Site[{site_key}]"
            latitude, longitude = (
                _text(site, "SpatialLocation/Latitude"),
                _text(site, "SpatialLocation/Longitude"),
            )
            location: dict[str, Any] = {
                "id": f"site:{site_key}",
                "location_type": "physical",
                "name": _text(site, "Name") or agency_name,
                "description": _text(site, "SiteDescription") or None,
                "addresses": _address(site),
                "phones": _phones(site),
            }
            if latitude or longitude:
                location["latitude"], location["longitude"] = latitude or None, longitude or None
            for site_service in site.findall("SiteService"):
                key = _text(site_service, "Key")
                ref = f"{site_ref}/SiteService[{key}]"
                if not key:
                    parsed.errors.append(
                        Problem(ref=ref, field="SiteService/Key", code="missing_field", ref_kind="element")
                    )
                    continue
                sal = {"id": f"siteservice:{key}@site:{site_key}", "location": location}
                if key in services:
                    services[key].service["service_at_locations"].append(sal)
                    continue
                name = _text(site_service, "Name")
                description = _text(site_service, "Description")
                attributes = []
                for code_element in site_service.findall("Taxonomy/Code"):
                    code = (code_element.text or "").strip()
                    if not code or code.startswith("{"):
                        continue
                    term = categories.from_airs_code(code)
                    if term:
                        attributes.append({"taxonomy_term_id": term})
                    else:
                        unmapped.add(code)
                areas = [
                    {
                        "name": _text(area, "City") or _text(area, "County") or _text(area, "State"),
                        "area_type": "municipality" if _text(area, "City") else None,
                    }
                    for area in site_service.findall("GeographicAreaServed")
                ]
                service = {
                    "id": f"siteservice:{key}",
                    "name": name,
                    "description": description or None,
                    "status": "inactive" if _inactive(agency, name, description) else "active",
                    "url": _text(site_service, "URL/Address") or organization["website"],
                    "email": _text(site_service, "Email/Address") or None,
                    "phones": _phones(site_service) or list(location["phones"]),
                    "schedules": _schedules(site_service.find("TimeOpen")),
                    "eligibility_description": _text(site_service, "Eligibility") or None,
                    "fees_description": _text(site_service, "FeeStructure") or None,
                    "application_process": _text(site_service, "ApplicationProcess") or None,
                    "service_areas": [a for a in areas if a["name"]],
                    "attributes": list({a["taxonomy_term_id"]: a for a in attributes}.values()),
                    "service_at_locations": [sal],
                    "organization_id": organization["id"],
                }
                services[key] = SourceRecord(ref=ref, service=service, ref_kind="element")
    parsed.records.extend(services.values())
    parsed.warnings.extend(
        Problem(
            ref="file", field="Taxonomy/Code", code="unmapped_taxonomy_code", value=code, ref_kind="element"
        )
        for code in sorted(unmapped)
    )
    return parsed
