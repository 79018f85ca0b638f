"""What the product views share: the enterprise-only access rule, the acting user loaded in
a service's session, and the application object for jobs."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session

from portal.db.models import OrganisationKind, User
from portal.web import current_user

ENTERPRISE = (OrganisationKind.ENTERPRISE,)


def this_app() -> Flask:
    """The application object itself (jobs keep it beyond the request)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def actor(session: Session) -> User:
    """The logged-in user, loaded in the service's session."""
    user = current_user()
    assert user is not None
    loaded = session.get(User, user.id)
    assert loaded is not None
    return loaded
