"""Index versions in S3 and the DynamoDB read path of the indexer, on emulated AWS (moto).

GIVEN indexes published to the search bucket, WHEN a lookup process searches, THEN it loads them lazily,
checks
the manifest at most once per interval (a 304 when nothing moved), and follows a new version; the indexer
reads
the directory with Query and BatchGetItem only (never Scan); a changed listing is findable within 5 s."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest

from shared.search.engine import SearchEngine
from shared.search.params import SearchParams


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def region_02() -> tuple[list[Any], list[Any]]:
    from shared.search.relevance import load_dataset

    dataset = load_dataset()
    services = [s for s in dataset.services if s.region == "02"]
    orgs = [o for o in dataset.organizations if o.region == "02"]
    return services, orgs


def ids(engine: SearchEngine, text: str, **query: str) -> list[str]:
    result = engine.search(SearchParams.from_query({"search": text, **query}), "service", 1, 50)
    return [h.id for h in result.hits]


def names(engine: SearchEngine, text: str, **query: str) -> list[str]:
    from shared.search.relevance import load_dataset

    by_id = {s.id: s.name.pick("fr") for s in load_dataset().services}
    result = engine.search(SearchParams.from_query({"search": text, **query}), "service", 1, 50)
    return [by_id.get(h.id, h.id) for h in result.hits]


@pytest.fixture
def store(aws: dict[str, str]) -> Any:
    from shared.aws.s3 import Bucket
    from shared.config import get_settings
    from shared.search.store import IndexStore

    return IndexStore(Bucket(get_settings().search_bucket))


def test_the_lookup_follows_the_version_pointer(store: Any, aws_calls: Any) -> None:
    from shared.search.index import build_index
    from shared.search.store import StoreIndexProvider

    services, orgs = region_02()
    newcomer = next(s for s in reversed(services) if s.status == "active")
    first = store.publish(
        "02", build_index("02", [s for s in services if s is not newcomer], orgs).data, documents=1
    )
    clock = Clock()
    provider = StoreIndexProvider(store, check_interval=1.5, clock=clock)
    engine = SearchEngine(provider)
    missing = newcomer.name.pick("fr")
    assert names(engine, "alimentaire", region="02")
    assert provider.versions() == {"02": first.version}

    # WHEN warm lookups happen within the interval THEN no S3 request at all
    aws_calls.reset()
    for _ in range(20):
        names(engine, "alimentaire", region="02")
    assert aws_calls.of("s3") == {}

    # WHEN the interval passes and nothing moved THEN one conditional GET of the manifest, no index download
    clock.now += 2
    names(engine, "alimentaire", region="02")
    assert aws_calls.of("s3") == {"GetObject": 1}

    # WHEN a new version is published THEN it is served after the next check, not before
    second = store.publish("02", build_index("02", services, orgs).data, documents=1)
    assert provider.versions() == {"02": first.version}
    clock.now += 0.5
    names(engine, "alimentaire", region="02")
    assert provider.versions() == {"02": first.version}
    clock.now += 1.5
    names(engine, missing, region="02")
    assert provider.versions() == {"02": second.version}
    assert missing in names(engine, missing, region="02")


def test_the_indexer_reads_the_directory_without_scan(store: Any, aws_calls: Any) -> None:
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import rebuild_region
    from shared.search.store import StoreIndexProvider

    services, orgs = region_02()
    repository = DirectoryRepository(get_settings().directory_table)
    list(repository.bulk_load(orgs, services))
    aws_calls.reset()
    version = rebuild_region("02", repository, store)
    dynamodb = aws_calls.of("dynamodb")
    assert "Scan" not in dynamodb
    assert set(dynamodb) == {"Query", "BatchGetItem"}
    assert dynamodb["BatchGetItem"] == 2  # 56 services, then their organizations (100 keys per call)
    assert version.documents >= len(services)
    engine = SearchEngine(StoreIndexProvider(store))
    assert "Dépannage alimentaire" in names(engine, "depannage alimentaire alma")


def test_a_changed_listing_is_findable_within_five_seconds(store: Any) -> None:
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import rebuild_region
    from shared.search.store import StoreIndexProvider

    services, orgs = region_02()
    repository = DirectoryRepository(get_settings().directory_table)
    list(repository.bulk_load(orgs, services))
    rebuild_region("02", repository, store)
    engine = SearchEngine(StoreIndexProvider(store, check_interval=1.0))
    assert services[0].id not in ids(engine, "zoothérapie")

    # WHEN a listing changes (renamed) and its region is rebuilt, as the listing events trigger
    changed = services[0].model_copy(
        update={"name": services[0].name.model_copy(update={"fr": "Zoothérapie"})}
    )
    started = time.monotonic()
    repository.put_service(changed)
    rebuild_region("02", repository, store)
    while services[0].id not in ids(engine, "zoothérapie") and time.monotonic() - started < 5:
        time.sleep(0.1)
    assert ids(engine, "zootherapie")[:1] == [services[0].id]
    assert time.monotonic() - started < 5


def test_province_wide_listings_are_found_from_every_region(store: Any) -> None:
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import rebuild_region
    from shared.search.relevance import load_dataset
    from shared.search.store import StoreIndexProvider

    dataset = load_dataset()
    by_region: dict[str, list[Any]] = defaultdict(list)
    for service in dataset.services:
        by_region[service.region].append(service)
    repository = DirectoryRepository(get_settings().directory_table)
    wanted = [s for s in by_region["06"] if s.service_areas and s.service_areas[0].area_type == "province"]
    orgs = [o for o in dataset.organizations if o.id in {s.organization_id for s in wanted + by_region["02"]}]
    list(repository.bulk_load(orgs, wanted + by_region["02"]))
    rebuild_region("02", repository, store)
    rebuild_region("06", repository, store)  # also rebuilds the shared QC partition
    assert store.pointer("QC") is not None
    engine = SearchEngine(StoreIndexProvider(store))
    found = names(engine, "violence conjugale", region="02")
    assert "Ligne d'urgence en violence conjugale" in found  # owned by Montréal, serves all Québec
    assert len(found) == len(set(found))


def _renamed(service: Any, name: str) -> Any:
    return service.model_copy(update={"name": service.name.model_copy(update={"fr": name})})


def test_recorded_changes_are_applied_without_reading_the_directory(store: Any, aws_calls: Any) -> None:
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import RegionDocuments, rebuild_region, refresh_region
    from shared.search.store import StoreIndexProvider

    # GIVEN region 02 indexed from the directory (the documents are published beside the index)
    services, orgs = region_02()
    repository = DirectoryRepository(get_settings().directory_table)
    list(repository.bulk_load(orgs, services))
    rebuild_region("02", repository, store)
    # WHEN a batch renamed a listing (version 1) and recorded that change under its event, which then arrives
    changes = RegionDocuments("02")
    changes.merge([(1, _renamed(services[0], "Zoothérapie"))])
    store.put_changes("02", "event-1", changes.to_bytes())
    aws_calls.reset()
    assert refresh_region("02", ["event-1"], repository, store) is True
    # THEN the region's index has it without one DynamoDB request, and names the event; the record is gone
    assert aws_calls.of("dynamodb") == {}
    engine = SearchEngine(StoreIndexProvider(store))
    assert ids(engine, "zoothérapie")[:1] == [services[0].id]
    assert store.pointer("02").includes(["event-1"]) and store.read_changes("02", "event-1") is None
    # AND the same event delivered again costs nothing; an event without a record rebuilds from the directory
    version = store.pointer("02").version
    assert refresh_region("02", ["event-1"], repository, store) is False
    assert store.pointer("02").version == version and aws_calls.of("dynamodb") == {}
    assert refresh_region("02", ["event-2"], repository, store) is True
    assert set(aws_calls.of("dynamodb")) == {"Query", "BatchGetItem"}
    assert store.pointer("02").includes(["event-1", "event-2"])


def test_concurrent_publishers_keep_each_others_changes(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search.indexer import RegionDocuments, apply_changes, rebuild_region
    from shared.search.store import PointerMoved, StoreIndexProvider

    services, orgs = region_02()
    repository = DirectoryRepository(get_settings().directory_table)
    list(repository.bulk_load(orgs, services))
    rebuild_region("02", repository, store)
    first, second = RegionDocuments("02"), RegionDocuments("02")
    first.merge([(1, _renamed(services[0], "Zoothérapie"))])
    second.merge([(1, _renamed(services[1], "Hippothérapie"))])
    # GIVEN a publisher that read the pointer just before another one published its own change
    read_pointer = store.current
    calls = {"n": 0}

    def current_then_overtaken(partition: str) -> Any:
        found = read_pointer(partition)
        calls["n"] += 1
        if calls["n"] == 1:
            apply_changes("02", store, repository, {"event-b": second})
        return found

    publish = store.publish
    refused: list[str] = []

    def counted_publish(partition: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return publish(partition, *args, **kwargs)
        except PointerMoved:
            refused.append(partition)
            raise

    monkeypatch.setattr(store, "current", current_then_overtaken)
    monkeypatch.setattr(store, "publish", counted_publish)
    # WHEN it publishes: its conditional write is refused, it starts again from the new version
    apply_changes("02", store, repository, {"event-a": first})
    monkeypatch.undo()
    assert refused == ["02"]
    # THEN both changes are in the index, and an older version of a listing never replaces a newer one
    older = RegionDocuments("02")
    older.merge([(0, services[0])])
    apply_changes("02", store, repository, {"event-c": older})
    engine = SearchEngine(StoreIndexProvider(store))
    assert ids(engine, "zoothérapie")[:1] == [services[0].id]
    assert ids(engine, "hippothérapie")[:1] == [services[1].id]
    assert store.pointer("02").includes(["event-a", "event-b", "event-c"])
