"""Validate API answers against the official HSDS 3.x compiled schemas (copied in tests/hsds_schema/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

SCHEMAS = Path(__file__).parent / "hsds_schema"


@cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> Draft7Validator:
    full = _schema("service_with_definitions.json")
    if kind == "service":
        schema = full
    elif kind in full["definitions"]:
        schema = {"$ref": f"#/definitions/{kind}", "definitions": full["definitions"]}
    elif kind == "service_list":
        schema = _schema("service_list.json")
    elif kind == "service_at_location_list":
        schema = _schema("service_at_location_list.json")
    elif kind == "organization_list":
        schema = _schema("organization_list.json")
    else:
        raise KeyError(kind)
    return Draft7Validator(schema, format_checker=FormatChecker())


def errors(kind: str, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(kind).iter_errors(document)]


def assert_valid(kind: str, document: Any) -> None:
    found = errors(kind, document)
    assert not found, f"{kind} does not validate against HSDS:\n" + "\n".join(found[:20])
