"""Diff of a validated batch against the stored directory: what to create, update, leave alone or deactivate.

Listings compare on their content without `last_modified` (a source that re-stamps every record on export must
not cost a write). Concurrent batches are reconciled field by field (`three_way`): a field only one side
changed
keeps that change; a field both changed takes the later batch's value and is reported as a conflict, while the
other value stays in the listing's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.directory.models import Organization, Service
from shared.directory.repository import StoredOrganization, StoredService

Action = Literal["create", "update", "unchanged", "deactivate"]
_IGNORED = {"last_modified"}


def content(model: Service | Organization) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True, exclude=_IGNORED)


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def three_way(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Merge our change (base -> ours) into their concurrent version, top-level field by field."""
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    for key in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if o == b:
            value = t
        elif t == b or t == o:
            value = o
        else:
            value = o
            conflicts.append(key)
        if value is not None:
            merged[key] = value
    return merged, sorted(conflicts)


@dataclass
class ServiceChange:
    action: Action
    service: Service
    previous: StoredService | None
    ref: str | None = None
    fields: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "service_id": self.service.id,
            "action": self.action,
            "name": {"fr": self.service.name.pick("fr"), "en": self.service.name.pick("en")},
        }
        if self.ref:
            found["ref"] = self.ref
        if self.fields:
            found["fields"] = self.fields
        if self.previous is not None:
            found["from_version"] = self.previous.stamp.version
        return found


@dataclass
class OrganizationChange:
    action: Action
    organization: Organization
    previous: StoredOrganization | None
    fields: list[str] = field(default_factory=list)


def plan_service(
    service: Service, stored: StoredService | None, ref: str | None, now: datetime
) -> ServiceChange:
    stamped = service if service.last_modified else service.model_copy(update={"last_modified": now})
    if stored is None:
        return ServiceChange("create", stamped, None, ref)
    fields = changed_fields(content(stored.service), content(service))
    if not fields:
        return ServiceChange("unchanged", stored.service, stored, ref)
    return ServiceChange("update", stamped, stored, ref, fields)


def plan_organization(
    org: Organization, stored: StoredOrganization | None, now: datetime
) -> OrganizationChange:
    stamped = org if org.last_modified else org.model_copy(update={"last_modified": now})
    if stored is None:
        return OrganizationChange("create", stamped, None)
    fields = changed_fields(content(stored.organization), content(org))
    if not fields:
        return OrganizationChange("unchanged", stored.organization, stored)
    return OrganizationChange("update", stamped, stored, fields)


def deactivation(stored: StoredService, now: datetime) -> ServiceChange:
    service = stored.service.model_copy(update={"status": "inactive", "last_modified": now})
    return ServiceChange("deactivate", service, stored, None, ["status"])
