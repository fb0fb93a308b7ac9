"""DynamoDB repository of the directory: the key design lives here and only here.

One table (`directory`), documents stored as compact JSON in `doc`, and two overloaded GSIs whose partitions are
the listing access patterns. Every read is GetItem, BatchGetItem or Query: never Scan.

| item                     | PK              | SK          | GSI1PK / GSI1SK              | GSI2PK / GSI2SK                        |
|--------------------------|-----------------|-------------|------------------------------|----------------------------------------|
| organization             | ORG#{id}        | ORG         | ORG#R#{region} / {sort}#{id} | -                                      |
| service                  | SVC#{id}        | SVC         | SVC#R#{region} / {sort}#{id} | SVC#O#{org} / {sort}#{id}              |
| service category link    | SVC#{id}        | T#{term}    | -                            | SVC#T#{term} / {region}#{sort}#{id}    |
| service_at_location      | SAL#{id}        | SAL         | SAL#R#{region} / {sort}#{id} | SAL#O#{org} / {sort}#{id}              |
| s_a_l category link      | SAL#{id}        | T#{term}    | -                            | SAL#T#{term} / {region}#{sort}#{id}    |
| earlier listing version  | SVC#{id}        | V#{ver:08d} | -                            | -                                      |
| earlier org version      | ORG#{id}        | V#{ver:08d} | -                            | -                                      |
| listing alias            | SVC#{source id} | ALIAS       | -                            | -                                      |

Listing batches (docs/BATCHES.md) write through `write_service_version` / `write_organization_version`: the main item
carries `ver` and the write is conditional on it (optimistic concurrency); history and alias items have no GSI keys.

GSIs project only the small attributes lists filter on (`id`, `region`, `org`, `svc`, `modified`, `status`,
`terms`, `sort`), so a list request reads compact keys, filters and pages them in memory, then fetches the page's
documents with one BatchGetItem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from shared.aws import dynamodb
from shared.directory.models import (
    REGION_CODES,
    Organization,
    Service,
    ServiceAtLocation,
    sort_key,
)

Entity = Literal["ORG", "SVC", "SAL"]
GSI_REGION = "GSI1"
GSI_PARENT = "GSI2"


@dataclass(frozen=True)
class IndexEntry:
    """What a GSI projects for one listing: enough to filter, order and page without reading documents."""

    id: str
    region: str
    organization_id: str
    service_id: str | None
    modified: str
    status: str
    term_ids: tuple[str, ...]
    sort: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> IndexEntry:
        return cls(
            id=item["id"]["S"],
            region=item["region"]["S"],
            organization_id=item.get("org", {}).get("S", ""),
            service_id=item.get("svc", {}).get("S"),
            modified=item.get("modified", {}).get("S", ""),
            status=item.get("status", {}).get("S", "active"),
            term_ids=tuple(t for t in item.get("terms", {}).get("S", "").split(" ") if t),
            sort=item.get("sort", {}).get("S", ""),
        )


@dataclass(frozen=True)
class StoredServiceAtLocation:
    service_at_location: ServiceAtLocation
    service_id: str
    region: str


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _modified(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _doc(model: BaseModel) -> str:
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True)).decode()


# ---- versions (listing batches, docs/BATCHES.md) ---------------------------------------------------------------------
# A listing's main item carries `ver` (N), `by`, `at`, `batch` and `note` for its current version; writing version n+1
# is conditional on `ver = n` and moves version n's document to a history item `{PK}` / `V#{n:08d}`.
# Items written before versioning (bulk_load) are version 0.


@dataclass(frozen=True)
class VersionStamp:
    version: int
    by: str
    at: str
    batch_id: str | None = None
    note: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> VersionStamp:
        return cls(
            version=int(item.get("ver", {}).get("N", "0")),
            by=item.get("by", {}).get("S", ""),
            at=item.get("at", {}).get("S", ""),
            batch_id=item.get("batch", {}).get("S"),
            note=item.get("note", {}).get("S"),
        )

    def attributes(self) -> dict[str, Any]:
        found: dict[str, Any] = {"ver": {"N": str(self.version)}, "by": _s(self.by), "at": _s(self.at)}
        if self.batch_id:
            found["batch"] = _s(self.batch_id)
        if self.note:
            found["note"] = _s(self.note)
        return found


@dataclass(frozen=True)
class StoredService:
    service: Service
    stamp: VersionStamp


@dataclass(frozen=True)
class StoredOrganization:
    organization: Organization
    stamp: VersionStamp


def _version_condition(previous: VersionStamp | None) -> dict[str, Any]:
    if previous is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    if previous.version == 0:
        return {"ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(ver)"}
    return {"ConditionExpression": "ver = :ver", "ExpressionAttributeValues": {":ver": {"N": str(previous.version)}}}


class DirectoryRepository:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table = dynamodb.Table(table_name, client)

    # ---- item builders: one place for every key -------------------------------------------------------------

    @staticmethod
    def organization_items(org: Organization) -> list[dict[str, Any]]:
        sort = sort_key(org.name.pick("fr"))
        return [
            {
                "PK": _s(f"ORG#{org.id}"),
                "SK": _s("ORG"),
                "GSI1PK": _s(f"ORG#R#{org.region}"),
                "GSI1SK": _s(f"{sort}#{org.id}"),
                "id": _s(org.id),
                "region": _s(org.region),
                "org": _s(org.id),
                "modified": _s(_modified(org.last_modified)),
                "status": _s("active"),
                "sort": _s(sort),
                "doc": _s(_doc(org)),
            }
        ]

    @staticmethod
    def service_items(service: Service) -> list[dict[str, Any]]:
        sort = sort_key(service.name.pick("fr"))
        terms = service.taxonomy_term_ids
        common = {
            "region": _s(service.region),
            "org": _s(service.organization_id),
            "modified": _s(_modified(service.last_modified)),
            "status": _s(service.status),
            "terms": _s(" ".join(terms)),
            "sort": _s(sort),
        }
        items: list[dict[str, Any]] = [
            {
                "PK": _s(f"SVC#{service.id}"),
                "SK": _s("SVC"),
                "GSI1PK": _s(f"SVC#R#{service.region}"),
                "GSI1SK": _s(f"{sort}#{service.id}"),
                "GSI2PK": _s(f"SVC#O#{service.organization_id}"),
                "GSI2SK": _s(f"{sort}#{service.id}"),
                "id": _s(service.id),
                **common,
                "doc": _s(_doc(service)),
            }
        ]
        for term in terms:
            items.append(
                {
                    "PK": _s(f"SVC#{service.id}"),
                    "SK": _s(f"T#{term}"),
                    "GSI2PK": _s(f"SVC#T#{term}"),
                    "GSI2SK": _s(f"{service.region}#{sort}#{service.id}"),
                    "id": _s(service.id),
                    **common,
                }
            )
        for sal in service.service_at_locations:
            sal_common = {"id": _s(sal.id), "svc": _s(service.id), **common}
            items.append(
                {
                    "PK": _s(f"SAL#{sal.id}"),
                    "SK": _s("SAL"),
                    "GSI1PK": _s(f"SAL#R#{service.region}"),
                    "GSI1SK": _s(f"{sort}#{sal.id}"),
                    "GSI2PK": _s(f"SAL#O#{service.organization_id}"),
                    "GSI2SK": _s(f"{sort}#{sal.id}"),
                    **sal_common,
                }
            )
            for term in terms:
                items.append(
                    {
                        "PK": _s(f"SAL#{sal.id}"),
                        "SK": _s(f"T#{term}"),
                        "GSI2PK": _s(f"SAL#T#{term}"),
                        "GSI2SK": _s(f"{service.region}#{sort}#{sal.id}"),
                        **sal_common,
                    }
                )
        return items

    @staticmethod
    def _keys_of(items: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(i["PK"]["S"], i["SK"]["S"]) for i in items}

    # ---- writes -----------------------------------------------------------------------------------------------

    def put_organization(self, org: Organization) -> None:
        self.table.put_items(self.organization_items(org))

    def put_service(self, service: Service) -> None:
        """Write a service and its derived index items; remove derived items the previous version had."""
        new_items = self.service_items(service)
        previous = self.get_service(service.id)
        stale = (
            self._keys_of(self.service_items(previous)) - self._keys_of(new_items) if previous else set()
        )
        self.table.write_all(puts=new_items, deletes=sorted(stale))

    def bulk_load(
        self, organizations: Iterable[Organization], services: Iterable[Service]
    ) -> Iterator[int]:
        """Seed an empty directory fast (BatchWriteItem); yields the running count of items written."""
        def items() -> Iterator[dict[str, Any]]:
            for org in organizations:
                yield from self.organization_items(org)
            for service in services:
                yield from self.service_items(service)

        yield from self.table.batch_put(items())

    # ---- versioned writes and history (listing batches) -------------------------------------------------------

    @staticmethod
    def history_item(pk: str, model: BaseModel, stamp: VersionStamp) -> dict[str, Any]:
        return {"PK": _s(pk), "SK": _s(f"V#{stamp.version:08d}"), "doc": _s(_doc(model)), **stamp.attributes()}

    @staticmethod
    def alias_item(source_id: str, target_id: str, stamp: VersionStamp) -> dict[str, Any]:
        """An incoming listing id recognised as an existing listing (duplicate linked or merged)."""
        return {"PK": _s(f"SVC#{source_id}"), "SK": _s("ALIAS"), "target": _s(target_id), **stamp.attributes()}

    def service_write_actions(
        self, service: Service, stamp: VersionStamp, previous: StoredService | None,
        extra_puts: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """TransactWriteItems actions writing `service` as version `stamp.version` if the stored version is still
        `previous`: the conditional main item, derived items, deletes of stale derived items, the history item."""
        new_items = self.service_items(service)
        main = {**new_items[0], **stamp.attributes()}
        stale = self._keys_of(self.service_items(previous.service)) - self._keys_of(new_items) if previous else set()
        puts = new_items[1:] + list(extra_puts or [])
        if previous is not None:
            puts.append(self.history_item(f"SVC#{service.id}", previous.service, previous.stamp))
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table.name, "Item": main,
                                                  **_version_condition(previous.stamp if previous else None)}}]
        actions += [{"Put": {"TableName": self.table.name, "Item": item}} for item in puts]
        actions += [{"Delete": {"TableName": self.table.name, "Key": {"PK": _s(pk), "SK": _s(sk)}}}
                    for pk, sk in sorted(stale)]
        return actions

    def write_service_version(
        self, service: Service, stamp: VersionStamp, previous: StoredService | None,
        extra_puts: list[dict[str, Any]] | None = None,
    ) -> None:
        """Write `service` as version `stamp.version`, only if the stored version is still `previous` (else
        Conflict); the previous document is kept as a history item. One transaction."""
        actions = self.service_write_actions(service, stamp, previous, extra_puts)
        self.table.write_all(puts=[], deletes=[], conditions=actions)

    def write_service_versions(self, actions: list[list[dict[str, Any]]]) -> None:
        """Several listings' actions (from `service_write_actions`) in one transaction: all or none (Conflict when
        any listing's version moved). At most 100 actions in all."""
        self.table.write_all(puts=[], deletes=[], conditions=[a for group in actions for a in group])

    def organization_write_actions(
        self, org: Organization, stamp: VersionStamp, previous: StoredOrganization | None
    ) -> list[dict[str, Any]]:
        main = {**self.organization_items(org)[0], **stamp.attributes()}
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table.name, "Item": main,
                                                  **_version_condition(previous.stamp if previous else None)}}]
        if previous is not None:
            item = self.history_item(f"ORG#{org.id}", previous.organization, previous.stamp)
            actions.append({"Put": {"TableName": self.table.name, "Item": item}})
        return actions

    def write_organization_version(
        self, org: Organization, stamp: VersionStamp, previous: StoredOrganization | None
    ) -> None:
        self.table.write_all(puts=[], deletes=[], conditions=self.organization_write_actions(org, stamp, previous))

    def write_organization_versions(self, actions: list[list[dict[str, Any]]]) -> None:
        self.table.write_all(puts=[], deletes=[], conditions=[a for group in actions for a in group])

    def put_alias(self, source_id: str, target_id: str, stamp: VersionStamp) -> None:
        self.table.put_items([self.alias_item(source_id, target_id, stamp)])

    def get_stored_services(self, ids: list[str]) -> dict[str, StoredService]:
        found = self.table.batch_get([(f"SVC#{i}", "SVC") for i in ids])
        return {
            k[0][4:]: StoredService(Service.model_validate_json(v["doc"]["S"]), VersionStamp.from_item(v))
            for k, v in found.items()
        }

    def get_stored_service(self, service_id: str) -> StoredService | None:
        item = self.table.get(f"SVC#{service_id}", "SVC")
        return StoredService(Service.model_validate_json(item["doc"]["S"]), VersionStamp.from_item(item)) if item \
            else None

    def get_stored_organizations(self, ids: list[str]) -> dict[str, StoredOrganization]:
        found = self.table.batch_get([(f"ORG#{i}", "ORG") for i in ids])
        return {
            k[0][4:]: StoredOrganization(Organization.model_validate_json(v["doc"]["S"]), VersionStamp.from_item(v))
            for k, v in found.items()
        }

    def get_aliases(self, ids: list[str]) -> dict[str, str]:
        found = self.table.batch_get([(f"SVC#{i}", "ALIAS") for i in ids])
        return {k[0][4:]: v["target"]["S"] for k, v in found.items()}

    def service_history(self, service_id: str) -> list[StoredService]:
        """Earlier versions of a listing, oldest first (the current one is `get_stored_service`)."""
        return [
            StoredService(Service.model_validate_json(item["doc"]["S"]), VersionStamp.from_item(item))
            for item in self.table.query_partition(f"SVC#{service_id}", "V#")
        ]

    def service_version(self, service_id: str, version: int) -> StoredService | None:
        item = self.table.get(f"SVC#{service_id}", f"V#{version:08d}")
        return StoredService(Service.model_validate_json(item["doc"]["S"]), VersionStamp.from_item(item)) if item \
            else None

    # ---- reads ------------------------------------------------------------------------------------------------

    def get_service(self, service_id: str) -> Service | None:
        item = self.table.get(f"SVC#{service_id}", "SVC")
        return Service.model_validate_json(item["doc"]["S"]) if item else None

    def get_organization(self, org_id: str) -> Organization | None:
        item = self.table.get(f"ORG#{org_id}", "ORG")
        return Organization.model_validate_json(item["doc"]["S"]) if item else None

    def get_services(self, ids: list[str]) -> dict[str, Service]:
        found = self.table.batch_get([(f"SVC#{i}", "SVC") for i in ids])
        return {k[0][4:]: Service.model_validate_json(v["doc"]["S"]) for k, v in found.items()}

    def get_organizations(self, ids: list[str]) -> dict[str, Organization]:
        found = self.table.batch_get([(f"ORG#{i}", "ORG") for i in ids])
        return {k[0][4:]: Organization.model_validate_json(v["doc"]["S"]) for k, v in found.items()}

    def get_service_at_location_entry(self, sal_id: str) -> IndexEntry | None:
        item = self.table.get(f"SAL#{sal_id}", "SAL")
        return IndexEntry.from_item(item) if item else None

    # ---- listings ---------------------------------------------------------------------------------------------

    def list_entries(
        self,
        entity: Entity,
        *,
        regions: Iterable[str] | None = None,
        organization_id: str | None = None,
        taxonomy_term_id: str | None = None,
    ) -> list[IndexEntry]:
        """Index entries of one entity kind through the most selective partition, ordered by name.

        The other filters are applied by the caller on the returned entries (they carry every filtered attribute).
        """
        wanted_regions = sorted(set(regions)) if regions else list(REGION_CODES)
        entries: list[IndexEntry] = []
        if taxonomy_term_id and entity != "ORG":
            pk = f"{entity}#T#{taxonomy_term_id}"
            if len(wanted_regions) == 1:
                entries = self._query(GSI_PARENT, pk, f"{wanted_regions[0]}#")
            else:
                entries = self._query(GSI_PARENT, pk)
        elif organization_id and entity != "ORG":
            entries = self._query(GSI_PARENT, f"{entity}#O#{organization_id}")
        else:
            for region in wanted_regions:
                entries.extend(self._query(GSI_REGION, f"{entity}#R#{region}"))
        if regions:
            keep = set(wanted_regions)
            entries = [e for e in entries if e.region in keep]
        entries.sort(key=lambda e: (e.sort, e.id))
        return entries

    def _query(self, index: str, pk: str, sk_prefix: str | None = None) -> list[IndexEntry]:
        return [IndexEntry.from_item(item) for item in self.table.query_index(index, pk, sk_prefix)]
