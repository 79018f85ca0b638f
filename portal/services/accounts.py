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
from portal.services import audit, login_sessions
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


def roles_in(organisation: Organisation) -> list[Role]:
    """The roles a member of *organisation* may have, in the order of the Role enum."""
    allowed = _ROLES_OF.get(organisation.kind, {Role.MEMBER, Role.ADMIN})
    return [role for role in Role if role in allowed]


def _check_role(organisation: Organisation, role: Role) -> None:
    if role not in roles_in(organisation):
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
    """Replace a user's password (the user, an admin, or the demo reset); every session of
    the user ends, so a stolen session cookie stops working with the old password."""
    _check_password(password)
    user.password_hash = _HASHER.hash(password)
    login_sessions.end_all(session, user_id=user.id, now=_now(), reason="password")
    audit.record(session, actor=actor, action="user.set_password", entity="user",
                 entity_id=user.id, organisation_id=user.organisation_id)


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    """The user's own password change: the current password must be right."""
    try:
        _HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidInput({"current_password": "the current password is wrong"}) from None
    if new == current:
        raise InvalidInput({"new_password": "choose a password other than the current one"})
    set_password(session, user=user, password=new, actor=user)


def may_manage(actor: User, user: User) -> bool:
    """Whether *actor* may change *user*'s role or deactivate them: an administrator of the
    same organisation, never on their own account (an organisation keeps its admin)."""
    return (actor.role is Role.ADMIN and actor.organisation_id == user.organisation_id
            and actor.id != user.id)


def _check_admin_of(actor: User, user: User) -> None:
    if not may_manage(actor, user):
        if actor.id == user.id:
            raise Conflict("administrators cannot change their own role or deactivate "
                           "themselves")
        raise Forbidden("only an administrator of the organisation changes its members")


def change_role(session: Session, *, actor: User, user: User, role: Role) -> None:
    """An administrator gives a member of the organisation another role; the member's
    sessions end, so no page keeps the permissions of the old role."""
    _check_admin_of(actor, user)
    _check_role(user.organisation, role)
    if role is user.role:
        return
    before = user.role
    user.role = role
    login_sessions.end_all(session, user_id=user.id, now=_now(), reason="role")
    audit.record(session, actor=actor, action="user.change_role", entity="user",
                 entity_id=user.id, before={"role": before}, after={"role": role},
                 organisation_id=user.organisation_id)


def set_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    """An administrator deactivates (or reactivates) a member; deactivation ends every session
    and the member's API tokens stop working (they check `active`)."""
    _check_admin_of(actor, user)
    if user.active is active:
        return
    user.active = active
    if not active:
        login_sessions.end_all(session, user_id=user.id, now=_now(), reason="deactivated")
    audit.record(session, actor=actor, action="user.activate" if active else "user.deactivate",
                 entity="user", entity_id=user.id, organisation_id=user.organisation_id)
