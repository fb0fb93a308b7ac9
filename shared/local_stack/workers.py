"""What AWS runs on events, run locally: SQS queue consumers and handlers of uploads to a bucket.

Queue consumers. In AWS an event source mapping polls the queue and invokes a Lambda function with
`{"Records": [...]}`; with `ReportBatchItemFailures` the function answers `{"batchItemFailures":
[{"itemIdentifier": <messageId>}]}` and only the other messages are deleted. `QueueWorker` does the same
against the embedded SQS: a handler that raises fails the whole batch (nothing deleted; the messages come back
after the visibility timeout and reach the dead-letter queue after `maxReceiveCount` receives, as in AWS).

Uploads. S3 event notifications to Lambda are not emulated by moto, so `UploadWatcher` polls the bucket
(ListObjectsV2 under a prefix, once a second) and calls the handler with an AWS-shaped event `{"Records":
[{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {...}}]}` for each new object or new
version (ETag) of an object. A handler error is logged and not retried (S3 retries an asynchronous invocation
twice, then drops it unless a failure destination is configured).

Registering a consumer: add a line to `QUEUE_CONSUMERS` or `UPLOAD_HANDLERS` ("module:function", imported when
the local stack starts) or call `register_queue_consumer` / `register_upload_handler` before `start_workers`.
A handler takes `(event)` or `(event, context)` (a Lambda handler; a `LocalContext` is passed).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from shared.aws.clients import client

logger = logging.getLogger("referral211.local_stack.workers")

Handler = Callable[..., Any]

# Stack output naming a queue URL -> "module:function" of its consumer. Empty until the consumers exist; the
# analytics queue meanwhile keeps what the bus routes to it (read it with `aws sqs receive-message`).
QUEUE_CONSUMERS: dict[str, str] = {
    "SearchRefreshQueueUrl": "functions.admin_batches:handle_search_refresh",
    "AnalyticsQueueUrl": "functions.analytics_aggregator:handle",
    "ConnectEventsQueueUrl": "functions.connect_events:handle",
}
# (stack output naming a bucket, key prefix) -> "module:function" of the handler of new objects there.
UPLOAD_HANDLERS: dict[tuple[str, str], str] = {
    ("BatchesBucketName", "uploads/"): "functions.admin_batches:handle_upload",
}

_registered_consumers: dict[str, tuple[Handler | str, int]] = {}
_registered_uploads: dict[tuple[str, str], Handler | str] = {}


def register_queue_consumer(queue_output: str, handler: Handler | str, *, batch_size: int = 10) -> None:
    """Consume the queue named by stack output `queue_output` (e.g. "AnalyticsQueueUrl") with `handler`."""
    _registered_consumers[queue_output] = (handler, batch_size)


def register_upload_handler(bucket_output: str, handler: Handler | str, *, prefix: str = "uploads/") -> None:
    """Call `handler` with an S3 event for each new object under `prefix` in bucket output `bucket_output`."""
    _registered_uploads[(bucket_output, prefix)] = handler


def clear_registrations() -> None:
    _registered_consumers.clear()
    _registered_uploads.clear()


@dataclass
class LocalContext:
    """The attributes of a Lambda context that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 60.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:ca-central-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def resolve_handler(handler: Handler | str) -> Handler:
    if callable(handler):
        return handler
    module_name, _, attribute = handler.partition(":")
    if not attribute:
        raise ValueError(f"handler {handler!r} must be 'module:function'")
    found: Handler = getattr(importlib.import_module(module_name), attribute)
    return found


def invoke(handler: Handler, event: dict[str, Any], name: str) -> Any:
    """Call a handler as Lambda would: with a context when it takes one."""
    try:
        parameters = inspect.signature(handler).parameters
    except (TypeError, ValueError):
        parameters = {}
    if len(parameters) >= 2:
        return handler(event, LocalContext(function_name=name))
    return handler(event)


# ---- SQS ---------------------------------------------------------------------------------------------------


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping passes for received messages."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType"),
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def succeeded_receipts(messages: list[dict[str, Any]], response: Any) -> list[str]:
    """Receipt handles to delete: every message unless the partial batch response names it as failed."""
    failed: set[str] = set()
    if isinstance(response, Mapping):
        failed = {str(item.get("itemIdentifier")) for item in response.get("batchItemFailures") or []}
    return [m["ReceiptHandle"] for m in messages if m["MessageId"] not in failed]


class QueueWorker(threading.Thread):
    def __init__(
        self, name: str, queue_url: str, handler: Handler, *, batch_size: int = 10, wait_seconds: int = 1
    ) -> None:
        super().__init__(name=f"queue-worker-{name}", daemon=True)
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.function_name = name
        self.processed = 0
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        sqs = client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        region = sqs.meta.region_name
        while not self._stopping.is_set():
            try:
                self.poll_once(sqs, queue_arn, region)
            except Exception:
                logger.exception("queue worker poll failed", extra={"queue": self.queue_url})
                self._stopping.wait(1.0)

    def poll_once(self, sqs: Any, queue_arn: str, region: str) -> int:
        answer = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        try:
            response = invoke(self.handler, sqs_event(messages, queue_arn, region), self.function_name)
        except Exception:
            logger.exception(
                "queue consumer failed; the batch returns to the queue", extra={"queue": self.queue_url}
            )
            return 0
        receipts = succeeded_receipts(messages, response)
        for start in range(0, len(receipts), 10):
            chunk = receipts[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(chunk)],
            )
        self.processed += len(receipts)
        return len(receipts)


# ---- S3 ----------------------------------------------------------------------------------------------------


def s3_event(bucket: str, obj: Mapping[str, Any], region: str) -> dict[str, Any]:
    """An `ObjectCreated:Put` notification as S3 sends it to Lambda (keys URL-encoded as AWS does)."""
    etag = str(obj.get("ETag", "")).strip('"')
    now = datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": "local",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "referral211-local-uploads",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "local"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(str(obj["Key"]), safe="/"),
                        "size": int(obj.get("Size", 0)),
                        "eTag": etag,
                        "sequencer": f"{time.time_ns():X}",
                    },
                },
            }
        ]
    }


class UploadWatcher(threading.Thread):
    def __init__(
        self, name: str, bucket: str, prefix: str, handler: Handler, *, interval: float = 1.0
    ) -> None:
        super().__init__(name=f"upload-watcher-{name}", daemon=True)
        self.bucket = bucket
        self.prefix = prefix
        self.handler = handler
        self.interval = interval
        self.function_name = name
        self.notified = 0
        self._seen: dict[str, str] = {}
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                logger.exception("upload watcher poll failed", extra={"bucket": self.bucket})
            self._stopping.wait(self.interval)

    def poll_once(self) -> int:
        s3 = client("s3")
        region = s3.meta.region_name
        fresh: list[dict[str, Any]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                if self._seen.get(obj["Key"]) != obj.get("ETag"):
                    fresh.append(obj)
        for obj in sorted(fresh, key=lambda o: o.get("LastModified") or 0):
            self._seen[obj["Key"]] = obj.get("ETag", "")
            try:
                invoke(self.handler, s3_event(self.bucket, obj, region), self.function_name)
            except Exception:
                logger.exception("upload handler failed", extra={"bucket": self.bucket, "key": obj["Key"]})
            self.notified += 1
        return len(fresh)


# ---- lifecycle ---------------------------------------------------------------------------------------------


@dataclass
class Workers:
    threads: list[QueueWorker | UploadWatcher]

    def describe(self) -> list[str]:
        lines = []
        for thread in self.threads:
            if isinstance(thread, QueueWorker):
                lines.append(f"queue {thread.queue_url} -> {thread.function_name}")
            else:
                lines.append(f"s3://{thread.bucket}/{thread.prefix} -> {thread.function_name}")
        return lines

    def stop(self, timeout: float = 5.0) -> None:
        for thread in self.threads:
            thread.stop()
        for thread in self.threads:
            thread.join(timeout)


def start_workers(outputs: Mapping[str, str]) -> Workers:
    """A thread per registered queue consumer and upload handler; `outputs`: the local stack's outputs."""
    consumers: dict[str, tuple[Handler | str, int]] = {
        name: (ref, 10) for name, ref in QUEUE_CONSUMERS.items()
    }
    consumers.update(_registered_consumers)
    uploads: dict[tuple[str, str], Handler | str] = {**UPLOAD_HANDLERS, **_registered_uploads}
    missing = sorted(({*consumers} | {name for name, _prefix in uploads}) - set(outputs))
    if missing:
        raise ValueError(f"workers name stack outputs that infra/template.yaml does not declare: {missing}")
    threads: list[QueueWorker | UploadWatcher] = []
    for output, (reference, batch_size) in consumers.items():
        handler = resolve_handler(reference)
        threads.append(QueueWorker(_name_of(handler), outputs[output], handler, batch_size=batch_size))
    for (output, prefix), reference in uploads.items():
        handler = resolve_handler(reference)
        threads.append(UploadWatcher(_name_of(handler), outputs[output], prefix, handler))
    for thread in threads:
        thread.start()
    return Workers(threads)


def _name_of(handler: Handler) -> str:
    return f"{getattr(handler, '__module__', 'local')}.{getattr(handler, '__qualname__', 'handler')}"
