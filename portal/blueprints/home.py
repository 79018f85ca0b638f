"""The dashboard and the organisation page (members, invitations)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email

from portal.db.models import Role, User
from portal.services import accounts
from portal.services.errors import ServiceError
from portal.web import current_user, database, login_required, require

blueprint = Blueprint("home", __name__)


class InviteForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Email()])
    role = SelectField("role", choices=[SelectChoice(r.value) for r in Role])


@blueprint.route("/")
@login_required
def index() -> str:
    """The dashboard of the logged-in user."""
    return render_template("home/index.html")


@blueprint.route("/organisation", methods=["GET", "POST"])
@require(roles=(Role.ADMIN,))
def organisation() -> str:
    """Members of the admin's own organisation, and invitations into it."""
    user = current_user()
    assert user is not None
    form = InviteForm()
    link = None
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                actor = db.get(User, user.id)
                assert actor is not None
                token = accounts.invite(db, actor=actor, email=form.email.data or "",
                                        role=Role(form.role.data))
            link = url_for("auth.register", token=token, _external=True)
            flash(_("Invitation created. Send this link to the person invited."), "info")
        except ServiceError as exc:
            flash(str(exc), "error")
    with database().unit_of_work() as db:
        members = list(db.scalars(select(User).where(
            User.organisation_id == user.organisation_id).order_by(User.email)))
    return render_template("home/organisation.html", form=form, members=members, link=link)
