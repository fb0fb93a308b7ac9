"""About the API: `GET /` (version, HSDS profile, OpenAPI URL), `GET /profile`, `GET /openapi.json`, `GET /me`."""

from __future__ import annotations

import copy

from chalice import Blueprint, Response

from functions.http import STAFF, handles_errors, json_response, request_language, request_principal
from shared.openapi import API_VERSION, HSDS_VERSION, PROFILE, build_openapi, complete_with_routes

blueprint = Blueprint(__name__)


def _base_url() -> str:
    request = blueprint.current_request
    headers = request.headers
    host = headers.get("host", "127.0.0.1:8000")
    scheme = headers.get("x-forwarded-proto", "http")
    stage = (request.context or {}).get("stage", "")
    # API Gateway's default endpoint carries the stage in the path; a custom domain or the local stack do not.
    prefix = f"/{stage}" if stage and host.endswith("amazonaws.com") else ""
    return f"{scheme}://{host}{prefix}"


@blueprint.route("/", methods=["GET"])
@handles_errors
def about() -> Response:
    base = _base_url()
    return json_response(
        {
            "version": API_VERSION,
            "hsds_version": HSDS_VERSION,
            "profile": f"{base}/profile",
            "openapi_url": f"{base}/openapi.json",
            "languages": ["fr", "en"],
        },
        lang=request_language(blueprint.current_request),
    )


@blueprint.route("/profile", methods=["GET"])
@handles_errors
def profile() -> Response:
    return json_response(PROFILE)


@blueprint.route("/openapi.json", methods=["GET"])
@handles_errors
def openapi() -> Response:
    from functions.http import _APP

    spec = copy.deepcopy(build_openapi())
    if _APP:
        complete_with_routes(spec, _APP[0].routes)
    spec["servers"] = [{"url": _base_url()}]
    return json_response(spec)


@blueprint.route("/me", methods=["GET"], authorizer=STAFF)
@handles_errors
def me() -> Response:
    principal = request_principal(blueprint.current_request)
    return json_response(
        {
            "username": principal.username,
            "roles": sorted(principal.roles),
            "regions": list(principal.scoped_regions()),
        }
    )
