"""The dashboard and the organisation page (members, invitations)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length

from portal.db.models import Organisation, OrganisationKind, Role, User
from portal.services import accounts, api_tokens
from portal.services.errors import NotFound, ServiceError
from portal.web import current_user, database, login_required, require

blueprint = Blueprint("home", __name__)

#: (endpoint, label, organisation kinds that see it)
NAV = [("home.organisations", "Organisations", (OrganisationKind.OPERATOR,))]


class TokenForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=100)])


class InviteForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Email()])
    role = SelectField("role", choices=[SelectChoice(r.value) for r in Role])


class MemberForm(FlaskForm):
    action = StringField("action", validators=[AnyOf(("role", "deactivate", "activate"))])
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
        me = db.get(User, user.id)
        assert me is not None
        members = [(m, accounts.may_manage(me, m)) for m in db.scalars(select(User).where(
            User.organisation_id == user.organisation_id).order_by(User.email))]
        roles = [r.value for r in accounts.roles_in(me.organisation)]
    return render_template("home/organisation.html", form=form, members=members, link=link,
                           roles=roles, member_form=MemberForm())


@blueprint.route("/organisation/members/<int:user_id>", methods=["POST"])
@require(roles=(Role.ADMIN,))
def member(user_id: int) -> Response:
    """Change a member's role, or deactivate / reactivate them (their sessions end)."""
    user = current_user()
    assert user is not None
    form = MemberForm()
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                actor, target = db.get(User, user.id), db.get(User, user_id)
                if actor is None or target is None or (
                        target.organisation_id != actor.organisation_id):
                    raise NotFound("no such member")
                if form.action.data == "role":
                    accounts.change_role(db, actor=actor, user=target,
                                         role=Role(form.role.data))
                else:
                    accounts.set_active(db, actor=actor, user=target,
                                        active=form.action.data == "activate")
        except NotFound:
            abort(404)
        except (ServiceError, ValueError) as exc:
            flash(str(exc), "error")
        else:
            flash(_("Saved. The member's sessions have ended."), "info")
    return redirect(url_for("home.organisation"))


@blueprint.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> str:
    """The user's API tokens: create one (shown once) or revoke one."""
    user = current_user()
    assert user is not None
    form = TokenForm()
    created = None
    with database().unit_of_work() as db:
        me = db.get(User, user.id)
        assert me is not None
        if request.method == "POST" and request.form.get("revoke"):
            try:
                api_tokens.revoke(db, user=me, token_id=int(request.form["revoke"]))
            except (ServiceError, ValueError):
                abort(404)
        elif form.validate_on_submit():
            created = api_tokens.create_token(db, user=me, name=form.name.data or "")
        rows = [(t.id, t.name, t.created_at, t.last_used_at, t.revoked_at)
                for t in api_tokens.tokens_of(db, me)]
    return render_template("home/tokens.html", form=form, created=created, rows=rows)


class OrganisationForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("kind", choices=[SelectChoice(k.value) for k in OrganisationKind])
    admin_email = EmailField("admin_email", validators=[DataRequired(), Email()])


@blueprint.route("/operator/organisations", methods=["GET", "POST"])
@require(kinds=(OrganisationKind.OPERATOR,), roles=(Role.ADMIN,))
def organisations() -> str:
    """The operator onboards an organisation and invites its first administrator."""
    user = current_user()
    assert user is not None
    form = OrganisationForm()
    link = None
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                actor = db.get(User, user.id)
                assert actor is not None
                organisation = accounts.create_organisation(
                    db, name=form.name.data or "", kind=OrganisationKind(form.kind.data),
                    actor=actor)
                token = accounts.invite(db, actor=actor, email=form.admin_email.data or "",
                                        role=Role.ADMIN, organisation=organisation)
            link = url_for("auth.register", token=token, _external=True)
            flash(_("Organisation created. Send this link to its first administrator."),
                  "info")
        except ServiceError as exc:
            flash(str(exc), "error")
    with database().unit_of_work() as db:
        rows = [(o.name, o.kind.value, len(o.users)) for o in
                db.scalars(select(Organisation).order_by(Organisation.name))]
    return render_template("home/organisations.html", form=form, rows=rows, link=link)
