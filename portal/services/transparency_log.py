"""The transparency log in the portal: its key and origin, appending a leaf with a newly
signed checkpoint, and what anyone may read of it (the latest signed checkpoint with the log's
public key, inclusion proofs, consistency proofs between two tree sizes, single leaves).

Leaves are stored one row each. Reading keeps one process-wide copy of the log (the tree's
complete subtrees cached, see label_cert.transparency.MerkleLog): the log only grows, so the
copy is extended by the rows it lacks, after checking that its last leaf is still the stored
one (a database that was reset, or a leaf from a transaction that rolled back, makes it start
again). A verification then costs a few hashes, not a rebuild of the whole log.
"""

from __future__ import annotations

import base64
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from label_cert import transparency
from label_cert.keys import public_jwk_of
from portal.db.models import LogCheckpoint, TransparencyLeaf
from portal.services import audit, instance_keys
from portal.services.errors import InvalidInput, NotFound
from portal.web import settings

_CACHE: dict[str, transparency.MerkleLog] = {}  # by database URL
_CACHE_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


def log_key(instance: Path) -> Ed25519PrivateKey:
    """The platform's transparency-log key, generated once into the instance folder."""
    return instance_keys.ed25519_key(instance, "log_key")


def log_origin() -> str:
    return f"{settings().public_host}/log"


def _stored_hash(session: Session, index: int) -> str | None:
    return session.scalar(select(TransparencyLeaf.leaf_hash).where(
        TransparencyLeaf.index == index))


def load_log(session: Session, size: int | None = None) -> transparency.MerkleLog:
    """The log holding at least the first *size* stored leaves (default: all of them), for
    reading only: it may hold more, so pass the size to `root`, `inclusion_proof` and
    `consistency_proof`. Copy it before appending."""
    if size is None:
        size = session.scalar(select(func.count()).select_from(TransparencyLeaf)) or 0
    key = session.get_bind().engine.url.render_as_string(hide_password=False)
    with _CACHE_LOCK:
        log = _CACHE.get(key)
        if log is None or (log.size and _stored_hash(session, log.size - 1)
                           != log.leaf_hash(log.size - 1).hex()):
            log = _CACHE[key] = transparency.MerkleLog()
        if log.size >= size:
            if size and _stored_hash(session, size - 1) != log.leaf_hash(size - 1).hex():
                log = _CACHE[key] = transparency.MerkleLog()
            else:
                return log
        rows = session.scalars(select(TransparencyLeaf).where(
            TransparencyLeaf.index >= log.size, TransparencyLeaf.index < size)
            .order_by(TransparencyLeaf.index))
        for row in rows:
            if row.index != log.size:
                raise RuntimeError(f"transparency leaf {log.size} is missing")
            log.append(row.event.encode())
        return log


def warm(app: Flask) -> None:
    """Build this process's read copy of the log now (gunicorn workers call it in a thread at
    start), so that the first verification does not read the whole log. A database that is not
    migrated yet is left for the first request."""
    try:
        with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
            size = load_log(session).size
        _LOG.info("transparency log read copy ready: %d leaves", size)
    except SQLAlchemyError as exc:
        _LOG.warning("transparency log not warmed: %s", exc.__class__.__name__)


def append_to_log(session: Session, leaf: bytes) -> int:
    """Append one leaf and sign a new checkpoint; returns the leaf's index."""
    audit.serialise_appends(session)  # one appender at a time, as for the audit chain
    size = session.scalar(select(func.count()).select_from(TransparencyLeaf)) or 0
    log = load_log(session, size).copy(size)  # the shared log is extended after commit
    index = log.append(leaf)
    session.add(TransparencyLeaf(index=index, event=leaf.decode(),
                                 leaf_hash=transparency.leaf_hash(leaf).hex(),
                                 created_at=datetime.now(UTC)))
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    signed = transparency.sign_checkpoint(
        transparency.checkpoint(log, log_origin(), now_ms),
        log_key(settings().instance_path).sign)
    session.add(LogCheckpoint(size=log.size, root_hash=log.root().hex(), timestamp_ms=now_ms,
                              signature=base64.urlsafe_b64encode(signed.signature).decode(),
                              created_at=datetime.now(UTC)))
    session.flush()
    return index


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
