"""Rebuilding and publishing search indexes from the directory (DynamoDB is the source of truth).

`rebuild_region(region, repository, store)` reads one region through the repository's access patterns only:
a Query on GSI1 (`SVC#R#{region}`, `ORG#R#{region}`) for the keys, then BatchGetItem for the documents (100
per
call). No Scan. It builds the region's index and publishes it (index.py, store.py). When the region has
listings
serving beyond it, or had some, the shared `QC` partition is rebuilt from every region's pointer list of such
services (a few BatchGetItem), so a province-wide helpline stays findable from every region.

`rebuild_all(repository, store, progress)` rebuilds the 17 regions then the shared partition once (after
seeding).

Cost at 100,000 services: a region's rebuild reads its share of the directory (Montréal, the largest, about a
quarter: ~25,000 documents in 250 BatchGetItem calls) and takes seconds; listing writes trigger the rebuild of
their region only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.directory.models import REGION_CODES, Organization, Service
from shared.search.index import SHARED_PARTITION, BuiltIndex, build_index, load_index
from shared.search.store import IndexStore, IndexVersion, StaticIndexProvider

Progress = Callable[[str, int, int], None]  # (partition, done, total)


class DirectoryReader:
    """What the indexer needs from the directory (DirectoryRepository satisfies it)."""

    def list_entries(
        self, entity: str, *, regions: Iterable[str] | None = None
    ) -> list: ...  # pragma: no cover

    def get_services(self, ids: list[str]) -> dict[str, Service]: ...  # pragma: no cover

    def get_organizations(self, ids: list[str]) -> dict[str, Organization]: ...  # pragma: no cover


def read_region(region: str, repository: object) -> tuple[list[Service], list[Organization]]:
    """Every service and organization of a region: GSI1 queries, then BatchGetItem."""
    service_entries = repository.list_entries("SVC", regions=[region])  # type: ignore[attr-defined]
    org_entries = repository.list_entries("ORG", regions=[region])  # type: ignore[attr-defined]
    services = repository.get_services([e.id for e in service_entries])  # type: ignore[attr-defined]
    org_ids = sorted({e.id for e in org_entries} | {s.organization_id for s in services.values()})
    organizations = repository.get_organizations(org_ids)  # type: ignore[attr-defined]
    ordered = [services[e.id] for e in service_entries if e.id in services]
    return ordered, [organizations[i] for i in org_ids if i in organizations]


def rebuild_region(
    region: str, repository: object, store: IndexStore, *, shared: bool = True, update_manifest: bool = True
) -> IndexVersion:
    """Rebuild and publish one region's index; refresh the shared partition when cross-region listings
    move."""
    if region not in REGION_CODES:
        raise ValueError(f"unknown region {region}")
    previous = store.pointer(region)
    services, organizations = read_region(region, repository)
    regional_orgs = [o for o in organizations if o.region == region]
    built = build_index(region, services, regional_orgs)
    version = store.publish(
        region,
        built.data,
        documents=built.documents,
        cross_region_services=built.cross_region_services,
        update_manifest=update_manifest
        and not (shared and (previous_cross(previous) or built.cross_region_services)),
    )
    if shared and (previous_cross(previous) or built.cross_region_services):
        rebuild_shared(repository, store)  # publishes the shared partition and the manifest once for both
    return version


def previous_cross(previous: IndexVersion | None) -> tuple[str, ...]:
    return previous.cross_region_services if previous else ()


def rebuild_shared(repository: object, store: IndexStore, *, update_manifest: bool = True) -> IndexVersion:
    """Rebuild the `QC` partition from the regions' lists of listings that serve beyond their region."""
    wanted: list[str] = []
    for region, pointer in store.pointers().items():
        if region != SHARED_PARTITION:
            wanted.extend(pointer.cross_region_services)
    services = repository.get_services(sorted(set(wanted)))  # type: ignore[attr-defined]
    org_ids = sorted({s.organization_id for s in services.values()})
    organizations = repository.get_organizations(org_ids)  # type: ignore[attr-defined]
    built = build_index(
        SHARED_PARTITION, list(services.values()), organizations.values(), include_organizations=False
    )
    return store.publish(
        SHARED_PARTITION, built.data, documents=built.documents, update_manifest=update_manifest
    )


def rebuild_all(
    repository: object, store: IndexStore, progress: Progress | None = None
) -> list[IndexVersion]:
    versions = []
    total = len(REGION_CODES) + 1
    for n, region in enumerate(REGION_CODES, start=1):
        versions.append(rebuild_region(region, repository, store, shared=False, update_manifest=False))
        if progress:
            progress(region, n, total)
    versions.append(rebuild_shared(repository, store))  # and the manifest, once
    if progress:
        progress(SHARED_PARTITION, total, total)
    return versions


# ---- in-memory builds (tests, benchmarks, tools)
# ----------------------------------------------------------------


@dataclass
class Partitions:
    built: dict[str, BuiltIndex]

    def provider(self) -> StaticIndexProvider:
        return StaticIndexProvider(
            {code: load_index(b.data, version=f"static-{code}") for code, b in self.built.items()}
        )

    @property
    def documents(self) -> int:
        return sum(b.documents for b in self.built.values())

    @property
    def size_bytes(self) -> int:
        return sum(len(b.data) for b in self.built.values())


def build_partitions(
    services: Iterable[Service],
    organizations: Iterable[Organization],
    progress: Progress | None = None,
) -> Partitions:
    """Every partition built straight from records, as rebuild_all would from DynamoDB."""
    by_region: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        by_region[service.region].append(service)
    orgs_by_region: dict[str, list[Organization]] = defaultdict(list)
    all_orgs: dict[str, Organization] = {}
    for org in organizations:
        orgs_by_region[org.region].append(org)
        all_orgs[org.id] = org
    built: dict[str, BuiltIndex] = {}
    cross: list[Service] = []
    regions = sorted(set(by_region) | set(orgs_by_region))
    for n, region in enumerate(regions, start=1):
        built[region] = build_index(region, by_region.get(region, []), orgs_by_region.get(region, []))
        wanted = set(built[region].cross_region_services)
        cross.extend(s for s in by_region.get(region, []) if s.id in wanted)
        if progress:
            progress(region, n, len(regions) + 1)
    shared_orgs = [all_orgs[s.organization_id] for s in cross if s.organization_id in all_orgs]
    built[SHARED_PARTITION] = build_index(SHARED_PARTITION, cross, shared_orgs, include_organizations=False)
    if progress:
        progress(SHARED_PARTITION, len(regions) + 1, len(regions) + 1)
    return Partitions(built)


def publish_partitions(partitions: Partitions, store: IndexStore) -> list[IndexVersion]:
    """Publish partitions built from records (seeding a new stack): same store layout as rebuild_all, no reads."""
    versions = [
        store.publish(
            code,
            built.data,
            documents=built.documents,
            cross_region_services=built.cross_region_services,
            update_manifest=False,
        )
        for code, built in partitions.built.items()
    ]
    store.write_manifest()
    return versions
