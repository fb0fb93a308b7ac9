"""Two fixes to moto 5.2.5 for the local stack and the tests' emulated AWS, found by the listing batch
benchmark.

1. A faithful and fast `TransactWriteItems`.

moto deep-copies every table a transaction touches to be able to roll it back, so each transaction costs time
in
proportion to the table's size: importing a few thousand listings (one transaction each) became quadratic,
minutes
for what DynamoDB does in seconds. It also applied operations one by one, so concurrent requests on the
threaded
server could be rolled back over each other's writes.

This version does what DynamoDB specifies: every condition is evaluated against the state before the
transaction, and only if all hold are the operations applied, under one lock. It keeps a copy of the touched
items
only (to undo a half-applied update expression) instead of the tables.

2. EventBridge target delivery compiled the same eight JSONPath expressions (jsonpath_ng builds a parser each
time)
for every event and every target: about 25 ms per event with three rules, minutes for a batch's thousands of
`ListingChanged`. The compiled expressions are cached (they are immutable once parsed).

3. SQS's SendMessage read the queue's full attribute set to learn one setting (ContentBasedDeduplication),
which
counts the queue's messages three times with datetime arithmetic per message: a queue holding a few thousand
events
made each publish cost tens of milliseconds, quadratic over a batch. While SendMessage runs, the approximate
counts
(which it never reads) are not computed; and `unix_time_millis()` is `time.time() * 1000`, the same value.

Installed by `shared.local_stack.aws.provision` and `start_embedded_aws`; `install()` is idempotent.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

_lock = threading.RLock()
_installed = False
# moto's tables are plain dicts: a Query iterating one while another request thread writes fails with
# "dictionary
# changed size during iteration". The threaded server's DynamoDB operations take turns, as one table would.
_SERIALISED = (
    "put_item",
    "get_item",
    "delete_item",
    "update_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
)


def _serialised(method: Any) -> Any:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(self, *args, **kwargs)

    call.__name__ = getattr(method, "__name__", "call")
    return call


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    for name in _SERIALISED:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    import functools

    import jsonpath_ng.ext

    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)  # type: ignore[assignment]
    import moto.sqs.models

    original = moto.sqs.models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else float(original(dt))

    moto.sqs.models.unix_time_millis = unix_time_millis  # type: ignore[assignment]
    _skip_counts_while_sending(moto.sqs.models)
    _installed = True


_sending = threading.local()


def _skip_counts_while_sending(models: Any) -> None:
    queue, backend = models.Queue, models.SQSBackend
    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_not_visible",
        "approximate_number_of_messages_delayed",
    ):
        counted = getattr(queue, name)

        def patched(self: Any, _counted: Any = counted) -> int:
            return 0 if getattr(_sending, "active", False) else int(_counted.fget(self))

        setattr(queue, name, property(patched))
    send = backend.send_message

    def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send(self, *args, **kwargs)
        finally:
            _sending.active = False

    backend.send_message = send_message


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _lock:
        planned: list[tuple[str, dict[str, Any], str, dict[str, Any], Any]] = []
        seen: set[tuple[str, str]] = set()
        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = self.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            marker = (str(table_name), str(dict(sorted(key.items()))))
            if marker in seen:
                raise MultipleTransactionsException()
            seen.add(marker)
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(
                    condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not check.expr(current):
                    old = (
                        current.to_json()["Attributes"]
                        if (current and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
                        else None
                    )
                    errors.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
                    continue
            errors.append((None, None, None))
            planned.append((op_type, op, table_name, key, copy.deepcopy(current)))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        applied: list[tuple[str, dict[str, Any], Any]] = []
        try:
            for op_type, op, table_name, key, before in planned:
                if op_type == "Put":
                    self.put_item(table_name, op["Item"])
                elif op_type == "Delete":
                    self.delete_item(table_name, key)
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                applied.append((table_name, key, before))
        except Exception:
            for table_name, key, before in reversed(applied):
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, before.to_json()["Attributes"])
            raise
