"""The append-only, hash-chained audit log: who changed what, when, with the hashes of the
object before and after. Each event's hash covers the previous event's hash, so changing or
deleting history breaks the chain at that point."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal.db.models import AuditEvent, User

GENESIS = "0" * 64


def state_hash(state: Any) -> str | None:
    """sha256 of the canonical JSON of an object's state (None for no object)."""
    if state is None:
        return None
    text = json.dumps(state, sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


AUDIT_LOCK = 7_204_918_861  # the advisory-lock key of the audit chain (any fixed number)


def serialise_appends(session: Session) -> None:
    """Let one transaction at a time append to the chain. Locking the last row is not
    enough on PostgreSQL: a transaction that waited for it would then read that same row as
    "last" and fork the chain. An advisory lock, held to the end of the transaction, orders
    the appenders; on SQLite the writer lock does. The unique constraint on previous_hash
    makes a fork impossible whatever happens."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    elif dialect == "sqlite":
        # pysqlite begins the transaction at the first write: a write that changes nothing
        # takes SQLite's single writer lock before the last event is read.
        session.execute(text("UPDATE audit_event SET hash = hash WHERE 0 = 1"))


def _event_hash(previous: str, event: AuditEvent) -> str:
    body = json.dumps([
        previous, event.at.astimezone(UTC).isoformat(), event.actor_id, event.organisation_id,
        event.action, event.entity, event.entity_id, event.before_hash, event.after_hash,
        event.detail,
    ], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def record(session: Session, *, actor: User | None, action: str, entity: str,
           entity_id: object, before: Any = None, after: Any = None, detail: str = "",
           organisation_id: int | None = None) -> AuditEvent:
    """Append one event in the caller's transaction."""
    serialise_appends(session)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    previous = last.hash if last else GENESIS
    event = AuditEvent(
        at=datetime.now(UTC), actor_id=actor.id if actor else None,
        organisation_id=organisation_id if organisation_id is not None else (
            actor.organisation_id if actor else None),
        action=action, entity=entity, entity_id=str(entity_id),
        before_hash=state_hash(before), after_hash=state_hash(after), detail=detail,
        previous_hash=previous, hash="",
    )
    event.hash = _event_hash(previous, event)
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> int | None:
    """The id of the first event whose hash does not follow from its predecessor, or None
    when the whole chain is intact."""
    previous = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.previous_hash != previous or _event_hash(previous, event) != event.hash:
            return event.id
        previous = event.hash
    return None
