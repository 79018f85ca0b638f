"""Certification pages: an enterprise submits a computed result with supporting documents and
answers requested changes; the addressed body reviews, reproduces, comments, verifies or
rejects, approves, issues the label (signer plus a second approver) and later suspends,
reinstates or revokes it. The rules live in label_cert.workflow and the services; these views
only translate requests and refusals."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from label_cert.workflow import Action
from portal.blueprints.product_forms import ID, ConfirmForm, flash_errors
from portal.blueprints.product_support import actor, share_page_handlers
from portal.db.models import OrganisationKind
from portal.rules.use_cases import stored_check
from portal.rules.wording import check_view
from portal.services import (
    certification,
    certification_views,
    issuer_keys,
    labels,
    submission_documents,
)
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.web import attachment, database, require

blueprint = Blueprint("certification", __name__, url_prefix="/certification")
PARTIES = (OrganisationKind.ENTERPRISE, OrganisationKind.CERTIFICATION_BODY)
BODY = (OrganisationKind.CERTIFICATION_BODY,)
ENTERPRISE = (OrganisationKind.ENTERPRISE,)

#: (endpoint, label, organisation kinds that see it)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = [
    ("certification.index", "Certification", PARTIES),
]
#: review decisions taken from the detail page with an optional note
DECISIONS = {a.value: a for a in (Action.START_REVIEW, Action.REQUEST_CHANGES, Action.VERIFY,
                                  Action.REJECT)}
LABEL_ACTIONS = {a.value: a for a in (Action.SUSPEND, Action.REINSTATE, Action.REVOKE)}


def _(message: str, **values: object) -> str:
    """gettext, typed."""
    return str(gettext(message, **values))


class SubmitForm(FlaskForm):
    body = SelectField("body", coerce=int, validate_choice=False)
    documents = MultipleFileField("documents")


class DocumentsForm(FlaskForm):
    documents = MultipleFileField("documents")


class NoteForm(FlaskForm):
    note = TextAreaField("note", validators=[Optional(), Length(max=4000)])


class CommentForm(FlaskForm):
    target = SelectField("target", validate_choice=False, validators=[Length(max=300)])
    body = TextAreaField("body", validators=[DataRequired(), Length(max=4000)])


class ResubmitForm(FlaskForm):
    footprint = IntegerField("footprint", validators=[InputRequired(), ID])
    note = TextAreaField("note", validators=[Optional(), Length(max=4000)])


share_page_handlers(blueprint)


def _back(submission_id: int) -> BaseResponse:
    return redirect(url_for(".detail", submission_id=submission_id))


def _refused(exc: Conflict | InvalidInput) -> None:
    if isinstance(exc, InvalidInput):
        flash_errors({k: [v] for k, v in exc.errors.items()})
    else:
        flash(str(exc), "error")


def _uploads() -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in request.files.getlist("documents")
            if f and f.filename]


@blueprint.route("")
@require(kinds=PARTIES)
def index() -> str:
    """The enterprise's submissions, or the body's queue."""
    with database().unit_of_work() as db:
        page = certification_views.queue(db, actor(db))
        return render_template("certification/index.html", page=page)


@blueprint.route("/new/<int:footprint_id>", methods=["GET", "POST"])
@require(kinds=ENTERPRISE)
def new(footprint_id: int) -> str | BaseResponse:
    """Submit a computed result to a certification body, with supporting documents."""
    form = SubmitForm()
    with database().unit_of_work() as db:
        page = certification_views.new_submission(db, actor(db), footprint_id)
        form.body.choices = [(b.id, b.name) for b in page.bodies]
        if not form.is_submitted():
            return render_template("certification/new.html", page=page, form=form)
    if not form.validate():
        flash_errors(form.errors)
        return redirect(url_for(".new", footprint_id=footprint_id))
    try:
        with database().unit_of_work() as db:  # one transaction: submission and documents
            user = actor(db)
            row = certification.submit(db, actor=user, footprint_id=footprint_id,
                                       body_id=form.body.data or 0)
            for name, content in _uploads():
                submission_documents.add(db, actor=user, submission_id=row.id,
                                         filename=name, content=content)
            submission_id = row.id
    except (Conflict, InvalidInput) as exc:
        _refused(exc)
        return redirect(url_for(".new", footprint_id=footprint_id))
    flash(_("Submitted for certification."), "info")
    return _back(submission_id)


@blueprint.route("/<int:submission_id>")
@require(kinds=PARTIES)
def detail(submission_id: int) -> str:
    """One submission: what was frozen, documents, reproduction, comments, actions, labels."""
    with database().unit_of_work() as db:
        page = certification_views.detail(db, actor(db), submission_id)
        comment_form = CommentForm()
        comment_form.target.choices = [(value, label or _("The whole submission"))
                                       for value, label in page.targets]
        return render_template(
            "certification/detail.html", page=page, note_form=NoteForm(),
            check=check_view(stored_check(page.submission.rule_check)),
            comment_form=comment_form, documents_form=DocumentsForm(),
            resubmit_form=ResubmitForm(), confirm_form=ConfirmForm())


@blueprint.route("/<int:submission_id>/submission.json")
@require(kinds=PARTIES)
def frozen(submission_id: int) -> Response:
    """The frozen model, release, result and hashes as one JSON download."""
    with database().unit_of_work() as db:
        package = certification_views.frozen_package(db, actor(db), submission_id)
    body = json.dumps(package, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = attachment(f"submission-{submission_id}.json")
    return response


@blueprint.route("/<int:submission_id>/documents", methods=["POST"])
@require(kinds=ENTERPRISE)
def add_documents(submission_id: int) -> BaseResponse:
    """Attach more supporting documents (all or none)."""
    form = DocumentsForm()
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return _back(submission_id)
    uploads = _uploads()
    if not uploads:
        flash(_("Choose at least one file."), "error")
        return _back(submission_id)
    try:
        with database().unit_of_work() as db:
            for name, content in uploads:
                submission_documents.add(db, actor=actor(db), submission_id=submission_id,
                                         filename=name, content=content)
    except (Conflict, InvalidInput) as exc:
        _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/documents/<int:document_id>")
@require(kinds=PARTIES)
def document(submission_id: int, document_id: int) -> Response:
    """Download one supporting document (the enterprise and the addressed body only)."""
    with database().unit_of_work() as db:
        item = submission_documents.read(db, actor=actor(db), submission_id=submission_id,
                                         document_id=document_id)
    response = Response(item.content, mimetype=item.content_type)
    response.headers["Content-Disposition"] = attachment(item.filename)
    return response


@blueprint.route("/<int:submission_id>/decide/<decision>", methods=["POST"])
@require(kinds=BODY)
def decide(submission_id: int, decision: str) -> BaseResponse:
    """Start the review, request changes, verify or reject, with an optional note."""
    if decision not in DECISIONS:
        raise NotFound("no such decision")
    form = NoteForm()
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return _back(submission_id)
    try:
        with database().unit_of_work() as db:
            certification.act(db, actor=actor(db), submission_id=submission_id,
                               action=DECISIONS[decision], note=form.note.data or "")
    except Conflict as exc:
        _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/reproduce", methods=["POST"])
@require(kinds=BODY)
def reproduce(submission_id: int) -> BaseResponse:
    """Recompute the frozen model against the frozen release and compare the result hash."""
    if not ConfirmForm().validate_on_submit():
        return _back(submission_id)
    try:
        with database().unit_of_work() as db:
            outcome = certification.reproduce(db, actor=actor(db), submission_id=submission_id)
    except Conflict as exc:
        _refused(exc)
        return _back(submission_id)
    if outcome.matches:
        flash(_("Reproduced: the same result hash."), "info")
    else:
        flash(_("The reproduction gave a different result hash; verification is blocked."),
              "error")
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/comments", methods=["POST"])
@require(kinds=BODY)
def comment(submission_id: int) -> BaseResponse:
    """A review comment on the submission or on one process or input."""
    form = CommentForm()
    form.target.choices = None
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return _back(submission_id)
    try:
        with database().unit_of_work() as db:
            certification.comment(db, actor=actor(db), submission_id=submission_id,
                                  body=form.body.data or "", target=form.target.data or "")
    except InvalidInput as exc:
        _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/resubmit", methods=["POST"])
@require(kinds=ENTERPRISE)
def resubmit(submission_id: int) -> BaseResponse:
    """Answer requested changes with a result (usually recomputed after the changes)."""
    form = ResubmitForm()
    if not form.validate_on_submit():
        flash_errors(form.errors)
        return _back(submission_id)
    try:
        with database().unit_of_work() as db:
            certification.resubmit(db, actor=actor(db), submission_id=submission_id,
                                   footprint_id=form.footprint.data or 0,
                                   note=form.note.data or "")
    except (Conflict, InvalidInput) as exc:
        _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/approve", methods=["POST"])
@require(kinds=BODY)
def approve(submission_id: int) -> BaseResponse:
    """Record the second approval that issuing needs."""
    if ConfirmForm().validate_on_submit():
        try:
            with database().unit_of_work() as db:
                certification.approve(db, actor=actor(db), submission_id=submission_id)
        except Conflict as exc:
            _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/issue", methods=["POST"])
@require(kinds=BODY)
def issue(submission_id: int) -> BaseResponse:
    """Sign and issue the label (signer; a different member must have approved)."""
    if ConfirmForm().validate_on_submit():
        try:
            with database().unit_of_work() as db:
                signer = actor(db)
                row = certification.visible(db, signer, submission_id)
                approver = certification.approver_of(db, row)
                if approver is None:
                    raise Conflict(_("A second approver of the body must approve first."))
                labels.issue(db, signer=signer, approver=approver,
                             submission_id=submission_id)
            flash(_("Label issued."), "info")
        except Conflict as exc:
            _refused(exc)
    return _back(submission_id)


@blueprint.route("/<int:submission_id>/labels/<int:label_id>/<action>", methods=["POST"])
@require(kinds=BODY)
def label_status(submission_id: int, label_id: int, action: str) -> BaseResponse:
    """Suspend, reinstate or revoke an issued label."""
    if action not in LABEL_ACTIONS:
        raise NotFound("no such action")
    if ConfirmForm().validate_on_submit():
        try:
            with database().unit_of_work() as db:
                labels.change_status(db, signer=actor(db), label_id=label_id,
                                     action=LABEL_ACTIONS[action])
        except Conflict as exc:
            _refused(exc)
    return _back(submission_id)


@blueprint.route("/keys")
@require(kinds=BODY)
def keys() -> str:
    """The body's signing keys: the active one and the retired ones still published."""
    with database().unit_of_work() as db:
        user = actor(db)
        rows = certification_views.body_keys(db, user)
        return render_template("certification/keys.html", rows=rows, user=user,
                               confirm_form=ConfirmForm())


@blueprint.route("/keys/rotate", methods=["POST"])
@require(kinds=BODY)
def rotate_key() -> BaseResponse:
    """Start signing with a new key; the old one stays published for the labels it signed."""
    if ConfirmForm().validate_on_submit():
        with database().unit_of_work() as db:
            user = actor(db)
            record = issuer_keys.rotate(db, actor=user, body_id=user.organisation_id)
            kid = record.kid
        flash(_("New signing key %(kid)s.", kid=kid), "info")
    return redirect(url_for(".keys"))
