"""Products of an enterprise: the list, creating and describing a product, scenario copies,
comparisons and the bulk recompute. Model editing and results are nested blueprints."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.blueprints import product_model, product_results
from portal.blueprints.product_forms import ProductForm, ReleaseForm, ScenarioForm, flash_errors
from portal.blueprints.product_support import ENTERPRISE, actor, share_page_handlers, this_app
from portal.db.models import OrganisationKind
from portal.services import product_models, products, recompute, scenarios
from portal.services.errors import Conflict, InvalidInput
from portal.web import database, query_int, require

blueprint = Blueprint("products", __name__, url_prefix="/products")
blueprint.register_blueprint(product_model.blueprint)
blueprint.register_blueprint(product_results.blueprint)

#: (endpoint, label, organisation kinds that see it; empty: everyone logged in)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = [
    ("products.index", "Products", (OrganisationKind.ENTERPRISE,)),
]


share_page_handlers(blueprint)


def _fields(form: ProductForm) -> products.ProductFields:
    return products.ProductFields(**{name: getattr(form, name).data or "" for name in (
        "name", "declared_unit", "gtin", "internal_id", "cpc_class", "period_start",
        "period_end", "geography")})


@blueprint.route("")
@require(kinds=ENTERPRISE)
def index() -> str:
    """The products of the user's enterprise with their latest results."""
    with database().unit_of_work() as db:
        rows = products.list_products(db, actor(db))
        return render_template("products/index.html", rows=rows)


@blueprint.route("/new", methods=["GET", "POST"])
@require(kinds=ENTERPRISE)
def new() -> str | Response:
    """Create a product."""
    form = ProductForm()
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                product_id = products.create_product(db, actor=actor(db),
                                                     fields=_fields(form)).id
        except InvalidInput as exc:
            flash_errors(exc.errors)
        else:
            flash(_("Product created. Now build its model."), "info")
            return redirect(url_for("products.model.edit", product_id=product_id))
    else:
        flash_errors(form.errors)
    return render_template("products/new.html", form=form)


@blueprint.route("/<int:product_id>", methods=["GET", "POST"])
@require(kinds=ENTERPRISE)
def detail(product_id: int) -> str | Response:
    """A product: its description (editable), model, results and scenarios."""
    form = ProductForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with database().unit_of_work() as db:
                    product_models.update_product(db, actor=actor(db),
                                                  product_id=product_id, fields=_fields(form))
                flash(_("Product saved."), "info")
                return redirect(url_for(".detail", product_id=product_id))
            except InvalidInput as exc:
                flash_errors(exc.errors)
            except Conflict as exc:
                flash(str(exc), "error")
        else:
            flash_errors(form.errors)
    with database().unit_of_work() as db:
        page = products.product_page(db, actor(db), product_id)
        if request.method == "GET":
            form.process(obj=page.product)
        return render_template("products/detail.html", page=page, form=form)


@blueprint.route("/<int:product_id>/scenario", methods=["POST"])
@require(kinds=ENTERPRISE)
def scenario(product_id: int) -> Response:
    """Copy the product and its latest model into a scenario to change."""
    form = ScenarioForm()
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return redirect(url_for(".detail", product_id=product_id))
    try:
        with database().unit_of_work() as db:
            copy = scenarios.create_scenario(db, actor=actor(db), product_id=product_id,
                                             name=form.name.data or "")
            copy_id = copy.id
    except (InvalidInput, Conflict) as exc:
        flash_errors(exc.errors if isinstance(exc, InvalidInput) else {"model": str(exc)})
        return redirect(url_for(".detail", product_id=product_id))
    flash(_("Scenario created: change its model, compute it and compare."), "info")
    return redirect(url_for("products.model.edit", product_id=copy_id))


@blueprint.route("/<int:product_id>/compare/<int:other_id>")
@require(kinds=ENTERPRISE)
def compare(product_id: int, other_id: int) -> str:
    """Two products' results side by side (latest results unless chosen)."""
    first, second = query_int("first"), query_int("second")
    with database().unit_of_work() as db:
        comparison = scenarios.compare(db, actor(db), product_id, other_id, first=first,
                                       second=second)
        return render_template("products/compare.html", c=comparison)


@blueprint.route("/recompute", methods=["GET", "POST"])
@require(kinds=ENTERPRISE)
def recompute_all() -> str | Response:
    """Recompute every product against a release and show old and new values."""
    form = ReleaseForm()
    if request.method == "POST":
        if form.validate_on_submit():
            with database().unit_of_work() as db:
                job_id = recompute.start_recompute(this_app(), db, actor=actor(db),
                                                   release_id=form.release.data or 0)
            return redirect(url_for(".recompute_all", job=job_id))
        flash_errors(form.errors)
    with database().unit_of_work() as db:
        page = recompute.recompute_page(db, actor(db), request.args.get("job"))
    running = page.job is not None and page.job.job.status.value in ("queued", "running")
    body = render_template("products/recompute.html", page=page, running=running)
    return Response(body, headers={"Refresh": "2"} if running else {})
