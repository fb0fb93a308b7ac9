"""`connect_contact_flow`: the Lambda function an Amazon Connect flow invokes ("Invoke AWS Lambda function" block).

Thin: read the region configurations (cached), let `shared.channels.connect_flow` answer, remember the contact's
route for the contact-event consumer, return the flat string map. It never raises: on any failure the flow still
gets an answer (the common centre) with `error` set, well inside Connect's 8-second budget.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from shared.config import get_settings

blueprint = Blueprint(__name__)

FALLBACK: dict[str, str] = {
    "route": "common_centre",
    "open": "true",
    "reason": "error",
    "queue_arn": "",
    "queue_name": "referral211-common-phone",
    "message": "",
    "error": "internal_error",
}


def handle(event: dict[str, Any], context: Any = None, *, now: datetime | None = None) -> dict[str, str]:
    from functions.channel_services import channels_repository
    from shared.channels.connect_flow import answer, route_expiry
    from shared.channels.repository import ConnectRoute
    from shared.channels.resources import top_open_resources
    from shared.observability import logger, metrics

    started = time.perf_counter()
    settings = get_settings()
    now = now or datetime.now(UTC)
    try:
        from functions.channel_services import region_store

        finder = functools.partial(top_open_resources, directory_table=settings.directory_table)
        out, request, decision = answer(
            event, region_store().all(), now=now, find_resources=finder, web_url=settings.web_directory_url
        )
    except Exception:
        logger.exception("contact flow answer failed")
        metrics.add_metric(name="ContactFlowErrors", unit="Count", value=1)
        return dict(FALLBACK)
    if request.contact_id and decision is not None:
        try:
            channels_repository().put_connect_route(
                request.contact_id,
                ConnectRoute(
                    region=request.territory.region,
                    fsa=request.territory.fsa,
                    language=request.language,
                    channel=request.channel or "task",
                    route=decision.route,
                ),
                route_expiry(now),
            )
        except Exception:  # analytics enrichment only: the caller's routing must not wait on it
            logger.warning("contact route not recorded")
    logger.info(
        "contact flow answered",
        route=out.get("route"),
        reason=out.get("reason"),
        region=out.get("region") or "unknown",
        channel=request.channel_raw[:16],
        resources=out.get("resources_status", ""),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return out


@blueprint.lambda_function(name="connect_contact_flow")
def connect_contact_flow(event: dict[str, Any], context: Any) -> dict[str, str]:
    return handle(event, context)
