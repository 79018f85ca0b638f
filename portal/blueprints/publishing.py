"""Background publishing: associations upload datasets, the operator reviews and publishes
releases, everyone browses releases, their provenance and their differences."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from background_db.importers import FORMATS
from background_db.store import BackgroundStore
from portal import jobs
from portal.db.models import Job, JobStatus, OrganisationKind, ReleaseStatus, UploadStatus, User
from portal.services import publishing, release_detail, releases
from portal.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.publishing import N_
from portal.web import (
    current_user,
    database,
    login_required,
    query_int,
    require,
    settings,
)

blueprint = Blueprint("publishing", __name__, url_prefix="/background")

UPLOADERS = (OrganisationKind.ASSOCIATION, OrganisationKind.OPERATOR)
OPERATOR = (OrganisationKind.OPERATOR,)

#: (endpoint, label, organisation kinds that see it; empty: everyone logged in)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = [
    ("publishing.releases_index", N_("Background releases"), ()),
    ("publishing.uploads", N_("Dataset uploads"), UPLOADERS),
    ("publishing.review", N_("Review and publish"), OPERATOR),
]
STATUS_LABELS = {
    UploadStatus.VALIDATING: N_("Being read"), UploadStatus.INVALID: N_("Not valid"),
    UploadStatus.VALIDATED: N_("Validated"),
    UploadStatus.SUBMITTED: N_("Submitted for review"), UploadStatus.PUBLISHED: N_("Published"),
    UploadStatus.REJECTED: N_("Rejected"), ReleaseStatus.COMPILING: N_("Compiling"),
    ReleaseStatus.READY: N_("Ready"), ReleaseStatus.FAILED: N_("Compilation failed"),
}
REFRESH_SECONDS = 3


class UploadForm(FlaskForm):
    file = FileField("file")
    name = StringField("name")
    version = StringField("version", default="1.0.0")
    role = SelectField("role", validate_choice=False)
    format = SelectField("format", validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [("extension", _("Extension (provincial or sector)")),
                             ("base", _("Base (national)"))]
        self.format.choices = [("", _("Detect from the file")), *((f, f) for f in FORMATS)]


class RejectForm(FlaskForm):
    note = TextAreaField("note")


class PublishForm(FlaskForm):
    name = StringField("name")
    version = StringField("version")
    base = SelectField("base", validate_choice=False)
    extensions = SelectMultipleField("extensions", validate_choice=False,
                                     widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())


def _user() -> User:
    user = current_user()
    assert user is not None  # the routes below require a login
    return user


def _job_submitter() -> jobs.SubmitJob:
    """Submit jobs of this app on behalf of the current user."""
    app, user = current_app._get_current_object(), _user()  # type: ignore[attr-defined]

    def submit_job(kind: str, parameters: dict[str, Any]) -> str:
        return jobs.submit(app, kind, parameters, actor=user)

    return submit_job


def _store() -> BackgroundStore:
    root = settings().background_store
    assert root is not None  # Settings.resolved() fills it in
    return BackgroundStore(root)


def _refuse(exc: ServiceError) -> None:
    """Turn a service error into a 404 / 403, or flash what to fix."""
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, Forbidden):
        abort(403)
    messages = exc.errors.values() if isinstance(exc, InvalidInput) else [str(exc)]
    for message in messages:
        flash(_(message), "error")


def _label(dataset: publishing.PublishableDataset, organisations: dict[int, str]) -> str:
    if dataset.upload is None:
        return dataset.reference
    return str(_("%(dataset)s, uploaded by %(organisation)s", dataset=dataset.reference,
                 organisation=organisations.get(dataset.upload.organisation_id, "?")))


@blueprint.app_template_filter("json_list")
def json_list(text: str) -> list[Any]:
    """A JSON list column (e.g. a release's extensions) as a list."""
    value = json.loads(text or "[]")
    return value if isinstance(value, list) else []


@blueprint.app_template_global()
def status_label(status: UploadStatus | ReleaseStatus) -> str:
    """The translated name of an upload's or a release's status."""
    return str(_(STATUS_LABELS[status]))


@blueprint.route("/releases")
@login_required
def releases_index() -> str:
    """Every release the user may see, newest first."""
    with database().unit_of_work() as db:
        found = releases.list_releases(db, viewer=_user())
    return render_template("publishing/releases.html", releases=found)


@blueprint.route("/releases/<int:release_id>")
@login_required
def release(release_id: int) -> Response | str:
    """A release: datasets and provenance, replacements, activity search; progress while it
    compiles (the page refreshes itself)."""
    search = release_detail.ActivitySearch(
        query=request.args.get("q", "")[:200], sector=request.args.get("sector", "")[:200],
        geography=request.args.get("geography", "")[:200],
        page=query_int("page", 1) or 1)
    try:
        with database().unit_of_work() as db:
            detail = release_detail.release_detail(db, _store(), viewer=_user(),
                                                   release_id=release_id, search=search)
    except ServiceError as exc:
        _refuse(exc)
        return redirect(url_for("publishing.releases_index"))
    response = current_app.make_response(render_template(
        "publishing/release.html", detail=detail, search=search,
        refresh=REFRESH_SECONDS if detail.record.status is ReleaseStatus.COMPILING else 0))
    if detail.record.status is ReleaseStatus.COMPILING:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@blueprint.route("/releases/<int:release_id>/diff")
@login_required
def release_diff(release_id: int) -> Response | str:
    """What changed between another release (?against=ID) and this one."""
    against = query_int("against")
    if against is None:
        flash(_("Choose a release to compare with."), "error")
        return redirect(url_for("publishing.release", release_id=release_id))
    try:
        with database().unit_of_work() as db:
            comparison = release_detail.release_diff(db, _store(), viewer=_user(),
                                                     release_id=release_id, against_id=against)
    except ServiceError as exc:
        _refuse(exc)
        return redirect(url_for("publishing.release", release_id=release_id))
    return render_template("publishing/diff.html", comparison=comparison)


@blueprint.route("/uploads", methods=["GET", "POST"])
@require(kinds=UPLOADERS)
def uploads() -> Response | str:
    """The organisation's uploads, and the form to upload a dataset file."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        try:
            upload = publishing.upload_dataset(
                database(), _job_submitter(), actor=_user(), store=_store(),
                upload_root=settings().instance_path / "uploads",
                filename=getattr(storage, "filename", None) or "",
                data=storage.read() if storage else b"", role=form.role.data or "",
                name=form.name.data or "", version=form.version.data or "",
                file_format=form.format.data or "")
        except ServiceError as exc:
            _refuse(exc)
        else:
            return redirect(url_for("publishing.upload", upload_id=upload.id))
    with database().unit_of_work() as db:
        own = publishing.list_uploads(db, actor=_user())
    return render_template("publishing/uploads.html", form=form, uploads=own)


@blueprint.route("/uploads/<int:upload_id>")
@require(kinds=UPLOADERS)
def upload(upload_id: int) -> Response | str:
    """An upload's validation report: its summary, or every issue found; while the file is
    being read, the job's progress (the page refreshes itself)."""
    try:
        with database().unit_of_work() as db:
            found = publishing.get_upload(db, actor=_user(), upload_id=upload_id)
            job = db.get(Job, found.job_id) if found.job_id else None
    except ServiceError as exc:
        _refuse(exc)
        return redirect(url_for("publishing.uploads"))
    validating = found.status is UploadStatus.VALIDATING and (
        job is None or job.status in (JobStatus.QUEUED, JobStatus.RUNNING))
    response = current_app.make_response(render_template(
        "publishing/upload.html", upload=found, job=job, refresh=REFRESH_SECONDS if validating
        else 0, issues=json.loads(found.issues or "[]"),
        summary=json.loads(found.summary) if found.summary else None,
        form=FlaskForm(), own=found.organisation_id == _user().organisation_id))
    if validating:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@blueprint.route("/uploads/<int:upload_id>/submit", methods=["POST"])
@require(kinds=UPLOADERS)
def submit(upload_id: int) -> Response:
    """Send a validated upload to the operator for review."""
    try:
        with database().unit_of_work() as db:
            publishing.submit_upload(db, actor=_user(), upload_id=upload_id)
    except ServiceError as exc:
        _refuse(exc)
    else:
        flash(_("Submitted. The platform operator will review it."), "info")
    return redirect(url_for("publishing.upload", upload_id=upload_id))


@blueprint.route("/uploads/<int:upload_id>/reject", methods=["POST"])
@require(kinds=OPERATOR)
def reject(upload_id: int) -> Response:
    """Send a submitted upload back with a note."""
    form = RejectForm()
    if form.validate_on_submit():
        try:
            with database().unit_of_work() as db:
                publishing.reject_upload(db, actor=_user(), upload_id=upload_id,
                                         note=form.note.data or "")
        except ServiceError as exc:
            _refuse(exc)
        else:
            flash(_("The upload was rejected; its uploader sees your note."), "info")
    return redirect(url_for("publishing.review"))


@blueprint.route("/review", methods=["GET", "POST"])
@require(kinds=OPERATOR)
def review() -> Response | str:
    """Submitted uploads to review, and the form that publishes a release."""
    form = PublishForm()
    issues: list[str] = []
    if form.validate_on_submit():
        try:
            record = releases.publish_release(
                database(), _store(), _job_submitter(), actor=_user(), name=form.name.data or "",
                version=form.version.data or "", base=form.base.data or "",
                extensions=form.extensions.data or [])
        except releases.ReleaseRejected as exc:
            _refuse(exc)
            issues = exc.issues
        except ServiceError as exc:
            _refuse(exc)
        else:
            flash(_("Release published; it is compiling now."), "info")
            return redirect(url_for("publishing.release", release_id=record.id))
    with database().unit_of_work() as db:
        queue = publishing.review_queue(db, actor=_user(), store=_store())
    for field, role in ((form.base, "base"), (form.extensions, "extension")):
        field.choices = [(d.reference, _label(d, queue.organisations)) for d in queue.datasets
                         if d.role.value == role]
    return render_template("publishing/review.html", form=form, queue=queue, issues=issues,
                           reject_form=RejectForm())


@blueprint.route("/jobs/<job_id>")
@login_required
def job(job_id: str) -> Response:
    """A job's status, percent done and latest message, as JSON."""
    try:
        with database().unit_of_work() as db:
            status = releases.job_status(db, viewer=_user(), job_id=job_id[:36])
    except ServiceError as exc:
        _refuse(exc)
        abort(400)
    return jsonify(status)
