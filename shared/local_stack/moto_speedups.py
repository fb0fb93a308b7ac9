"""Speedups of moto 5.2.5 for the local stack and the tests' emulated AWS, found by the listing batch benchmark.
Each keeps moto's answers exactly (tests/test_moto_speedups.py compares them with moto's own code).

1. A faithful and fast `TransactWriteItems`. moto deep-copies every table a transaction touches to be able to
roll it back, so each transaction costs time in proportion to the table's size: importing a few thousand listings
became quadratic, minutes for what DynamoDB does in seconds. It also applied operations one by one, so concurrent
requests on the threaded server could be rolled back over each other's writes. This version does what DynamoDB
specifies: every condition is evaluated against the state before the transaction, and only if all hold are the
operations applied, under one lock. It keeps a copy of the touched items only (to undo a half-applied update
expression) instead of the tables.

2. EventBridge target delivery compiled the same eight JSONPath expressions (jsonpath_ng builds a parser each
time) for every event and every target: about 25 ms per event with three rules, minutes for a batch's thousands
of `ListingChanged`. The compiled expressions are cached (they are immutable once parsed).

3. SQS's SendMessage read the queue's full attribute set to learn one setting (ContentBasedDeduplication), which
counts the queue's messages three times with datetime arithmetic per message: a queue holding a few thousand
events made each publish cost tens of milliseconds, quadratic over a batch. While SendMessage runs, the
approximate counts (which it never reads) are not computed, the attribute names' conversion to Python names is
cached, and `unix_time_millis()` is `time.time() * 1000`, the same value.

4. DynamoDB attribute values in responses and requests. moto serialises every response, and parses every
request, by walking botocore's shape model member by member (trying several spellings of each name for
responses): ~3 ms per item read, most of a BatchGetItem or a Query, and a good part of each TransactWriteItems.
An `AttributeValue` is already in its wire form, so it is written and read directly (binary through base64, as
moto does); anything unusual takes moto's own path.

5. Items are measured once against the 400 KB limit: moto re-measured every attribute already set on each
attribute set, n²/2 measures for an item of n attributes. Sizes are positive, so an item is too large exactly when
its whole size is.

6. String keys compare as strings. A GSI Query sorts the whole table by key to find one partition (moto has no
index structure), millions of comparisons through `DynamoType.cast_value` for a few thousand listings; two
strings now compare directly (the same result), other types as before.

Installed by `shared.local_stack.aws.provision` and `start_embedded_aws`; `install()` is idempotent.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

_lock = threading.RLock()
_installed = False
# moto's own implementations of what install() replaces (the tests compare both on the same inputs)
GENERIC: dict[str, Any] = {}
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
    # a pure function of the attribute name, run for each of the queue's attributes on every send
    moto.sqs.models.camelcase_to_underscores = functools.lru_cache(maxsize=1024)(  # type: ignore[assignment]
        moto.sqs.models.camelcase_to_underscores
    )
    _serialise_attribute_values_directly()
    _parse_attribute_values_directly()
    _compare_strings_directly()
    _size_items_once()
    _installed = True


def _parse_attribute_values_directly() -> None:
    """The same shape walk parses every request: an `AttributeValue` arrives in its wire form, so it is read
    directly (binary decoded from base64, as moto's parser does); anything else takes moto's own path."""
    from moto.core.parse import BaseJSONParser

    generic = GENERIC["parse_structure"] = BaseJSONParser._parse_structure

    def _parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue" and isinstance(value, dict) and value:
            try:
                return _parsed_attribute_value(value)
            except _NotPlain:
                pass
        return generic(self, shape, value)

    BaseJSONParser._parse_structure = _parse_structure  # type: ignore[method-assign]


def _parsed_attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    import base64

    (kind, inner), *more = value.items()
    if more or inner is None:
        raise _NotPlain
    if kind in ("S", "N", "BOOL", "NULL"):
        if not isinstance(inner, bool if kind in ("BOOL", "NULL") else str):
            raise _NotPlain
        return {kind: inner}
    if kind == "M" and isinstance(inner, dict):
        return {"M": {k: _parsed_attribute_value(v) for k, v in inner.items()}}
    if kind == "L" and isinstance(inner, list):
        return {"L": [_parsed_attribute_value(v) for v in inner]}
    if kind in ("SS", "NS") and isinstance(inner, list) and all(isinstance(v, str) for v in inner):
        return {kind: list(inner)}
    if kind == "B" and isinstance(inner, str):
        return {"B": base64.b64decode(inner)}
    if kind == "BS" and isinstance(inner, list) and all(isinstance(v, str) for v in inner):
        return {"BS": [base64.b64decode(v) for v in inner]}
    raise _NotPlain


def _size_items_once() -> None:
    """moto's item attributes check the 400 KB limit on every attribute set by re-measuring every attribute
    already there: building an item of n attributes measures n²/2 of them. Sizes are positive, so the item is
    too large exactly when its whole size is: measured once, same error."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    GENERIC["item_init"] = Item.__init__

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in converted.items()) > _ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict(converted)

    Item.__init__ = __init__  # type: ignore[method-assign]


_ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict limit


def _compare_strings_directly() -> None:
    """moto compares key values through `DynamoType.cast_value`, five type tests deep, and a GSI Query sorts the
    whole table by key to find one partition (millions of comparisons for a few thousand listings). Two strings
    compare as strings: the same answer, without the detour; other types keep moto's comparison."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    equal, not_equal, less = DynamoType.__eq__, DynamoType.__ne__, DynamoType.__lt__
    GENERIC.update(eq=equal, ne=not_equal, lt=less)

    def __eq__(self: Any, other: Any) -> bool:
        if self.type == "S" and other.type == "S":
            return bool(self.value == other.value)
        return bool(equal(self, other))

    def __ne__(self: Any, other: Any) -> bool:
        if self.type == "S" and other.type == "S":
            return bool(self.value != other.value)
        return bool(not_equal(self, other))

    def __lt__(self: Any, other: Any) -> bool:
        if self.type == "S" and other.type == "S":
            return bool(self.value < other.value)
        return bool(less(self, other))

    DynamoType.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    DynamoType.__ne__ = __ne__  # type: ignore[method-assign,assignment]
    DynamoType.__lt__ = __lt__  # type: ignore[method-assign]


def _attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    """One DynamoDB AttributeValue as moto's generic serialiser writes it (binary base64, the rest as is)."""
    (kind, inner), *more = value.items()
    if more:  # not a valid AttributeValue: let nothing differ from moto's own path
        raise _NotPlain
    if kind == "S" or kind == "N":
        if not isinstance(inner, str):
            raise _NotPlain
        return {kind: inner}
    if kind == "M":
        return {"M": {k: _attribute_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_attribute_value(v) for v in inner]}
    if kind == "SS" or kind == "NS":
        if not all(isinstance(v, str) for v in inner):
            raise _NotPlain
        return {kind: list(inner)}
    if kind == "BOOL" or kind == "NULL":
        if not isinstance(inner, bool):
            raise _NotPlain
        return {kind: inner}
    if kind == "B" and isinstance(inner, bytes | str):
        return {"B": _base64(inner)}
    if kind == "BS" and all(isinstance(v, bytes | str) for v in inner):
        return {"BS": [_base64(v) for v in inner]}
    raise _NotPlain


def _base64(value: str | bytes) -> str:
    import base64

    return base64.b64encode(value.encode() if isinstance(value, str) else value).strip().decode()


class _NotPlain(Exception):
    pass


def _serialise_attribute_values_directly() -> None:
    """moto serialises every response by walking the botocore shape model, member by member, trying several
    spellings of each name: about 3 ms per item read, most of a BatchGetItem or a Query. An `AttributeValue`
    is already in its wire form (a one-key dict; binary as bytes), so it is written directly; anything else, or
    an attribute value that is not plain, still takes moto's own path."""
    from moto.core.serialize import BaseJSONSerializer

    generic = GENERIC["serialize"] = BaseJSONSerializer._serialize

    def _serialize(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and key and isinstance(value, dict) and value:
            try:
                serialized[shape.serialization.get("name", key)] = _attribute_value(value)
                return
            except _NotPlain:
                pass
        generic(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize = _serialize  # type: ignore[method-assign]


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
