"""Building and publishing search indexes from the directory (DynamoDB is the source of truth).

Two ways to a region's new index, both ending in a conditional publish (store.py):
- `rebuild_region(region, repository, store)` reads the region through the repository's access patterns only: a
  Query on GSI1 (`SVC#R#{region}`, `ORG#R#{region}`) for the keys, then BatchGetItem for the documents (100 per
  call). No Scan.
- `apply_changes(region, store, repository, changes)` applies what listing writes recorded for search (the
  `RegionDocuments` a batch stores under its announcing event, `store.put_changes`) to the documents the region's
  current version was built from (published beside every index): no read of the region.
Versions merge by number (a document never goes back to an older version), and a pointer moved by another
publisher meanwhile is re-read and the changes applied again: concurrent batches and rebuilds cannot drop each
other's changes. Each version's pointer names the events whose changes it holds; `refresh_region` (the search
refresh consumer) applies the recorded changes of the events it receives, skips those already held, and rebuilds
from the directory when a change record is missing.

When the region has listings serving beyond it, or had some, the shared `QC` partition is rebuilt from every
region's pointer list of such services (a few BatchGetItem), so a province-wide helpline stays findable from every
region.

`rebuild_all(repository, store, progress)` rebuilds the 17 regions then the shared partition once (after
seeding).

Cost at 100,000 services: a rebuild reads its region's share of the directory (Montréal, the largest, about a
quarter: ~25,000 documents in 250 BatchGetItem calls); applying a batch's changes reads two S3 objects instead
(the region's documents, zlib-compressed JSON, ~3 MB for 25,000 listings, and the batch's changes). Either then
indexes the region.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from shared.directory.models import REGION_CODES, Organization, Service, sort_key
from shared.search.index import SHARED_PARTITION, BuiltIndex, build_index, load_index
from shared.search.store import IndexStore, IndexVersion, PointerMoved, StaticIndexProvider

Progress = Callable[[str, int, int], None]  # (partition, done, total)
PUBLISH_ATTEMPTS = 4


class DirectoryReader:
    """What the indexer needs from the directory (DirectoryRepository satisfies it)."""

    def list_entries(
        self, entity: str, *, regions: Iterable[str] | None = None
    ) -> list: ...  # pragma: no cover

    def get_services(self, ids: list[str]) -> dict[str, Service]: ...  # pragma: no cover

    def get_organizations(self, ids: list[str]) -> dict[str, Organization]: ...  # pragma: no cover

    def get_stored_services(self, ids: list[str]) -> dict: ...  # pragma: no cover

    def get_stored_organizations(self, ids: list[str]) -> dict: ...  # pragma: no cover


@dataclass
class RegionDocuments:
    """Listings and organizations of a region, each at its directory version: every one of them (`complete`:
    what an index version is built from), or what some writes changed.

    A listing or organization that moved to another region stays here at its new version (and out of the
    index), so an older copy of it arriving later cannot bring it back."""

    region: str
    services: dict[str, tuple[int, Service]] = field(default_factory=dict)
    organizations: dict[str, tuple[int, Organization]] = field(default_factory=dict)
    complete: bool = False

    def merge(
        self, services: Iterable[tuple[int, Service]], organizations: Iterable[tuple[int, Organization]] = ()
    ) -> None:
        """Take each document unless this region already holds a newer version of it."""
        for version, service in services:
            held = self.services.get(service.id)
            if held is None or version >= held[0]:
                self.services[service.id] = (version, service)
        for version, org in organizations:
            known = self.organizations.get(org.id)
            if known is None or version >= known[0]:
                self.organizations[org.id] = (version, org)

    def listings(self) -> tuple[list[Service], list[Organization]]:
        """The region's services in the directory's listing order (name, id) and its organizations by id: the
        order a rebuild from DynamoDB reads them in, so both build the same index."""
        services = [s for _, s in self.services.values() if s.region == self.region]
        services.sort(key=lambda s: (sort_key(s.name.pick("fr")), s.id))
        orgs = [o for _, o in self.organizations.values() if o.region == self.region]
        orgs.sort(key=lambda o: o.id)
        return services, orgs

    def to_bytes(self) -> bytes:
        raw = {
            "region": self.region,
            "complete": self.complete,
            "services": [
                [v, s.model_dump(mode="json", exclude_none=True)] for v, s in self.services.values()
            ],
            "organizations": [
                [v, o.model_dump(mode="json", exclude_none=True)] for v, o in self.organizations.values()
            ],
        }
        return zlib.compress(orjson.dumps(raw), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> RegionDocuments:
        raw = orjson.loads(zlib.decompress(data))
        found = cls(raw["region"], complete=bool(raw.get("complete")))
        for version, doc in raw["services"]:
            service = Service.model_validate(doc)
            found.services[service.id] = (int(version), service)
        for version, doc in raw["organizations"]:
            org = Organization.model_validate(doc)
            found.organizations[org.id] = (int(version), org)
        return found


def read_region(region: str, repository: object) -> RegionDocuments:
    """Every service and organization of a region with its version: GSI1 queries, then BatchGetItem."""
    service_entries = repository.list_entries("SVC", regions=[region])  # type: ignore[attr-defined]
    org_entries = repository.list_entries("ORG", regions=[region])  # type: ignore[attr-defined]
    stored = repository.get_stored_services([e.id for e in service_entries])  # type: ignore[attr-defined]
    org_ids = sorted({e.id for e in org_entries} | {s.service.organization_id for s in stored.values()})
    stored_orgs = repository.get_stored_organizations(org_ids)  # type: ignore[attr-defined]
    found = RegionDocuments(region, complete=True)
    found.merge(
        ((s.stamp.version, s.service) for s in stored.values()),
        ((o.stamp.version, o.organization) for o in stored_orgs.values() if o.organization.region == region),
    )
    return found


def rebuild_region(
    region: str,
    repository: object,
    store: IndexStore,
    *,
    shared: bool = True,
    update_manifest: bool = True,
    events: Iterable[str] = (),
) -> IndexVersion:
    """Rebuild and publish one region's index from the directory; refresh the shared partition when
    cross-region listings move. `events`: the listing events this rebuild answers (all of them held already:
    the current version is kept)."""
    if region not in REGION_CODES:
        raise ValueError(f"unknown region {region}")
    answered = list(events)
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        previous, etag = store.current(region)
        if answered and previous is not None and previous.includes(answered):
            return previous
        # read after the pointer: every change that version holds was written before, so this read has it
        held = read_region(region, repository)
        try:
            return _publish(
                region, held, store, repository, previous, etag, answered, shared, update_manifest
            )
        except PointerMoved:
            if attempt == PUBLISH_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def apply_changes(
    region: str, store: IndexStore, repository: object, changes: Mapping[str, RegionDocuments]
) -> IndexVersion | None:
    """Publish the region's index with the recorded changes of these events (event id -> changes) applied to
    the documents of its current version, without reading the region from the directory. None when there is
    nothing to apply them to: no documents published with the current version, and no change record that holds
    the whole region (the first batch into an empty region does)."""
    for _ in range(PUBLISH_ATTEMPTS):
        previous, etag = store.current(region)
        pending = {e: c for e, c in changes.items() if previous is None or e not in previous.events}
        if not pending:
            return previous
        data = store.read_documents(previous) if previous is not None else None
        if data is not None:
            held = RegionDocuments.from_bytes(data)
        elif any(c.complete for c in pending.values()):
            held = RegionDocuments(region, complete=True)
        else:
            return None
        for change in pending.values():
            held.merge(change.services.values(), change.organizations.values())
        try:
            return _publish(region, held, store, repository, previous, etag, list(pending))
        except PointerMoved:
            continue
    return None


def refresh_region(region: str, event_ids: list[str], repository: object, store: IndexStore) -> bool:
    """The search refresh consumer's work for one region: nothing when its index holds these events already;
    else their recorded changes applied, or, when a record is missing, a rebuild from the directory. Returns
    whether a new version was published."""
    current = store.pointer(region)
    wanted = [e for e in dict.fromkeys(event_ids) if current is None or e not in current.events]
    if event_ids and not wanted:
        store.delete_changes(region, event_ids)  # left behind if whoever applied them stopped right after
        return False
    recorded = {e: store.read_changes(region, e) for e in wanted}
    version = None
    if wanted and all(data is not None for data in recorded.values()):
        version = apply_changes(
            region,
            store,
            repository,
            {e: RegionDocuments.from_bytes(data) for e, data in recorded.items() if data is not None},
        )
    if version is None:
        rebuild_region(region, repository, store, events=wanted)
    store.delete_changes(region, [e for e, data in recorded.items() if data is not None])
    return True


def _publish(
    region: str,
    held: RegionDocuments,
    store: IndexStore,
    repository: object,
    previous: IndexVersion | None,
    etag: str | None,
    events: list[str],
    shared: bool = True,
    update_manifest: bool = True,
) -> IndexVersion:
    """Build `held` and publish it in place of `previous` (conditionally on its ETag), keeping the events the
    previous version answered."""
    services, organizations = held.listings()
    built = build_index(region, services, organizations)
    cross = shared and bool(previous_cross(previous) or built.cross_region_services)
    version = store.publish(
        region,
        built.data,
        documents=built.documents,
        cross_region_services=built.cross_region_services,
        update_manifest=update_manifest and not cross,
        documents_data=held.to_bytes(),
        events=[*(previous.events if previous else ()), *events],
        replacing=etag,
    )
    if cross:
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
    documents_by_region: dict[str, RegionDocuments] = field(default_factory=dict)

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
    held: dict[str, RegionDocuments] = {}
    cross: list[Service] = []
    regions = sorted(set(by_region) | set(orgs_by_region))
    for n, region in enumerate(regions, start=1):
        held[region] = RegionDocuments(region, complete=True)
        held[region].merge(
            ((0, s) for s in by_region.get(region, [])), ((0, o) for o in orgs_by_region.get(region, []))
        )
        built[region] = build_index(region, by_region.get(region, []), orgs_by_region.get(region, []))
        wanted = set(built[region].cross_region_services)
        cross.extend(s for s in by_region.get(region, []) if s.id in wanted)
        if progress:
            progress(region, n, len(regions) + 1)
    shared_orgs = [all_orgs[s.organization_id] for s in cross if s.organization_id in all_orgs]
    built[SHARED_PARTITION] = build_index(SHARED_PARTITION, cross, shared_orgs, include_organizations=False)
    if progress:
        progress(SHARED_PARTITION, len(regions) + 1, len(regions) + 1)
    return Partitions(built, held)  # version 0: what bulk_load writes (no version attribute)


def publish_partitions(partitions: Partitions, store: IndexStore) -> list[IndexVersion]:
    """Publish partitions built from records (seeding a new stack): same store layout as rebuild_all, no reads."""
    versions = [
        store.publish(
            code,
            built.data,
            documents=built.documents,
            cross_region_services=built.cross_region_services,
            update_manifest=False,
            documents_data=held.to_bytes() if (held := partitions.documents_by_region.get(code)) else None,
        )
        for code, built in partitions.built.items()
    ]
    store.write_manifest()
    return versions
