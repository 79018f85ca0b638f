"""Editing a product's model: one page of forms (each change a new model version), the XLSX
template to download and to upload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal.blueprints import product_forms as forms
from portal.blueprints.product_support import ENTERPRISE, actor
from portal.rules.wording import check_view
from portal.services import model_document as md
from portal.services import model_specs as ms
from portal.services import product_models
from portal.services.errors import Conflict, InvalidInput
from portal.services.model_template import TemplateRejected
from portal.web import database, query_int, require

blueprint = Blueprint("model", __name__, url_prefix="/<int:product_id>/model")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _number(value: Any) -> float:
    return float(value)


def _properties(form: Any) -> dict[str, float]:
    return {k: float(getattr(form, k).data) for k in ("mass", "energy", "price")
            if getattr(form, k).data is not None}


def _product(form: Any, substitutes: str = "") -> ms.ProductSpec:
    return ms.ProductSpec(form.product_id.data, form.product_name.data or "",
                          _number(form.amount.data), form.unit.data, _properties(form),
                          substitutes)


def _factors(text: str) -> dict[str, float]:
    """'strip=0.7; trim=0.3' -> {'strip': 0.7, 'trim': 0.3}."""
    factors = {}
    for part in text.replace("；", ";").replace(",", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            factors[key.strip()] = float(value)
        except ValueError:
            raise InvalidInput({"factors": _("'%(value)s' is not product=share.",
                                             value=part.strip())}) from None
        if not sep:
            raise InvalidInput({"factors": _("'%(value)s' is not product=share.",
                                             value=part.strip())})
    return factors


def _input(form: Any) -> ms.InputSpec:
    kind, _sep, target = (form.provider.data or "").partition(":")
    product = ""
    if kind == "process":
        target, _sep, product = target.partition("/")
    quality = {key: int(getattr(form, f"dqr_{key}").data) for key in ms.QUALITY_KEYS
               if getattr(form, f"dqr_{key}").data is not None}
    return ms.InputSpec(form.name.data or "", _number(form.amount.data), form.unit.data,
                        kind, target, product, form.data_type.data, bool(form.packaging.data),
                        quality)


def _remove(what: str) -> Callable[[Any], md.Edit]:
    def build(form: Any) -> md.Edit:
        if what == "process":
            return md.remove_process(form.process_id.data)
        if what == "product":
            return md.remove_product(form.process_id.data, form.product.data or "")
        index = form.index.data if form.index.data is not None else -1
        return (md.remove_input if what == "input" else md.remove_emission)(
            form.process_id.data, index)
    return build


@dataclass(frozen=True)
class Action:
    form: type[FlaskForm]
    build: Callable[[Any], md.Edit]


ACTIONS = {
    "settings": Action(forms.SettingsForm, lambda f: md.set_settings(
        release=f.release.data, reference_process=(f.reference.data or "").partition("/")[0],
        reference_product=(f.reference.data or "").partition("/")[2])),
    "add-process": Action(forms.ProcessForm, lambda f: md.add_process(
        id=f.process_id.data, name=f.process_name.data or "", location=f.location.data or "",
        tags=tuple(t for t in ms.TAGS if getattr(f, t).data), product=_product(f))),
    "add-coproduct": Action(forms.CoproductForm, lambda f: md.add_coproduct(
        f.process_id.data, _product(f, f.substitutes.data or ""), f.allocation.data)),
    "allocation": Action(forms.AllocationForm, lambda f: md.set_allocation(
        f.process_id.data, f.method.data, _factors(f.factors.data or ""))),
    "add-input": Action(forms.InputForm, lambda f: md.add_input(f.process_id.data, _input(f))),
    "add-emission": Action(forms.EmissionForm, lambda f: md.add_emission(
        f.process_id.data, ms.EmissionSpec(f.flow.data, _number(f.amount.data), f.unit.data,
                                        f.data_type.data))),
    "remove-process": Action(forms.RemoveForm, _remove("process")),
    "remove-product": Action(forms.RemoveForm, _remove("product")),
    "remove-input": Action(forms.RemoveForm, _remove("input")),
    "remove-emission": Action(forms.RemoveForm, _remove("emission")),
    "replace": Action(forms.ReplaceForm, lambda f: md.replace_background(f.old.data,
                                                                         f.new.data)),
}


def _page(product_id: int, issues: list[Any], status: int = 200) -> tuple[str, int]:
    search = {k: request.args.get(k, "")[:200] for k in ("q", "sector", "geography",
                                                          "process")}
    number = query_int("page", 1) or 1
    with database().unit_of_work() as db:
        page = product_models.model_page(db, actor(db), product_id, name=search["q"],
                                         sector=search["sector"],
                                         geography=search["geography"],
                                         process_query=search["process"],
                                         page_number=number)
        return render_template("products/model.html", page=page, issues=issues,
                               search=search, check=check_view(page.rule_check)), status


@blueprint.route("")
@require(kinds=ENTERPRISE)
def edit(product_id: int) -> tuple[str, int]:
    """The product's latest model with forms to change it and a search of the background."""
    return _page(product_id, [])


@blueprint.route("/<action>", methods=["POST"])
@require(kinds=ENTERPRISE)
def change(product_id: int, action: str) -> Response:
    """Apply one change to the model and save it as a new version."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    form = spec.form()
    if not form.validate_on_submit():
        forms.flash_errors(form.errors)
        return redirect(url_for(".edit", product_id=product_id))
    try:
        with database().unit_of_work() as db:
            version = product_models.edit_model(
                db, actor=actor(db), product_id=product_id,
                base_version=form.base_version.data, edit=spec.build(form))
            number = version.version
    except InvalidInput as exc:
        forms.flash_errors(exc.errors)
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash(_("Saved as model version %(version)s.", version=number), "info")
    return redirect(url_for(".edit", product_id=product_id))


@blueprint.route("/template.xlsx")
@require(kinds=ENTERPRISE)
def template(product_id: int) -> Response:
    """The model template (XLSX, bilingual headers), filled with the current model."""
    with database().unit_of_work() as db:
        data = product_models.template_for(db, actor(db), product_id)
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="product-{product_id}-model.xlsx"'})


@blueprint.route("/upload", methods=["POST"])
@require(kinds=ENTERPRISE)
def upload(product_id: int) -> Response | tuple[str, int]:
    """Replace the model with a filled-in template; problems are listed per row."""
    form = forms.UploadForm()
    if not form.validate_on_submit():
        forms.flash_errors(form.errors)
        return redirect(url_for(".edit", product_id=product_id))
    try:
        with database().unit_of_work() as db:
            version = product_models.upload_model(
                db, actor=actor(db), product_id=product_id,
                base_version=form.base_version.data, data=form.file.data.read(),
                filename=form.file.data.filename or "")
            number = version.version
    except TemplateRejected as exc:
        flash(_("The template was not saved: fix the rows listed below."), "error")
        return _page(product_id, exc.issues, 400)
    except InvalidInput as exc:
        forms.flash_errors(exc.errors)
        return redirect(url_for(".edit", product_id=product_id))
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for(".edit", product_id=product_id))
    flash(_("Saved as model version %(version)s.", version=number), "info")
    return redirect(url_for(".edit", product_id=product_id))
