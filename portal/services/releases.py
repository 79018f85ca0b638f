"""Releases: the operator composes a release from stored datasets, it is frozen into the
background store and compiled by the "compile_release" job; everyone logged in sees the
releases that are ready, the operator sees every one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import compile_release
from background_db.errors import ReleaseError, ReleaseValidationError, StoreError
from background_db.records import DatasetRole
from background_db.release import SEMVER, BackgroundRelease, compose
from background_db.store import BackgroundStore
from portal.db.models import (
    DatasetUpload,
    Job,
    ReleaseRecord,
    ReleaseStatus,
    UploadStatus,
    User,
)
from portal.db.session import Database
from portal.jobs import JobContext, SubmitJob, task
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.publishing import DATASET_NAME, N_, is_operator, publishable_datasets


class ReleaseRejected(InvalidInput):
    """The composed release is not valid; *issues* lists every problem as text."""

    def __init__(self, issues: Sequence[str]) -> None:
        self.issues = list(issues)
        super().__init__({"release": N_("The release is not valid; fix every problem listed "
                                        "and publish again.")})


def _state(record: ReleaseRecord) -> dict[str, Any]:
    return {"label": f"{record.name}@{record.version}", "status": record.status,
            "content_hash": record.content_hash, "base": record.base,
            "extensions": record.extensions}


def _compose(session: Session, store: BackgroundStore, *, name: str, version: str,
             base: str, extensions: Sequence[str]) -> BackgroundRelease:
    """Validate the choice against what may be published, then compose and freeze it."""
    errors: dict[str, str] = {}
    if not DATASET_NAME.match(name):
        errors["name"] = N_("The release name must start with a letter or digit and use only "
                            "letters, digits, '.', '_' and '-' (at most 120).")
    if len(version) > 40 or not SEMVER.match(version):
        errors["version"] = N_("The version must be a semantic version such as 1.0.0.")
    choices = {d.reference: d for d in publishable_datasets(session, store)}
    if base not in choices or choices[base].role is not DatasetRole.BASE:
        errors["base"] = N_("Choose a base dataset from the list.")
    if any(e not in choices or choices[e].role is not DatasetRole.EXTENSION
           for e in extensions):
        errors["extensions"] = N_("Choose extensions from the list.")
    if errors:
        raise InvalidInput(errors)
    if session.scalar(select(ReleaseRecord.id).where(ReleaseRecord.name == name,
                                                     ReleaseRecord.version == version)):
        raise Conflict(N_("A release with this name and version exists; releases never "
                          "change, so publish a new version."))
    try:
        return compose(name, version, store.get_dataset(*base.split("@", 1)),
                       [store.get_dataset(*e.split("@", 1)) for e in extensions])
    except ReleaseValidationError as exc:
        raise ReleaseRejected([str(issue) for issue in exc.issues]) from None
    except (ReleaseError, StoreError) as exc:  # e.g. a dataset file gone from the store
        raise ReleaseRejected([str(exc)]) from None


def _mark_published(session: Session, actor: User, chosen: set[str]) -> None:
    for upload in session.scalars(select(DatasetUpload).where(
            DatasetUpload.status == UploadStatus.SUBMITTED).with_for_update()):
        if f"{upload.name}@{upload.version}" in chosen:
            before = upload.status
            upload.status = UploadStatus.PUBLISHED
            upload.reviewed_by_id = actor.id
            audit.record(session, actor=actor, action="upload.publish",
                         entity="dataset_upload", entity_id=upload.id,
                         before={"status": before}, after={"status": upload.status},
                         organisation_id=upload.organisation_id)


def publish_release(database: Database, store: BackgroundStore, submit_job: SubmitJob, *,
                    actor: User, name: str, version: str, base: str,
                    extensions: Sequence[str]) -> ReleaseRecord:
    """Compose a release, freeze it into the store, record it COMPILING and start the job
    that compiles it. Two transactions: the job must find the record committed (it may run
    at once, in this thread), and the record then learns the job's id."""
    if not is_operator(actor):
        raise Forbidden(N_("Only the platform operator publishes releases."))
    name, version = name.strip(), version.strip()
    chosen = list(dict.fromkeys(extensions))
    with database.unit_of_work() as session:
        release = _compose(session, store, name=name, version=version, base=base,
                           extensions=chosen)
        try:
            store.put_release(release)
        except StoreError as exc:
            raise Conflict(str(exc)) from None
        record = ReleaseRecord(
            name=name, version=version, content_hash=release.content_hash, base=base,
            extensions=json.dumps(chosen), status=ReleaseStatus.COMPILING,
            published_by_id=actor.id, published_at=datetime.now(UTC))
        session.add(record)
        session.flush()
        audit.record(session, actor=actor, action="release.publish", entity="release",
                     entity_id=record.id, after=_state(record))
        _mark_published(session, actor, {base, *chosen})
    try:
        job_id = submit_job("compile_release", {"release_id": record.id})
    except Exception:
        _finish(database, record.id, ReleaseStatus.FAILED, "the compile job could not start")
        raise
    with database.unit_of_work() as session:
        stored = session.get(ReleaseRecord, record.id)
        assert stored is not None
        stored.job_id = job_id
    return stored


def _finish(database: Database, release_id: int, status: ReleaseStatus, detail: str = ""
            ) -> None:
    with database.unit_of_work() as session:
        record = session.get(ReleaseRecord, release_id)
        assert record is not None
        before = _state(record)
        record.status = status
        audit.record(session, actor=None, action=f"release.{status.value}", entity="release",
                     entity_id=record.id, before=before, after=_state(record), detail=detail)


@task("compile_release")
def compile_release_job(context: JobContext, *, release_id: int) -> dict[str, Any]:
    """Compile a published release (matrices and intensity table, stored as an artifact)
    and mark it READY, or FAILED with the job's error."""
    store = BackgroundStore(context.app.extensions["pcf_settings"].background_store)
    with context.database.unit_of_work() as session:
        record = session.get(ReleaseRecord, release_id)
        if record is None:
            raise LookupError(f"no release record {release_id}")
        label, expected = f"{record.name}@{record.version}", record.content_hash
    context.progress(5, f"loading release {label}")
    steps = iter((20, 60, 90))
    try:
        release = store.get_release(label)
        if release.content_hash != expected:
            raise StoreError(f"release {label} in the store has content hash "
                             f"{release.content_hash[:12]}, not the published {expected[:12]}")
        compiled = compile_release(release, store=store, progress=lambda message: (
            context.progress(next(steps, 95), message)))
    except Exception as exc:
        _finish(context.database, release_id, ReleaseStatus.FAILED, f"{type(exc).__name__}")
        raise
    _finish(context.database, release_id, ReleaseStatus.READY)
    return {"release": label, "table_key": compiled.table.key, "solver": compiled.table.solver,
            "activities": len(release.activities)}


def list_releases(session: Session, *, viewer: User) -> list[ReleaseRecord]:
    """Releases newest first: the ready ones, and for the operator every one."""
    query = select(ReleaseRecord).order_by(ReleaseRecord.published_at.desc(),
                                           ReleaseRecord.id.desc())
    if not is_operator(viewer):
        query = query.where(ReleaseRecord.status == ReleaseStatus.READY)
    return list(session.scalars(query))


def get_release(session: Session, *, viewer: User, release_id: int) -> ReleaseRecord:
    """One release the viewer may see (NotFound otherwise)."""
    record = session.get(ReleaseRecord, release_id)
    if record is None or (record.status is not ReleaseStatus.READY and not is_operator(viewer)):
        raise NotFound(N_("No such release."))
    return record


def get_job(session: Session, *, viewer: User, job_id: str) -> Job:
    """A job of the viewer's organisation; jobs started by no organisation (the command
    line, the platform itself) belong to the operator. Nobody else's: a compute job's result
    carries an enterprise's figures, which the operator has no business reading."""
    job = session.get(Job, job_id[:36])
    owner_matches = job is not None and (
        job.organisation_id == viewer.organisation_id
        or (job.organisation_id is None and is_operator(viewer)))
    if job is None or not owner_matches:
        raise NotFound(N_("No such job."))
    return job


def job_status(session: Session, *, viewer: User, job_id: str) -> dict[str, Any]:
    """What a page polling a job needs: status, percent done and the latest message."""
    job = get_job(session, viewer=viewer, job_id=job_id)
    return {"id": job.id, "kind": job.kind, "status": job.status.value,
            "progress": job.progress, "message": job.message}

