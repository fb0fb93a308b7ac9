"""Regions and their phone and chat lines: `GET /regions`, `GET /regions/{code}`, `GET /routing` (public) and
`PUT /admin/regions/{code}` (platform admins).

Thin: validate, call `shared.channels`, serialise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.channel_services import region_store
from functions.http import STAFF, handles_errors, json_response, request_language, request_principal
from functions.request_bodies import json_body
from shared.channels.region_config import COMMON, RegionSettings, render_region
from shared.directory.models import REGION_CODES, Lang
from shared.directory.params import parse_params
from shared.identity import require_role

blueprint = Blueprint(__name__)


class RegionsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang | None = None
    at: datetime | None = Field(
        default=None, description="Evaluate at this instant instead of now (ISO 8601)"
    )


class RoutingParams(RegionsParams):
    channel: Literal["phone", "chat"] = Field(description="phone or chat")
    postal_code: str | None = Field(
        default=None, max_length=10, description="The caller's postal code or FSA"
    )
    region: str | None = Field(default=None, max_length=2, description="Region code 01..17")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _pairs(self) -> RoutingParams:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng go together")
        return self


def _query() -> dict[str, str]:
    return dict(blueprint.current_request.query_params or {})


def _instant(params: RegionsParams) -> datetime:
    if params.at is None:
        return datetime.now(UTC)
    return params.at if params.at.tzinfo else params.at.replace(tzinfo=UTC)


@blueprint.route("/regions", methods=["GET"])
@handles_errors
def list_regions() -> Response:
    params = parse_params(RegionsParams, _query())
    lang = request_language(blueprint.current_request)
    at = _instant(params)
    configs = region_store().all()
    return json_response(
        {
            "regions": [render_region(configs[code], at, lang) for code in REGION_CODES],
            "common_centre": render_region(configs[COMMON], at, lang),
        },
        lang=lang,
        headers={"Cache-Control": "public, max-age=60"},
    )


@blueprint.route("/regions/{code}", methods=["GET"])
@handles_errors
def get_region(code: str) -> Response:
    params = parse_params(RegionsParams, _query())
    lang = request_language(blueprint.current_request)
    return json_response(
        render_region(region_store().get(code), _instant(params), lang),
        lang=lang,
        headers={"Cache-Control": "public, max-age=60"},
    )


@blueprint.route("/admin/regions/{code}", methods=["PUT"], authorizer=STAFF)
@handles_errors
def put_region(code: str) -> Response:
    principal = request_principal(blueprint.current_request)
    require_role(principal, "platform-admin")
    lang = request_language(blueprint.current_request)
    region_store().get(code)  # 404 on an unknown code before reading the body
    settings = json_body(blueprint.current_request, RegionSettings)
    config = region_store().update(code, settings)
    return json_response(render_region(config, datetime.now(UTC), lang, admin=True), lang=lang)


@blueprint.route("/routing", methods=["GET"])
@handles_errors
def routing() -> Response:
    from shared.channels.routing import decide
    from shared.channels.territory import resolve

    params = parse_params(RoutingParams, _query())
    lang = request_language(blueprint.current_request)
    territory = resolve(postal_code=params.postal_code, region=params.region, lat=params.lat, lng=params.lng)
    decision = decide(params.channel, territory, region_store().all(), _instant(params))
    return json_response(decision.to_json(lang), lang=lang, headers={"Cache-Control": "no-store"})
