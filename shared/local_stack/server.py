"""The Chalice app over HTTP, in a thread (Chalice's local server, the one `chalice local` uses).

The app is imported only after the embedded AWS and the environment are ready, because `app.py` builds the app
at import time. The stage's `environment_variables` from .chalice/config.json are applied first, without
overriding what is already set (the provisioned resource names win).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from shared.infra_template import PROJECT_ROOT

CHALICE_CONFIG = PROJECT_ROOT / ".chalice" / "config.json"


def chalice_config_from_disk(path: Path = CHALICE_CONFIG) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def stage_environment(stage: str, config_from_disk: dict[str, Any] | None = None) -> dict[str, str]:
    """The environment variables Chalice would give the stage's functions (top level, then the stage's)."""
    from chalice.config import Config

    config = Config(chalice_stage=stage, config_from_disk=config_from_disk or chalice_config_from_disk())
    return {str(k): str(v) for k, v in config.environment_variables.items()}


def load_app(reference: str = "app:app", project_root: Path = PROJECT_ROOT) -> Any:
    """Import the Chalice app ("module:attribute"); app.py lives at the project root, outside the packages."""
    if str(project_root) not in sys.path:
        sys.path.insert(0, str(project_root))
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")


class ThreadedServer:
    """An HTTP server (socketserver-style: serve_forever, shutdown, server_close) in a daemon thread."""

    def __init__(self, server: Any, name: str) -> None:
        self._http = server
        self.host, self.port = server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join(5)
        self._http.server_close()


class ApiServer(ThreadedServer):
    """Chalice's local HTTP server in a daemon thread; the socket is bound on construction."""

    def __init__(
        self, app: Any, *, stage: str, host: str, port: int, config_from_disk: dict[str, Any] | None = None
    ) -> None:
        from chalice.config import Config
        from chalice.local import create_local_server

        config = Config(
            chalice_stage=stage,
            user_provided_params={"chalice_app": app, "project_dir": str(PROJECT_ROOT)},
            config_from_disk=config_from_disk or chalice_config_from_disk(),
            default_params={"api_gateway_stage": "api", "autogen_policy": True},
        )
        super().__init__(create_local_server(app, config, host, port).server, "api-server")


def apply_stage_environment(stage: str) -> dict[str, str]:
    """Set the stage's Chalice environment variables that are not set yet; returns those applied."""
    applied = {k: v for k, v in stage_environment(stage).items() if k not in os.environ}
    os.environ.update(applied)
    return applied
