"""Listing batches (admin): import, follow, resolve duplicates, listing history and restore; and the function
that
imports files uploaded to the batches bucket.

Routes (region-admin for its regions, platform-admin for any):
  POST /admin/batches?region=02&mode=upsert|replace&dry_run=&confirm_deactivate=   body: the file
  (Content-Type)
  GET  /admin/batches?region=02                  the region's latest batches
  POST /admin/batches/uploads?region=02&...      JSON {content_type, filename} -> presigned PUT URL
  GET  /admin/batches/{batch_id}                 status, counts, every error (paged: errors_page,
  errors_per_page)
  POST /admin/batches/{batch_id}/duplicates      JSON {decisions: [{service_id, action:
  link|merge|keep_both}]}
  GET  /admin/listings/{service_id}/history
  POST /admin/listings/{service_id}/restore      JSON {version}

Thin: parse the request, call `shared.batches.importer.Importer`, serialise. The uploaded-file function is
`handle_upload` (S3 notification records, as the local stack's workers send them) and `batch_upload` (the same
through EventBridge in AWS: the bucket sends "Object Created" events to the default bus).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import orjson
from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.http import STAFF, handles_errors, json_response, request_language, request_principal
from shared.config import get_settings
from shared.errors import BadRequest

blueprint = Blueprint(__name__)

# Request bodies API Gateway must hand over as bytes (base64), so Windows-1252 CSV and zips arrive intact.
BINARY_TYPES: tuple[str, ...] = (
    "application/zip",
    "application/x-zip-compressed",
    "text/csv",
    "application/csv",
    "application/vnd.ms-excel",
    "application/xml",
    "text/xml",
)
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


@lru_cache(maxsize=4)
def _importer(
    table: str, batches_table: str, bucket: str, bus: str, search_bucket: str, inline_max: int, workers: int
) -> Any:
    from shared.aws.event_bus import EventPublisher
    from shared.aws.s3 import Bucket
    from shared.batches.importer import Importer
    from shared.batches.store import BatchStore
    from shared.directory.repository import DirectoryRepository
    from shared.search.store import IndexStore

    return Importer(
        DirectoryRepository(table),
        BatchStore(batches_table, bucket),
        EventPublisher(bus),
        search_index=IndexStore(Bucket(search_bucket)),
        inline_max_services=inline_max,
        write_workers=workers,
    )


def importer() -> Any:
    settings = get_settings()
    # The local stack's emulated DynamoDB serialises transactions (shared/local_stack/moto_speedups.py): a few
    # writers overlap HTTP round trips there; in AWS, 16 keep a 3,000-listing batch within seconds.
    workers = 4 if settings.stage in ("local", "test") else 16
    return _importer(
        settings.directory_table,
        settings.batches_table,
        settings.batches_bucket,
        settings.event_bus_name,
        settings.search_bucket,
        settings.batch_inline_max_services,
        workers,
    )


def _query() -> dict[str, str]:
    return dict(blueprint.current_request.query_params or {})


def _idempotency_key() -> str | None:
    value = blueprint.current_request.headers.get("idempotency-key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise BadRequest(
            "En-tête Idempotency-Key invalide (1 à 200 caractères : lettres, chiffres, . _ : -).",
            message_en="Invalid Idempotency-Key header (1 to 200 letters, digits, . _ : -).",
        )
    return value


def _json_body(model: type[BaseModel]) -> Any:
    raw = blueprint.current_request.raw_body or b"{}"
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequest(
            "Corps JSON invalide.", message_en="Invalid JSON body.", details={"reason": str(error)}
        ) from error
    return model.model_validate(document)


def _answer(body: Any, status: int = 200) -> Response:
    headers = {"Location": body["links"]["self"]} if isinstance(body, dict) and "links" in body else None
    return json_response(
        body, status=status, lang=request_language(blueprint.current_request), headers=headers
    )


class BatchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    errors_page: int = Field(default=1, ge=1)
    errors_per_page: int = Field(default=1000, ge=1, le=5000)
    lang: str | None = None


class RegionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(pattern=r"^(0[1-9]|1[0-7])$")
    lang: str | None = None


@blueprint.route(
    "/admin/batches",
    methods=["POST"],
    content_types=["application/json", "application/vnd.hsds+json", *BINARY_TYPES],
    authorizer=STAFF,
)
@handles_errors
def submit_batch() -> Response:
    from shared.batches.importer import BatchParams

    principal = request_principal(blueprint.current_request)
    params = BatchParams.model_validate(_query())
    request = blueprint.current_request
    body = request.raw_body if isinstance(request.raw_body, bytes) else (request.raw_body or "").encode()
    outcome = importer().submit(
        params, body, request.headers.get("content-type"), principal, _idempotency_key()
    )
    from shared.batches.importer import public

    return _answer(public(outcome.batch), outcome.status)


@blueprint.route("/admin/batches", methods=["GET"], authorizer=STAFF)
@handles_errors
def list_batches() -> Response:
    principal = request_principal(blueprint.current_request)
    query = RegionQuery.model_validate(_query())
    batches = importer().list_region(query.region, principal)
    return _answer({"region": query.region, "contents": batches})


@blueprint.route("/admin/batches/uploads", methods=["POST"], content_types=["application/json"], authorizer=STAFF)
@handles_errors
def create_upload() -> Response:
    from shared.batches.importer import BatchParams, UploadRequest

    principal = request_principal(blueprint.current_request)
    params = BatchParams.model_validate(_query())
    upload = _json_body(UploadRequest)
    return _answer(importer().create_upload(params, upload, principal, _idempotency_key()), 201)


@blueprint.route("/admin/batches/{batch_id}", methods=["GET"], authorizer=STAFF)
@handles_errors
def get_batch(batch_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    query = BatchQuery.model_validate(_query())
    return _answer(importer().get(batch_id, principal, query.errors_page, query.errors_per_page))


@blueprint.route("/admin/batches/{batch_id}/duplicates", methods=["POST"], content_types=["application/json"], authorizer=STAFF)
@handles_errors
def resolve_duplicates(batch_id: str) -> Response:
    from shared.batches.importer import Decisions

    principal = request_principal(blueprint.current_request)
    return _answer(importer().resolve_duplicates(batch_id, _json_body(Decisions), principal))


@blueprint.route("/admin/listings/{service_id}/history", methods=["GET"], authorizer=STAFF)
@handles_errors
def listing_history(service_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    return _answer(importer().history(service_id, principal))


@blueprint.route("/admin/listings/{service_id}/restore", methods=["POST"], content_types=["application/json"], authorizer=STAFF)
@handles_errors
def restore_listing(service_id: str) -> Response:
    from shared.batches.importer import RestoreRequest

    principal = request_principal(blueprint.current_request)
    return _answer(importer().restore(service_id, _json_body(RestoreRequest), principal))


# ---- the upload function
# ------------------------------------------------------------------------------------------


def _objects(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of an S3 notification (Records) or an EventBridge "Object Created" event."""
    found = []
    for record in event.get("Records") or []:
        s3 = record.get("s3") or {}
        found.append(
            (s3.get("bucket", {}).get("name", ""), unquote_plus(s3.get("object", {}).get("key", "")))
        )
    detail = event.get("detail") or {}
    if detail.get("bucket") and detail.get("object"):
        found.append((detail["bucket"].get("name", ""), detail["object"].get("key", "")))
    return found


def handle_upload(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Import each uploaded batch file (at least once: a batch already handled is left alone)."""
    results = []
    for bucket, key in _objects(event):
        batch = importer().handle_uploaded(bucket, key)
        results.append({"key": key, "status": batch["status"] if batch else "ignored"})
    return {"results": results}


# In AWS: the bucket's EventBridge notifications (infra/template.yaml) on the default bus; the handler ignores
# buckets other than this stage's (the pattern cannot name it: Chalice decorators are evaluated at packaging).
@blueprint.on_cw_event(
    {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [{"prefix": "referral211-"}]},
            "object": {"key": [{"prefix": "uploads/"}]},
        },
    },
    name="batch_upload",
)
def batch_upload(event: Any) -> None:
    handle_upload(event.to_dict())


# ---- search freshness
# -----------------------------------------------------------------------------------------
# SearchRefreshQueue (fed by SearchRefreshRule on the custom bus) -> per changed region, the changes the batch
# recorded for search applied to the region's index (no directory read; a rebuild when a record is missing). The
# event source mapping with ReportBatchItemFailures is SearchRefreshQueueMapping in infra/template.yaml.


@lru_cache(maxsize=4)
def _refresh(table: str, bucket: str) -> Any:
    from shared.batches.freshness import default_refresh

    return default_refresh(table, bucket)


def handle_search_refresh(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from shared.batches.freshness import handle_records

    settings = get_settings()
    return handle_records(event.get("Records") or [], _refresh(settings.directory_table, settings.search_bucket))


@blueprint.lambda_function(name="search_refresh")
def search_refresh(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_search_refresh(event, context)
