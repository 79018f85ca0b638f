"""Public key material anyone needs to verify a label: the JWKS of every certification body,
each body's did:web document, and the operator's signed trust list (and a readable copy).
Public on purpose (see the route guard test)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify
from werkzeug.wrappers import Response

from label_cert.trust import MEDIA_TYPE
from portal.services import issuer_keys, trust_list
from portal.web import database, settings

blueprint = Blueprint("wellknown", __name__)


@blueprint.route("/.well-known/jwks.json")
def jwks() -> Response:
    """The public signing keys of every certification body (retired ones included)."""
    with database().unit_of_work() as db:
        keys = issuer_keys.published_jwks(db, host=settings().public_host)
    response = jsonify(keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.route("/bodies/<int:body_id>/did.json")
def did_document(body_id: int) -> Response:
    """The did:web document of one certification body."""
    with database().unit_of_work() as db:
        ring = issuer_keys.key_ring(db, body_id=body_id, host=settings().public_host)
    if ring is None:
        abort(404)
    document: dict[str, Any] = ring.did_web_document(settings().public_host,
                                                     f"bodies/{body_id}")
    return jsonify(document)


@blueprint.route("/trust-list.jwt")
def trust_list_jwt() -> Response:
    """The operator's signed trust list (bodies' keys, the log's key), for `pcf verify
    --update-trust`; its sequence number rises with every change."""
    with database().unit_of_work() as db:
        signed = trust_list.current(db, host=settings().public_host,
                                    instance=settings().instance_path)
    response = Response(signed.token + "\n", mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=300"  # as the JWKS: keys change rarely
    response.headers["Content-Disposition"] = 'inline; filename="trust-list.jwt"'
    return response


@blueprint.route("/trust-list.json")
def trust_list_json() -> Response:
    """The same trust list for people to read (unsigned; verifiers pin the .jwt)."""
    with database().unit_of_work() as db:
        signed = trust_list.current(db, host=settings().public_host,
                                    instance=settings().instance_path)
    response = jsonify(trust_list.document(signed))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
