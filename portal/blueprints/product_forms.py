"""Forms of the product pages (CSRF-checked by Flask-WTF), and the translated names of their
fields for error messages."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lca_engine.units import PACT_DECLARED_UNITS
from portal.services.model_specs import ALLOCATION_METHODS, DATA_TYPES
from portal.web import MAX_ID

_TEXT = [Optional(), Length(max=200)]
_ID = [DataRequired(), Length(max=64)]
_AMOUNT = [InputRequired(), NumberRange(min=0)]
_PROPERTY = [Optional(), NumberRange(min=0)]
_RATING = [Optional(), NumberRange(min=1, max=5)]
ID = NumberRange(min=0, max=MAX_ID)  # ids, versions and indexes a database column holds


def _(message: str, **values: object) -> str:
    """gettext, typed."""
    return str(gettext(message, **values))


class ProductForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    gtin = StringField("gtin", validators=[Optional(), Length(max=14)])
    internal_id = StringField("internal_id", validators=[Optional(), Length(max=100)])
    cpc_class = StringField("cpc_class", validators=[Optional(), Length(max=20)])
    declared_unit = SelectField("declared_unit",
                                choices=[SelectChoice(u) for u in PACT_DECLARED_UNITS])
    period_start = StringField("period_start", validators=[Optional(), Length(max=10)])
    period_end = StringField("period_end", validators=[Optional(), Length(max=10)])
    geography = StringField("geography", validators=[Optional(), Length(max=40)])


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class ScenarioForm(FlaskForm):
    name = StringField("name", validators=_TEXT)


class ReleaseForm(FlaskForm):
    release = IntegerField("release", validators=[InputRequired(), ID])


class ModelForm(FlaskForm):
    """Every model edit names the version it was made on."""

    base_version = IntegerField("base_version", validators=[InputRequired(), ID])


class SettingsForm(ModelForm):
    release = StringField("release", validators=[DataRequired(), Length(max=170)])
    reference = StringField("reference", validators=_TEXT)  # "process/product"


class _ProductFields(ModelForm):
    product_id = StringField("product_id", validators=_ID)
    product_name = StringField("product_name", validators=_TEXT)
    amount = DecimalField("amount", places=None, validators=[InputRequired(),
                                                             NumberRange(min=0)])
    unit = StringField("unit", validators=[DataRequired(), Length(max=40)])
    mass = DecimalField("mass", places=None, validators=_PROPERTY)
    energy = DecimalField("energy", places=None, validators=_PROPERTY)
    price = DecimalField("price", places=None, validators=_PROPERTY)


class ProcessForm(_ProductFields):
    process_id = StringField("process_id", validators=_ID)
    process_name = StringField("process_name", validators=_TEXT)
    location = StringField("location", validators=[Optional(), Length(max=40)])
    packaging = BooleanField("packaging")
    aircraft = BooleanField("aircraft")


class CoproductForm(_ProductFields):
    process_id = StringField("process_id", validators=_ID)
    substitutes = StringField("substitutes", validators=_TEXT)
    allocation = SelectField("allocation", choices=[SelectChoice(m) for m in
                                                    ALLOCATION_METHODS])


class AllocationForm(ModelForm):
    process_id = StringField("process_id", validators=_ID)
    method = SelectField("method", choices=[SelectChoice(m) for m in ALLOCATION_METHODS])
    factors = StringField("factors", validators=[Optional(), Length(max=1000)])


class InputForm(ModelForm):
    process_id = StringField("process_id", validators=_ID)
    name = StringField("name", validators=_TEXT)
    amount = DecimalField("amount", places=None, validators=_AMOUNT)
    unit = StringField("unit", validators=[DataRequired(), Length(max=40)])
    provider = StringField("provider", validators=[DataRequired(), Length(max=200)])
    data_type = SelectField("data_type", choices=[SelectChoice(d) for d in DATA_TYPES],
                            default="secondary")
    packaging = BooleanField("packaging")
    dqr_technological = IntegerField("dqr_technological", validators=_RATING)
    dqr_temporal = IntegerField("dqr_temporal", validators=_RATING)
    dqr_geographical = IntegerField("dqr_geographical", validators=_RATING)
    dqr_completeness = IntegerField("dqr_completeness", validators=_RATING)
    dqr_reliability = IntegerField("dqr_reliability", validators=_RATING)


class EmissionForm(ModelForm):
    process_id = StringField("process_id", validators=_ID)
    flow = StringField("flow", validators=[DataRequired(), Length(max=300)])
    amount = DecimalField("amount", places=None, validators=_AMOUNT)
    unit = StringField("unit", validators=[DataRequired(), Length(max=40)])
    data_type = SelectField("data_type", choices=[SelectChoice(d) for d in DATA_TYPES],
                            default="primary")


class RemoveForm(ModelForm):
    process_id = StringField("process_id", validators=_ID)
    index = IntegerField("index", validators=[Optional(), ID])
    product = StringField("product", validators=[Optional(), Length(max=64)])


class ReplaceForm(ModelForm):
    old = StringField("old", validators=[DataRequired(), Length(max=200)])
    new = StringField("new", validators=[DataRequired(), Length(max=200)])


class UploadForm(ModelForm):
    file = FileField("file", validators=[FileRequired()])


def field_label(name: str) -> str:
    labels = {
        "name": _("Product name"), "gtin": _("GTIN"), "internal_id": _("Internal id"),
        "cpc_class": _("CPC class"), "declared_unit": _("Declared unit"),
        "period_start": _("Period start"), "period_end": _("Period end"),
        "geography": _("Geography"), "release": _("Background release"),
        "reference": _("Declared product"), "product_id": _("Product id"),
        "product_name": _("Product name"), "amount": _("Amount"), "unit": _("Unit"),
        "mass": _("Mass per unit (kg)"), "energy": _("Energy per unit (MJ)"),
        "price": _("Price per unit"), "process_id": _("Process id"),
        "process_name": _("Process name"), "location": _("Location"),
        "process": _("Process"), "substitutes": _("Substitutes (background activity)"),
        "allocation": _("Allocation"), "method": _("Allocation"),
        "factors": _("Allocation factors"), "provider": _("Provider"),
        "data_type": _("Data type"), "flow": _("Elementary flow"), "index": _("Entry"),
        "product": _("Product"), "old": _("Activity now used"), "new": _("Replace with"),
        "file": _("File"), "base_version": _("Model version"), "model": _("Model"),
        "csrf_token": _("Form"), "supplier": _("Published footprint"),
        "target": _("Provider"), "kind": _("Provider"),
        "dqr_technological": _("Technological"), "dqr_temporal": _("Temporal"),
        "dqr_geographical": _("Geographical"), "dqr_completeness": _("Completeness"),
        "dqr_reliability": _("Reliability"),
    }
    return labels.get(name, name)


def flash_errors(errors: dict[str, str] | dict[str, list[str]]) -> None:
    """Flash each field's error with the field's translated name."""
    for name, messages in errors.items():
        for message in [messages] if isinstance(messages, str) else messages:
            flash(_("%(field)s: %(error)s", field=field_label(name), error=message), "error")
