"""Helpers views share: the app's database, the current user, access decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, url_for

from portal.crypto import Vault
from portal.db.models import OrganisationKind, Role, User
from portal.db.session import Database
from portal.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def database() -> Database:
    db: Database = current_app.extensions["pcf_db"]
    return db


def vault() -> Vault:
    """The trade-secret vault (per-organisation keys under the master key)."""
    found: Vault = current_app.extensions["pcf_vault"]
    return found


def settings() -> Settings:
    value: Settings = current_app.extensions["pcf_settings"]
    return value


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def login_required(view: F) -> F:
    """Redirect anonymous users to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require(*, kinds: tuple[OrganisationKind, ...] = (), roles: tuple[Role, ...] = ()
            ) -> Callable[[F], F]:
    """Allow only users of these organisation kinds and roles (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            assert user is not None
            if kinds and user.organisation.kind not in kinds:
                abort(403)
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
