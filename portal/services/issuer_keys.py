"""Certification bodies' signing keys in the portal: generated on first need, the private key
sealed with the body's data key (portal/crypto.py), rotated with overlap, published as a
JWKS and a did:web document for anyone to verify labels with."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert.keys import IssuerKey, KeyRing, KeyStatus, SoftwareSigner, public_jwk_of
from portal.db.models import IssuerKeyRecord, Organisation, OrganisationKind, User
from portal.services import audit
from portal.services.errors import Forbidden, NotFound
from portal.web import vault

KEY_LIFETIME = timedelta(days=3 * 365)  # labels are valid for at most the key's lifetime
TABLE, COLUMN = "issuer_key", "private_key_sealed"


def issuer_id(host: str, body_id: int) -> str:
    """The body's issuer identifier: did:web:<host>:bodies:<id>."""
    return f"did:web:{host.replace(':', '%3A')}:bodies:{body_id}"


def _body(session: Session, body_id: int) -> Organisation:
    body = session.get(Organisation, body_id)
    if body is None or body.kind is not OrganisationKind.CERTIFICATION_BODY:
        raise NotFound("no such certification body")
    return body


def _records(session: Session, body_id: int) -> list[IssuerKeyRecord]:
    return list(session.scalars(select(IssuerKeyRecord).where(
        IssuerKeyRecord.body_id == body_id).order_by(IssuerKeyRecord.created_at,
                                                     IssuerKeyRecord.id)))


def _new_key(session: Session, body: Organisation) -> IssuerKeyRecord:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = public_jwk_of(private)
    record = IssuerKeyRecord(body_id=body.id, kid=SoftwareSigner(private).kid,
                             public_jwk=json.dumps(public), private_key_sealed="",
                             created_at=datetime.now(UTC))
    session.add(record)
    session.flush()
    record.private_key_sealed = vault().seal(
        session, organisation_id=body.id, table=TABLE, row_id=record.id, column=COLUMN,
        plaintext=base64.b64encode(raw).decode())
    return record


def _check_signer(actor: User, body: Organisation) -> None:
    if actor.organisation_id != body.id or actor.role.value not in ("signer", "admin"):
        raise Forbidden("only a signer or administrator of the body manages its keys")


def ensure_key(session: Session, *, body_id: int) -> IssuerKeyRecord:
    """The body's active key, created on first need."""
    body = _body(session, body_id)
    active = [r for r in _records(session, body.id) if r.retired_at is None]
    if active:
        return active[-1]
    record = _new_key(session, body)
    audit.record(session, actor=None, action="issuer_key.create", entity="issuer_key",
                 entity_id=record.kid, organisation_id=body.id)
    return record


def rotate(session: Session, *, actor: User, body_id: int) -> IssuerKeyRecord:
    """A new signing key; the old ones stay published (retired) while labels use them."""
    body = _body(session, body_id)
    _check_signer(actor, body)
    now = datetime.now(UTC)
    for record in _records(session, body.id):
        if record.retired_at is None:
            record.retired_at = now
    record = _new_key(session, body)
    audit.record(session, actor=actor, action="issuer_key.rotate", entity="issuer_key",
                 entity_id=record.kid, organisation_id=body.id)
    return record


def signer_for(session: Session, record: IssuerKeyRecord) -> SoftwareSigner:
    """The software signer of one stored key (the private key opened from the vault)."""
    raw = base64.b64decode(vault().open(
        session, organisation_id=record.body_id, table=TABLE, row_id=record.id, column=COLUMN,
        ciphertext=record.private_key_sealed))
    return SoftwareSigner(Ed25519PrivateKey.from_private_bytes(raw))


def key_ring(session: Session, *, body_id: int, host: str) -> KeyRing | None:
    """The body's published keys (None before its first key)."""
    records = _records(session, body_id)
    if not records:
        return None
    keys = []
    for record in records:
        created = record.created_at.date()
        key = IssuerKey.from_public_jwk(json.loads(record.public_jwk), created,
                                        created + KEY_LIFETIME)
        if record.retired_at is not None:
            retired = record.retired_at if record.retired_at.tzinfo else (
                record.retired_at.replace(tzinfo=UTC))  # SQLite returns naive datetimes
            key = IssuerKey(key.kid, key.x, key.created, key.not_after, KeyStatus.RETIRED,
                            retired.date(), retired)  # labels signed later no longer verify
        keys.append(key)
    return KeyRing(issuer_id(host, body_id), tuple(keys))


def published_jwks(session: Session, *, host: str) -> dict[str, list[dict[str, str | int]]]:
    """Every body's published public keys, as one JWKS (kid names the key; a retired key
    carries `retired_at`, see label_cert.keys)."""
    keys: list[dict[str, str | int]] = []
    for body_id in session.scalars(select(IssuerKeyRecord.body_id).distinct()):
        ring = key_ring(session, body_id=body_id, host=host)
        if ring is not None:
            keys.extend(ring.jwks()["keys"])
    return {"keys": sorted(keys, key=lambda k: str(k["kid"]))}
