"""Computing a product's footprint (a job, its progress page) and the result page: totals per
PACT category, primary data share, SVG contribution charts and the supply-chain tree."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.blueprints.product_forms import ConfirmForm, ReleaseForm, flash_errors
from portal.blueprints.product_labels import result_charts
from portal.blueprints.product_support import ENTERPRISE, actor, this_app
from portal.db.models import JobStatus
from portal.rules.wording import check_view
from portal.services import footprints
from portal.services.errors import Conflict
from portal.web import database, require

blueprint = Blueprint("results", __name__, url_prefix="/<int:product_id>")


@blueprint.route("/compute", methods=["POST"])
@require(kinds=ENTERPRISE)
def compute(product_id: int) -> Response:
    """Compute the latest model against the chosen release (a job)."""
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return redirect(url_for("products.detail", product_id=product_id))
    try:
        with database().unit_of_work() as db:
            job_id = footprints.start_compute(this_app(), db, actor=actor(db),
                                              product_id=product_id,
                                              release_id=form.release.data or 0)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("products.detail", product_id=product_id))
    return redirect(url_for(".job", product_id=product_id, job_id=job_id))


@blueprint.route("/jobs/<job_id>")
@require(kinds=ENTERPRISE)
def job(product_id: int, job_id: str) -> Response:
    """The progress of a computation; the page refreshes itself until the result is ready."""
    with database().unit_of_work() as db:
        view = footprints.job_view(db, actor(db), job_id, kind="compute_footprint",
                                   product_id=product_id)
    if view.job.status is JobStatus.DONE and view.footprint_id is not None:
        return redirect(url_for(".result", product_id=product_id,
                                footprint_id=view.footprint_id))
    running = view.job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    body = render_template("products/job.html", view=view, product_id=product_id,
                           running=running)
    return Response(body, headers={"Refresh": "2"} if running else {})


@blueprint.route("/results/<int:footprint_id>")
@require(kinds=ENTERPRISE)
def result(product_id: int, footprint_id: int) -> str:
    """A computed footprint with its charts and supply-chain tree."""
    with database().unit_of_work() as db:
        page = footprints.result_page(db, actor(db), product_id, footprint_id)
        return render_template("products/result.html", page=page,
                               charts=result_charts(page.data),
                               check=check_view(page.rule_check))


@blueprint.route("/results/<int:footprint_id>/publish", methods=["POST"])
@require(kinds=ENTERPRISE)
def publish(product_id: int, footprint_id: int) -> Response:
    """Publish this result so that customers can link their inputs to it."""
    form = ConfirmForm()
    if form.validate_on_submit():
        with database().unit_of_work() as db:
            footprints.publish(db, actor=actor(db), product_id=product_id,
                               footprint_id=footprint_id)
        flash(_("Published: customers on the platform can now link to this footprint."),
              "info")
    else:
        flash_errors(form.errors)
    return redirect(url_for(".result", product_id=product_id, footprint_id=footprint_id))
