"""Supporting documents of a certification submission (bills, meter readings, test reports):
uploaded by the enterprise, read by the enterprise and the addressed body only. Uploads are
capped in size, number and type (the type is checked by the file's own signature, not by its
name alone) and stored sealed with the enterprise's data key in the same transaction as their
record, so a failed upload leaves nothing behind."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from label_cert.workflow import State
from portal.db.models import CertificationSubmission, SubmissionDocument, User
from portal.services import audit
from portal.services.certification import visible
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.web import vault

MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 20
#: extension -> (content type, how the file must begin)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              (b"PK\x03\x04",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              (b"PK\x03\x04",)),
    ".csv": ("text/csv", ()),
    ".txt": ("text/plain", ()),
}
#: states in which the enterprise may still add documents
OPEN_STATES = {State.DRAFT.value, State.SUBMITTED.value, State.CHANGES_REQUESTED.value,
               State.RESUBMITTED.value}


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


def check_file(filename: str, content: bytes) -> str:
    """The content type of an acceptable upload, or InvalidInput naming file and reason."""
    name = PurePath(filename.replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in TYPES:
        allowed = ", ".join(sorted(TYPES))
        raise InvalidInput({"document": f"{name}: type {suffix or '(none)'} is not accepted; "
                                        f"use one of {allowed}"})
    if not content:
        raise InvalidInput({"document": f"{name}: the file is empty"})
    if len(content) > MAX_BYTES:
        raise InvalidInput({"document": f"{name}: {len(content):,} bytes is more than the "
                                        f"{MAX_BYTES // (1024 * 1024)} MB allowed"})
    content_type, magic = TYPES[suffix]
    if magic and not content.startswith(magic):
        raise InvalidInput({"document": f"{name}: the content is not a {suffix} file"})
    if suffix in (".xlsx", ".docx"):
        try:
            with zipfile.ZipFile(BytesIO(content)) as archive:
                archive.getinfo("[Content_Types].xml")
        except (zipfile.BadZipFile, KeyError):
            raise InvalidInput({"document": f"{name}: the content is not a {suffix} "
                                            f"file"}) from None
    if not magic:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"document": f"{name}: a {suffix} file must be UTF-8 "
                                            f"text"}) from None
    return content_type


def add(session: Session, *, actor: User, submission_id: int, filename: str,
        content: bytes) -> SubmissionDocument:
    """Attach one document to a submission of the actor's enterprise."""
    row = visible(session, actor, submission_id)
    if actor.organisation_id != row.enterprise_id:
        raise Forbidden("only the submitting enterprise adds supporting documents")
    if row.state not in OPEN_STATES:
        raise Conflict(f"documents can no longer be added: the submission is {row.state}")
    count = session.scalar(select(func.count()).select_from(SubmissionDocument).where(
        SubmissionDocument.submission_id == row.id)) or 0
    if count >= MAX_DOCUMENTS:
        raise InvalidInput({"document": f"a submission holds at most {MAX_DOCUMENTS} "
                                        f"documents"})
    name = PurePath(filename.replace("\\", "/")).name[:255]
    content_type = check_file(name, content)
    document = SubmissionDocument(
        submission_id=row.id, filename=name, content_type=content_type, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), content="", uploaded_by_id=actor.id,
        uploaded_at=datetime.now(UTC))
    session.add(document)
    session.flush()
    document.content = vault().seal(
        session, organisation_id=row.enterprise_id, table="submission_document",
        row_id=document.id, column="content",
        plaintext=base64.b64encode(content).decode())
    audit.record(session, actor=actor, action="submission.document", entity="submission",
                 entity_id=row.id, after={"sha256": document.sha256, "name": name},
                 organisation_id=row.enterprise_id)
    return document


def listed(session: Session, row: CertificationSubmission) -> list[SubmissionDocument]:
    return list(session.scalars(select(SubmissionDocument).where(
        SubmissionDocument.submission_id == row.id).order_by(SubmissionDocument.id)))


def read(session: Session, *, actor: User, submission_id: int, document_id: int) -> Download:
    """One document, for the enterprise or the addressed body; its hash is checked."""
    row = visible(session, actor, submission_id)
    document = session.get(SubmissionDocument, document_id)
    if document is None or document.submission_id != row.id:
        raise NotFound("no such document")
    content = base64.b64decode(vault().open(
        session, organisation_id=row.enterprise_id, table="submission_document",
        row_id=document.id, column="content", ciphertext=document.content))
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise Conflict(f"document {document.filename} does not match its recorded hash")
    return Download(document.filename, document.content_type, content)
