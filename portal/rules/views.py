"""The rules pages: every member reads the rules in force and their history; associations
and the operator publish new versions and withdraw their own."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from lca_engine.accounting_rules import rule_to_document
from portal.db.models import Organisation, User
from portal.rules import use_cases
from portal.rules.forms import ConfirmForm, PublishRuleForm
from portal.services.errors import Forbidden, NotFound, ServiceError
from portal.services.publishing import N_
from portal.web import attachment, current_user, database, login_required

blueprint = Blueprint("rules", __name__, url_prefix="/rules", template_folder="templates")

#: (endpoint, label, organisation kinds that see it; empty: everyone logged in)
NAV = [("rules.index", N_("Accounting rules"), ())]


def _user() -> User:
    user = current_user()
    assert user is not None  # every route here requires a login
    return user


def _refuse(exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, Forbidden):
        abort(403)
    flash(str(exc), "error")


@blueprint.route("", methods=["GET", "POST"])
@login_required
def index() -> str | BaseResponse:
    """The rules, and the form that publishes a new version (associations, operator)."""
    user = _user()
    form = PublishRuleForm()
    may_publish = user.organisation.kind in use_cases.PUBLISHERS
    if may_publish and form.validate_on_submit():
        upload = form.file.data
        text = (upload.read().decode("utf-8", errors="replace") if upload and upload.filename
                else form.document.data or "")
        name = getattr(upload, "filename", "") or "rule"
        try:
            record = use_cases.publish_rule(database(), actor=user, text=text,
                                            filename=name[:100], now=datetime.now(UTC))
        except ServiceError as exc:
            _refuse(exc)
        else:
            reference = f"{record.rule_id}@{record.version}"
            flash(_("Rule %(rule)s published.", rule=reference), "info")
            return redirect(url_for("rules.detail", record_id=record.id))
    with database().unit_of_work() as db:
        rules = use_cases.list_rules(db)
        names = {row.id: row.name for row in db.execute(select(Organisation.id, Organisation.name))}
    return render_template("rules/index.html", rules=rules, form=form, names=names,
                           may_publish=may_publish)


@blueprint.route("/<int:record_id>")
@login_required
def detail(record_id: int) -> str:
    """One rule version: its clauses, and withdrawal for its publisher."""
    try:
        with database().unit_of_work() as db:
            stored = use_cases.get_rule(db, record_id)
            publisher = db.get(Organisation, stored.record.organisation_id)
    except ServiceError as exc:
        _refuse(exc)
        raise
    return render_template("rules/detail.html", stored=stored, publisher=publisher,
                           may_withdraw=use_cases.may_withdraw(_user(), stored.record),
                           form=ConfirmForm())


@blueprint.route("/<int:record_id>/rule.yaml")
@login_required
def download(record_id: int) -> Response:
    """The rule document, as its publisher can edit it into the next version."""
    try:
        with database().unit_of_work() as db:
            stored = use_cases.get_rule(db, record_id)
    except ServiceError as exc:
        _refuse(exc)
        raise
    text = yaml.safe_dump(rule_to_document(stored.rule), allow_unicode=True, sort_keys=False)
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = attachment(f"{stored.rule.reference}.yaml")
    return response


@blueprint.route("/<int:record_id>/withdraw", methods=["POST"])
@login_required
def withdraw(record_id: int) -> BaseResponse:
    """Withdraw a rule version (its publisher)."""
    if ConfirmForm().validate_on_submit():
        try:
            use_cases.withdraw_rule(database(), actor=_user(), record_id=record_id)
        except ServiceError as exc:
            _refuse(exc)
        else:
            flash(_("The rule version is withdrawn."), "info")
    return redirect(url_for("rules.detail", record_id=record_id))
