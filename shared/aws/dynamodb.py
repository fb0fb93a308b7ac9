"""DynamoDB adapter: low-level item I/O with batching, retries of unprocessed keys and error translation.

Repositories build keys and items; this module moves them. No Scan is offered on purpose.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from shared.aws.clients import client as aws_client
from shared.errors import Conflict, ServiceUnavailable

Key = tuple[str, str]
BATCH_GET_MAX = 100
BATCH_GET_WORKERS = 8
BATCH_WRITE_MAX = 25
TRANSACT_MAX = 100
_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


def _translate(error: Exception) -> Exception:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("ConditionalCheckFailedException", "TransactionConflictException"):
            return Conflict(
                "La fiche a été modifiée en même temps par quelqu'un d'autre; réessayez.",
                message_en="The listing was changed concurrently; retry.",
            )
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                return Conflict(
                    "La fiche a été modifiée en même temps par quelqu'un d'autre; réessayez.",
                    message_en="The listing was changed concurrently; retry.",
                    details={"reasons": reasons},
                )
        if code in _RETRYABLE or code == "TransactionCanceledException":
            return ServiceUnavailable(
                "Le répertoire est momentanément indisponible; réessayez dans un instant.",
                message_en="The directory is briefly unavailable; retry in a moment.",
                details={"aws_error": code},
            )
    return error


class Table:
    def __init__(self, name: str, client: Any | None = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws_client("dynamodb")

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = self.client.get_item(TableName=self.name, Key={"PK": {"S": pk}, "SK": {"S": sk}})
        except Exception as error:
            raise _translate(error) from error
        return answer.get("Item")

    def batch_get(self, keys: list[Key], *, consistent: bool = False) -> dict[Key, dict[str, Any]]:
        """Items by key, 100 per BatchGetItem; more than one call's worth are fetched BATCH_GET_WORKERS at a
        time (a batch's or a region's thousands of keys in the time of a few calls, not of dozens in a row)."""
        unique = list(dict.fromkeys(keys))
        chunks = [unique[start : start + BATCH_GET_MAX] for start in range(0, len(unique), BATCH_GET_MAX)]
        found: dict[Key, dict[str, Any]] = {}
        if len(chunks) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(BATCH_GET_WORKERS, len(chunks))) as pool:
                for part in pool.map(lambda chunk: self._batch_get_chunk(chunk, consistent), chunks):
                    found.update(part)
        elif chunks:
            found = self._batch_get_chunk(chunks[0], consistent)
        return found

    def _batch_get_chunk(self, keys: list[Key], consistent: bool) -> dict[Key, dict[str, Any]]:
        found: dict[Key, dict[str, Any]] = {}
        pending: list[dict[str, Any]] = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in keys]
        attempt = 0
        while pending:
            try:
                request: dict[str, Any] = {"Keys": pending}
                if consistent:
                    request["ConsistentRead"] = True
                answer = self.client.batch_get_item(RequestItems={self.name: request})
            except Exception as error:
                raise _translate(error) from error
            for item in answer.get("Responses", {}).get(self.name, []):
                found[(item["PK"]["S"], item["SK"]["S"])] = item
            pending = answer.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
            attempt += 1
            if pending:
                _backoff(attempt)
        return found

    def query_index(self, index: str, pk: str, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = f"{index}PK = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            condition += f" AND begins_with({index}SK, :sk)"
            values[":sk"] = {"S": sk_prefix}
        request: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        yield from self._pages(request)

    def query_partition(self, pk: str, sk_prefix: str | None = None) -> list[dict[str, Any]]:
        condition = "PK = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            condition += " AND begins_with(SK, :sk)"
            values[":sk"] = {"S": sk_prefix}
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        return list(self._pages(request))

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item a Query answers, following LastEvaluatedKey."""
        while True:
            try:
                answer = self.client.query(**request)
            except Exception as error:
                raise _translate(error) from error
            yield from answer.get("Items", [])
            last = answer.get("LastEvaluatedKey")
            if not last:
                return
            request = {**request, "ExclusiveStartKey": last}

    def query_between(self, pk: str, sk_from: str, sk_to: str) -> list[dict[str, Any]]:
        """Every item of partition `pk` whose SK lies in [sk_from, sk_to] (one Query, paged)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":lo": {"S": sk_from}, ":hi": {"S": sk_to}},
        }
        return list(self._pages(request))

    def transact(self, actions: list[dict[str, Any]]) -> None:
        """One TransactWriteItems of prepared actions (at most 100); a failed condition raises Conflict."""
        try:
            self.client.transact_write_items(TransactItems=actions)
        except Exception as error:
            raise _translate(error) from error

    def delete_items(self, keys: list[Key]) -> None:
        self._batch_delete(keys)

    def put_items(self, items: list[dict[str, Any]]) -> None:
        self.write_all(puts=items, deletes=[])

    def write_all(
        self,
        *,
        puts: list[dict[str, Any]],
        deletes: list[Key],
        conditions: list[dict[str, Any]] | None = None,
    ) -> None:
        """All-or-nothing when it fits one transaction (100 actions); larger writes fall back to batches."""
        actions: list[dict[str, Any]] = list(conditions or [])
        actions += [{"Put": {"TableName": self.name, "Item": item}} for item in puts]
        actions += [
            {"Delete": {"TableName": self.name, "Key": {"PK": {"S": pk}, "SK": {"S": sk}}}}
            for pk, sk in deletes
        ]
        if not actions:
            return
        if len(actions) == 1 and not conditions:
            single = actions[0]
            try:
                if "Put" in single:
                    self.client.put_item(**single["Put"])
                else:
                    self.client.delete_item(**single["Delete"])
            except Exception as error:
                raise _translate(error) from error
            return
        if len(actions) <= TRANSACT_MAX:
            try:
                self.client.transact_write_items(TransactItems=actions)
            except Exception as error:
                raise _translate(error) from error
            return
        if conditions:
            raise ValueError("a conditional write larger than one transaction cannot be atomic")
        for _ in self.batch_put(iter(puts)):
            pass
        self._batch_delete(deletes)

    def batch_put(self, items: Iterator[dict[str, Any]] | Iterable[dict[str, Any]]) -> Iterator[int]:
        """BatchWriteItem in chunks of 25 with retries of unprocessed items; yields the running count."""
        written = 0
        chunk: list[dict[str, Any]] = []
        for item in items:
            chunk.append({"PutRequest": {"Item": item}})
            if len(chunk) == BATCH_WRITE_MAX:
                self._batch_write(chunk)
                written += len(chunk)
                chunk = []
                yield written
        if chunk:
            self._batch_write(chunk)
            written += len(chunk)
            yield written

    def _batch_delete(self, keys: list[Key]) -> None:
        requests = [{"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in keys]
        for start in range(0, len(requests), BATCH_WRITE_MAX):
            self._batch_write(requests[start : start + BATCH_WRITE_MAX])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        attempt = 0
        while pending:
            try:
                answer = self.client.batch_write_item(RequestItems={self.name: pending})
            except Exception as error:
                raise _translate(error) from error
            pending = answer.get("UnprocessedItems", {}).get(self.name, [])
            attempt += 1
            if pending:
                _backoff(attempt)


def _backoff(attempt: int) -> None:
    if attempt > 8:
        raise ServiceUnavailable(
            "Le répertoire est surchargé; réessayez dans un instant.",
            message_en="The directory is overloaded; retry in a moment.",
        )
    time.sleep(min(0.05 * 2**attempt, 1.0))
