"""Batch records (DynamoDB table `referral211-<stage>-batches`) and full reports (S3, batches bucket).

| item  | PK          | SK      | GSI1PK / GSI1SK                       | serves
     |
|-------|-------------|---------|---------------------------------------|------------------------------------------|
| batch | BATCH#{id}  | BATCH   | BATCH#R#{region} / {created_at}#{id}  | GET /admin/batches/{id}; a region's
list |

The record holds status, counts, who, the content hash (idempotency), the first errors and, for uploads, the
requester's scope; the full report (every error and warning, the diff, the possible duplicates with the
incoming
listings held back) is `reports/{id}.json` in the batches bucket. A batch id is claimed with a conditional put
(`attribute_not_exists`), which is what makes the same request twice give the same batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from shared.aws import dynamodb
from shared.aws.s3 import Bucket
from shared.errors import Conflict

TERMINAL = ("applied", "rejected", "validated")
LEASE_SECONDS = 15 * 60
INLINE_ERRORS = 50
DRY_RUN_TTL_DAYS = 7


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class BatchStore:
    table_name: str
    bucket_name: str

    def __post_init__(self) -> None:
        self.table = dynamodb.Table(self.table_name)
        self.bucket = Bucket(self.bucket_name)

    @staticmethod
    def report_key(batch_id: str) -> str:
        return f"reports/{batch_id}.json"

    @staticmethod
    def upload_key(region: str, batch_id: str) -> str:
        return f"uploads/{region}/{batch_id}"

    def _item(self, batch: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": {"S": f"BATCH#{batch['id']}"},
            "SK": {"S": "BATCH"},
            "GSI1PK": {"S": f"BATCH#R#{batch['region']}"},
            "GSI1SK": {"S": f"{batch['created_at']}#{batch['id']}"},
            "status": {"S": batch["status"]},
            "updated": {"S": batch.get("updated_at") or batch["created_at"]},
            "doc": {"S": orjson.dumps(batch).decode()},
        }
        if batch.get("dry_run"):
            expires = datetime.now(UTC) + timedelta(days=DRY_RUN_TTL_DAYS)
            item["expires_at"] = {"N": str(int(expires.timestamp()))}
        return item

    def get(self, batch_id: str) -> dict[str, Any] | None:
        item = self.table.get(f"BATCH#{batch_id}", "BATCH")
        return orjson.loads(item["doc"]["S"]) if item else None

    def claim(self, batch: dict[str, Any]) -> dict[str, Any] | None:
        """Create the record if the id is free; otherwise return the existing record (nothing written)."""
        try:
            self.table.write_all(
                puts=[],
                deletes=[],
                conditions=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": self._item(batch),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    }
                ],
            )
            return None
        except Conflict:
            return self.get(batch["id"])

    def take_over(self, batch: dict[str, Any], previous_status: str, previous_updated: str) -> bool:
        """Restart a failed or abandoned batch, only if nobody else did in the meantime."""
        try:
            self.table.write_all(
                puts=[],
                deletes=[],
                conditions=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": self._item(batch),
                            "ConditionExpression": "#s = :s AND updated = :u",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":s": {"S": previous_status},
                                ":u": {"S": previous_updated},
                            },
                        }
                    }
                ],
            )
            return True
        except Conflict:
            return False

    def save(self, batch: dict[str, Any], report: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the record, and first the full report to S3 (a record never points at a missing one)."""
        batch["updated_at"] = now_iso()
        if report is not None:
            self.bucket.put(
                self.report_key(batch["id"]), orjson.dumps(report), content_type="application/json"
            )
            batch["report_key"] = self.report_key(batch["id"])
        self.table.put_items([self._item(batch)])
        return batch

    def report(self, batch: dict[str, Any]) -> dict[str, Any]:
        if not batch.get("report_key"):
            return {}
        found = self.bucket.get(batch["report_key"])
        return orjson.loads(found.body) if found else {}

    def list_region(self, region: str, limit: int = 50) -> list[dict[str, Any]]:
        keys = list(self.table.query_index("GSI1", f"BATCH#R#{region}"))[-limit:]
        found = self.table.batch_get([(k["PK"]["S"], k["SK"]["S"]) for k in keys])
        batches = [orjson.loads(v["doc"]["S"]) for v in found.values()]
        return sorted(batches, key=lambda b: b["created_at"], reverse=True)


def lease_expired(batch: dict[str, Any]) -> bool:
    updated = batch.get("updated_at") or batch.get("created_at")
    try:
        moment = datetime.fromisoformat(str(updated).replace("Z", "+00:00"))
    except ValueError:
        return True
    return (time.time() - moment.timestamp()) > LEASE_SECONDS
