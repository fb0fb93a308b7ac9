"""The channels' domain services, built once per process from the settings (handlers call these, nothing else).

Settings are read on each call (Chalice's test client sets the stage's variables only during a call); the services
themselves are cached per configuration so warm invocations reuse clients and caches.
"""

from __future__ import annotations

from functools import lru_cache

from shared.channels.contacts import ContactService, ServiceLookup
from shared.channels.region_store import RegionStore
from shared.channels.repository import ChannelsRepository
from shared.config import get_settings


@lru_cache(maxsize=4)
def _store(table: str, cache_seconds: float) -> RegionStore:
    return RegionStore(ChannelsRepository(table), cache_seconds=cache_seconds)


def region_store() -> RegionStore:
    settings = get_settings()
    return _store(settings.channels_table, settings.region_cache_seconds)


@lru_cache(maxsize=4)
def _contacts(table: str, directory: str, bus: str, retention_days: int, key: str) -> ContactService:
    return ContactService(
        ChannelsRepository(table),
        bus_name=bus,
        services=ServiceLookup(directory),
        retention_days=retention_days,
        caller_hash_key=key,
    )


def contact_service() -> ContactService:
    s = get_settings()
    return _contacts(
        s.channels_table, s.directory_table, s.event_bus_name, s.contact_retention_days, s.caller_hash_key
    )


def channels_repository() -> ChannelsRepository:
    return region_store().repository
