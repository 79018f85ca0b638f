"""Server-side login sessions. The signed cookie carries only a random token; the row it
names (by hash) decides whether the cookie still logs anyone in. Logout ends one session; a
password change, a role change or a deactivation ends every session of the user; a session
also ends after `idle` without a request and `lifetime` after login, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal.db.models import LoginSession, User
from portal.settings import SessionLimits

#: last_seen_at is written at most this often (a write per request would serialise SQLite)
TOUCH_EVERY = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite


def start(session: Session, *, user: User, now: datetime) -> str:
    """Open a session for *user*; returns the token for the cookie (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(id=_digest(token), user_id=user.id, created_at=now,
                             last_seen_at=now, end_reason=""))
    session.flush()
    return token


def resume(session: Session, *, token: str, now: datetime, limits: SessionLimits
           ) -> User | None:
    """The active user whose live session *token* names, or None (ending a session that has
    just run out). Touches the session at most every TOUCH_EVERY; the caller commits."""
    if not token or len(token) > 100:
        return None
    record = session.get(LoginSession, _digest(token))
    if record is None or record.ended_at is not None:
        return None
    if now - _aware(record.created_at) >= limits.lifetime:
        _end(record, now, "lifetime")
        return None
    if now - _aware(record.last_seen_at) >= limits.idle:
        _end(record, now, "idle")
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        _end(record, now, "inactive")
        return None
    if now - _aware(record.last_seen_at) >= TOUCH_EVERY:
        record.last_seen_at = now
    return user


def end(session: Session, *, token: str, now: datetime, reason: str = "logout") -> None:
    """End the session *token* names (logout); unknown or ended tokens are ignored."""
    record = session.get(LoginSession, _digest(token)) if token else None
    if record is not None and record.ended_at is None:
        _end(record, now, reason)


def end_all(session: Session, *, user_id: int, now: datetime, reason: str) -> int:
    """End every live session of the user (password or role change, deactivation)."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


def _end(record: LoginSession, now: datetime, reason: str) -> None:
    record.ended_at = now
    record.end_reason = reason
