"""Public key material anyone needs to verify a label: the JWKS of every certification body
and each body's did:web document. Public on purpose (see the route guard test)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify
from werkzeug.wrappers import Response

from portal.services import issuer_keys
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
