"""Lazy, cached boto3 clients.

Created on first use (after `moto.mock_aws()` has started in tests) and reused across warm Lambda invocations.
boto3 honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, which is how every client reaches the local
stack's embedded AWS.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_session: list[Any] = []  # one botocore session: its loader caches the service models (JSON) once per process


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            import boto3  # lazy: keeps cold starts of handlers that never call AWS small
            from botocore.config import Config

            from shared.config import get_settings

            if not _session:
                _session.append(boto3.session.Session())
            found = _session[0].client(
                service,
                region_name=get_settings().aws_region,
                config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=20),
            )
            _clients[service] = found
    return found


def reset_clients() -> None:
    """Forget cached clients (tests start a new moto backend per test)."""
    with _lock:
        _clients.clear()
