"""GIVEN-side helpers of the listing batch tests: fixtures files, a directory snapshot, posting a batch."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "batches"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def hsds_package() -> bytes:
    """The HSDS tabular fixture (tests/fixtures/batches/hsds_package/) zipped as a data package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((FIXTURES / "hsds_package").iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def directory_snapshot() -> list[dict[str, Any]]:
    """Every item of the directory table, sorted (test code may Scan; request paths never do)."""
    from shared.aws.clients import client
    from shared.config import get_settings

    dynamodb = client("dynamodb")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": get_settings().directory_table}
    while True:
        answer = dynamodb.scan(**request)
        items.extend(answer.get("Items", []))
        if "LastEvaluatedKey" not in answer:
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def post_batch(
    api: Any,
    token: str,
    body: bytes,
    content_type: str,
    query: str = "region=02",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    response = api.http.post(
        f"/admin/batches?{query}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type, **(headers or {})},
        body=body,
    )
    return response.status_code, json.loads(response.body)


def get_json(api: Any, path: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = api.http.get(path, headers=headers)
    return response.status_code, json.loads(response.body)


def post_json(api: Any, path: str, token: str, document: Any) -> tuple[int, dict[str, Any]]:
    response = api.http.post(
        path,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps(document).encode(),
    )
    return response.status_code, json.loads(response.body)


def bus_events(detail_type: str | None = None) -> list[dict[str, Any]]:
    """Events the bus routed to the analytics queue (moto delivers EventBridge -> SQS)."""
    import os

    from shared.aws.clients import client
    from shared.config import get_settings

    sqs = client("sqs")
    url = (
        os.environ.get("REFERRAL211_ANALYTICS_QUEUE_URL")
        or sqs.get_queue_url(QueueName=f"referral211-{get_settings().stage}-analytics")["QueueUrl"]
    )
    found: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            break
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [e for e in found if detail_type is None or e.get("detail-type") == detail_type]
