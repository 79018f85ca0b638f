"""Login, logout, registration by invitation, and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from portal.db.models import User
from portal.extensions import limiter
from portal.services import accounts, audit, login_sessions
from portal.services.errors import ServiceError
from portal.services.login_throttle import LoginThrottle
from portal.web import current_user, database, local_path, login_required, settings

blueprint = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(min=12, max=200)])


def load_current_user() -> None:
    """Put the logged-in user (or None) on `g` for this request: the cookie's token must name
    a live server-side session (see services/login_sessions.py)."""
    g.user = None
    token = session.get("sid")
    if not isinstance(token, str):
        if "user_id" in session:  # a cookie from before server-side sessions
            session.clear()
        return
    g.db_session = database().sessions()
    user = login_sessions.resume(g.db_session, token=token, now=datetime.now(UTC),
                                 limits=settings().session_limits)
    g.db_session.commit()  # an ended or touched session
    if user is None:
        session.clear()
        return
    g.user = user


def throttle() -> LoginThrottle:
    """The per-account failed-login counter of this app."""
    found: LoginThrottle = current_app.extensions["pcf_login_throttle"]
    return found


def _next_or_home(target: str | None) -> str:
    return local_path(target) or url_for("home.index")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().login_rate_limit, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    """Log in with e-mail and password; the session is replaced, never reused. An account
    with too many failed logins is refused until its window passes."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        lockout = throttle().lockout(email)
        if lockout is not None:
            until = lockout.until.strftime("%H:%M")
            flash(_("Too many failed logins for this account. Try again after %(time)s UTC, "
                    "or ask the platform operator to unlock it.", time=until), "error")
            return render_template("auth/login.html", form=form), 429
        with database().unit_of_work() as db:
            user = accounts.authenticate(db, email, form.password.data or "")
            if user is not None:
                audit.record(db, actor=user, action="user.login", entity="user",
                             entity_id=user.id)
                token = login_sessions.start(db, user=user, now=datetime.now(UTC))
                locale = user.locale
        if user is not None:
            throttle().clear(email)
            session.clear()  # rotation: nothing of the anonymous session survives
            session["sid"] = token
            session["locale"] = session.get("locale") or locale
            return redirect(_next_or_home(request.args.get("next")))
        throttle().failed(email)
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out: the server-side session ends, so no copy of the cookie logs in again."""
    token = session.get("sid")
    if isinstance(token, str):
        with database().unit_of_work() as db:
            login_sessions.end(db, token=token, now=datetime.now(UTC))
    session.clear()
    return redirect(url_for("auth.login"))


class PasswordForm(FlaskForm):
    current_password = PasswordField("current_password",
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("new_password",
                                 validators=[DataRequired(), Length(min=12, max=200)])


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change one's own password; every session of the account ends (log in again)."""
    form = PasswordForm()
    user = current_user()
    assert user is not None
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                me = db.get(User, user.id)
                assert me is not None
                accounts.change_password(db, user=me, current=form.current_password.data or "",
                                         new=form.new_password.data or "")
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            session.clear()
            flash(_("Password changed. Log in with the new password."), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


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
    return redirect(_next_or_home(request.form.get("next")))
