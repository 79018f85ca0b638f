"""What the product views share: the enterprise-only access rule, the acting user loaded in
a service's session, and the application object for jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, render_template
from sqlalchemy.orm import Session

from portal.blueprints.product_labels import HELPERS
from portal.db.models import OrganisationKind, User
from portal.services.errors import Forbidden, NotFound
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


def share_page_handlers(blueprint: Blueprint) -> None:
    """The page helpers of product_labels, and NotFound / Forbidden from a service turned
    into the "missing" page (404, or 403 with the refusal flashed)."""

    @blueprint.context_processor
    def _helpers() -> dict[str, Any]:
        return dict(HELPERS)

    @blueprint.errorhandler(NotFound)
    def _not_found(_exc: NotFound) -> tuple[str, int]:
        return render_template("products/missing.html"), 404

    @blueprint.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden) -> tuple[str, int]:
        flash(str(exc), "error")
        return render_template("products/missing.html"), 403
