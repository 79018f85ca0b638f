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

from background_db.errors import BackgroundError, DatasetImportError
from background_db.importers import FORMATS, import_file
from background_db.records import Dataset, DatasetRole
from background_db.release import SEMVER
from background_db.serialize import dataset_hash
from background_db.store import BackgroundStore
from portal.db.models import DatasetUpload, Organisation, OrganisationKind, UploadStatus, User
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


def _import(path: Path, *, file_format: str, role: str, name: str, version: str,
            store: BackgroundStore) -> tuple[Dataset | None, list[str]]:
    """The imported (and stored) dataset, or the issue texts that stop it. Issues name the
    uploaded file, never the folder it is kept in."""
    folder = f"{path.parent}{os.sep}"
    try:
        dataset = import_file(path, format=file_format or None, role=DatasetRole(role),
                              name=name, version=version)
        store.put_dataset(dataset)
    except DatasetImportError as exc:
        return None, [str(issue).replace(folder, "") for issue in exc.issues]
    except BackgroundError as exc:  # e.g. name@version already stored with other content
        return None, [f"{path.name}: {str(exc).replace(folder, '')}"]
    except Exception as exc:  # a broken or hostile file gets a report, never a server error
        return None, [f"{path.name}: cannot read the file: {type(exc).__name__}: "
                      f"{str(exc).replace(folder, '')}"]
    return dataset, []


def summary_of(dataset: Dataset) -> dict[str, Any]:
    """What the validation report shows about an imported dataset."""
    inputs = [i for a in dataset.activities for i in a.inputs]
    return {
        "format": dataset.format, "activities": len(dataset.activities),
        "flows": len(dataset.flows), "greenhouse_gases": sum(1 for f in dataset.flows if f.gas),
        "inputs_by_id": sum(1 for i in inputs if i.provider),
        "inputs_by_name": sum(1 for i in inputs if not i.provider),
        "replacing": sum(1 for a in dataset.activities if a.replaces),
        "content_hash": dataset_hash(dataset),
    }


def _state(upload: DatasetUpload) -> dict[str, Any]:
    return {"status": upload.status, "name": upload.name, "version": upload.version,
            "role": upload.role, "sha256": upload.file_sha256, "note": upload.review_note}


def upload_dataset(session: Session, *, actor: User, store: BackgroundStore,
                   upload_root: Path, filename: str, data: bytes, role: str, name: str,
                   version: str, file_format: str = "") -> DatasetUpload:
    """Keep the file, import it, and record the upload as VALIDATED (the dataset is now in
    the store) or INVALID (with every issue the importer found)."""
    _check_uploader(actor)
    name, version = name.strip(), version.strip()
    extension = _check_fields(filename, data, name, version, role, file_format)
    digest = hashlib.sha256(data).hexdigest()
    path = _save(upload_root, digest, filename, extension, data)
    if (name, version) in store.datasets():
        # every upload adds a new dataset version, so no upload can claim (or hide from the
        # publish form) a dataset someone else stored
        dataset, issues = None, [f"{path.name}: dataset {name} {version} is already in the "
                                 f"background store; give this upload a new version"]
    else:
        dataset, issues = _import(path, file_format=file_format, role=role, name=name,
                                  version=version, store=store)
    if len(issues) > MAX_ISSUES:
        issues = [*issues[:MAX_ISSUES], f"... and {len(issues) - MAX_ISSUES} more"]
    upload = DatasetUpload(
        organisation_id=actor.organisation_id, uploaded_by_id=actor.id,
        filename=filename[:255], stored_path=path.relative_to(upload_root).as_posix(),
        file_sha256=digest, format=dataset.format if dataset else file_format, role=role,
        name=name, version=version,
        status=UploadStatus.VALIDATED if dataset else UploadStatus.INVALID,
        issues=json.dumps(issues, ensure_ascii=False),
        summary=json.dumps(summary_of(dataset)) if dataset else "", created_at=_now())
    session.add(upload)
    session.flush()
    audit.record(session, actor=actor, action="upload.create", entity="dataset_upload",
                 entity_id=upload.id, after=_state(upload),
                 detail=f"{len(issues)} issue(s)" if issues else "")
    return upload


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
