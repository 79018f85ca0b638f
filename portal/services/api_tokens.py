"""Bearer tokens for the JSON API: created by a user for themself, shown once, stored hashed,
revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import ApiToken, User
from portal.services import audit
from portal.services.errors import InvalidInput, NotFound

PREFIX = "pcf_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, name: str) -> str:
    """A new token for *user*; the plain token is returned once and never stored."""
    if not name.strip():
        raise InvalidInput({"name": "give the token a name, e.g. the system that uses it"})
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip()[:100], token_hash=_digest(token),
                   created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    audit.record(session, actor=user, action="api_token.create", entity="api_token",
                 entity_id=row.id, after={"name": row.name})
    return token


def user_for(session: Session, token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not token.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = datetime.now(UTC)
    return user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at)))


def revoke(session: Session, *, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's token is not found)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    row.revoked_at = datetime.now(UTC)
    audit.record(session, actor=user, action="api_token.revoke", entity="api_token",
                 entity_id=row.id)
