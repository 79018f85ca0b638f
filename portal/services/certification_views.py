"""What the certification pages show, gathered in one place and scoped like every service:
the enterprise sees its own submissions, a body the ones addressed to it, nobody else any."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert import workflow
from label_cert.vc_jwt import read_token
from portal.db.models import (
    AuditEvent,
    CarbonLabel,
    CertificationSubmission,
    FootprintRecord,
    IssuerKeyRecord,
    Organisation,
    OrganisationKind,
    Product,
    ReleaseRecord,
    ReviewComment,
    SubmissionDocument,
    User,
)
from portal.services import certification, products, submission_documents
from portal.services.errors import NotFound
from portal.services.model_storage import load_document


@dataclass
class QueueRow:
    submission: CertificationSubmission
    product: str
    counterpart: str  # the body for an enterprise, the enterprise for a body
    headline: str


@dataclass
class Queue:
    is_body: bool
    rows: list[QueueRow]


@dataclass
class NewSubmission:
    product: Product
    footprint: FootprintRecord
    release: ReleaseRecord
    bodies: list[Organisation]
    open_submissions: list[CertificationSubmission]


@dataclass
class Detail:
    submission: CertificationSubmission
    product: Product
    enterprise: Organisation
    body: Organisation
    release: ReleaseRecord
    footprint: FootprintRecord
    totals: dict[str, str]
    is_body: bool
    user: User
    actions: list[str]  # workflow actions this user may take now
    documents: list[SubmissionDocument]
    comments: list[tuple[ReviewComment, str]]  # comment, author name
    targets: list[tuple[str, str]]
    processes: list[dict[str, Any]]
    differences: list[tuple[str, str, str]]
    history: list[tuple[AuditEvent, str]]  # event, actor name
    approver: User | None
    labels: list[CarbonLabel]
    later_results: list[FootprintRecord]
    can_add_documents: bool


def queue(session: Session, actor: User) -> Queue:
    rows = []
    is_body = actor.organisation.kind is OrganisationKind.CERTIFICATION_BODY
    for row in certification.for_organisation(session, actor):
        product = session.get(Product, row.product_id)
        other = session.get(Organisation, row.enterprise_id if is_body else row.body_id)
        footprint = session.get(FootprintRecord, row.footprint_id)
        assert product is not None
        assert other is not None
        assert footprint is not None
        rows.append(QueueRow(row, product.name, other.name, footprint.headline))
    return Queue(is_body, rows)


def new_submission(session: Session, actor: User, footprint_id: int) -> NewSubmission:
    footprint = session.get(FootprintRecord, footprint_id)
    if footprint is None:
        raise NotFound("no such result")
    product = products.owned_product(session, actor, footprint.product_id)
    release = session.get(ReleaseRecord, footprint.release_id)
    assert release is not None
    bodies = list(session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.CERTIFICATION_BODY).order_by(Organisation.name)))
    open_rows = [r for r in certification.for_organisation(session, actor)
                 if r.product_id == product.id and r.state not in (
                     workflow.State.REJECTED.value, workflow.State.REVOKED.value,
                     workflow.State.EXPIRED.value)]
    return NewSubmission(product, footprint, release, bodies, open_rows)


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "system"
    user = session.get(User, user_id)
    return user.email if user is not None else "?"


def detail(session: Session, actor: User, submission_id: int) -> Detail:
    row = certification.visible(session, actor, submission_id)
    frozen = certification.parts(session, row)
    product, enterprise, body = frozen.product, frozen.enterprise, frozen.body
    release, footprint = frozen.release, frozen.footprint
    is_body = actor.organisation_id == row.body_id
    # a stored submission is never a draft, and only the system expires: neither shows here
    actions = [a.value for a in workflow.Action if certification.may(row, actor, a)]
    version_document = _processes(session, row)
    comments = [(c, _name(session, c.author_id)) for c in certification.comments(session, row)]
    history = [(e, _name(session, e.actor_id)) for e in certification.history(session, row)]
    later = list(session.scalars(select(FootprintRecord).where(
        FootprintRecord.product_id == row.product_id).order_by(FootprintRecord.id.desc())))
    return Detail(
        submission=row, product=product, enterprise=enterprise, body=body, release=release,
        footprint=footprint, totals=json.loads(footprint.result)["totals"], is_body=is_body,
        user=actor, actions=actions,
        documents=submission_documents.listed(session, row), comments=comments,
        targets=certification.comment_targets(row, session), processes=version_document,
        differences=certification.differences(row), history=history,
        approver=certification.approver_of(session, row),
        labels=list(session.scalars(select(CarbonLabel).where(
            CarbonLabel.submission_id == row.id).order_by(CarbonLabel.id))),
        later_results=later if not is_body else [],
        can_add_documents=(not is_body and row.state in submission_documents.OPEN_STATES))


def _processes(session: Session, row: CertificationSubmission) -> list[dict[str, Any]]:
    """The frozen model's processes with their inputs, for the reviewer to read."""
    version = certification.parts(session, row).version
    processes: list[dict[str, Any]] = load_document(version).get("processes", [])
    return processes


@dataclass
class KeyRow:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    labels: int  # labels signed with the key


def body_keys(session: Session, actor: User) -> list[KeyRow]:
    """The signing keys of the actor's certification body, newest first."""
    if actor.organisation.kind is not OrganisationKind.CERTIFICATION_BODY:
        raise NotFound("no keys")
    signed = Counter(read_token(token, "label").kid for token in session.scalars(
        select(CarbonLabel.token).where(CarbonLabel.body_id == actor.organisation_id)))
    return [KeyRow(r.kid, r.created_at, r.retired_at, signed[r.kid])
            for r in session.scalars(select(IssuerKeyRecord).where(
                IssuerKeyRecord.body_id == actor.organisation_id)
                .order_by(IssuerKeyRecord.id.desc()))]



def frozen_package(session: Session, actor: User, submission_id: int) -> dict[str, Any]:
    """What the submission froze, as one JSON document for review or reproduction with other
    tools: the model document, the release (label and content hash), the submitted result and
    the three hashes. Only the enterprise and the addressed body get it."""
    row = certification.visible(session, actor, submission_id)
    frozen = certification.parts(session, row)
    version, release, footprint = frozen.version, frozen.release, frozen.footprint
    return {
        "submission": row.id, "round": row.round_number, "state": row.state,
        "model_hash": row.model_hash, "release_hash": row.release_hash,
        "result_hash": row.result_hash,
        "release": {"name": release.name, "version": release.version,
                    "content_hash": release.content_hash},
        "gwp_set": footprint.gwp_set,
        "model": load_document(version),
        "result": json.loads(footprint.result),
    }
