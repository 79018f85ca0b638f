"""Accounts and the audit log: organisations of four kinds, their users and invitations, and
the append-only, hash-chained record of every state change."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base


def _enum(kind: type[enum.StrEnum]) -> Enum:
    """A VARCHAR column holding the enum's values (not names), on every database."""
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class OrganisationKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    ASSOCIATION = "association"
    CERTIFICATION_BODY = "certification_body"
    OPERATOR = "operator"


class Role(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    CERTIFIER = "certifier"  # certification bodies only
    SIGNER = "signer"  # certification bodies only


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="users")


class LoginSession(Base):
    """One browser login. The cookie carries a random token; only its hash is stored here,
    so that logout, a password or role change, and the idle and absolute limits end a
    session on the server, whatever copies of the cookie exist."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str] = mapped_column(String(32), default="")


class Invitation(Base):
    """An invitation to register into an organisation with a role; the token is stored
    hashed and can be used once before it expires."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One state change. `hash` = sha256(previous hash | canonical event), so editing or
    deleting any past event breaks every hash after it."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(100))
    before_hash: Mapped[str | None] = mapped_column(String(64))
    after_hash: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)  # no forks
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """A long operation (compiling a release, computing footprints) and its progress."""

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus))
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # who runs it (host:pid), how often it was started, and its runner's last sign of life:
    # a RUNNING job whose heartbeat stops is retried or failed (portal/jobs.py)
    worker: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          index=True)


class UploadStatus(enum.StrEnum):
    VALIDATING = "validating"  # kept; the importer runs as a job in a sandboxed process
    INVALID = "invalid"  # the importer or release validation found problems
    VALIDATED = "validated"  # imported cleanly, not yet submitted
    SUBMITTED = "submitted"  # waiting for the operator's review
    PUBLISHED = "published"  # part of a published release
    REJECTED = "rejected"


class DatasetUpload(Base):
    """A background dataset file uploaded by an association or the operator, with its
    validation report and review state. The file itself is kept under the instance folder;
    the imported dataset goes to the background store when the upload is validated."""

    __tablename__ = "dataset_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16))  # base | extension
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40))
    status: Mapped[UploadStatus] = mapped_column(_enum(UploadStatus))
    issues: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of issue texts
    summary: Mapped[str] = mapped_column(Text, default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))  # the validation job


class ReleaseStatus(enum.StrEnum):
    COMPILING = "compiling"
    READY = "ready"
    FAILED = "failed"


class ReleaseRecord(Base):
    """A published background release (the frozen document lives in the background store)."""

    __tablename__ = "release_record"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    base: Mapped[str] = mapped_column(String(200))  # dataset name@version
    extensions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of name@version
    status: Mapped[ReleaseStatus] = mapped_column(_enum(ReleaseStatus))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Product(Base):
    """An enterprise's product; *scenario_of_id* marks a scenario copy of another product."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    gtin: Mapped[str] = mapped_column(String(14), default="")
    internal_id: Mapped[str] = mapped_column(String(100), default="")
    cpc_class: Mapped[str] = mapped_column(String(20), default="")
    declared_unit: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[str] = mapped_column(String(10), default="")
    period_end: Mapped[str] = mapped_column(String(10), default="")
    geography: Mapped[str] = mapped_column(String(40), default="")
    scenario_of_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProductModelVersion(Base):
    """One saved version of a product's model: the product-model document (JSON, the format
    of `lca_engine.documents`) and its hash. Versions are never edited, only added."""

    __tablename__ = "product_model_version"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    version: Mapped[int] = mapped_column()
    document: Mapped[str] = mapped_column(Text)
    model_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FootprintRecord(Base):
    """A computed footprint: which model version, which release, the result document
    (decimal strings) and its hash."""

    __tablename__ = "footprint_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("product_model_version.id"))
    release_id: Mapped[int] = mapped_column(ForeignKey("release_record.id"))
    gwp_set: Mapped[str] = mapped_column(String(8))
    headline: Mapped[str] = mapped_column(String(40))  # kg CO2e per declared unit, decimal
    result: Mapped[str] = mapped_column(Text)  # FootprintResult.to_dict() as JSON
    result_hash: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the accounting rule of the product's class when it was computed (id@version, or ""),
    # and the check against it (RuleCheck.to_dict() as JSON, or "")
    rule_reference: Mapped[str] = mapped_column(String(130), default="", server_default="")
    rule_check: Mapped[str] = mapped_column(Text, default="", server_default="")


class PublishedFootprint(Base):
    """A footprint an enterprise publishes on the platform so that its customers can link
    their inputs to it (a supplier's per-unit values)."""

    __tablename__ = "published_footprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint_record.id"))
    declared_unit: Mapped[str] = mapped_column(String(40))
    values: Mapped[str] = mapped_column(Text)  # JSON: category -> decimal string per unit
    primary_data_share: Mapped[str] = mapped_column(String(40), default="")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrganisationKey(Base):
    """An organisation's AES-256 data key, wrapped (encrypted) by the platform master key."""

    __tablename__ = "organisation_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    wrapped_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token for the JSON API, belonging to one user; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CertificationSubmission(Base):
    """A computed product submitted to a certification body: frozen model version, release
    and result (with their hashes), and where the workflow stands (label_cert.workflow)."""

    __tablename__ = "certification_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("product_model_version.id"))
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint_record.id"))
    release_id: Mapped[int] = mapped_column(ForeignKey("release_record.id"))
    model_hash: Mapped[str] = mapped_column(String(64))
    release_hash: Mapped[str] = mapped_column(String(64))
    result_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), index=True)
    reproduced_hash: Mapped[str | None] = mapped_column(String(64))
    reproduced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # JSON list of [category, submitted, reproduced] that differed at the last reproduction
    reproduction: Mapped[str] = mapped_column(Text, default="[]")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    round_number: Mapped[int] = mapped_column(default=1)  # 1 + resubmissions so far
    # the rule in force for the product's class at submission and the check against it
    rule_reference: Mapped[str] = mapped_column(String(130), default="", server_default="")
    rule_check: Mapped[str] = mapped_column(Text, default="", server_default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # optimistic lock: two reviewers acting at once, the second's change is refused
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012  (read by SQLAlchemy)


class SubmissionDocument(Base):
    """A supporting document of a submission (size- and type-capped upload), stored sealed in
    the database so that an upload is part of the same transaction as its record."""

    __tablename__ = "submission_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("certification_submission.id"),
                                               index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # sealed with the enterprise's data key
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewComment(Base):
    """A reviewer's comment on a submission, on the whole or on one process or input."""

    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("certification_submission.id"),
                                               index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    target: Mapped[str] = mapped_column(String(300), default="")  # process id or input key
    body: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssuerKeyRecord(Base):
    """A certification body's Ed25519 signing key: public JWK, private key sealed with the
    body's data key, and its retirement."""

    __tablename__ = "issuer_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CarbonLabel(Base):
    """An issued label: the signed token, its serial and status-list indexes, its state."""

    __tablename__ = "carbon_label"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("certification_submission.id"),
                                               unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14), default="")
    serial: Mapped[str] = mapped_column(String(20))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # issued | suspended | revoked | expired
    revocation_index: Mapped[int] = mapped_column()
    suspension_index: Mapped[int] = mapped_column()
    log_index: Mapped[int | None] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __table_args__ = (UniqueConstraint("gtin", "serial"),)
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012  (read by SQLAlchemy)


class StatusListRecord(Base):
    """One body's status list for one purpose (revocation or suspension), encoded."""

    __tablename__ = "status_list"
    __table_args__ = (UniqueConstraint("body_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    encoded: Mapped[str] = mapped_column(Text)
    allocated: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of used indexes
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # two labels changing at once must not lose one bit: the second write is refused
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012  (read by SQLAlchemy)


class TransparencyLeaf(Base):
    """One event (issue, suspend, reinstate, revoke) appended to the Merkle log."""

    __tablename__ = "transparency_leaf"

    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogCheckpoint(Base):
    """A signed checkpoint (tree size and root) of the transparency log."""

    __tablename__ = "log_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)  # Unix milliseconds
    signature: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GradeThreshold(Base):
    """The operator's grade thresholds for one CPC class and declared unit (label_cert.grading):
    `bounds` is JSON [[grade, upper bound as decimal text], ...] in ascending order."""

    __tablename__ = "grade_threshold"
    __table_args__ = (UniqueConstraint("cpc_class", "declared_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cpc_class: Mapped[str] = mapped_column(String(20))
    declared_unit: Mapped[str] = mapped_column(String(40))
    bounds: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
