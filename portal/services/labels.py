"""Issuing and managing carbon labels in the portal: the signer (with a second approver)
signs a verified submission with the body's key; the label gets random indexes in the body's
revocation and suspension status lists; every issue, suspension, reinstatement and revocation
is appended to the Merkle transparency log, whose signed checkpoint is renewed each time."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from label_cert import grading, qr, transparency, workflow
from label_cert.errors import LabelImageError
from label_cert.label import LabelCredential, ProductIdentity, StatusEntry, issue_label
from label_cert.status_list import StatusList
from label_cert.workflow import Action
from portal.db.models import (
    CarbonLabel,
    CertificationSubmission,
    FootprintRecord,
    Product,
    StatusListRecord,
    User,
)
from portal.services import audit, certification, grading_tables, issuer_keys
from portal.services.errors import NotFound
from portal.services.transparency_log import append_to_log
from portal.web import settings

VALIDITY = timedelta(days=3 * 365)
PURPOSES = ("revocation", "suspension")
#: entries in each body's lists: 8 x the spec's minimum, so a body can hold a million live
#: labels before it needs a second list (128 KiB of bits, a few hundred bytes compressed while
#: sparse); more entries also hide a label better among the others
LIST_LENGTH = 1_048_576


def status_list_url(body_id: int, purpose: str) -> str:
    return f"https://{settings().public_host}/status/{body_id}/{purpose}"


def _status(session: Session, body_id: int, purpose: str
            ) -> tuple[StatusListRecord, StatusList]:
    issuer = issuer_keys.issuer_id(settings().public_host, body_id)
    record = session.scalar(select(StatusListRecord).where(
        StatusListRecord.body_id == body_id, StatusListRecord.purpose == purpose)
        .with_for_update())
    if record is None:
        status = StatusList(issuer, purpose, LIST_LENGTH)  # type: ignore[arg-type]
        record = StatusListRecord(body_id=body_id, purpose=purpose, encoded=status.encoded(),
                                  allocated="[]", updated_at=datetime.now(UTC))
        session.add(record)
        session.flush()
        return record, status
    return record, StatusList.from_encoded(issuer, purpose, record.encoded,  # type: ignore[arg-type]
                                           allocated=set(json.loads(record.allocated)))


def _save(record: StatusListRecord, status: StatusList) -> None:
    record.encoded = status.encoded()
    record.allocated = json.dumps(sorted(status.allocated))
    record.updated_at = datetime.now(UTC)


def _period(product: Product, footprint: FootprintRecord) -> tuple[date, date]:
    try:
        return date.fromisoformat(product.period_start), date.fromisoformat(product.period_end)
    except ValueError:
        year = footprint.created_at.year
        return date(year, 1, 1), date(year, 12, 31)


def _grade(session: Session, product: Product, headline: str) -> str:
    """The operator's threshold table for the product's CPC class if set, else its rank
    among certified peers (label_cert.grading)."""
    table = grading_tables.table_for(session, product.cpc_class, product.declared_unit)
    if table is not None:
        return grading.grade(headline, table=table).grade
    peers = session.scalars(select(FootprintRecord.headline).join(
        CertificationSubmission, CertificationSubmission.footprint_id == FootprintRecord.id)
        .join(Product, Product.id == CertificationSubmission.product_id).where(
        CarbonLabel.submission_id == CertificationSubmission.id,
        Product.cpc_class == product.cpc_class,
        Product.declared_unit == product.declared_unit)).all() if product.cpc_class else []
    return grading.grade(headline, peers=list(peers)).grade


def issue(session: Session, *, signer: User, approver: User,
          submission_id: int) -> CarbonLabel:
    """Sign the label of a verified submission (signer plus a second approver)."""
    audit.serialise_appends(session)  # one issuer at a time: serials and log indexes
    row = certification.act(session, actor=signer, submission_id=submission_id,
                            action=Action.ISSUE, approver=approver)
    frozen = certification.parts(session, row)
    product, footprint = frozen.product, frozen.footprint
    body, enterprise = frozen.body, frozen.enterprise
    entries = []
    records = []
    for purpose in PURPOSES:
        record, status = _status(session, body.id, purpose)
        index = status.allocate()
        _save(record, status)
        records.append(index)
        entries.append(StatusEntry(purpose, index, status_list_url(body.id, purpose)))  # type: ignore[arg-type]
    now = datetime.now(UTC).replace(microsecond=0)
    totals = json.loads(footprint.result)["totals"]
    credential = LabelCredential(
        label_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=issuer_keys.issuer_id(settings().public_host, body.id),
        valid_from=now, valid_until=now + VALIDITY,
        product=ProductIdentity(product.name, enterprise.name, gtin=product.gtin or None,
                                product_id=None if product.gtin else (
                                    product.internal_id or f"product-{product.id}")),
        declared_unit=product.declared_unit, footprint=totals,
        reference_period=_period(product, footprint), release_hash=row.release_hash,
        result_hash=row.result_hash, grade=_grade(session, product, footprint.headline),
        certification_body=body.name, status=tuple(entries))
    key = issuer_keys.ensure_key(session, body_id=body.id)
    token = issue_label(credential, issuer_keys.signer_for(session, key), now)
    gtin = qr.gtin14(product.gtin) if product.gtin else ""  # one form for every lookup
    count = session.scalar(select(func.count()).select_from(CarbonLabel).where(
        CarbonLabel.gtin == gtin)) or 0
    label = CarbonLabel(
        submission_id=row.id, body_id=body.id, gtin=gtin, serial=f"{count + 1:06d}",
        jti=credential.label_id, token=token, state="issued", revocation_index=records[0],
        suspension_index=records[1], issued_at=now, valid_until=credential.valid_until)
    session.add(label)
    session.flush()
    label.log_index = append_to_log(session, token.encode())
    audit.record(session, actor=signer, action="label.issue", entity="label",
                 entity_id=label.jti, after={"approver": approver.id, "kid": key.kid},
                 organisation_id=body.id)
    return label


def change_status(session: Session, *, signer: User, label_id: int,
                  action: Action) -> CarbonLabel:
    """Suspend, reinstate or revoke a label: workflow rules, status bits, a log event."""
    label = session.get(CarbonLabel, label_id)
    if label is None or label.body_id != signer.organisation_id:
        raise NotFound("no such label")
    row = certification.act(session, actor=signer, submission_id=label.submission_id,
                            action=action)
    bits = {Action.SUSPEND: ("suspension", True), Action.REINSTATE: ("suspension", False),
            Action.REVOKE: ("revocation", True)}[action]
    record, status = _status(session, label.body_id, bits[0])
    status.set(label.revocation_index if bits[0] == "revocation" else label.suspension_index,
               bits[1])
    _save(record, status)
    label.state = {"label_issued": "issued"}.get(row.state, row.state)
    append_to_log(session, transparency.canonical_event({
        "type": action.value, "label": label.jti,
        "at": datetime.now(UTC).isoformat(timespec="seconds")}))
    audit.record(session, actor=signer, action=f"label.{action.value}", entity="label",
                 entity_id=label.jti, organisation_id=label.body_id)
    return label


def find_label(session: Session, gtin: str, serial: str) -> CarbonLabel | None:
    """The label with this GTIN (any length, zero-padded to 14 when stored) and serial."""
    try:
        code = qr.gtin14(gtin)
    except LabelImageError:
        return None
    return session.scalar(select(CarbonLabel).where(CarbonLabel.gtin == code,
                                                    CarbonLabel.serial == serial))


SYSTEM = workflow.Actor(0, 0, "system", "system")


def expire_due(session: Session, now: datetime | None = None) -> list[CarbonLabel]:
    """Move every issued or suspended label whose validity has ended to "expired" (the
    submission too), with an audit event each; run daily (`pcf labels expire`). A verifier
    reads expiry from the signed label itself, so this keeps the portal's lists honest."""
    now = now or datetime.now(UTC)
    due = list(session.scalars(select(CarbonLabel).where(
        CarbonLabel.state.in_(("issued", "suspended"))).order_by(CarbonLabel.id)))
    expired = []
    for label in due:
        until = label.valid_until if label.valid_until.tzinfo else label.valid_until.replace(
            tzinfo=UTC)  # SQLite returns naive datetimes
        if until > now:
            continue
        row = session.get(CertificationSubmission, label.submission_id)
        assert row is not None
        before = row.state
        row.state = workflow.transition(certification.facts(row), Action.EXPIRE, SYSTEM).value
        row.updated_at = now
        label.state = "expired"
        audit.record(session, actor=None, action="label.expire", entity="submission",
                     entity_id=row.id, before={"state": before}, after={"state": row.state},
                     detail=label.jti, organisation_id=label.body_id)
        expired.append(label)
    return expired
