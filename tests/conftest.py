"""Shared fixtures: an emulated AWS (moto) built from infra/template.yaml, the Chalice test client, tokens, and a
counter of AWS operations so tests can prove cost properties (no Scan, one BatchGetItem per page...)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EVENTS_DIR = Path(__file__).parent / "events"

# No test may reach real AWS: fake credentials and a fixed region before anything imports boto3.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ca-central-1",
        "AWS_REGION": "ca-central-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Referral211Test",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


def load_event(name: str) -> dict[str, Any]:
    """GIVEN-side helper: a canonical event fixture from tests/events/."""
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _dev_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    key_dir = tmp_path_factory.getbasetemp() / "dev-key"
    monkeypatch.setenv("REFERRAL211_DEV_KEY_PATH", str(key_dir / "dev-jwt-key.pem"))
    from shared.config import reset_settings

    reset_settings()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A fresh emulated AWS holding the local subset of infra/template.yaml; settings point at it."""
    from moto import mock_aws

    from shared.aws.clients import reset_clients
    from shared.config import reset_settings
    from shared.local_stack.aws import provision
    from shared.search.engine import set_default_engine

    set_default_engine(None)  # the engine caches the index it loaded: every test reads its own
    with mock_aws():
        reset_clients()
        outputs = provision(stage="test")
        for name, value in outputs.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield outputs
        reset_clients()
    set_default_engine(None)
    reset_settings()


class AwsCalls:
    """Counts AWS API operations by (service, operation), registered on the cached clients."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[(model.service_model.service_name, model.name)] += 1

    def of(self, service: str) -> dict[str, int]:
        return {op: n for (svc, op), n in self.counts.items() if svc == service}

    def reset(self) -> None:
        self.counts.clear()


@pytest.fixture
def aws_calls(aws: dict[str, str]) -> AwsCalls:
    from shared.aws.clients import client

    calls = AwsCalls()
    for service in ("dynamodb", "s3", "events", "sqs"):
        client(service).meta.events.register("before-call.*.*", calls)
    return calls


@pytest.fixture
def api(aws: dict[str, str]) -> Iterator[Any]:
    """The Chalice app in process (Chalice's test client)."""
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def token() -> Any:
    from shared.config import get_settings
    from shared.identity import issue_dev_token

    def make(*roles: str, regions: tuple[str, ...] = (), **kwargs: Any) -> str:
        return issue_dev_token(get_settings(), roles=roles, regions=regions, **kwargs)

    return make
