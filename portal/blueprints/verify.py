"""The public verification page behind the QR code (GS1 Digital Link /01/{GTIN}/21/{serial}),
its QR code, printable label, token and offline bundle; the bodies' signed status lists; and
the transparency log's checkpoint, leaves and proofs. Public on purpose; rate-limited."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request

from label_cert import qr
from label_cert.errors import LabelImageError
from label_cert.vc_jwt import read_token
from portal.extensions import limiter
from portal.services import bundles, status_lists, transparency_log, verification
from portal.services.errors import InvalidInput, NotFound
from portal.services.labels import find_label
from portal.web import database, settings

blueprint = Blueprint("verify", __name__)
LIMIT = "120 per minute"


@blueprint.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[Response, int]:
    return jsonify({"error": str(exc)}), 404


@blueprint.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput) -> tuple[Response, int]:
    return jsonify({"errors": exc.errors}), 400


def _uri(gtin: str, serial: str) -> str:
    return qr.digital_link(f"https://{settings().public_host}", gtin, serial)


@blueprint.route("/01/<gtin>/21/<serial>")
@limiter.limit(LIMIT)
def label(gtin: str, serial: str) -> str:
    """Verify a label from its QR code and show the result."""
    with database().unit_of_work() as db:
        result = verification.verify(db, gtin=gtin, serial=serial,
                                     host=settings().public_host,
                                     instance=settings().instance_path)
        label_row = result.label
        facts = {"gtin": gtin, "serial": serial}
        if label_row is not None:
            facts["issued"] = label_row.issued_at.date().isoformat()
            facts["valid_until"] = label_row.valid_until.date().isoformat()
    subject = result.credential.get("credentialSubject", {})
    return render_template("verify/label.html", result=result, subject=subject, facts=facts)


@blueprint.route("/01/<gtin>/21/<serial>/verification.json")
@limiter.limit(LIMIT)
def label_json(gtin: str, serial: str) -> Response:
    """The page's verdict and checks for machines (a customs or retail system): the verdict,
    each check with its outcome and detail, and the verified credential."""
    with database().unit_of_work() as db:
        result = verification.verify(db, gtin=gtin, serial=serial,
                                     host=settings().public_host,
                                     instance=settings().instance_path)
    response = jsonify({
        "uri": _uri(gtin, serial) if result.label is not None else None,
        "verdict": result.verdict,
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail}
                   for c in result.checks],
        "credential": result.credential or None,
    })
    response.headers["Cache-Control"] = "no-store"  # the status is read live
    return response


@blueprint.route("/01/<gtin>/21/<serial>/qr.svg")
@limiter.limit(LIMIT)
def qr_code(gtin: str, serial: str) -> Response:
    """The QR code of a label's verification URI."""
    try:
        svg = qr.qr_svg(_uri(gtin, serial))
    except LabelImageError:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")


@blueprint.route("/01/<gtin>/21/<serial>/label.png")
@limiter.limit(LIMIT)
def label_image(gtin: str, serial: str) -> Response:
    """The printable label (value, unit, grade, QR) in Chinese, or English with ?lang=en."""
    with database().unit_of_work() as db:
        row = find_label(db, gtin, serial)
        if row is None:
            abort(404)
        claims = read_token(row.token, "label").claims  # our own token, stored
    subject = claims.get("credentialSubject", {})
    png = qr.label_png(
        value=subject.get("footprint", {}).get("pcf_excluding_biogenic_uptake", "?"),
        declared_unit=subject.get("declaredUnit", ""), grade=subject.get("grade", ""),
        uri=_uri(gtin, serial), product=subject.get("product", {}).get("name", ""),
        locale="en" if request.args.get("lang") == "en" else "zh_CN")
    return Response(png, mimetype="image/png")


@blueprint.route("/01/<gtin>/21/<serial>/label.jwt")
@limiter.limit(LIMIT)
def label_token(gtin: str, serial: str) -> Response:
    """The label itself: its compact JWS, for `pcf verify`."""
    with database().unit_of_work() as db:
        token = bundles.label_for(db, gtin=gtin, serial=serial).token
    response = Response(token + "\n", mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="{serial}.jwt"'
    return response


@blueprint.route("/01/<gtin>/21/<serial>/bundle.json")
@limiter.limit(LIMIT)
def bundle(gtin: str, serial: str) -> Response:
    """Everything `pcf verify` needs to check the label offline: keys, signed status lists,
    a signed checkpoint and the label's inclusion proof."""
    with database().unit_of_work() as db:
        document = bundles.bundle(db, gtin=gtin, serial=serial, host=settings().public_host,
                                  instance=settings().instance_path)
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"  # its status lists are signed just now
    response.headers["Content-Disposition"] = f'attachment; filename="{serial}.bundle.json"'
    return response


@blueprint.route("/status/<int:body_id>/<purpose>")
@limiter.limit(LIMIT)
def status_list(body_id: int, purpose: str) -> Response:
    """A body's revocation or suspension list, signed, valid for a day, fresh for its ttl."""
    with database().unit_of_work() as db:
        signed = status_lists.signed_list(db, body_id=body_id, purpose=purpose)
    response = Response(signed.token, mimetype="application/vc+jwt")
    response.headers["Cache-Control"] = f"public, max-age={int(signed.ttl.total_seconds())}"
    return response


@blueprint.route("/log/checkpoint")
@limiter.limit(LIMIT)
def checkpoint() -> Response:
    """The latest signed checkpoint of the transparency log, with the log's public key."""
    with database().unit_of_work() as db:
        row = transparency_log.latest_checkpoint(db)
        document = transparency_log.checkpoint_document(row, settings().instance_path)
    return jsonify(document)


@blueprint.route("/log/proof/<int:index>")
@limiter.limit(LIMIT)
def proof(index: int) -> Response:
    """The inclusion proof of one leaf against the latest checkpoint."""
    with database().unit_of_work() as db:
        size = transparency_log.latest_checkpoint(db).size
        document = transparency_log.inclusion_proof(db, index, size)
    return jsonify(document)


@blueprint.route("/log/consistency")
@limiter.limit(LIMIT)
def consistency() -> Response:
    """The consistency proof from tree size `from` to `to` (default: the latest checkpoint)."""
    with database().unit_of_work() as db:
        document = transparency_log.consistency_proof(db, request.args.get("from"),
                                                      request.args.get("to"))
    return jsonify(document)


@blueprint.route("/log/leaf/<int:index>")
@limiter.limit(LIMIT)
def leaf(index: int) -> Response:
    """One leaf of the log (a label token or a status event) and its leaf hash."""
    with database().unit_of_work() as db:
        document = transparency_log.leaf(db, index)
    return jsonify(document)
