"""Where search indexes live (S3, or a folder locally) and how a lookup process keeps the current ones loaded.

Layout under a prefix (default `search/v1/`):
- `{partition}/{version}.idx`: one immutable packed index per build (index.py);
- `{partition}/{version}.docs`: the documents that build was made from (indexer.RegionDocuments: every listing
  and organization of the region with its version), so the next change to the region is applied to them instead
  of reading the region back from DynamoDB;
- `{partition}/changes/{event_id}.docs`: what a listing event's writes changed in the region, recorded before
  the event is published and applied by the search refresh consumer (deleted once applied);
- `{partition}/current.json`: the partition's pointer (version, object keys, documents, size, build time, the
  ids of the listing events whose changes it includes, and for regions the services that serve beyond the
  region, which the shared `QC` partition is built from);
- `manifest.json`: every partition's current version in one small object, rewritten after each publish.

A pointer is replaced conditionally (S3 conditional writes: `If-Match` the ETag read, `If-None-Match: *` for the
first one): a publisher that built from a pointer someone else moved meanwhile gets `PointerMoved` and starts
again from the new one, so no publish silently drops another's changes.

A lookup process reads only `manifest.json`, at most once per `check_interval` (1.5 s by default) and with
If-None-Match, so an unchanged manifest costs one 304 and no body. When a partition's version moves, the new
object is fetched, unpacked into local disk (/tmp on Lambda) and swapped in; the old one is closed. Partitions are
loaded lazily, on first use. Freshness: a publish is visible to a lookup at most `check_interval` after the
manifest is written.

The manifest is rebuilt from the partition pointers by each publisher, then verified: if a concurrent publisher
moved a pointer meanwhile, it is rewritten (S3 is strongly consistent for reads after writes), so the manifest
converges to the pointers.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from shared.directory.models import REGION_CODES
from shared.errors import Conflict
from shared.search.index import SHARED_PARTITION, LoadedIndex, load_index

PARTITIONS: tuple[str, ...] = (*REGION_CODES, SHARED_PARTITION)
DEFAULT_PREFIX = "search/v1/"
EVENTS_KEPT = 50  # listing events a pointer remembers (one redelivered after 50 more publishes: a rebuild)


class PointerMoved(Conflict):
    """The partition's pointer is no longer the one the publisher built from."""


class _Unconditional:
    pass


UNCONDITIONAL = _Unconditional()


@dataclass(frozen=True)
class IndexVersion:
    partition: str
    version: str
    key: str
    documents: int
    size_bytes: int
    built_at: str
    cross_region_services: tuple[str, ...] = ()
    documents_key: str | None = None
    events: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        found = {
            "partition": self.partition,
            "version": self.version,
            "key": self.key,
            "documents": self.documents,
            "size_bytes": self.size_bytes,
            "built_at": self.built_at,
            "cross_region_services": list(self.cross_region_services),
        }
        if self.documents_key:
            found["documents_key"] = self.documents_key
        if self.events:
            found["events"] = list(self.events)
        return found

    def includes(self, event_ids: Iterable[str]) -> bool:
        """Whether this version already holds the changes of every one of these listing events."""
        return set(event_ids) <= set(self.events)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> IndexVersion:
        return cls(
            partition=raw["partition"],
            version=raw["version"],
            key=raw["key"],
            documents=int(raw.get("documents", 0)),
            size_bytes=int(raw.get("size_bytes", 0)),
            built_at=raw.get("built_at", ""),
            cross_region_services=tuple(raw.get("cross_region_services", ())),
            documents_key=raw.get("documents_key"),
            events=tuple(raw.get("events", ())),
        )


class BlobStore(Protocol):
    """Bytes by key with conditional reads: S3 (`shared.aws.s3.Bucket`) or a local folder."""

    def put(self, key: str, body: bytes, *, content_type: str = ...) -> str: ...

    def put_if(self, key: str, body: bytes, *, if_match: str | None, content_type: str = ...) -> str:
        """Write only if the object's ETag is still `if_match` (None: only if absent); Conflict otherwise."""
        ...

    def get(self, key: str) -> Any | None: ...

    def get_if_changed(self, key: str, etag: str | None) -> Any | None: ...

    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class _Blob:
    key: str
    body: bytes
    etag: str


class FolderStore:
    """A BlobStore on local disk (benchmarks, tools); ETags are content hashes."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key escapes the store")
        return path

    def put(self, key: str, body: bytes, *, content_type: str = "application/octet-stream") -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + f".{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(body)
        temporary.replace(path)
        return _etag(body)

    def put_if(
        self, key: str, body: bytes, *, if_match: str | None, content_type: str = "application/octet-stream"
    ) -> str:
        with _FOLDER_LOCK:
            current = self.get(key)
            if (current.etag if current else None) != if_match:
                raise Conflict("The object changed meanwhile.", details={"key": key})
            return self.put(key, body, content_type=content_type)

    def get(self, key: str) -> _Blob | None:
        path = self._path(key)
        if not path.exists():
            return None
        body = path.read_bytes()
        return _Blob(key, body, _etag(body))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def get_if_changed(self, key: str, etag: str | None) -> _Blob | None:
        found = self.get(key)
        if found is None or (etag and found.etag == etag):
            return None
        return found


_FOLDER_LOCK = threading.Lock()


def _etag(body: bytes) -> str:
    import hashlib

    return hashlib.md5(body, usedforsecurity=False).hexdigest()


class IndexStore:
    """Publishes and reads index versions in a BlobStore."""

    def __init__(self, blobs: BlobStore, prefix: str = DEFAULT_PREFIX) -> None:
        self.blobs = blobs
        self.prefix = prefix

    def _pointer_key(self, partition: str) -> str:
        return f"{self.prefix}{partition}/current.json"

    @property
    def manifest_key(self) -> str:
        return f"{self.prefix}manifest.json"

    def pointer(self, partition: str) -> IndexVersion | None:
        return self.current(partition)[0]

    def current(self, partition: str) -> tuple[IndexVersion | None, str | None]:
        """The partition's pointer and its ETag (what a conditional publish names), or (None, None)."""
        found = self.blobs.get(self._pointer_key(partition))
        if found is None:
            return None, None
        return IndexVersion.from_json(orjson.loads(found.body)), found.etag

    def publish(
        self,
        partition: str,
        data: bytes,
        *,
        documents: int,
        cross_region_services: list[str] | None = None,
        update_manifest: bool = True,
        documents_data: bytes | None = None,
        events: Iterable[str] = (),
        replacing: str | None | _Unconditional = UNCONDITIONAL,
    ) -> IndexVersion:
        """Publish a built index (and the documents it was built from). With `replacing` (the pointer's ETag
        from `current`, or None when there was none) the pointer is replaced only if it is still that one,
        else `PointerMoved` and nothing changes."""
        built_at = datetime.now(UTC)
        version = f"{built_at.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}"
        key = f"{self.prefix}{partition}/{version}.idx"
        documents_key = f"{self.prefix}{partition}/{version}.docs" if documents_data is not None else None
        self.blobs.put(key, data)
        if documents_key and documents_data is not None:
            self.blobs.put(documents_key, documents_data)
        pointer = IndexVersion(
            partition=partition,
            version=version,
            key=key,
            documents=documents,
            size_bytes=len(data),
            built_at=built_at.isoformat(),
            cross_region_services=tuple(cross_region_services or ()),
            documents_key=documents_key,
            events=tuple(dict.fromkeys(events))[-EVENTS_KEPT:],
        )
        body = orjson.dumps(pointer.to_json())
        pointer_key = self._pointer_key(partition)
        if isinstance(replacing, _Unconditional):
            self.blobs.put(pointer_key, body, content_type="application/json")
        else:
            try:
                self.blobs.put_if(pointer_key, body, if_match=replacing, content_type="application/json")
            except Conflict:
                for orphan in (key, documents_key):
                    if orphan:
                        self.blobs.delete(orphan)
                raise PointerMoved(
                    "Index publié entre-temps par un autre.",
                    message_en="Another publisher moved the partition meanwhile.",
                    details={"partition": partition},
                ) from None
        if update_manifest:
            self.write_manifest()
        return pointer

    def _changes_key(self, partition: str, event_id: str) -> str:
        return f"{self.prefix}{partition}/changes/{event_id}.docs"

    def put_changes(self, partition: str, event_id: str, data: bytes) -> None:
        """Record what a listing event's writes changed in a partition, before the event is published."""
        self.blobs.put(self._changes_key(partition, event_id), data)

    def read_changes(self, partition: str, event_id: str) -> bytes | None:
        found = self.blobs.get(self._changes_key(partition, event_id))
        return bytes(found.body) if found else None

    def delete_changes(self, partition: str, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self.blobs.delete(self._changes_key(partition, event_id))

    def read_documents(self, version: IndexVersion) -> bytes | None:
        """The documents a version was built from (None for versions published without them)."""
        if not version.documents_key:
            return None
        found = self.blobs.get(version.documents_key)
        return bytes(found.body) if found else None

    def pointers(self) -> dict[str, IndexVersion]:
        """Every partition's pointer, read in parallel (18 small GETs, one round trip)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=8) as pool:
            found = dict(zip(PARTITIONS, pool.map(self.pointer, PARTITIONS), strict=True))
        return {p: v for p, v in found.items() if v is not None}

    def write_manifest(self, attempts: int = 3) -> dict[str, IndexVersion]:
        """Rebuild the manifest from the pointers; verify and rewrite if a concurrent publish moved one."""
        current: dict[str, IndexVersion] = {}
        for _ in range(attempts):
            current = self.pointers()
            # what lookups need: not the events (each search process reads the manifest every 1.5 s)
            body = {"partitions": {p: replace(v, events=()).to_json() for p, v in current.items()}}
            self.blobs.put(self.manifest_key, orjson.dumps(body), content_type="application/json")
            again = self.pointers()
            if {p: v.version for p, v in again.items()} == {p: v.version for p, v in current.items()}:
                break
        return current

    def read_manifest(self, etag: str | None = None) -> tuple[dict[str, IndexVersion], str] | None:
        """The manifest and its ETag, or None when unchanged since `etag` (or absent)."""
        found = self.blobs.get_if_changed(self.manifest_key, etag)
        if found is None:
            return None
        raw = orjson.loads(found.body)
        versions = {p: IndexVersion.from_json(v) for p, v in raw.get("partitions", {}).items()}
        return versions, found.etag

    def read_index(self, version: IndexVersion) -> bytes:
        found = self.blobs.get(version.key)
        if found is None:
            raise LookupError(f"search index object {version.key} is missing")
        return bytes(found.body)


# ---- the lookup side
# ----------------------------------------------------------------------------------------------


class IndexProvider(Protocol):
    def partitions(self) -> list[str]: ...

    def get(self, partition: str) -> LoadedIndex | None: ...


@dataclass
class StaticIndexProvider:
    """Indexes held in memory, never refreshed (tests, the relevance benchmark)."""

    indexes: dict[str, LoadedIndex] = field(default_factory=dict)

    def partitions(self) -> list[str]:
        return sorted(self.indexes)

    def get(self, partition: str) -> LoadedIndex | None:
        return self.indexes.get(partition)


class StoreIndexProvider:
    """Lazily loads the current version of each partition from an IndexStore and follows the manifest."""

    def __init__(
        self,
        store: IndexStore,
        *,
        check_interval: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
        cache_root: Path | None = None,
    ) -> None:
        self.store = store
        self.check_interval = check_interval
        self.clock = clock
        self.cache_root = cache_root
        self._lock = threading.RLock()
        self._manifest: dict[str, IndexVersion] = {}
        self._etag: str | None = None
        self._checked_at: float | None = None
        self._loaded: dict[str, LoadedIndex] = {}
        self.loads = 0
        self.manifest_reads = 0

    def _refresh_manifest(self) -> None:
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.check_interval:
            return
        self.manifest_reads += 1
        answer = self.store.read_manifest(self._etag)
        self._checked_at = now
        if answer is not None:
            self._manifest, self._etag = answer

    def partitions(self) -> list[str]:
        with self._lock:
            self._refresh_manifest()
            return sorted(p for p, v in self._manifest.items() if v.documents > 0)

    def get(self, partition: str) -> LoadedIndex | None:
        with self._lock:
            self._refresh_manifest()
            wanted = self._manifest.get(partition)
            loaded = self._loaded.get(partition)
            if wanted is None:
                return loaded
            if loaded is not None and loaded.version == wanted.version:
                return loaded
            fresh = load_index(self.store.read_index(wanted), version=wanted.version, root=self.cache_root)
            self.loads += 1
            self._loaded[partition] = fresh
            if loaded is not None:
                loaded.close()
            return fresh

    def versions(self) -> dict[str, str]:
        with self._lock:
            return {p: i.version for p, i in self._loaded.items()}

    def close(self) -> None:
        with self._lock:
            for loaded in self._loaded.values():
                loaded.close()
            self._loaded.clear()
