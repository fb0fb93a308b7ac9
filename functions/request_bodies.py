"""JSON request bodies validated with pydantic: 400 naming each bad field, never a 500 or an echo of the input."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from shared.errors import BadRequest

M = TypeVar("M", bound=BaseModel)


def json_body(request: Request, model: type[M]) -> M:
    raw = request.raw_body or b""
    try:
        body: Any = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as error:
        raise BadRequest(
            "Le corps de la requête n'est pas du JSON valide.",
            message_en="The request body is not valid JSON.",
            code="invalid_json",
        ) from error
    if not isinstance(body, dict):
        raise BadRequest(
            "Le corps de la requête doit être un objet JSON.",
            message_en="The request body must be a JSON object.",
            code="invalid_body",
        )
    try:
        return model.model_validate(body)
    except ValidationError as error:
        # Field and reason only: the input is never echoed (it may hold a phone number).
        details = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
            for e in error.errors(include_url=False, include_input=False, include_context=False)
        ]
        fields = ", ".join(dict.fromkeys(d["field"] for d in details))
        raise BadRequest(
            f"Corps de requête invalide : {fields}.",
            message_en=f"Invalid request body: {fields}.",
            details=details,
            code="invalid_body",
        ) from None
