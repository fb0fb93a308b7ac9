"""What every parser produces: HSDS-shaped dictionaries with where they came from, before validation.

Stable ids: a record whose source id is not a UUID (iCarol keys, CSV identifiers, HSDS exports with integer
ids)
gets `uuid5(BATCH_NAMESPACE, "{source}|{kind}|{source id}")`, so re-importing the same export updates the same
listings instead of duplicating them. Nested objects without a usable id get one derived from their parent's
id,
their kind and their position, which is just as stable for the same export.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.batches.problems import Problem

BATCH_NAMESPACE = uuid.UUID("8e0c5a52-3b1f-5d7a-a211-0b47c4e5d001")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def stable_id(source: str, kind: str, key: str) -> str:
    return str(uuid.uuid5(BATCH_NAMESPACE, f"{source}|{kind}|{key}"))


def ensure_id(value: Any, *, source: str, kind: str, fallback: str) -> str:
    """`value` when it is a UUID; otherwise an id derived from the source's own id (or `fallback`)."""
    if is_uuid(value):
        return str(value).lower()
    if value not in (None, ""):
        return stable_id(source, kind, str(value).strip())
    return stable_id(source, kind, fallback)


@dataclass
class SourceRecord:
    """One service as the source gave it, in HSDS shape (text fields may still be plain strings)."""

    ref: str
    service: dict[str, Any]
    organization: dict[str, Any] | None = None
    ref_kind: str = "row"
    # Maps an HSDS path ("service_at_locations.0.location.addresses.0.postal_code") to the source's field
    # name.
    field_name: Callable[[str], str] | None = None

    def source_field(self, path: str) -> str:
        return self.field_name(path) if self.field_name else path


@dataclass
class ParsedBatch:
    format: str
    records: list[SourceRecord] = field(default_factory=list)
    # Organizations given on their own (HSDS `{"organizations": [...]}`, organizations.csv, AIRS <Agency>).
    organizations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


_NESTED: dict[str, str] = {
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "languages": "language",
    "cost_options": "cost_option",
    "attributes": "attribute",
    "addresses": "address",
    "accessibility": "accessibility",
    "service_at_locations": "service_at_location",
}


def assign_nested_ids(node: dict[str, Any], *, source: str, owner: str) -> None:
    """Give every nested HSDS object a stable UUID (keeps UUIDs the source gave)."""
    for key, kind in _NESTED.items():
        children = node.get(key)
        if not isinstance(children, list):
            continue
        for position, child in enumerate(children):
            if not isinstance(child, dict):
                continue
            given = child.get("id")
            child["id"] = (
                ensure_id(given, source=source, kind=kind, fallback=f"{owner}/{kind}/{position}")
                if not is_uuid(given)
                else str(given).lower()
            )
            if kind == "service_at_location":
                location = child.get("location")
                if isinstance(location, dict):
                    location["id"] = ensure_id(
                        location.get("id"), source=source, kind="location", fallback=f"{child['id']}/location"
                    )
                    assign_nested_ids(location, source=source, owner=location["id"])
            assign_nested_ids(child, source=source, owner=child["id"])
