"""Contacts recorded by intervenants (role agent): `POST /contacts`, `POST /contacts/{id}/needs`,
`/referrals`, `/unmet_needs`, `/close`, and `GET /contacts/{id}`.

Thin: authenticate, validate the body, call `shared.channels.contacts`, serialise.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from functions.channel_services import contact_service
from functions.http import STAFF, handles_errors, json_response, request_language, request_principal
from functions.request_bodies import json_body
from shared.channels.contacts import CloseContact, RecordNeeds, RecordReferral, RecordUnmetNeed, StartContact

blueprint = Blueprint(__name__)
_PRIVATE = {"Cache-Control": "no-store"}


def _answer(body: dict[str, object], status: int = 200) -> Response:
    return json_response(
        body, status=status, lang=request_language(blueprint.current_request), headers=_PRIVATE
    )


@blueprint.route("/contacts", methods=["POST"], authorizer=STAFF)
@handles_errors
def start_contact() -> Response:
    principal = request_principal(blueprint.current_request)
    request = json_body(blueprint.current_request, StartContact)
    return _answer(contact_service().start(principal, request), status=201)


@blueprint.route("/contacts/{contact_id}", methods=["GET"], authorizer=STAFF)
@handles_errors
def get_contact(contact_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    return _answer(contact_service().get(principal, contact_id))


@blueprint.route("/contacts/{contact_id}/needs", methods=["POST"], authorizer=STAFF)
@handles_errors
def record_needs(contact_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    request = json_body(blueprint.current_request, RecordNeeds)
    return _answer(contact_service().record_needs(principal, contact_id, request), status=201)


@blueprint.route("/contacts/{contact_id}/referrals", methods=["POST"], authorizer=STAFF)
@handles_errors
def record_referral(contact_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    request = json_body(blueprint.current_request, RecordReferral)
    return _answer(contact_service().record_referral(principal, contact_id, request), status=201)


@blueprint.route("/contacts/{contact_id}/unmet_needs", methods=["POST"], authorizer=STAFF)
@handles_errors
def record_unmet_need(contact_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    request = json_body(blueprint.current_request, RecordUnmetNeed)
    return _answer(contact_service().record_unmet_need(principal, contact_id, request), status=201)


@blueprint.route("/contacts/{contact_id}/close", methods=["POST"], authorizer=STAFF)
@handles_errors
def close_contact(contact_id: str) -> Response:
    principal = request_principal(blueprint.current_request)
    request = json_body(blueprint.current_request, CloseContact)
    return _answer(contact_service().close(principal, contact_id, request))
