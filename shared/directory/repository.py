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
