"""The local stack's speedups of moto (shared/local_stack/moto_speedups.py) answer exactly what moto does.

GIVEN requests and responses holding every kind of DynamoDB attribute value (strings, numbers, binary, sets,
nested maps and lists, null, booleans), WHEN moto parses and serialises them with the speedups and with its own
shape walk, THEN the results are identical; items are refused over 400 KB as before; keys sort as before."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from shared.local_stack import moto_speedups

moto_speedups.install()


def _value(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kinds = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"] if depth < 3 else ["S", "N", "B", "BOOL"]
    kind = rng.choice(kinds)
    if kind == "S":
        return {"S": rng.choice(["", "a", "Montréal é ü", "x" * 40])}
    if kind == "N":
        return {"N": rng.choice(["0", "1.5", "-3", "1e10"])}
    if kind == "B":
        return {"B": base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(9)))).decode()}
    if kind in ("SS", "NS"):
        return {kind: ["1", "2"]}
    if kind == "BS":
        return {"BS": [base64.b64encode(b"xy").decode(), base64.b64encode(b"z").decode()]}
    if kind == "M":
        return {"M": {f"k{i}": _value(rng, depth + 1) for i in range(rng.randrange(4))}}
    if kind == "L":
        return {"L": [_value(rng, depth + 1) for _ in range(rng.randrange(4))]}
    if kind == "NULL":
        return {"NULL": True}
    return {"BOOL": rng.choice([True, False])}


def _attributes(rng: random.Random, n: int) -> dict[str, Any]:
    return {"PK": {"S": f"p{n}"}, "SK": {"S": "s"}, **{f"a{j}": _value(rng) for j in range(rng.randrange(1, 8))}}


def test_responses_are_serialised_as_moto_does() -> None:
    from moto.core.responses import XFormedAttributePicker
    from moto.core.serialize import JSONSerializer
    from moto.core.utils import get_service_model
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.utilities import dynamo_to_dict

    class Generic(JSONSerializer):
        _serialize = moto_speedups.GENERIC["serialize"]

    model = get_service_model("dynamodb")
    rng = random.Random(211)
    for _ in range(20):
        items = []
        for n in range(20):
            attrs = _attributes(rng, n)
            items.append(Item(DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), attrs).attrs)
        key = {"PK": {"S": "x"}, "SK": {"S": "y"}}
        for operation, result in (
            ("Query", {"Count": 20, "ScannedCount": 20, "Items": items, "LastEvaluatedKey": key}),
            ("BatchGetItem", {"Responses": {"t": items}, "UnprocessedKeys": {"t": {"Keys": [key]}}}),
            ("GetItem", {"Item": items[0]}),
            ("PutItem", {"Attributes": items[1]}),
            ("TransactGetItems", {"Responses": [{"Item": i} for i in items[:3]]}),
        ):
            shape = model.operation_model(operation)
            plain = dynamo_to_dict(result)
            fast = JSONSerializer(operation_model=shape, value_picker=XFormedAttributePicker()).serialize(plain)
            slow = Generic(operation_model=shape, value_picker=XFormedAttributePicker()).serialize(plain)
            assert fast["body"] == slow["body"], operation


def test_requests_are_parsed_as_moto_does() -> None:
    from moto.core.parse import JSONParser
    from moto.core.utils import get_service_model

    class Generic(JSONParser):
        _parse_structure = moto_speedups.GENERIC["parse_structure"]

    model = get_service_model("dynamodb")
    rng = random.Random(13)
    key = {"PK": {"S": "a"}, "SK": {"S": "b"}}
    for _ in range(50):
        for operation, body in (
            ("PutItem", {"TableName": "t", "Item": _attributes(rng, 1), "ExpressionAttributeValues": {":v": _value(rng)}}),
            ("TransactWriteItems", {"TransactItems": [
                {"Put": {"TableName": "t", "Item": _attributes(rng, 2), "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Delete": {"TableName": "t", "Key": key}},
                {"Update": {"TableName": "t", "Key": key, "UpdateExpression": "SET x = :x",
                            "ExpressionAttributeValues": {":x": _value(rng)}}},
            ]}),
            ("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": _attributes(rng, 3)}}]}}),
            ("Query", {"TableName": "t", "KeyConditionExpression": "PK = :pk", "ExclusiveStartKey": key,
                       "ExpressionAttributeValues": {":pk": {"S": "x"}}}),
            ("PutItem", {"TableName": "t", "Item": {"PK": {"S": "p"}, "odd": {"S": "a", "N": "1"}, "none": {}}}),
        ):
            request = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(body).encode(),
                       "url_path": "/", "url_params": {}}
            shape = model.operation_model(operation)
            assert JSONParser(shape).parse(request) == Generic(shape).parse(request), operation


def test_items_over_400_kb_are_refused_and_others_kept_as_moto_does() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    generic = moto_speedups.GENERIC["item_init"]
    rng = random.Random(5)
    for n in range(30):
        attrs = _attributes(rng, n)
        fast, slow = Item.__new__(Item), Item.__new__(Item)
        Item.__init__(fast, DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), attrs)
        generic(slow, DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), attrs)
        assert fast.attrs == slow.attrs and type(fast.attrs) is type(slow.attrs)
    for size in (404_900, 405_100):
        attrs = {"PK": {"S": "p"}, "SK": {"S": "s"}, "doc": {"S": "x" * (size - 10)}}
        outcomes = []
        for init in (Item.__init__, generic):
            try:
                init(Item.__new__(Item), DynamoType(attrs["PK"]), DynamoType(attrs["SK"]), attrs)
                outcomes.append("kept")
            except ItemSizeTooLarge:
                outcomes.append("refused")
        assert outcomes[0] == outcomes[1], size


@pytest.mark.parametrize("kind", ["S", "N", "B"])
def test_keys_compare_as_moto_compares_them(kind: str) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    rng = random.Random(7)
    raw = {"S": lambda: rng.choice(["a", "b", "é", "", "SVC#1", "SVC#10"]), "N": lambda: str(rng.randrange(-5, 50)),
           "B": lambda: base64.b64encode(bytes([rng.randrange(4)])).decode()}[kind]
    values = [DynamoType({kind: raw()}) for _ in range(60)]
    for a in values:
        for b in values:
            assert (a == b) == moto_speedups.GENERIC["eq"](a, b)
            assert (a != b) == moto_speedups.GENERIC["ne"](a, b)
            assert (a < b) == moto_speedups.GENERIC["lt"](a, b)
