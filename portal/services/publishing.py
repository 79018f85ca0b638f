"""Dataset uploads: associations (and the operator) upload a background dataset file, read
its validation report, and submit it; the operator rejects it or publishes it into a release
(`services/releases.py`). A validated upload's dataset goes to the background store."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from background_db.importers import FORMATS
from background_db.records import DatasetRole
from background_db.release import SEMVER
from background_db.sandbox import IsolatedImport, SandboxLimits, import_isolated
from background_db.store import BackgroundStore
from portal.db.models import DatasetUpload, Organisation, OrganisationKind, UploadStatus, User
from portal.db.session import Database
from portal.jobs import JobContext, SubmitJob, task
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound

ALLOWED_EXTENSIONS = (".csv", ".xlsx", ".zip", ".json", ".xml", ".spold", ".txt")
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
MAX_ISSUES = 10_000  # a report longer than this ends with a count of the rest
#: Other organisations' uploads the operator may open (drafts stay private to their owner).
REVIEWABLE = (UploadStatus.SUBMITTED, UploadStatus.PUBLISHED, UploadStatus.REJECTED)


def N_(message: str) -> str:  # noqa: N802  (the gettext marker Babel's extractor knows)
    """Mark *message* for translation; views translate it when they show it."""
    return message


def is_operator(user: User) -> bool:
    return user.organisation.kind is OrganisationKind.OPERATOR


def _now() -> datetime:
    return datetime.now(UTC)


def _check_uploader(actor: User) -> None:
    if actor.organisation.kind not in (OrganisationKind.ASSOCIATION, OrganisationKind.OPERATOR):
        raise Forbidden(N_("Only associations and the platform operator upload datasets."))


def _check_fields(filename: str, data: bytes, name: str, version: str, role: str,
                  file_format: str) -> str:
    """The file's lower-case extension, once every field is acceptable."""
    errors: dict[str, str] = {}
    extension = os.path.splitext(filename)[1].lower()
    if not data:
        errors["file"] = N_("The file is empty.")
    elif extension not in ALLOWED_EXTENSIONS:
        errors["file"] = N_("This type of file is not accepted. Upload a .csv, .xlsx, .zip, "
                            ".json, .xml, .spold or .txt file.")
    if not DATASET_NAME.match(name):
        errors["name"] = N_("The dataset name must start with a letter or digit and use only "
                            "letters, digits, '.', '_' and '-' (at most 120).")
    if len(version) > 40 or not SEMVER.match(version):
        errors["version"] = N_("The version must be a semantic version such as 1.0.0.")
    if role not in (r.value for r in DatasetRole):
        errors["role"] = N_("Choose base or extension.")
    if file_format and file_format not in FORMATS:
        errors["format"] = N_("Unknown format.")
    if errors:
        raise InvalidInput(errors)
    return extension


def _save(upload_root: Path, digest: str, filename: str, extension: str, data: bytes) -> Path:
    """Keep the file as <root>/<sha256>/<safe name> (written atomically, once)."""
    stem = secure_filename(os.path.splitext(filename)[0])[:100] or "upload"
    path = upload_root / digest / f"{stem}{extension}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    return path


def _state(upload: DatasetUpload) -> dict[str, Any]:
    return {"status": upload.status, "name": upload.name, "version": upload.version,
            "role": upload.role, "sha256": upload.file_sha256, "note": upload.review_note}


def receive_upload(session: Session, *, actor: User, store: BackgroundStore,
                   upload_root: Path, filename: str, data: bytes, role: str, name: str,
                   version: str, file_format: str = "") -> DatasetUpload:
    """Check the form, keep the file and record the upload VALIDATING (its import runs as a
    job: `validate_upload_job`), or INVALID at once when its name@version is taken."""
    _check_uploader(actor)
    name, version = name.strip(), version.strip()
    extension = _check_fields(filename, data, name, version, role, file_format)
    digest = hashlib.sha256(data).hexdigest()
    path = _save(upload_root, digest, filename, extension, data)
    issues: list[str] = []
    if (name, version) in store.datasets():
        # every upload adds a new dataset version, so no upload can claim (or hide from the
        # publish form) a dataset someone else stored
        issues = [f"{path.name}: dataset {name} {version} is already in the background "
                  f"store; give this upload a new version"]
    upload = DatasetUpload(
        organisation_id=actor.organisation_id, uploaded_by_id=actor.id,
        filename=filename[:255], stored_path=path.relative_to(upload_root).as_posix(),
        file_sha256=digest, format=file_format, role=role, name=name, version=version,
        status=UploadStatus.INVALID if issues else UploadStatus.VALIDATING,
        issues=json.dumps(issues, ensure_ascii=False), summary="", created_at=_now())
    session.add(upload)
    session.flush()
    audit.record(session, actor=actor, action="upload.create", entity="dataset_upload",
                 entity_id=upload.id, after=_state(upload))
    return upload


def upload_dataset(database: Database, submit_job: SubmitJob, *, actor: User,
                   store: BackgroundStore, upload_root: Path, filename: str, data: bytes,
                   role: str, name: str, version: str, file_format: str = "") -> DatasetUpload:
    """Receive an upload and start its validation job. Two transactions, as for releases:
    the job must find the upload committed (it may run at once, in this thread)."""
    with database.unit_of_work() as session:
        upload = receive_upload(session, actor=actor, store=store, upload_root=upload_root,
                                filename=filename, data=data, role=role, name=name,
                                version=version, file_format=file_format)
    if upload.status is not UploadStatus.VALIDATING:
        return upload
    job_id = submit_job(VALIDATE, {"upload_id": upload.id})
    with database.unit_of_work() as session:
        stored = session.get(DatasetUpload, upload.id)
        assert stored is not None
        stored.job_id = job_id
    return stored


VALIDATE = "validate_upload"


@task(VALIDATE)
def validate_upload_job(context: JobContext, *, upload_id: int) -> dict[str, Any]:
    """Import a received upload in a sandboxed child process (memory and time limits, see
    background_db.sandbox) and record it VALIDATED, with the dataset stored, or INVALID with
    every issue. Issues name the uploaded file, never the folder it is kept in."""
    settings = context.app.extensions["pcf_settings"]
    upload_root = settings.instance_path / "uploads"
    with context.database.unit_of_work() as session:
        upload = session.get(DatasetUpload, upload_id)
        if upload is None or upload.status is not UploadStatus.VALIDATING:
            return {"upload": upload_id, "skipped": True}
        path = upload_root / upload.stored_path
        request = (upload.format, upload.role, upload.name, upload.version)
    context.progress(10, N_("Reading the file"))
    file_format, role, name, version = request
    try:
        outcome = import_isolated(
            path, store_root=settings.background_store, role=DatasetRole(role), name=name,
            version=version, file_format=file_format or None,
            limits=SandboxLimits(memory_bytes=settings.import_memory_mb * 1024**2,
                                 cpu_seconds=settings.import_seconds,
                                 wall_seconds=settings.import_seconds * 1.5))
    except OSError as exc:  # the child could not start: say so on the report, not only here
        outcome = IsolatedImport(None, (f"{path.name}: the file could not be read: {exc}",))
    folder = f"{path.parent}{os.sep}"
    issues = [issue.replace(folder, "") for issue in outcome.issues]
    if len(issues) > MAX_ISSUES:
        issues = [*issues[:MAX_ISSUES], f"... and {len(issues) - MAX_ISSUES} more"]
    with context.database.unit_of_work() as session:
        upload = session.get(DatasetUpload, upload_id)
        assert upload is not None
        before = _state(upload)
        valid = outcome.summary is not None and not issues
        upload.status = UploadStatus.VALIDATED if valid else UploadStatus.INVALID
        upload.issues = json.dumps(issues, ensure_ascii=False)
        upload.summary = json.dumps(outcome.summary) if valid else ""
        if valid and outcome.summary:
            upload.format = str(outcome.summary.get("format", upload.format))
        audit.record(session, actor=None, action="upload.validate", entity="dataset_upload",
                     entity_id=upload.id, before=before, after=_state(upload),
                     detail=f"{len(issues)} issue(s)" if issues else "",
                     organisation_id=upload.organisation_id)
    return {"upload": upload_id, "status": "validated" if valid else "invalid",
            "issues": len(issues), "peak_rss_mb": round(outcome.peak_rss_kb / 1024, 1)}


def _visible(actor: User, upload: DatasetUpload) -> bool:
    return upload.organisation_id == actor.organisation_id or (
        is_operator(actor) and upload.status in REVIEWABLE)


def get_upload(session: Session, *, actor: User, upload_id: int,
               lock: bool = False) -> DatasetUpload:
    """An upload of the actor's organisation, or one submitted to the operator. Others are
    NotFound, never Forbidden, so their existence does not leak."""
    query = select(DatasetUpload).where(DatasetUpload.id == upload_id)
    upload = session.scalar(query.with_for_update() if lock else query)
    if upload is None or not _visible(actor, upload):
        raise NotFound(N_("No such upload."))
    return upload


def list_uploads(session: Session, *, actor: User) -> list[DatasetUpload]:
    """The uploads of the actor's own organisation, newest first."""
    _check_uploader(actor)
    return list(session.scalars(select(DatasetUpload).where(
        DatasetUpload.organisation_id == actor.organisation_id).order_by(
        DatasetUpload.created_at.desc(), DatasetUpload.id.desc())))


def submit_upload(session: Session, *, actor: User, upload_id: int) -> DatasetUpload:
    """Send a validated upload of the actor's organisation to the operator for review."""
    _check_uploader(actor)
    upload = get_upload(session, actor=actor, upload_id=upload_id, lock=True)
    if upload.organisation_id != actor.organisation_id:
        raise NotFound(N_("No such upload."))
    if upload.status is not UploadStatus.VALIDATED:
        raise Conflict(N_("Only a validated upload that was not submitted yet can be "
                          "submitted."))
    before = _state(upload)
    upload.status = UploadStatus.SUBMITTED
    audit.record(session, actor=actor, action="upload.submit", entity="dataset_upload",
                 entity_id=upload.id, before=before, after=_state(upload),
                 organisation_id=upload.organisation_id)
    return upload


def reject_upload(session: Session, *, actor: User, upload_id: int, note: str
                  ) -> DatasetUpload:
    """The operator sends a submitted upload back with a note saying what to fix."""
    if not is_operator(actor):
        raise Forbidden(N_("Only the platform operator reviews uploads."))
    if not note.strip():
        raise InvalidInput({"note": N_("Say why the upload is rejected.")})
    upload = get_upload(session, actor=actor, upload_id=upload_id, lock=True)
    if upload.status is not UploadStatus.SUBMITTED:
        raise Conflict(N_("Only a submitted upload can be rejected."))
    before = _state(upload)
    upload.status = UploadStatus.REJECTED
    upload.review_note = note.strip()
    upload.reviewed_by_id = actor.id
    audit.record(session, actor=actor, action="upload.reject", entity="dataset_upload",
                 entity_id=upload.id, before=before, after=_state(upload),
                 detail=upload.review_note, organisation_id=upload.organisation_id)
    return upload


@dataclass(frozen=True)
class PublishableDataset:
    """A stored dataset the operator may put into a release, and the upload it came from
    (None for datasets imported on the command line, such as the seed data)."""

    name: str
    version: str
    role: DatasetRole
    upload: DatasetUpload | None

    @property
    def reference(self) -> str:
        return f"{self.name}@{self.version}"


_ROLES: dict[tuple[str, str, str], DatasetRole] = {}  # stored datasets never change


def _role_of(store: BackgroundStore, name: str, version: str) -> DatasetRole:
    key = (str(store.root), name, version)
    if key not in _ROLES:
        _ROLES[key] = store.get_dataset(name, version).role
    return _ROLES[key]


def publishable_datasets(session: Session, store: BackgroundStore) -> list[PublishableDataset]:
    """Stored datasets that no upload brought, or that a submitted or published upload did;
    a validated draft or a rejected upload is not publishable."""
    uploads: dict[tuple[str, str], list[DatasetUpload]] = {}
    for upload in session.scalars(select(DatasetUpload).where(
            DatasetUpload.status != UploadStatus.INVALID).order_by(DatasetUpload.id)):
        uploads.setdefault((upload.name, upload.version), []).append(upload)
    found = []
    for name, version in store.datasets():
        brought = uploads.get((name, version), [])
        accepted = [u for u in brought if u.status in (UploadStatus.SUBMITTED,
                                                       UploadStatus.PUBLISHED)]
        if brought and not accepted:
            continue
        found.append(PublishableDataset(name, version, _role_of(store, name, version),
                                        accepted[-1] if accepted else None))
    return found


@dataclass(frozen=True)
class ReviewQueue:
    """What the operator's review page shows: uploads waiting, and what may be published."""

    submitted: list[DatasetUpload]
    datasets: list[PublishableDataset]
    organisations: dict[int, str]  # names of the organisations that uploaded them


def review_queue(session: Session, *, actor: User, store: BackgroundStore) -> ReviewQueue:
    """Submitted uploads (oldest first) and the datasets a release may be composed of."""
    if not is_operator(actor):
        raise Forbidden(N_("Only the platform operator reviews uploads."))
    submitted = list(session.scalars(select(DatasetUpload).where(
        DatasetUpload.status == UploadStatus.SUBMITTED).order_by(DatasetUpload.id)))
    datasets = publishable_datasets(session, store)
    ids = {u.organisation_id for u in submitted} | {
        d.upload.organisation_id for d in datasets if d.upload is not None}
    names = {row.id: row.name for row in session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))}
    return ReviewQueue(submitted, datasets, names)
