"""The operator's grade threshold tables per CPC class and declared unit (分级基准)."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lca_engine.units import PACT_DECLARED_UNITS
from portal.blueprints.product_forms import ConfirmForm, flash_errors
from portal.blueprints.product_support import actor, share_page_handlers
from portal.db.models import OrganisationKind
from portal.services import grading_tables
from portal.services.errors import InvalidInput
from portal.web import database, require

blueprint = Blueprint("grading", __name__, url_prefix="/grading")
share_page_handlers(blueprint)
OPERATOR = (OrganisationKind.OPERATOR,)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = [
    ("grading.index", "Grading", OPERATOR),
]


class ThresholdForm(FlaskForm):
    cpc_class = StringField("cpc_class", validators=[DataRequired(), Length(max=20)])
    declared_unit = SelectField("declared_unit",
                                choices=[SelectChoice(u) for u in PACT_DECLARED_UNITS])
    bounds = TextAreaField("bounds", validators=[DataRequired(), Length(max=2000)])
    note = TextAreaField("note", validators=[Optional(), Length(max=2000)])


@blueprint.route("", methods=["GET", "POST"])
@require(kinds=OPERATOR)
def index() -> str | Response:
    """The tables, and a form to set (create or replace) one."""
    form = ThresholdForm()
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                grading_tables.set_table(
                    db, actor=actor(db), cpc_class=form.cpc_class.data or "",
                    declared_unit=form.declared_unit.data or "",
                    bounds_text=form.bounds.data or "", note=form.note.data or "")
            flash(str(gettext("Thresholds saved.")), "info")
            return redirect(url_for(".index"))
        except InvalidInput as exc:
            flash_errors({k: [v] for k, v in exc.errors.items()})
    elif form.is_submitted():
        flash_errors(form.errors)
    with database().unit_of_work() as db:
        rows = [(row, json.loads(row.bounds)) for row in grading_tables.tables(db)]
        return render_template("grading/index.html", rows=rows, form=form,
                               confirm_form=ConfirmForm())


@blueprint.route("/<int:table_id>/delete", methods=["POST"])
@require(kinds=OPERATOR)
def delete(table_id: int) -> Response:
    """Remove a table: labels of that class are then graded against their peers."""
    if ConfirmForm().validate_on_submit():
        with database().unit_of_work() as db:
            grading_tables.delete_table(db, actor=actor(db), table_id=table_id)
    return redirect(url_for(".index"))
