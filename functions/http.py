"""The Chalice application: route groups, error mapping and request context, set up once.

Every error answer is `{"error": {"code", "message", "details"}}` with the right status, in the caller's language;
never a stack trace. Domain errors map to statuses in `shared/errors.py`; Chalice's own errors (405, 415, ...) are
rewritten to the same shape by the middleware below.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import orjson
from chalice import Chalice, CognitoUserPoolAuthorizer, Response
from chalice.app import Request
from pydantic import ValidationError

from shared.config import get_settings
from shared.directory.models import Lang
from shared.directory.params import negotiate_language
from shared.errors import BadRequest, DomainError, InternalError
from shared.identity import Principal, authenticate
from shared.observability import logger, metrics

JSON = "application/json; charset=utf-8"
_CHALICE_CODES = {
    405: "method_not_allowed",
    415: "unsupported_media_type",
    400: "bad_request",
    404: "not_found",
    500: "internal_error",
}
_CHALICE_MESSAGES = {
    405: ("Méthode non permise sur cette ressource.", "Method not allowed on this resource."),
    415: ("Type de contenu non pris en charge.", "Unsupported media type."),
    500: ("Erreur interne; l'équipe a été avertie. Réessayez plus tard.", "Internal error; retry later."),
}


def json_response(body: Any, *, status: int = 200, lang: Lang | None = None, headers: dict[str, str] | None = None
                  ) -> Response:
    all_headers = {"Content-Type": JSON, **(headers or {})}
    if lang:
        all_headers["Content-Language"] = lang
    return Response(body=orjson.dumps(body).decode(), status_code=status, headers=all_headers)


def error_response(error: DomainError, lang: Lang) -> Response:
    return json_response(error.body(lang), status=error.status, lang=lang)


def request_language(request: Request | None) -> Lang:
    if request is None:
        return "fr"
    query = request.query_params or {}
    return negotiate_language(query.get("lang"), request.headers.get("accept-language"))


def request_principal(request: Request) -> Principal:
    """Who is calling (401 when no valid bearer token). Routes then check role and region scope."""
    return authenticate(request.headers.get("authorization"), get_settings())


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and validation errors raised by a view into error answers (Chalice would answer 500)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = request_language(_APP[0].current_request if _APP else None)
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            logger.info("request refused", status=error.status, code=error.code)
            return error_response(error, lang)
        except ValidationError as error:
            details = [
                {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                for e in error.errors(include_url=False)
            ]
            return error_response(
                BadRequest("Requête invalide.", message_en="Invalid request.", details=details), lang
            )
        except Exception:
            logger.exception("unhandled error")
            metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
            fr, en = _CHALICE_MESSAGES[500]
            return error_response(InternalError(fr, message_en=en), lang)

    return wrapper


def _normalise_chalice_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: correlation id in logs, Chalice's own `{"Code","Message"}` errors in our shape."""
    request_id = (event.context or {}).get("requestId") if event is not None else None
    if request_id:
        logger.set_correlation_id(request_id)
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        lang = request_language(event)
        status = response.status_code
        fr, en = _CHALICE_MESSAGES.get(status, (str(response.body.get("Message")), str(response.body.get("Message"))))
        body = DomainError(fr, message_en=en, code=_CHALICE_CODES.get(status, "error")).body(lang)
        response = json_response(body, status=status, lang=lang, headers={
            k: v for k, v in response.headers.items() if k.lower() == "allow"
        })
    if metrics.metric_set:
        metrics.flush_metrics()
    return response


_APP: list[Chalice] = []

# Modules of functions/ that expose a `blueprint` (routes and the Lambda functions of one concern). A new
# concern adds its module name here; nothing else in the app changes.
BLUEPRINTS: tuple[str, ...] = (
    "meta_api",
    "directory_api",
    "analytics_aggregator",
    "stats_api",
    "regions_api",
    "contacts_api",
    "connect_contact_flow",
    "connect_events",
    "admin_batches",
)


# API Gateway's Cognito user-pool authorizer for staff routes. It is attached when `referral211 package` builds
# the AWS template (REFERRAL211_PACKAGING=1); infra/template.yaml sets its providerARNs to the stack's user pool.
# At run time (Lambda, local stack, tests) routes carry no authorizer object: API Gateway has already checked the
# token in AWS, and every staff route verifies it again in-app (`request_principal`) before its scope checks.
STAFF_AUTHORIZER_NAME = "StaffUserPool"
STAFF: CognitoUserPoolAuthorizer | None = (
    CognitoUserPoolAuthorizer(
        STAFF_AUTHORIZER_NAME,
        provider_arns=["arn:aws:cognito-idp:ca-central-1:000000000000:userpool/set-by-infra-template"],
    )
    if os.environ.get("REFERRAL211_PACKAGING") == "1"
    else None
)


def create_app() -> Chalice:
    import importlib

    from chalice import CORSConfig

    app = Chalice(app_name="referral211")
    _APP[:] = [app]
    # The web pages (CloudFront, or the local web server) call the API from another origin. Bearer tokens, no
    # cookies: any origin may read public answers, and staff answers still need the token.
    app.api.cors = CORSConfig(
        allow_origin="*",
        allow_headers=["Accept-Language", "Idempotency-Key"],
        expose_headers=["Content-Disposition", "Location", "Retry-After"],
        max_age=600,
    )
    app.register_middleware(_normalise_chalice_errors, "http")
    for name in BLUEPRINTS:
        module = importlib.import_module(f"functions.{name}")
        app.register_blueprint(module.blueprint)
        # Request bodies a route group needs as raw bytes (zip, Windows-1252 CSV): API Gateway base64-encodes them.
        app.api.binary_types.extend(t for t in getattr(module, "BINARY_TYPES", ()) if t not in app.api.binary_types)
    return app
