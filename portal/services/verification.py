"""Verifying a label as the public page does, from the QR code's GS1 Digital Link: the same
checks an outside verifier makes (signature and key against the published key ring, status
bits from the body's status lists, inclusion in the signed transparency log), each reported
with its outcome, and a verdict that is "valid" only when every check passed."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert import errors as label_errors
from label_cert import transparency
from label_cert.label import verify_label
from label_cert.status_list import read_bit
from portal.db.models import CarbonLabel, LogCheckpoint, StatusListRecord
from portal.services import issuer_keys
from portal.services.labels import find_label
from portal.services.transparency_log import load_log, log_key, log_origin


@dataclass
class Check:
    name: str  # signature | key | status | log
    passed: bool | None  # None: could not be decided
    detail: str


@dataclass
class Verification:
    verdict: str  # valid | suspended | revoked | expired | invalid | unknown
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] = field(default_factory=dict)
    label: CarbonLabel | None = None


def verify(session: Session, *, gtin: str, serial: str, host: str, instance: Any,
           now: datetime | None = None) -> Verification:
    """Verify the label with this GTIN (14 digits) and serial."""
    now = now or datetime.now(UTC)
    label = find_label(session, gtin, serial)
    if label is None:
        return Verification("unknown", [Check("label", None, "no label with this code")])
    ring = issuer_keys.key_ring(session, body_id=label.body_id, host=host)
    result = Verification("unknown", label=label)
    try:
        verified = verify_label(label.token, lambda issuer: ring if ring and
                                issuer == ring.issuer else None, now)
    except label_errors.LabelExpiredError as exc:
        result.checks.append(Check("signature", True, "signature checked; " + str(exc)))
        result.verdict = "expired"
        return result
    except label_errors.LabelError as exc:
        result.checks.append(Check("signature", False, str(exc)))
        result.verdict = "invalid"
        return result
    result.credential = verified.credential
    result.checks.append(Check("signature", True, f"EdDSA signature by key {verified.kid}"))
    result.checks.append(Check("key", True, f"key published by {verified.issuer}"))
    lists = {r.purpose: r for r in session.scalars(select(StatusListRecord).where(
        StatusListRecord.body_id == label.body_id))}
    revoked = "revocation" in lists and read_bit(lists["revocation"].encoded,
                                             label.revocation_index)
    suspended = "suspension" in lists and read_bit(lists["suspension"].encoded,
                                               label.suspension_index)
    status_detail = "revoked" if revoked else "suspended" if suspended else "in good standing"
    result.checks.append(Check("status", not (revoked or suspended),
                               f"status lists read live: {status_detail}"))
    result.checks.append(_log_check(session, label, instance))
    if revoked:
        result.verdict = "revoked"
    elif suspended:
        result.verdict = "suspended"
    elif all(c.passed for c in result.checks):
        result.verdict = "valid"
    elif any(c.passed is False for c in result.checks):
        result.verdict = "invalid"
    return result


def _log_check(session: Session, label: CarbonLabel, instance: Any) -> Check:
    checkpoint = session.scalars(select(LogCheckpoint).order_by(
        LogCheckpoint.size.desc())).first()
    if checkpoint is None or label.log_index is None:
        return Check("log", None, "the label is not in the transparency log yet")
    log = load_log(session, checkpoint.size)
    body = transparency.Checkpoint(log_origin(), checkpoint.size,
                                   bytes.fromhex(checkpoint.root_hash),
                                   checkpoint.timestamp_ms).body()
    try:
        log_key(instance).public_key().verify(base64.urlsafe_b64decode(checkpoint.signature),
                                              body)
        transparency.verify_inclusion(
            transparency.leaf_hash(label.token.encode()), label.log_index, checkpoint.size,
            log.inclusion_proof(label.log_index, checkpoint.size),
            bytes.fromhex(checkpoint.root_hash))
    except Exception as exc:
        return Check("log", False, f"not provably in the log: {type(exc).__name__}")
    return Check("log", True, f"leaf {label.log_index} of the signed checkpoint of size "
                              f"{checkpoint.size}")
