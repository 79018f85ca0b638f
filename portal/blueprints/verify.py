"""The public verification page behind the QR code (GS1 Digital Link /01/{GTIN}/21/{serial}),
its QR code and printable label, and the transparency log's checkpoint and proofs. Public on
purpose; rate-limited."""

from __future__ import annotations

import base64
import json

from flask import Blueprint, Response, abort, jsonify, render_template, request
from sqlalchemy import select

from label_cert import qr
from portal.db.models import LogCheckpoint
from portal.extensions import limiter
from portal.services import verification
from portal.services.labels import find_label, load_log
from portal.web import database, settings

blueprint = Blueprint("verify", __name__)
LIMIT = "120 per minute"


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


@blueprint.route("/01/<gtin>/21/<serial>/qr.svg")
@limiter.limit(LIMIT)
def qr_code(gtin: str, serial: str) -> Response:
    """The QR code of a label's verification URI."""
    try:
        svg = qr.qr_svg(_uri(gtin, serial))
    except qr.LabelImageError:
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
        claims = json.loads(base64.urlsafe_b64decode(row.token.split(".")[1] + "=="))
    subject = claims.get("credentialSubject", {})
    png = qr.label_png(
        value=subject.get("footprint", {}).get("pcf_excluding_biogenic_uptake", "?"),
        declared_unit=subject.get("declaredUnit", ""), grade=subject.get("grade", ""),
        uri=_uri(gtin, serial), product=subject.get("product", {}).get("name", ""),
        locale="en" if request.args.get("lang") == "en" else "zh_CN")
    return Response(png, mimetype="image/png")


@blueprint.route("/log/checkpoint")
@limiter.limit(LIMIT)
def checkpoint() -> Response:
    """The latest signed checkpoint of the transparency log."""
    with database().unit_of_work() as db:
        row = db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size.desc())).first()
        if row is None:
            abort(404)
        body = {"origin": f"{settings().public_host}/log", "size": row.size,
                "root": row.root_hash, "timestamp_ms": row.timestamp_ms,
                "signature": row.signature}
    return jsonify(body)


@blueprint.route("/log/proof/<int:index>")
@limiter.limit(LIMIT)
def proof(index: int) -> Response:
    """The inclusion proof of one leaf against the latest checkpoint."""
    with database().unit_of_work() as db:
        row = db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size.desc())).first()
        if row is None or index >= row.size:
            abort(404)
        log = load_log(db, row.size)
        size = row.size
    return jsonify({"index": index, "size": size,
                    "proof": [h.hex() for h in log.inclusion_proof(index, size)]})
