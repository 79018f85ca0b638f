"""Certification submissions: an enterprise submits a computed product to a certification
body (model version, release and result frozen with their hashes); the body reviews it,
reproduces the calculation, and moves it through the workflow of label_cert.workflow.
Only the enterprise and the addressed body can see a submission; others get NotFound."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert import errors, workflow
from label_cert.workflow import Action
from lca_engine import product_model_from_document
from lca_engine.accounting_rules import ResultFacts
from portal.db.models import (
    AuditEvent,
    CertificationSubmission,
    FootprintRecord,
    Organisation,
    OrganisationKind,
    Product,
    ProductModelVersion,
    ReleaseRecord,
    ReviewComment,
    User,
)
from portal.rules import use_cases as rules
from portal.services import audit, products
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.footprints import compute
from portal.services.model_storage import load_document

T = TypeVar("T")


def _actor(user: User) -> workflow.Actor:
    return workflow.Actor(user.id, user.organisation_id, user.organisation.kind.value,
                          user.role.value)


def facts(row: CertificationSubmission) -> workflow.Submission:
    matches = None if row.reproduced_hash is None else row.reproduced_hash == row.result_hash
    return workflow.Submission(row.enterprise_id, row.body_id, workflow.State(row.state),
                               matches)


def may(row: CertificationSubmission, user: User, action: workflow.Action) -> bool:
    """Whether the rules let *user* take *action* now. An action that waits only for a
    matching reproduction or a second approver counts: taking it says what is missing."""
    try:
        workflow.transition(facts(row), action, _actor(user))
    except (errors.IllegalTransition, errors.NotAllowed):
        return False
    except errors.WorkflowError:
        return True
    return True


def _state(row: CertificationSubmission) -> dict[str, object]:
    return {"state": row.state, "result_hash": row.result_hash,
            "reproduced_hash": row.reproduced_hash}


@dataclass(frozen=True)
class Parts:
    """The rows a submission refers to."""

    product: Product
    enterprise: Organisation
    body: Organisation
    version: ProductModelVersion
    release: ReleaseRecord
    footprint: FootprintRecord


def _row(session: Session, model: type[T], key: int) -> T:
    value = session.get(model, key)
    assert value is not None, f"{model.__name__} {key}: the foreign key guarantees it"
    return value


def parts(session: Session, row: CertificationSubmission) -> Parts:
    """The product, organisations, model version, release and result of a submission."""
    return Parts(_row(session, Product, row.product_id),
                 _row(session, Organisation, row.enterprise_id),
                 _row(session, Organisation, row.body_id),
                 _row(session, ProductModelVersion, row.model_version_id),
                 _row(session, ReleaseRecord, row.release_id),
                 _row(session, FootprintRecord, row.footprint_id))


def visible(session: Session, actor: User, submission_id: int) -> CertificationSubmission:
    """The submission if *actor*'s organisation is its enterprise or its body."""
    row = session.get(CertificationSubmission, submission_id)
    if row is None or actor.organisation_id not in (row.enterprise_id, row.body_id):
        raise NotFound("no such submission")
    return row


def submit(session: Session, *, actor: User, footprint_id: int,
           body_id: int) -> CertificationSubmission:
    """Submit a computed footprint of one of the actor's products to a certification body."""
    footprint = session.get(FootprintRecord, footprint_id)
    if footprint is None:
        raise NotFound("no such result")
    product = products.owned_product(session, actor, footprint.product_id)
    body = session.get(Organisation, body_id)
    if body is None or body.kind is not OrganisationKind.CERTIFICATION_BODY:
        raise InvalidInput({"body": "choose a certification body"})
    version = session.get(ProductModelVersion, footprint.model_version_id)
    release = session.get(ReleaseRecord, footprint.release_id)
    assert version is not None
    assert release is not None
    now = datetime.now(UTC)
    row = CertificationSubmission(
        enterprise_id=product.organisation_id, body_id=body.id, product_id=product.id,
        model_version_id=version.id, footprint_id=footprint.id, release_id=release.id,
        model_hash=version.model_hash, release_hash=release.content_hash,
        result_hash=footprint.result_hash, state=workflow.State.DRAFT.value,
        created_by_id=actor.id, created_at=now, updated_at=now)
    row.state = workflow.transition(facts(row), workflow.Action.SUBMIT, _actor(actor)).value
    _check_rule(session, row, product, version, footprint)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="submission.submit", entity="submission",
                 entity_id=row.id, after=_state(row), organisation_id=row.enterprise_id)
    return row


def _check_rule(session: Session, row: CertificationSubmission, product: Product,
                version: ProductModelVersion, footprint: FootprintRecord) -> None:
    """Check the frozen model and result against the rule in force for the product's class
    now (it may be newer than the one the result was computed under) and keep the check."""
    check = rules.check_against_class(
        session, product.cpc_class, product_model_from_document(load_document(version)),
        ResultFacts.from_document(json.loads(footprint.result)))
    row.rule_reference = check.rule if check else ""
    row.rule_check = json.dumps(check.to_dict(), ensure_ascii=False) if check else ""


def act(session: Session, *, actor: User, submission_id: int, action: workflow.Action,
        approver: User | None = None, note: str = "") -> CertificationSubmission:
    """Take one workflow action (the rules decide; refusals become Forbidden/Conflict)."""
    row = visible(session, actor, submission_id)
    before = _state(row)
    try:
        target = workflow.transition(facts(row), action, _actor(actor),
                                     _actor(approver) if approver else None)
    except errors.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except errors.WorkflowError as exc:
        raise Conflict(str(exc)) from None
    row.state = target.value
    row.updated_at = datetime.now(UTC)
    if note:
        row.decision_note = note
    if action in (Action.REQUEST_CHANGES, Action.REJECT):
        row.approved_by_id = row.approved_at = None
    audit.record(session, actor=actor, action=f"submission.{action.value}",
                 entity="submission", entity_id=row.id, before=before, after=_state(row),
                 detail=note, organisation_id=row.body_id)
    return row


@dataclass(frozen=True)
class Reproduction:
    matches: bool
    submitted_hash: str
    reproduced_hash: str
    differences: tuple[tuple[str, str, str], ...]  # (category, submitted, reproduced)


def reproduce(session: Session, *, actor: User, submission_id: int) -> Reproduction:
    """The body recomputes the frozen model against the frozen release; any difference in
    the result hash blocks verification and is listed category by category."""
    row = visible(session, actor, submission_id)
    if actor.organisation_id != row.body_id:
        raise Forbidden("only the certification body reproduces a submission")
    frozen = parts(session, row)
    version, release, footprint = frozen.version, frozen.release, frozen.footprint
    if release.content_hash != row.release_hash:
        raise Conflict("the release record no longer matches the submitted release hash")
    stored = json.loads(footprint.result)
    result = compute(load_document(version), release, footprint.gwp_set,
                     stored["provenance"].get("parameter_set", ""))
    submitted = stored["totals"]
    reproduced = result.to_dict()["totals"]
    differences = tuple((k, submitted.get(k, ""), v) for k, v in reproduced.items()
                        if submitted.get(k) != v)
    row.reproduced_hash = result.result_hash
    row.reproduced_at = datetime.now(UTC)
    row.reproduction = json.dumps([list(d) for d in differences])
    audit.record(session, actor=actor, action="submission.reproduce", entity="submission",
                 entity_id=row.id, after=_state(row), organisation_id=row.body_id)
    return Reproduction(result.result_hash == row.result_hash, row.result_hash,
                        result.result_hash, differences)


def comment(session: Session, *, actor: User, submission_id: int, body: str,
            target: str = "") -> ReviewComment:
    """A review comment on the submission, or on one process or input of it."""
    row = visible(session, actor, submission_id)
    if actor.organisation_id != row.body_id:
        raise Forbidden("only the certification body comments on a submission")
    if not body.strip():
        raise InvalidInput({"body": "write the comment"})
    if len(target.strip()) > 300:
        raise InvalidInput({"target": f"{target[:40]!r}... is longer than 300 characters"})
    item = ReviewComment(submission_id=row.id, author_id=actor.id, target=target.strip(),
                         body=body.strip(), created_at=datetime.now(UTC))
    session.add(item)
    session.flush()
    audit.record(session, actor=actor, action="submission.comment", entity="submission",
                 entity_id=row.id, detail=target, organisation_id=row.body_id)
    return item


def for_organisation(session: Session, actor: User) -> list[CertificationSubmission]:
    """Submissions of the actor's enterprise, or addressed to the actor's body."""
    column = (CertificationSubmission.body_id
              if actor.organisation.kind is OrganisationKind.CERTIFICATION_BODY
              else CertificationSubmission.enterprise_id)
    return list(session.scalars(select(CertificationSubmission).where(
        column == actor.organisation_id).order_by(CertificationSubmission.id.desc())))


def resubmit(session: Session, *, actor: User, submission_id: int, footprint_id: int,
             note: str = "") -> CertificationSubmission:
    """Answer requested changes with a (usually new) computed result of the same product: the
    submission freezes that result's model version, release and hashes again, and the last
    reproduction and approval no longer count."""
    row = visible(session, actor, submission_id)
    footprint = session.get(FootprintRecord, footprint_id)
    if footprint is None or footprint.product_id != row.product_id:
        raise InvalidInput({"footprint": "choose a computed result of the submitted product"})
    version = session.get(ProductModelVersion, footprint.model_version_id)
    release = session.get(ReleaseRecord, footprint.release_id)
    assert version is not None
    assert release is not None
    act(session, actor=actor, submission_id=row.id, action=Action.RESUBMIT, note=note)
    row.model_version_id, row.footprint_id, row.release_id = version.id, footprint.id, release.id
    row.model_hash, row.release_hash = version.model_hash, release.content_hash
    row.result_hash = footprint.result_hash
    _check_rule(session, row, products.owned_product(session, actor, row.product_id), version,
                footprint)
    row.reproduced_hash = row.reproduced_at = None
    row.reproduction = "[]"
    row.round_number += 1
    audit.record(session, actor=actor, action="submission.refreeze", entity="submission",
                 entity_id=row.id, after=_state(row), organisation_id=row.enterprise_id)
    return row


def approve(session: Session, *, actor: User, submission_id: int) -> CertificationSubmission:
    """Record the second approval of a verified submission (a certifier or signer of the body);
    the signer who then issues the label must be someone else."""
    row = visible(session, actor, submission_id)
    if actor.organisation_id != row.body_id or actor.role.value not in ("certifier", "signer"):
        raise Forbidden("approve: needs a certifier or signer of the certification body")
    if row.state != workflow.State.VERIFIED.value:
        raise Conflict(f"approve: the submission is {row.state}; only a verified submission "
                       f"is approved for issuing")
    row.approved_by_id = actor.id
    row.approved_at = datetime.now(UTC)
    audit.record(session, actor=actor, action="submission.approve", entity="submission",
                 entity_id=row.id, after=_state(row), organisation_id=row.body_id)
    return row


def approver_of(session: Session, row: CertificationSubmission) -> User | None:
    """The recorded second approver, if any."""
    return session.get(User, row.approved_by_id) if row.approved_by_id else None


def comment_targets(row: CertificationSubmission, session: Session) -> list[tuple[str, str]]:
    """What a comment can be about: the whole submission, each process, each input
    (value, label); the value is what is stored on the comment."""
    document = load_document(parts(session, row).version)
    targets = [("", "")]
    for process in document.get("processes", []):
        pid = str(process.get("id", ""))
        targets.append((pid, str(process.get("name") or pid)))
        for index, item in enumerate(process.get("inputs", []), start=1):
            name = str(item.get("name") or f"input {index}")
            targets.append((f"{pid} › {name}", f"{process.get('name') or pid} › {name}"))
    return targets


def comments(session: Session, row: CertificationSubmission) -> list[ReviewComment]:
    return list(session.scalars(select(ReviewComment).where(
        ReviewComment.submission_id == row.id).order_by(ReviewComment.id)))


def history(session: Session, row: CertificationSubmission) -> list[AuditEvent]:
    """The submission's audit events, oldest first (its labels' events included)."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "submission", AuditEvent.entity_id == str(row.id))
        .order_by(AuditEvent.id)))


def differences(row: CertificationSubmission) -> list[tuple[str, str, str]]:
    """The (category, submitted, reproduced) values that differed at the last reproduction."""
    return [tuple(d) for d in json.loads(row.reproduction or "[]")]
