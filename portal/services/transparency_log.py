"""What anyone may read of the transparency log: the latest signed checkpoint with the log's
public key, inclusion proofs, consistency proofs between two tree sizes, and single leaves.
Proofs are computed from the stored leaves (label_cert.transparency)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert.keys import public_jwk_of
from portal.db.models import LogCheckpoint, TransparencyLeaf
from portal.services.errors import InvalidInput, NotFound
from portal.services.labels import load_log, log_key, log_origin


def latest_checkpoint(session: Session) -> LogCheckpoint:
    """The newest signed checkpoint; NotFound while the log is empty."""
    row = session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size.desc())).first()
    if row is None:
        raise NotFound("the transparency log is empty")
    return row


def checkpoint_document(row: LogCheckpoint, instance: Path) -> dict[str, Any]:
    """A checkpoint as verifiers read it (label_cert.verify's bundle format)."""
    return {
        "origin": log_origin(),
        "size": row.size,
        "root": row.root_hash,
        "timestamp_ms": row.timestamp_ms,
        "signature": row.signature,
        "public_key": public_jwk_of(log_key(instance)),
    }


def inclusion_proof(session: Session, index: int, size: int) -> dict[str, Any]:
    """PATH(index, D[0:size]) as {"index", "size", "proof": [hex]}."""
    if not 0 <= index < size:
        raise NotFound(f"leaf {index} is not in the tree of size {size}")
    log = load_log(session, size)
    return {
        "index": index,
        "size": size,
        "proof": [h.hex() for h in log.inclusion_proof(index, size)],
    }


def _size(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit():
        raise InvalidInput({name: f"{value!r} is not a tree size (a whole number)"})
    return int(value)


def consistency_proof(session: Session, old: str | None, new: str | None) -> dict[str, Any]:
    """PROOF(old, D[0:new]) (RFC 9162 §2.1.4) as {"from", "to", "proof": [hex]}; *new*
    defaults to the latest checkpoint's size. Both come as query text; InvalidInput names the
    wrong one."""
    latest = latest_checkpoint(session).size
    first, second = _size(old, "from"), _size(new, "to")
    if first is None:
        raise InvalidInput({"from": "required: the size of the older tree"})
    second = latest if second is None else second
    if second > latest:
        raise InvalidInput({"to": f"{second} is beyond the latest checkpoint (size {latest})"})
    if not 0 < first <= second:
        raise InvalidInput({"from": f"{first} must be at least 1 and at most to={second}"})
    log = load_log(session, second)
    return {
        "from": first,
        "to": second,
        "proof": [h.hex() for h in log.consistency_proof(first, second)],
    }


def leaf(session: Session, index: int) -> dict[str, Any]:
    """One leaf (a label token or a status event) with its RFC 9162 leaf hash."""
    row = session.get(TransparencyLeaf, index)
    if row is None:
        raise NotFound(f"no leaf {index}")
    return {"index": row.index, "leaf": row.event, "leaf_hash": row.leaf_hash}
