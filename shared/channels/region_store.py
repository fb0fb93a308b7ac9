"""Region configurations as the application reads them: stored ones over the seeded defaults, cached briefly.

Routing reads every configuration on every decision, so a warm process keeps them in memory for
`region_cache_seconds` (30 s by default) and reads them again with one BatchGetItem after that; a process that
writes one (`PUT /admin/regions/{code}`) drops its cache at once, others see the change within the delay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from shared.channels.region_config import CONFIG_CODES, RegionConfig, RegionSettings, default_configs, stamp
from shared.channels.repository import ChannelsRepository
from shared.errors import Conflict, NotFound
from shared.observability import logger


@dataclass
class _Cached:
    configs: dict[str, RegionConfig]
    loaded_at: float


_lock = threading.Lock()
_cache: dict[str, _Cached] = {}


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def unknown_region(code: str) -> NotFound:
    return NotFound(
        f"Région inconnue « {code[:20]} » : les codes vont de 01 à 17 (ou common pour le centre commun).",
        message_en=f"Unknown region '{code[:20]}': codes are 01 to 17 (or common for the common centre).",
        details={"code": code[:20]},
    )


class RegionStore:
    def __init__(self, repository: ChannelsRepository, *, cache_seconds: float = 30.0) -> None:
        self.repository = repository
        self.cache_seconds = cache_seconds

    @property
    def _cache_key(self) -> str:
        return self.repository.table.name

    def all(self) -> Mapping[str, RegionConfig]:
        """The 17 regions and the common centre (stored, else seeded defaults)."""
        now = time.monotonic()
        cached = _cache.get(self._cache_key)
        if cached is not None and now - cached.loaded_at < self.cache_seconds:
            return cached.configs
        configs = dict(default_configs())
        configs.update(self.repository.region_configs())
        with _lock:
            _cache[self._cache_key] = _Cached(configs=configs, loaded_at=now)
        return configs

    def get(self, code: str) -> RegionConfig:
        if code not in CONFIG_CODES:
            raise unknown_region(code)
        return self.all()[code]

    def update(self, code: str, settings: RegionSettings) -> RegionConfig:
        """Replace a region's configuration. With `settings.version`, only if nobody changed it since (else 409)."""
        if code not in CONFIG_CODES:
            raise unknown_region(code)
        stored = self.repository.region_config(code)
        current_version = stored.version or 0 if stored is not None else 0
        if settings.version is not None and settings.version != current_version:
            raise Conflict(
                "La configuration de la région a été modifiée depuis votre lecture; relisez-la et réessayez.",
                message_en="The region's configuration changed since you read it; read it again and retry.",
                code="version_conflict",
                details={"your_version": settings.version, "current_version": current_version},
            )
        config = stamp(settings, code, current_version + 1)
        self.repository.put_region_config(config, expected_version=current_version if stored else None)
        with _lock:
            _cache.pop(self._cache_key, None)
        logger.info("region configuration updated", region=code, version=config.version)
        return config

    def seed(self) -> int:
        """Store the default configuration of every region not configured yet (the local stack calls this)."""
        written = self.repository.seed_region_configs(list(default_configs().values()))
        with _lock:
            _cache.pop(self._cache_key, None)
        return written
