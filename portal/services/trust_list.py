"""The operator's trust list in the portal: built from the database (every certification body
and its issuer keys, the transparency log's key), signed with the operator key generated once
into the instance folder, and kept there as the current list (``instance/trust-list.jwt``).

A list is signed again, with the next sequence number, only when its content changed (a new
body or key, a retirement, a rename); otherwise the stored token is served as it is, so every
worker serves the same bytes and a sequence number never names two lists. A file lock orders
the workers. Keep the instance folder: a lost list restarts the sequence at 1, which pinned
verifiers refuse as a rollback, and a lost key means every verifier must pin a new anchor.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert.errors import LabelError
from label_cert.keys import SoftwareSigner, public_jwk_of
from label_cert.trust import (
    SignedTrustList,
    TrustedIssuer,
    TrustedKey,
    TrustList,
    load_trust_list,
    sign_trust_list,
)
from portal.db.models import Organisation, OrganisationKind
from portal.services import instance_keys, issuer_keys, transparency_log

KEY_FILE = "trust_list_key"
LIST_FILE = "trust-list.jwt"


def operator_signer(instance: Path) -> SoftwareSigner:
    """The operator's trust-list signing key (generated once into the instance folder)."""
    return SoftwareSigner(instance_keys.ed25519_key(instance, KEY_FILE))


def operator_id(host: str) -> str:
    """The operator's identifier in the list: did:web:<host>, as the bodies' ids begin."""
    return f"did:web:{host.replace(':', '%3A')}"


def _issuers(session: Session, host: str) -> tuple[TrustedIssuer, ...]:
    bodies = session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.CERTIFICATION_BODY).order_by(Organisation.id))
    issuers = []
    for body in bodies:
        ring = issuer_keys.key_ring(session, body_id=body.id, host=host)
        keys = () if ring is None else tuple(
            TrustedKey(key.kid, key.x, key.signing_cutoff()) for key in ring.keys)
        issuers.append(TrustedIssuer(issuer_keys.issuer_id(host, body.id), body.name, keys))
    return tuple(issuers)


def _content(session: Session, host: str, instance: Path, sequence: int,
             now: datetime) -> TrustList:
    return TrustList(
        operator=operator_id(host),
        sequence=sequence,
        issued_at=now,
        issuers=_issuers(session, host),
        log_key=TrustedKey.of(public_jwk_of(transparency_log.log_key(instance))),
        operator_keys=(TrustedKey.of(operator_signer(instance).public_jwk),),
    )


def _same_content(a: TrustList, b: TrustList) -> bool:
    keep = ("operator", "issuers", "log_key", "operator_keys")
    return all(getattr(a, name) == getattr(b, name) for name in keep)


@contextmanager
def _locked(instance: Path) -> Iterator[None]:
    with (instance / f"{LIST_FILE}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stored(path: Path) -> SignedTrustList | None:
    try:
        return load_trust_list(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, LabelError) as exc:
        raise RuntimeError(
            f"{path} is not a trust list the portal signed ({exc}); restore it from a backup: "
            "a new list would restart the sequence and pinned verifiers would refuse it"
        ) from exc


def current(session: Session, *, host: str, instance: Path,
            now: datetime | None = None) -> SignedTrustList:
    """The current signed trust list: the stored one while the database says the same, else
    a new one with the next sequence number (stored before it is returned)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    path = instance / LIST_FILE
    with _locked(instance):
        stored = _stored(path)
        fresh = _content(session, host, instance, 0, now)
        if stored is not None and _same_content(stored.trust_list, fresh):
            return stored
        sequence = 1 if stored is None else stored.trust_list.sequence + 1
        signed = sign_trust_list(replace(fresh, sequence=sequence), operator_signer(instance))
        partial = path.with_name(f".{LIST_FILE}.{os.getpid()}.partial")
        partial.write_text(signed.token + "\n", encoding="ascii")
        os.replace(partial, path)
        return signed


def document(signed: SignedTrustList) -> dict[str, Any]:
    """The list for people to read (the signed token is what verifiers pin)."""
    content = signed.trust_list
    return {
        "note": "a readable copy; pin /trust-list.jwt, the signed list",
        "sequence": content.sequence,
        "operator": content.operator,
        "issued_at": content.issued_at.isoformat().replace("+00:00", "Z"),
        "signed_by": signed.signed_by,
        "issuers": [issuer.to_json() for issuer in content.issuers],
        "log_key": content.log_key.to_json(),
        "operator_keys": [key.to_json() for key in content.operator_keys],
    }
