"""HSDS 3.x JSON: an array of full services (organization and service_at_locations nested), or
`{"organizations": [...], "services": [...]}` (services may also nest in their organization), or an HSDS API
page
(`{"contents": [...]}`), so another HSDS system's export imports as it is.

HSDS fields the platform does not keep (contacts, funding, programs, metadata...) are dropped and reported
once as
warnings; contacts in particular carry people's names, which the directory does not store.
"""

from __future__ import annotations

import typing
from typing import Any

import orjson
from pydantic import BaseModel

from shared.batches.problems import Problem, file_problem
from shared.batches.records import ParsedBatch, SourceRecord
from shared.directory.models import LocalizedText, Organization, Service

FORMAT = "hsds-json"


def prune(
    model: type[BaseModel], data: dict[str, Any], dropped: set[str], prefix: str = ""
) -> dict[str, Any]:
    """Keep only the fields `model` knows (recursively); names of the others go to `dropped`."""
    kept: dict[str, Any] = {}
    for key, value in data.items():
        info = model.model_fields.get(key)
        if info is None:
            if value not in (None, "", [], {}):
                dropped.add(prefix + key)
            continue
        child_model = _nested_model(info.annotation)
        if child_model is not None and isinstance(value, dict):
            kept[key] = prune(child_model, value, dropped, f"{prefix}{key}.")
        elif child_model is not None and isinstance(value, list):
            kept[key] = [
                prune(child_model, v, dropped, f"{prefix}{key}.") if isinstance(v, dict) else v for v in value
            ]
        else:
            kept[key] = value
    return kept


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel) and current is not LocalizedText:
            return current
        stack.extend(typing.get_args(current))
    return None


def _attributes(raw: Any) -> list[dict[str, Any]]:
    """HSDS attributes may nest the taxonomy_term: each becomes a taxonomy_term_id (resolved later)."""
    found = []
    for attribute in raw if isinstance(raw, list) else []:
        if not isinstance(attribute, dict):
            continue
        term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
        value = attribute.get("taxonomy_term_id") or term.get("code") or term.get("id") or term.get("name")
        if value:
            found.append(
                {
                    "id": attribute.get("id"),
                    "taxonomy_term_id": str(value),
                    "link_type": attribute.get("link_type") or "category",
                }
            )
    return found


def service_from_hsds(
    raw: dict[str, Any], dropped: set[str], locations: dict[str, dict[str, Any]] | None = None
) -> tuple[dict[str, Any], dict | None]:
    service = dict(raw)
    organization = service.pop("organization", None)
    service["attributes"] = _attributes(service.get("attributes"))
    sals = []
    for sal in service.get("service_at_locations") or []:
        if isinstance(sal, dict):
            sal = dict(sal)
            if (
                not isinstance(sal.get("location"), dict)
                and locations
                and sal.get("location_id") in locations
            ):
                sal["location"] = locations[sal["location_id"]]
            sal.pop("service_id", None)
            sals.append(sal)
    service["service_at_locations"] = sals
    if "status" in service and isinstance(service["status"], str):
        service["status"] = service["status"].strip().lower()
    org = (
        prune(Organization, organization, dropped, "organization.")
        if isinstance(organization, dict)
        else None
    )
    return prune(Service, service, dropped), org


def parse(data: bytes) -> ParsedBatch:
    try:
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise file_problem("malformed_file", detail=f"JSON: {error}") from error
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    elif (
        isinstance(document, dict) and "id" in document and "name" in document and "services" not in document
    ):
        document = [document]
    parsed = ParsedBatch(format=FORMAT)
    dropped: set[str] = set()
    if isinstance(document, list):
        services: list[Any] = document
        organizations: list[Any] = []
        locations: dict[str, dict[str, Any]] = {}
        prefix = ""
    elif isinstance(document, dict) and ("services" in document or "organizations" in document):
        services = document.get("services") or []
        organizations = document.get("organizations") or []
        locations = {
            str(loc.get("id")): loc for loc in document.get("locations") or [] if isinstance(loc, dict)
        }
        prefix = "services"
        if not isinstance(services, list) or not isinstance(organizations, list):
            raise file_problem("malformed_file", detail="services / organizations: arrays expected")
    else:
        raise file_problem(
            "malformed_file",
            detail='tableau de services ou {"organizations": [...], "services": [...]} attendu / '
            'an array of services or {"organizations": [...], "services": [...]} expected',
        )
    for index, raw in enumerate(organizations):
        ref = f"organizations[{index}]"
        if not isinstance(raw, dict):
            parsed.errors.append(
                Problem(
                    ref=ref, field="", code="malformed_file", detail="object expected", ref_kind="element"
                )
            )
            continue
        for position, nested in enumerate(raw.get("services") or []):
            if isinstance(nested, dict):
                nested = {**nested, "organization_id": nested.get("organization_id") or raw.get("id")}
                service, _ = service_from_hsds(nested, dropped, locations)
                parsed.records.append(
                    SourceRecord(ref=f"{ref}.services[{position}]", service=service, ref_kind="element")
                )
        parsed.organizations.append(
            (
                ref,
                prune(
                    Organization, {k: v for k, v in raw.items() if k != "services"}, dropped, "organization."
                ),
            )
        )
    for index, raw in enumerate(services):
        ref = f"{prefix}[{index}]"
        if not isinstance(raw, dict):
            parsed.errors.append(
                Problem(
                    ref=ref, field="", code="malformed_file", detail="object expected", ref_kind="element"
                )
            )
            continue
        service, organization = service_from_hsds(raw, dropped, locations)
        parsed.records.append(
            SourceRecord(ref=ref, service=service, organization=organization, ref_kind="element")
        )
    parsed.warnings.extend(
        Problem(ref="file", field=name, code="ignored_field", value=name, ref_kind="element")
        for name in sorted(dropped)
    )
    return parsed
