"""Organisations, users, invitations and password login (argon2)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db.models import Invitation, Organisation, OrganisationKind, Role, User
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound

_HASHER = PasswordHasher()
MIN_PASSWORD = 12
INVITATION_DAYS = 7
_ROLES_OF = {
    OrganisationKind.CERTIFICATION_BODY: {Role.MEMBER, Role.ADMIN, Role.CERTIFIER, Role.SIGNER},
}


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("timing-equaliser-not-a-password")


def _now() -> datetime:
    return datetime.now(UTC)


def create_organisation(session: Session, *, name: str, kind: OrganisationKind,
                        actor: User | None) -> Organisation:
    """Only the platform operator (or the bootstrap, with no actor) creates organisations."""
    if actor is not None and (actor.organisation.kind is not OrganisationKind.OPERATOR
                              or actor.role is not Role.ADMIN):
        raise Forbidden("only operator administrators create organisations")
    if not name.strip():
        raise InvalidInput({"name": "a name is required"})
    if session.scalar(select(Organisation).where(Organisation.name == name.strip())):
        raise Conflict(f"an organisation named {name!r} exists")
    organisation = Organisation(name=name.strip(), kind=kind, created_at=_now())
    session.add(organisation)
    session.flush()
    audit.record(session, actor=actor, action="organisation.create", entity="organisation",
                 entity_id=organisation.id, after={"name": organisation.name, "kind": kind},
                 organisation_id=organisation.id)
    return organisation


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput({"password": f"at least {MIN_PASSWORD} characters"})


def create_user(session: Session, *, organisation: Organisation, email: str, name: str,
                password: str, role: Role, actor: User | None) -> User:
    """Create a user directly (bootstrap and demo data); others register by invitation."""
    email = email.strip().lower()
    _check_role(organisation, role)
    _check_password(password)
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise Conflict(f"a user with e-mail {email} exists")
    user = User(email=email, name=name.strip() or email, password_hash=_HASHER.hash(password),
                organisation=organisation, role=role, active=True, created_at=_now())
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.create", entity="user", entity_id=user.id,
                 after={"email": email, "role": role, "organisation": organisation.id},
                 organisation_id=organisation.id)
    return user


def _check_role(organisation: Organisation, role: Role) -> None:
    allowed = _ROLES_OF.get(organisation.kind, {Role.MEMBER, Role.ADMIN})
    if role not in allowed:
        raise InvalidInput({"role": f"{role.value} is not a role in a "
                                    f"{organisation.kind.value}"})


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Unknown e-mails cost the same
    time as wrong passwords, so timing does not reveal which accounts exist."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password)
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def invite(session: Session, *, actor: User, email: str, role: Role,
           organisation: Organisation | None = None) -> str:
    """Invite *email* into the actor's organisation (admins) or any organisation (operator
    admins). Returns the one-time token; only its hash is stored."""
    target = organisation or actor.organisation
    operator = (actor.organisation.kind is OrganisationKind.OPERATOR
                and actor.role is Role.ADMIN)
    if actor.role is not Role.ADMIN or (target.id != actor.organisation_id and not operator):
        raise Forbidden("only an administrator of the organisation (or the operator) invites")
    _check_role(target, role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            email=email.strip().lower(), organisation_id=target.id, role=role,
                            invited_by_id=actor.id,
                            expires_at=_now() + timedelta(days=INVITATION_DAYS))
    session.add(invitation)
    session.flush()
    audit.record(session, actor=actor, action="invitation.create", entity="invitation",
                 entity_id=invitation.id, after={"email": invitation.email, "role": role},
                 organisation_id=target.id)
    return token


def register(session: Session, *, token: str, name: str, password: str) -> User:
    """Accept an invitation: create the user it names, once, before it expires."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == digest)
                                .with_for_update())
    if invitation is None:
        raise NotFound("unknown invitation")
    if invitation.used_at is not None:
        raise Conflict("this invitation was already used")
    expires = invitation.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=UTC)
    if expires < _now():
        raise Conflict("this invitation has expired; ask for a new one")
    organisation = session.get(Organisation, invitation.organisation_id)
    assert organisation is not None
    user = create_user(session, organisation=organisation, email=invitation.email, name=name,
                       password=password, role=invitation.role, actor=None)
    invitation.used_at = _now()
    return user


def set_password(session: Session, *, user: User, password: str, actor: User | None) -> None:
    """Replace a user's password (the user, an admin, or the demo reset)."""
    _check_password(password)
    user.password_hash = _HASHER.hash(password)
    audit.record(session, actor=actor, action="user.set_password", entity="user",
                 entity_id=user.id, organisation_id=user.organisation_id)
