"""Typed configuration, read from the environment lazily.

Chalice's test client applies a stage's environment variables only during a call, and Lambda keeps a process warm
across invocations, so settings are read on first use and can be reset by tests (`reset_settings`).
Domain code receives values as arguments; only handlers and adapters call `get_settings()`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field


class Settings(BaseModel):
    stage: str = "local"
    aws_region: str = "ca-central-1"
    directory_table: str = "referral211-local-directory"
    event_bus_name: str = "referral211-local-bus"
    search_bucket: str = "referral211-local-search"
    batches_bucket: str = "referral211-local-batches"
    # Listing batches (shared/batches): batch records; batches larger than this many services run in the upload
    # function (S3 path) rather than inside the HTTP request.
    batches_table: str = "referral211-local-batches"
    batch_inline_max_services: int = Field(default=5000, ge=1)
    # "dev": verify bearer tokens locally with the development key (local stack, tests).
    # "cognito": verify against the user pool's JWKS (AWS), after API Gateway's Cognito authorizer.
    auth_mode: Literal["dev", "cognito"] = "dev"
    dev_key_path: str = ".local/dev-jwt-key.pem"
    jwt_issuer: str = "https://referral211.local/dev"
    jwt_audience: str | None = None
    cognito_jwks_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    default_channel: str = "web"
    suppression_threshold: int = Field(default=5, ge=1)
    # Social analysis (shared/analytics): counters and seen markers; the raw event log (NDJSON) in S3.
    stats_table: str = "referral211-local-stats"
    analytics_bucket: str = "referral211-local-analytics"
    # Phone and chat (shared/channels): region configurations, contacts, Amazon Connect state.
    channels_table: str = "referral211-local-channels"
    contact_retention_days: int = Field(default=90, ge=1, le=3650)
    # Secret key of the HMAC that lets repeat callers be counted; empty: caller numbers are not even hashed.
    caller_hash_key: str = ""
    region_cache_seconds: float = Field(default=30.0, ge=0)
    web_directory_url: str = "https://www.211qc.ca"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        values: dict[str, str] = {}
        for name in cls.model_fields:
            key = f"REFERRAL211_{name.upper()}"
            if key in env:
                values[name] = env[key]
        if "aws_region" not in values:
            region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
            if region:
                values["aws_region"] = region
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    get_settings.cache_clear()
