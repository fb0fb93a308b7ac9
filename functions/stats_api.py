"""Analyst API: GET /stats (the table catalogue) and GET /stats/{table} (one table, JSON or CSV).

Role analyst (platform-admin too); an analyst sees only the regions of their token's scope. Thin: validate,
check scope, call `shared.analytics.queries.answer`, serialise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response

from functions.http import STAFF, handles_errors, json_response, request_language, request_principal
from shared.config import get_settings
from shared.directory.params import parse_params
from shared.errors import Forbidden
from shared.identity import Principal, require_regions, require_role

blueprint = Blueprint(__name__)
ANALYST_ROLES = ("analyst",)  # platform-admin passes every role check


def _analyst() -> Principal:
    principal = request_principal(blueprint.current_request)
    require_role(principal, *ANALYST_ROLES)
    return principal


@blueprint.route("/stats", methods=["GET"], authorizer=STAFF)
@handles_errors
def list_tables() -> Response:
    from shared.analytics.tables import TABLES

    lang = request_language(blueprint.current_request)
    principal = _analyst()
    return json_response(
        {
            "tables": [spec.describe(lang) for spec in TABLES.values()],
            "your_regions": list(_visible_regions(principal)),
            "suppression_threshold": get_settings().suppression_threshold,
        },
        lang=lang,
    )


@blueprint.route("/stats/{table}", methods=["GET"], authorizer=STAFF)
@handles_errors
def read_table(table: str) -> Response:
    from shared.analytics import queries
    from shared.analytics.counters import StatsStore
    from shared.analytics.csv_export import to_csv
    from shared.analytics.directory_names import directory_organizations

    request = blueprint.current_request
    lang = request_language(request)
    principal = _analyst()
    spec = queries.table_spec(table)
    params = parse_params(queries.StatsParams, dict(request.query_params or {}))
    regions = list(params.region) if params.region else list(_visible_regions(principal))
    if not regions:
        raise Forbidden(
            "Aucune région dans votre périmètre.",
            message_en="No region in your scope.",
            details={"your_regions": []},
        )
    require_regions(principal, regions)
    settings = get_settings()
    result = queries.answer(
        spec,
        params,
        regions=regions,
        store=StatsStore(settings.stats_table),
        threshold=settings.suppression_threshold,
        lang=lang,
        today=datetime.now(ZoneInfo("America/Montreal")).date(),
        organizations=directory_organizations(settings.directory_table),
    )
    if params.format == "csv":
        filename = f"{spec.name}_{result.first:%Y%m%d}_{result.last:%Y%m%d}.csv"
        return Response(
            body=to_csv(result, params.sep),  # bytes: text/csv is a binary type of the app (admin_batches)
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Language": lang,
            },
        )
    return json_response(result.to_json(), lang=lang)


def _visible_regions(principal: Principal) -> tuple[str, ...]:
    from shared.analytics.tables import UNKNOWN_REGION

    if principal.is_platform_admin:
        return (*principal.scoped_regions(), UNKNOWN_REGION)
    return principal.scoped_regions()
