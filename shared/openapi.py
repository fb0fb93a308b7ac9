"""`GET /openapi.json`: built from the same pydantic models that validate each route's parameters.

Record schemas point at the official HSDS 3.x compiled schemas, as the HSDS OpenAPI does; our extensions are
listed in the profile (`PROFILE`) and described on each parameter.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from shared.directory.params import (
    ItemParams,
    ListParams,
    OrganizationItemParams,
    OrganizationListParams,
    TaxonomyListParams,
    TaxonomyTermListParams,
)
from shared.search.params import SearchParams

API_VERSION = "0.1.0"
HSDS_VERSION = "3.0"
HSDS_SCHEMA = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema"

PROFILE: dict[str, Any] = {
    "name": "referral211 Québec profile of HSDS 3.0",
    "hsds_version": HSDS_VERSION,
    "languages": {
        "description": (
            "Text is stored in French and English side by side. Each response is in one language, chosen by "
            "the `lang` parameter or Accept-Language (French by default); a field with no translation falls "
            "back to the other language. The response's Content-Language header names the language."
        ),
        "supported": ["fr", "en"],
    },
    "extensions": {
        "region": "Owning Québec administrative region (01..17) on organization, service, service_at_location",
        "service_area.area_type": "region, mrc, municipality or fsa",
        "service_area.area_code": "The area's code (region 02, FSA G8B, ...)",
        "service_at_location.service": "A summary of the service in list answers",
        "taxonomy_term.airs_codes": "AIRS/211 codes a category covers",
    },
    "parameters": {
        "region": "Filter by owning region code(s), comma-separated",
        "status": "Statuses to include; default active and temporarily closed",
        "lang": "Response language: fr or en",
        "channel": "web, phone or chat (or the X-Channel header): which channel a lookup answers",
    },
    "taxonomy": "Catégories 211 Québec: an open bilingual two-level category list shipped with the platform",
}


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None) or ""
        prop.pop("title", None)
        if prop.get("default", 0) is None:
            prop.pop("default")
        if "anyOf" in prop:
            options = [p for p in prop.pop("anyOf") if p.get("type") != "null"]
            if len(options) == 1:
                prop.update(options[0])
            else:
                prop["anyOf"] = options
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(prop.get(bound), int | float) and not isinstance(prop.get(bound), bool):
                prop[limit] = prop[bound]  # OpenAPI 3.0 spells exclusive bounds as booleans
                prop[bound] = True
        if prop.get("type") == "array":
            description = (description + " (comma-separated)").strip()
            prop = {"type": "string"}
        parameters.append(
            {"name": name, "in": "query", "required": False, "description": description, "schema": prop}
        )
    return parameters


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _error_responses(*codes: str) -> dict[str, Any]:
    descriptions = {
        "400": "Invalid parameter (details name each one)",
        "401": "Missing, expired or invalid bearer token",
        "403": "Role or region outside the token's scope",
        "404": "No record with this id",
        "409": "Conflict with the current state (closed contact, concurrent change); read again and retry",
        "413": "Request body too large",
        "415": "Unsupported Content-Type",
        "422": "Values that are well-formed but unknown or inconsistent (details name each one)",
        "503": "A dependency is briefly unavailable; retry",
    }
    return {
        code: {"description": descriptions[code], "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Error"}}}}
        for code in codes
    }


def _page_of(item_schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"allOf": [
                {"$ref": "#/components/schemas/Page"},
                {"type": "object", "properties": {"contents": {"type": "array", "items": {
                    "$ref": f"{HSDS_SCHEMA}/{item_schema}"}}}},
            ]}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "format=ndjson: one record a line"}},
        },
    }


def _record(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": f"{HSDS_SCHEMA}/{schema}"}}}}


@lru_cache(maxsize=1)
def build_openapi() -> dict[str, Any]:
    def get(summary: str, params: type[BaseModel], ok: dict[str, Any], *, path_id: str | None = None,
            errors: tuple[str, ...] = ("400", "503"), tags: tuple[str, ...] = ("directory",)) -> dict[str, Any]:
        parameters = _parameters(params)
        if path_id:
            parameters = [_path_id(path_id), *parameters]
        return {"get": {"summary": summary, "tags": list(tags), "parameters": parameters,
                        "responses": {"200": ok, **_error_responses(*errors)}}}

    paths: dict[str, Any] = {
        "/": {"get": {"summary": "API information: version, HSDS profile, OpenAPI URL", "tags": ["meta"],
                      "responses": {"200": {"description": "About this API", "content": {"application/json": {
                          "schema": {"type": "object", "properties": {
                              "version": {"type": "string"}, "profile": {"type": "string", "format": "uri"},
                              "openapi_url": {"type": "string", "format": "uri"}}}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "tags": ["meta"],
                                  "responses": {"200": {"description": "OpenAPI 3.0 document"}}}},
        "/profile": {"get": {"summary": "The HSDS profile: every extension this API adds", "tags": ["meta"],
                             "responses": {"200": {"description": "Profile"}}}},
        "/me": {"get": {"summary": "Who the bearer token says you are: roles and region scope", "tags": ["identity"],
                        "security": [{"bearer": []}],
                        "responses": {"200": {"description": "The caller"}, **_error_responses("401")}}},
        "/services": get("Services: relevance search, places, hours, filters (AND); ndjson streams all", ListParams,
                         _page_of("compiled/service_list.json", "A page of services")),
        "/services/{id}": get("One fully nested service", ItemParams,
                              _record("compiled/service.json", "The service"), path_id="id",
                              errors=("400", "404", "503")),
        "/service_at_locations": get("Services at their locations", ListParams,
                                     _page_of("compiled/service_at_location_list.json",
                                              "A page of service_at_locations")),
        "/service_at_locations/{id}": get("One fully nested service_at_location", ItemParams,
                                          _record("service_at_location.json", "The service at its location"),
                                          path_id="id", errors=("400", "404", "503")),
        "/organizations": get("Organizations", OrganizationListParams,
                              _page_of("compiled/organization_list.json", "A page of organizations")),
        "/organizations/{id}": get("One organization with its services", OrganizationItemParams,
                                   _record("compiled/organization.json", "The organization"), path_id="id",
                                   errors=("400", "404", "503")),
        "/taxonomies": get("Taxonomies", TaxonomyListParams,
                           _page_of("taxonomy.json", "A page of taxonomies"), tags=("taxonomy",)),
        "/taxonomies/{id}": get("One taxonomy", ItemParams, _record("taxonomy.json", "The taxonomy"),
                                path_id="id", errors=("400", "404"), tags=("taxonomy",)),
        "/taxonomy_terms": get("Categories (top_only, parent_id, search)", TaxonomyTermListParams,
                               _page_of("taxonomy_term.json", "A page of taxonomy terms"), tags=("taxonomy",)),
        "/taxonomy_terms/{id}": get("One category", ItemParams, _record("taxonomy_term.json", "The term"),
                                    path_id="id", errors=("400", "404"), tags=("taxonomy",)),
    }
    search_parameters = _parameters(SearchParams)
    for path in ("/services", "/service_at_locations", "/organizations"):
        operation = paths[path]["get"]
        known = {p["name"] for p in operation["parameters"]}
        operation["parameters"] += [p for p in search_parameters if p["name"] not in known]
        operation["responses"].update(_error_responses("422"))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "referral211 API",
            "version": API_VERSION,
            "description": "HSDS 3.0 directory API of a 211 service (Québec profile), bilingual French/English.",
            "license": {"name": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Page": {"type": "object", "properties": {
                    "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
                    "page_number": {"type": "integer"}, "size": {"type": "integer"},
                    "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
                    "empty": {"type": "boolean"}, "contents": {"type": "array", "items": {}}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message", "details"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "details": {"oneOf": [{"type": "array", "items": {"type": "object"}},
                                              {"type": "object"}]}}}}},
            },
        },
    }


def complete_with_routes(spec: dict[str, Any], routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add every Chalice route the hand-written part does not describe (staff routes of later concerns), from
    the view's docstring, its path parameters and the bearer security they use; nothing is left undocumented."""
    paths = spec["paths"]
    for path, methods in sorted(routes.items()):
        for method, entry in methods.items():
            operation = paths.setdefault(path, {}).get(method.lower())
            if operation is not None:
                continue
            doc = (entry.view_function.__doc__ or entry.view_name).strip().splitlines()[0]
            public = path in ("/regions", "/regions/{code}", "/routing")
            operation = {
                "summary": doc,
                "tags": [path.strip("/").split("/")[0] or "meta"],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in entry.view_args
                ],
                "responses": {
                    "200": {"description": "Success"},
                    **_error_responses("400", "404", "409", "422", "503"),
                    **({} if public else _error_responses("401", "403")),
                },
            }
            if not public:
                operation["security"] = [{"bearer": []}]
            if method in ("POST", "PUT"):
                operation["requestBody"] = {"content": {ct: {"schema": {}} for ct in entry.content_types}}
            paths[path][method.lower()] = operation
    return spec
