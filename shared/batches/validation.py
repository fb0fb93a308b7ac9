"""Row-by-row validation: every record of every format goes through the same rules and the same pydantic
models.

Rules beyond the storage models: UUIDs or stable ids, Québec postal codes (G, H, J), coordinates inside
Québec,
North American phone numbers (normalised to "418 555-0142"), e-mail addresses, schedules whose hours are in
order,
known categories, unique ids within the batch, and listings small enough to be written atomically. All
problems
are collected (never only the first); any error rejects the whole batch.
"""

from __future__ import annotations

import copy
import functools
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.batches import categories
from shared.batches.problems import MAX_ERRORS, Problem
from shared.batches.records import ParsedBatch, SourceRecord, assign_nested_ids, ensure_id
from shared.directory.models import REGION_CODES, Lang, LocalizedText, Organization, Service

# Québec's extent, a little generous (Akwesasne to Blanc-Sablon, Ivujivik to the US border).
LAT_RANGE = (44.95, 62.65)
LON_RANGE = (-79.80, -57.05)
# A listing and its derived index items are written in one transaction (100 actions at most, the previous
# version's items included): beyond this many items a listing must be split.
MAX_DERIVED_ITEMS = 45

_POSTAL = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d$")
_EXTENSION = re.compile(
    r"\s*(?:,|;)?\s*(?:poste|post\.|p\.|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_BYDAY = re.compile(r"^(?:[+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass
class ValidatedBatch:
    services: list[tuple[SourceRecord, Service]] = field(default_factory=list)
    organizations: dict[str, tuple[str, str, Organization]] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rejected_rows: int = 0

    @property
    def regions(self) -> set[str]:
        return {s.region for _, s in self.services} | {o.region for _, _, o in self.organizations.values()}


# ---- normalisers (also used by parsers)
# ----------------------------------------------------------------------------


def normalise_phone(raw: str) -> tuple[str, int | None] | None:
    """("418 555-0142", extension) or None when the text is not a North American number."""
    text = raw.strip()
    extension = None
    found = _EXTENSION.search(text)
    if found:
        extension = int(found.group(1))
        text = text[: found.start()]
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01" or re.search(r"[^\d\s().+\-]", text):
        return None
    return f"{digits[:3]} {digits[3:6]}-{digits[6:]}", extension


def normalise_postal_code(raw: str) -> str | None:
    compact = raw.replace(" ", "").replace("-", "").upper()
    if not _POSTAL.match(compact):
        return None
    return f"{compact[:3]} {compact[3:]}"


def in_quebec(latitude: float, longitude: float) -> bool:
    return LAT_RANGE[0] <= latitude <= LAT_RANGE[1] and LON_RANGE[0] <= longitude <= LON_RANGE[1]


# ---- localisation: plain strings become {"fr": ...} or {"en": ...}
# -------------------------------------------------


def _model_args(annotation: Any) -> tuple[Any, ...]:
    args = typing.get_args(annotation)
    return args if args else (annotation,)


@functools.cache
def _text_fields(model: type[BaseModel]) -> tuple[tuple[str, bool, tuple[type[BaseModel], ...]], ...]:
    """Per field of `model`: its name, whether it is a LocalizedText, and the nested models it may hold (worked
    out once per model, not once per row)."""
    plan = []
    for name, info in model.model_fields.items():
        args = _model_args(info.annotation)
        nested: list[type[BaseModel]] = []
        for arg in args:
            inner = _model_args(arg) if typing.get_origin(arg) is list else (arg,)
            nested += [
                c for c in inner if isinstance(c, type) and issubclass(c, BaseModel) and c is not LocalizedText
            ]
        plan.append((name, LocalizedText in args, tuple(nested)))
    return tuple(plan)


def localise(model: type[BaseModel], data: dict[str, Any], lang: Lang) -> None:
    """In place: text fields given as plain strings are in `lang`; empty strings are absent values."""
    for name, localized, nested in _text_fields(model):
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
            if not value:
                del data[name]
                continue
            data[name] = value
        if localized and isinstance(value, str):
            data[name] = {lang: value}
        elif localized and isinstance(value, dict):
            data[name] = {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()} or None
            if data[name] is None:
                del data[name]
        for candidate in nested:
            if isinstance(value, dict):
                localise(candidate, value, lang)
            elif isinstance(value, list):
                for child in value:
                    if isinstance(child, dict):
                        localise(candidate, child, lang)


# ---- the rules
# -------------------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str, str, str]] = []  # (path, code, value, detail)

    def add(self, path: str, code: str, value: Any = "", detail: str = "") -> None:
        self.problems.append((path, code, "" if value is None else str(value), detail))

    def phones(self, phones: Any, path: str) -> None:
        for index, phone in enumerate(phones if isinstance(phones, list) else []):
            if not isinstance(phone, dict) or not isinstance(phone.get("number"), str):
                continue
            normalised = normalise_phone(phone["number"])
            if normalised is None:
                self.add(f"{path}.{index}.number", "invalid_phone", phone["number"])
                continue
            phone["number"], extension = normalised
            if extension is not None and phone.get("extension") in (None, ""):
                phone["extension"] = extension

    def schedules(self, schedules: Any, path: str) -> None:
        for index, schedule in enumerate(schedules if isinstance(schedules, list) else []):
            if not isinstance(schedule, dict):
                continue
            here = f"{path}.{index}"
            opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
            for key in ("opens_at", "closes_at"):
                value = schedule.get(key)
                if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
                    hours, minutes = value.strip().split(":")[:2]
                    schedule[key] = f"{int(hours):02d}:{minutes}"
            opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
            if isinstance(opens, str) and isinstance(closes, str) and closes != "00:00" and opens >= closes:
                self.add(f"{here}.closes_at", "invalid_schedule", f"{opens}-{closes}", f"{opens} >= {closes}")
            byday = schedule.get("byday")
            if isinstance(byday, str) and byday.strip():
                days = [d.strip().upper() for d in byday.split(",") if d.strip()]
                bad = [d for d in days if not _BYDAY.match(d)]
                if bad:
                    self.add(f"{here}.byday", "invalid_schedule", byday, "byday: " + ", ".join(bad))
                else:
                    schedule["byday"] = ",".join(days)
            valid_from, valid_to = schedule.get("valid_from"), schedule.get("valid_to")
            if isinstance(valid_from, str) and isinstance(valid_to, str) and valid_from > valid_to:
                self.add(
                    f"{here}.valid_to", "invalid_schedule", valid_to, f"valid_from {valid_from} > valid_to"
                )

    def address(self, address: dict[str, Any], path: str) -> None:
        raw = address.get("postal_code")
        if not isinstance(raw, str) or not raw.strip():
            return
        normalised = normalise_postal_code(raw)
        if normalised is None:
            self.add(f"{path}.postal_code", "invalid_postal_code", raw)
            return
        address["postal_code"] = normalised
        province = str(address.get("state_province") or "QC").strip().upper()
        if province in ("QC", "QUÉBEC", "QUEBEC", "PQ") and normalised[0] not in "GHJ":
            self.add(f"{path}.postal_code", "postal_code_outside_quebec", normalised)

    def location(self, location: Any, path: str) -> None:
        if not isinstance(location, dict):
            return
        latitude, longitude = location.get("latitude"), location.get("longitude")
        latitude, longitude = _number(latitude), _number(longitude)
        if (latitude is None) != (longitude is None):
            self.add(
                f"{path}.latitude" if latitude is None else f"{path}.longitude", "incomplete_coordinates"
            )
        elif latitude is not None and longitude is not None:
            location["latitude"], location["longitude"] = latitude, longitude
            if not in_quebec(latitude, longitude):
                hint = ""
                if in_quebec(longitude, latitude):
                    hint = " (latitude/longitude inversées ? / swapped?)"
                elif in_quebec(latitude, -longitude):
                    hint = " (longitude positive ? / longitude must be negative)"
                self.add(f"{path}.latitude", "coordinates_outside_quebec", f"{latitude}, {longitude}", hint)
        for index, address in enumerate(location.get("addresses") or []):
            if isinstance(address, dict):
                self.address(address, f"{path}.addresses.{index}")
        self.phones(location.get("phones"), f"{path}.phones")
        self.schedules(location.get("schedules"), f"{path}.schedules")

    def email(self, holder: dict[str, Any], path: str) -> None:
        value = holder.get("email")
        if isinstance(value, str) and value.strip():
            holder["email"] = value.strip()
            if not _EMAIL.match(holder["email"]):
                self.add(f"{path}email", "invalid_email", value)

    def service(self, service: dict[str, Any]) -> None:
        self.email(service, "")
        self.phones(service.get("phones"), "phones")
        self.schedules(service.get("schedules"), "schedules")
        for index, attribute in enumerate(service.get("attributes") or []):
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term_id")
            if isinstance(term, str) and not categories.is_known(term):
                resolved = categories.resolve(term)
                if resolved:
                    attribute["taxonomy_term_id"] = resolved
                else:
                    self.add(f"attributes.{index}.taxonomy_term_id", "unknown_category", term)
        for index, sal in enumerate(service.get("service_at_locations") or []):
            if isinstance(sal, dict):
                self.phones(sal.get("phones"), f"service_at_locations.{index}.phones")
                self.schedules(sal.get("schedules"), f"service_at_locations.{index}.schedules")
                self.location(sal.get("location"), f"service_at_locations.{index}.location")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


_PYDANTIC_CODES = {"missing": "missing_field"}


def _pydantic_problems(error: ValidationError, skip: set[str]) -> list[tuple[str, str, str, str]]:
    found = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"])
        if any(path == s or path.startswith(s + ".") for s in skip):
            continue
        kind = item["type"]
        last = str(item["loc"][-1]) if item["loc"] else ""
        value = item.get("input") if not isinstance(item.get("input"), dict | list) else ""
        if kind == "missing":
            code = "missing_field"
        elif kind == "string_pattern_mismatch" and (last == "id" or last.endswith("_id")):
            code = "invalid_uuid"
        elif last == "postal_code":
            code = "invalid_postal_code"
        elif last == "region":
            code = "invalid_region"
        elif last in ("opens_at", "closes_at"):
            code = "invalid_schedule"
        else:
            code = "invalid_value"
        found.append((path, code, "" if value is None else str(value), item["msg"]))
    return found


def derived_item_count(service: Service) -> int:
    terms = len(service.taxonomy_term_ids)
    return 1 + terms + len(service.service_at_locations) * (1 + terms)


# ---- the batch
# -------------------------------------------------------------------------------------------------------


def validate(parsed: ParsedBatch, *, region: str, lang: Lang, source: str) -> ValidatedBatch:
    result = ValidatedBatch(errors=list(parsed.errors), warnings=list(parsed.warnings))
    bad_refs = {p.ref for p in parsed.errors}
    org_inputs: dict[str, tuple[str, str, dict[str, Any]]] = {}
    org_namers: dict[str, Any] = {}

    def take_org(ref: str, ref_kind: str, raw: dict[str, Any], namer: Any = None) -> str:
        org = copy.deepcopy(raw)
        org["id"] = ensure_id(
            org.get("id"), source=source, kind="organization", fallback=str(org.get("name") or ref)
        )
        org.setdefault("region", region)
        org_inputs.setdefault(org["id"], (ref, ref_kind, org))
        if namer is not None:
            org_namers.setdefault(org["id"], namer)
        return str(org["id"])

    for ref, raw in parsed.organizations:
        take_org(ref, "element" if "/" in ref or "[" in ref else "row", raw)

    seen_services: dict[str, str] = {}
    for record in parsed.records:
        if len(result.errors) >= MAX_ERRORS:
            result.errors.append(
                Problem(
                    ref="file", field="", code="too_many_errors", value=str(MAX_ERRORS), ref_kind="element"
                )
            )
            break
        service = copy.deepcopy(record.service)
        if record.organization is not None:
            service["organization_id"] = take_org(
                record.ref, record.ref_kind, record.organization, record.field_name
            )
        elif service.get("organization_id") not in (None, ""):
            service["organization_id"] = ensure_id(
                service["organization_id"], source=source, kind="organization", fallback=""
            )
        service["id"] = ensure_id(
            service.get("id"),
            source=source,
            kind="service",
            fallback=f"{service.get('organization_id')}/{service.get('name')}",
        )
        service.setdefault("region", region)
        assign_nested_ids(service, source=source, owner=service["id"])
        localise(Service, service, lang)
        checker = _Checker()
        if str(service.get("region")) not in REGION_CODES:
            checker.add("region", "invalid_region", service.get("region"))
        checker.service(service)
        first = seen_services.get(service["id"])
        if first is not None:
            checker.add("id", "duplicate_id", record.service.get("id") or service["id"], first)
        else:
            seen_services[service["id"]] = record.ref
        model: Service | None = None
        try:
            model = Service.model_validate(service)
        except ValidationError as error:
            checker.problems.extend(_pydantic_problems(error, {p for p, *_ in checker.problems}))
        if model is not None and derived_item_count(model) > MAX_DERIVED_ITEMS:
            checker.add("service_at_locations", "too_many_locations", len(model.service_at_locations))
        if model is not None and not model.attributes:
            result.warnings.append(
                Problem(
                    ref=record.ref,
                    field=record.source_field("attributes"),
                    code="no_category",
                    ref_kind=record.ref_kind,
                )
            )
        for path, code, value, detail in checker.problems:
            result.errors.append(
                Problem(
                    ref=record.ref,
                    field=record.source_field(path),
                    code=code,
                    value=value,
                    detail=detail,
                    ref_kind=record.ref_kind,
                )
            )
        if checker.problems or record.ref in bad_refs:
            result.rejected_rows += 1
        elif model is not None:
            result.services.append((record, model))

    for org_id, (ref, ref_kind, org) in org_inputs.items():
        localise(Organization, org, lang)
        checker = _Checker()
        if str(org.get("region")) not in REGION_CODES:
            checker.add("region", "invalid_region", org.get("region"))
        checker.email(org, "")
        checker.phones(org.get("phones"), "phones")
        assign_nested_ids(org, source=source, owner=org_id)
        try:
            result.organizations[org_id] = (ref, ref_kind, Organization.model_validate(org))
        except ValidationError as error:
            checker.problems.extend(_pydantic_problems(error, {p for p, *_ in checker.problems}))
        namer = org_namers.get(org_id) or (lambda path: path)
        for path, code, value, detail in checker.problems:
            result.errors.append(
                Problem(
                    ref=ref,
                    field=namer(f"organization.{path}"),
                    code=code,
                    value=value,
                    detail=detail,
                    ref_kind=ref_kind,
                )
            )
        if checker.problems:
            result.organizations.pop(org_id, None)
            result.rejected_rows += 1
    result.rejected_rows = len({p.ref for p in result.errors if p.ref != "file"})
    if not parsed.records and not result.errors:
        result.errors.append(Problem(ref="file", field="", code="empty_batch", ref_kind="element"))
    return result
