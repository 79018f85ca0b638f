"""The offline verification bundle of one label, for `pcf verify LABEL --bundle FILE`.

In label_cert.verify's format: the issuer's JWKS, both of its status lists signed now (with
fetched_at = now), the latest signed checkpoint with the log's public key, the label's
inclusion proof against that checkpoint, and a copy of the current trust list (which a
verifier never uses in place of the one it pinned).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from label_cert.vc_jwt import read_token
from portal.db.models import CarbonLabel
from portal.services import issuer_keys, status_lists, transparency_log, trust_list
from portal.services.errors import NotFound
from portal.services.labels import find_label


def label_for(session: Session, *, gtin: str, serial: str) -> CarbonLabel:
    """The label with this GTIN and serial; NotFound otherwise."""
    label = find_label(session, gtin, serial)
    if label is None:
        raise NotFound("no label with this code")
    return label


def _status_entries(token: str) -> list[dict[str, Any]]:
    """The credentialStatus entries of one of our own stored tokens (signed by us, so read
    without verifying; the verifier checks them)."""
    entries = read_token(token, "label").claims.get("credentialStatus")
    return [e for e in entries or [] if isinstance(e, dict)]


def bundle(
    session: Session,
    *,
    gtin: str,
    serial: str,
    host: str,
    instance: Path,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The verification bundle of the label with this GTIN and serial (NotFound if none)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    label = label_for(session, gtin=gtin, serial=serial)
    ring = issuer_keys.key_ring(session, body_id=label.body_id, host=host)
    if ring is None:
        raise NotFound("the label's issuer publishes no keys")
    lists = {}
    for entry in _status_entries(label.token):
        signed = status_lists.signed_list(
            session, body_id=label.body_id, purpose=str(entry.get("statusPurpose")), now=now
        )
        lists[signed.url] = {"token": signed.token, "fetched_at": now.isoformat()}
    checkpoint = transparency_log.latest_checkpoint(session)
    proofs = {}
    if label.log_index is not None and label.log_index < checkpoint.size:
        proofs[label.jti] = transparency_log.inclusion_proof(
            session, label.log_index, checkpoint.size
        )
    return {
        "jwks": {ring.issuer: ring.jwks()},
        "status_lists": lists,
        "checkpoint": transparency_log.checkpoint_document(checkpoint, instance),
        "inclusion_proofs": proofs,
        "trust_list": trust_list.current(session, host=host, instance=instance, now=now).token,
    }
