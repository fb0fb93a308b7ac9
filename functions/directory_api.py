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
from shared.directory import reads, taxonomy
from shared.directory.lookups import Route, lookup_event, publish_lookup
from shared.directory.models import Service
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
from shared.errors import BadRequest
from shared.search.params import SEARCH_ONLY_PARAMETERS, SearchParams

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


def _record_lookup(route: Route, params: Any, search: SearchParams | None, lang: str, count: int) -> None:
    from shared.analytics.scrub import scrub_search_term

    text = search.search if search else None
    regions = (search.region if search else None) or getattr(params, "region", None)
    publish_lookup(
        get_settings().event_bus_name,
        lookup_event(
            route=route,
            channel=_channel(params),
            language=lang,
            result_count=count,
            regions=regions,
            taxonomy_term_id=getattr(params, "taxonomy_term_id", None),
            searched=bool(text),
            search_term=scrub_search_term(text) if text else None,
            fsa=search.postcode[:3].upper() if search and search.postcode else None,
        ),
    )


def _answers_a_person(params: ListParams, search: SearchParams) -> bool:
    """A search, or a list narrowed by a filter, answers someone's need; a bare export is not a lookup."""
    return params.format == "json" and (
        search.is_search_request() or bool(params.region or params.taxonomy_term_id or params.organization_id)
    )


def _parse_list(model: type[ListParams]) -> tuple[ListParams, SearchParams]:
    """The HSDS list parameters and the search parameters of one request (each validates its own)."""
    query = _query()
    search_only = set(SEARCH_ONLY_PARAMETERS) | {"sort"}
    params = parse_params(model, {k: v for k, v in query.items() if k not in search_only})
    return params, SearchParams.from_query(query)


def _listed(entity: str, params: ListParams, search: SearchParams, lang: str) -> reads.Page | None:
    """A page through the search index (relevance, places, hours; cheap at any size), or None when the
    plain DynamoDB listing must answer (ndjson exports; no index published yet for a plain list)."""
    from shared.search import engine

    if params.taxonomy_id and params.taxonomy_id != taxonomy.get_taxonomy().id:
        return reads.Page([], 0, params.page, params.per_page)
    if params.format != "json":
        return None
    if not search.is_search_request() and not engine.default_engine().provider.partitions():
        return None
    result = engine.search(search, entity, params.page, params.per_page, lang)  # type: ignore[arg-type]
    page = reader().page_from_hits(entity, result.hits, result.total, params, lang)
    if search.facets:
        page.extra["facets"] = result.facets
    if result.suggestions:
        page.extra["suggestions"] = result.suggestions
    if result.notices:
        page.extra["notices"] = result.notices
    return page


def _list(route: Route, entity: str, model: type[ListParams]) -> Response:
    params, search = _parse_list(model)
    lang = request_language(blueprint.current_request)
    page = _listed(entity, params, search, lang)
    if page is None:
        if params.format == "ndjson":
            if search.is_search_request():
                raise BadRequest(
                    "format=ndjson exporte la liste complète; la recherche et les filtres de lieu ou "
                    "d'heures se paginent en JSON.",
                    message_en="format=ndjson exports the whole list; search, place and hours filters page "
                    "in JSON.",
                    details=[{"parameter": "format", "reason": "ndjson cannot be combined with search filters"}],
                    code="invalid_parameter",
                )
            records = {
                "service": reader().stream_services,
                "service_at_location": reader().stream_service_at_locations,
                "organization": reader().stream_organizations,
            }[entity](params, lang)  # type: ignore[operator]
            return _ndjson(records, lang)
        page = {
            "service": reader().list_services,
            "service_at_location": reader().list_service_at_locations,
            "organization": reader().list_organizations,
        }[entity](params, lang)  # type: ignore[operator]
    if _answers_a_person(params, search):
        _record_lookup(route, params, search, lang, page.total_items)
    return json_response(page.to_json(), lang=lang)


def _one_record(route: Route, params: ItemParams, body: dict[str, Any], service: Service, lang: str) -> Response:
    """One listing shown to a person is a lookup of its region and first category."""
    publish_lookup(
        get_settings().event_bus_name,
        lookup_event(
            route=route,
            channel=_channel(params),
            language=lang,
            result_count=1,
            regions=[service.region],
            taxonomy_term_id=service.taxonomy_term_ids[0] if service.taxonomy_term_ids else None,
        ),
    )
    return json_response(body, lang=lang)


@blueprint.route("/services", methods=["GET"])
@handles_errors
def list_services() -> Response:
    return _list("services", "service", ListParams)


@blueprint.route("/services/{service_id}", methods=["GET"])
@handles_errors
def get_service(service_id: str) -> Response:
    params = parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    body, service = reader().get_service(service_id, lang)
    return _one_record("service", params, body, service, lang)


@blueprint.route("/service_at_locations", methods=["GET"])
@handles_errors
def list_service_at_locations() -> Response:
    return _list("service_at_locations", "service_at_location", ListParams)


@blueprint.route("/service_at_locations/{sal_id}", methods=["GET"])
@handles_errors
def get_service_at_location(sal_id: str) -> Response:
    params = parse_params(ItemParams, _query())
    lang = request_language(blueprint.current_request)
    body, service = reader().get_service_at_location(sal_id, lang)
    return _one_record("service_at_location", params, body, service, lang)


@blueprint.route("/organizations", methods=["GET"])
@handles_errors
def list_organizations() -> Response:
    return _list("organizations", "organization", OrganizationListParams)


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
