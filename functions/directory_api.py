"""HSDS 3.x directory read routes (public): services, service_at_locations, organizations, taxonomies.

Thin: validate parameters, call `shared.directory.reads`, publish the lookup event, serialise.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson
from chalice import Blueprint, Response

from functions.http import handles_errors, json_response, request_language
from shared.config import get_settings
from shared.directory import reads
from shared.directory.lookups import Route, lookup_event, publish_lookup
from shared.directory.params import (
    ItemParams,
    ListParams,
    OrganizationItemParams,
    OrganizationListParams,
    TaxonomyListParams,
    TaxonomyTermListParams,
    parse_params,
)
from shared.directory.repository import DirectoryRepository

blueprint = Blueprint(__name__)


@lru_cache(maxsize=4)
def _reader(table: str) -> reads.DirectoryReader:
    return reads.DirectoryReader(DirectoryRepository(table))


def reader() -> reads.DirectoryReader:
    return _reader(get_settings().directory_table)


def _query() -> dict[str, str]:
    return dict(blueprint.current_request.query_params or {})


def _channel(params: Any) -> str:
    header = blueprint.current_request.headers.get("x-channel", "")
    chosen = params.channel or (header if header in ("web", "phone", "chat") else None)
    return chosen or get_settings().default_channel


def _ndjson(records: Iterable[dict[str, Any]], lang: str) -> Response:
    body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    return Response(
        body=body.decode(),
        status_code=200,
        headers={"Content-Type": "application/x-ndjson; charset=utf-8", "Content-Language": lang},
    )


def _record_lookup(route: Route, params: Any, lang: str, count: int) -> None:
    publish_lookup(
        get_settings().event_bus_name,
        lookup_event(
            route=route,
            channel=_channel(params),
            language=lang,
            result_count=count,
            regions=getattr(params, "region", None),
            taxonomy_term_id=getattr(params, "taxonomy_term_id", None),
        ),
    )


def _answers_a_person(params: ListParams) -> bool:
    """A list with filters answers someone's need; a bare full export (sync, ndjson) is not a lookup."""
    return params.format == "json" and bool(params.region or params.taxonomy_term_id or params.organization_id)


@blueprint.route("/services", methods=["GET"])
@handles_errors
def list_services() -> Response:
    params = parse_params(ListParams, _query())
    lang = request_language(blueprint.current_request)
    if params.format == "ndjson":
        return _ndjson(reader().stream_services(params, lang), lang)
    page = reader().list_services(params, lang)
    if _answers_a_person(params):
        _record_lookup("services", params, lang, page.total_items)
    return json_response(page.to_json(), lang=lang)


@blueprint.route("/services/{service_id}", methods=["GET"])
@handles_errors
def get_service(service_id: str) -> Response:
    params = parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    body, service = reader().get_service(service_id, lang)
    publish_lookup(
        get_settings().event_bus_name,
        lookup_event(
            route="service",
            channel=_channel(params),
            language=lang,
            result_count=1,
            regions=[service.region],
            taxonomy_term_id=service.taxonomy_term_ids[0] if service.taxonomy_term_ids else None,
        ),
    )
    return json_response(body, lang=lang)


@blueprint.route("/service_at_locations", methods=["GET"])
@handles_errors
def list_service_at_locations() -> Response:
    params = parse_params(ListParams, _query())
    lang = request_language(blueprint.current_request)
    if params.format == "ndjson":
        return _ndjson(reader().stream_service_at_locations(params, lang), lang)
    page = reader().list_service_at_locations(params, lang)
    if _answers_a_person(params):
        _record_lookup("service_at_locations", params, lang, page.total_items)
    return json_response(page.to_json(), lang=lang)


@blueprint.route("/service_at_locations/{sal_id}", methods=["GET"])
@handles_errors
def get_service_at_location(sal_id: str) -> Response:
    params = parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    body, service = reader().get_service_at_location(sal_id, lang)
    publish_lookup(
        get_settings().event_bus_name,
        lookup_event(
            route="service_at_location",
            channel=_channel(params),
            language=lang,
            result_count=1,
            regions=[service.region],
            taxonomy_term_id=service.taxonomy_term_ids[0] if service.taxonomy_term_ids else None,
        ),
    )
    return json_response(body, lang=lang)


@blueprint.route("/organizations", methods=["GET"])
@handles_errors
def list_organizations() -> Response:
    params = parse_params(OrganizationListParams, _query())
    lang = request_language(blueprint.current_request)
    if params.format == "ndjson":
        params = params.model_copy(update={"page": 1, "per_page": 10**9})
        return _ndjson(reader().list_organizations(params, lang).contents, lang)
    page = reader().list_organizations(params, lang)
    if _answers_a_person(params):
        _record_lookup("organizations", params, lang, page.total_items)
    return json_response(page.to_json(), lang=lang)


@blueprint.route("/organizations/{org_id}", methods=["GET"])
@handles_errors
def get_organization(org_id: str) -> Response:
    params = parse_params(OrganizationItemParams, _query())
    lang = request_language(blueprint.current_request)
    return json_response(reader().get_organization(org_id, lang, full_service=params.full_service), lang=lang)


@blueprint.route("/taxonomies", methods=["GET"])
@handles_errors
def list_taxonomies() -> Response:
    params = parse_params(TaxonomyListParams, _query())
    lang = request_language(blueprint.current_request)
    return json_response(reads.list_taxonomies(params, lang).to_json(), lang=lang)


@blueprint.route("/taxonomies/{taxonomy_id}", methods=["GET"])
@handles_errors
def get_taxonomy(taxonomy_id: str) -> Response:
    parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    return json_response(reads.get_taxonomy(taxonomy_id, lang), lang=lang)


@blueprint.route("/taxonomy_terms", methods=["GET"])
@handles_errors
def list_taxonomy_terms() -> Response:
    params = parse_params(TaxonomyTermListParams, _query())
    lang = request_language(blueprint.current_request)
    if params.format == "ndjson":
        params = params.model_copy(update={"page": 1, "per_page": 10**9})
        return _ndjson(reads.list_taxonomy_terms(params, lang).contents, lang)
    return json_response(reads.list_taxonomy_terms(params, lang).to_json(), lang=lang)


@blueprint.route("/taxonomy_terms/{term_id}", methods=["GET"])
@handles_errors
def get_taxonomy_term(term_id: str) -> Response:
    parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    return json_response(reads.render_term(term_id, lang), lang=lang)
