"""Login, logout, registration by invitation, and the language switch."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from portal.db.models import User
from portal.extensions import limiter
from portal.services import accounts, audit
from portal.services.errors import ServiceError
from portal.web import database, settings

blueprint = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(min=12, max=200)])


def load_current_user() -> None:
    """Put the logged-in user (or None) on `g` for this request."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    g.db_session = database().sessions()
    user = g.db_session.get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return
    g.user = user


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().login_rate_limit, methods=["POST"])
def login() -> str | Response:
    """Log in with e-mail and password; the session is replaced, never reused."""
    form = LoginForm()
    if form.validate_on_submit():
        with database().unit_of_work() as db:
            user = accounts.authenticate(db, form.email.data or "", form.password.data or "")
            if user is not None:
                audit.record(db, actor=user, action="user.login", entity="user",
                             entity_id=user.id)
                user_id, locale = user.id, user.locale
        if user is not None:
            session.clear()  # rotation: nothing of the anonymous session survives
            session["user_id"] = user_id
            session["nonce"] = secrets.token_urlsafe(16)
            session["locale"] = session.get("locale") or locale
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out and forget the session."""
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.route("/register/<token>", methods=["GET", "POST"])
def register(token: str) -> str | Response:
    """Create an account from an invitation link."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                accounts.register(db, token=token, name=form.name.data or "",
                                  password=form.password.data or "")
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Account created. Please log in."), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@blueprint.route("/language/<code>", methods=["POST"])
def language(code: str) -> Response:
    """Switch the interface language (zh_CN or en)."""
    if code not in settings().locales:
        abort(404)
    session["locale"] = code
    return redirect(_safe_next(request.form.get("next")))
