"""Footprints of product models: the `compute_footprint` job (progress messages, one
FootprintRecord with the result document and its hash), result pages for the owner only, and
publishing a result so that customers can link their inputs to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import CompiledRelease
from background_db.errors import BackgroundError
from lca_engine import FootprintResult, compute_footprint, product_model_from_document
from lca_engine.accounting_rules import RuleCheck
from lca_engine.characterization import DEFAULT_GWP_SET, GWP_SETS, HEADLINE
from lca_engine.errors import EngineError
from portal.db.models import (
    FootprintRecord,
    Job,
    JobStatus,
    Product,
    ProductModelVersion,
    PublishedFootprint,
    ReleaseRecord,
    User,
)
from portal.jobs import JobContext, submit, task
from portal.rules import use_cases as rules
from portal.services import audit, catalogue
from portal.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from portal.services.model_storage import load_document
from portal.services.products import latest_version, owned_product


def N_(message: str) -> str:  # noqa: N802  (the gettext convention for "translate later")
    """Mark a message for translation where it is shown, not where it is made."""
    return message


class ComputeFailed(Exception):  # noqa: N818  (reads as what happened to the job)
    """A footprint could not be computed; the message tells the user what to fix."""


def user_message(job: Job) -> str:
    """The part of a failed job's error meant for the user (never the traceback)."""
    prefix = f"{ComputeFailed.__name__}: "
    if job.error.startswith(prefix):
        return job.error[len(prefix):].split("\nTraceback", 1)[0].strip()
    return ""


def compiled(record: ReleaseRecord, gwp_set: str = DEFAULT_GWP_SET) -> CompiledRelease:
    """The release's matrices and intensity table (ComputeFailed if it cannot be read)."""
    try:
        return catalogue.compiled(record, gwp_set)
    except (EngineError, BackgroundError, ServiceError) as exc:
        raise ComputeFailed(str(exc)) from None


def compute(document: dict[str, Any], record: ReleaseRecord,
            gwp_set: str = DEFAULT_GWP_SET, parameter_set: str = "") -> FootprintResult:
    """The footprint of a model document against a release, its formulas evaluated with one
    of its parameter sets when *parameter_set* names one (ComputeFailed on any error)."""
    built = compiled(record, gwp_set)
    try:
        model = product_model_from_document(document, parameter_set=parameter_set or None)
        return compute_footprint(model, built.system, built.table)
    except EngineError as exc:
        raise ComputeFailed(str(exc)) from None


def store_result(session: Session, *, actor: User, product: Product,
                 version: ProductModelVersion, record: ReleaseRecord, result: FootprintResult,
                 job_id: str | None, check: RuleCheck | None = None) -> FootprintRecord:
    """Keep a computed result (audited), with its check against the rule of its class."""
    data = result.to_dict()
    footprint = FootprintRecord(
        product_id=product.id, model_version_id=version.id, release_id=record.id,
        gwp_set=result.provenance.gwp_set, headline=data["totals"][HEADLINE.value],
        result=json.dumps(data, ensure_ascii=False), result_hash=result.result_hash,
        job_id=job_id, created_by_id=actor.id, created_at=datetime.now(UTC),
        rule_reference=check.rule if check else "",
        rule_check=json.dumps(check.to_dict(), ensure_ascii=False) if check else "")
    session.add(footprint)
    session.flush()
    audit.record(session, actor=actor, action="footprint.compute", entity="footprint",
                 entity_id=footprint.id, after={"result_hash": footprint.result_hash},
                 detail=f"product {product.id} v{version.version} on "
                        f"{catalogue.label_of(record)}: {footprint.headline} kg CO2e",
                 organisation_id=product.organisation_id)
    return footprint


def start_compute(app: Flask, session: Session, *, actor: User, product_id: int,
                  release_id: int, gwp_set: str = DEFAULT_GWP_SET,
                  parameter_set: str = "") -> str:
    """Check the request and queue the compute job (IPCC GWP100 values of *gwp_set*);
    returns the job id."""
    product = owned_product(session, actor, product_id)
    if gwp_set not in GWP_SETS:
        raise InvalidInput({"gwp_set": _("'%(value)s' is not a GWP set; choose one of "
                                         "%(sets)s.", value=gwp_set,
                                         sets=", ".join(sorted(GWP_SETS)))})
    catalogue.ready_release(session, release_id)
    latest = latest_version(session, product.id)
    if latest is None:
        raise Conflict(_("The product has no model yet."))
    if parameter_set:
        sets = load_document(latest).get("parameter_sets") or {}
        if parameter_set not in sets:
            raise InvalidInput({"parameter_set": _(
                "The model has no parameter set '%(value)s'; it has: %(sets)s.",
                value=parameter_set, sets=", ".join(sorted(sets)) or "–")})
    return submit(app, "compute_footprint", {"product_id": product.id,
                                             "release_id": release_id, "actor_id": actor.id,
                                             "gwp_set": gwp_set,
                                             "parameter_set": parameter_set}, actor=actor)


def _job_product(session: Session, actor_id: int, product_id: int) -> tuple[User, Product]:
    """The actor and its organisation's product, for a job. Jobs run outside any request,
    where messages cannot be translated: they say what went wrong in plain English."""
    actor = session.get(User, actor_id)
    product = session.get(Product, product_id)
    if actor is None or product is None or product.organisation_id != actor.organisation_id:
        raise ComputeFailed(f"product {product_id} is not a product of the user's "
                            f"organisation (any more)")
    return actor, product


@task("compute_footprint")
def compute_job(context: JobContext, *, product_id: int, release_id: int, actor_id: int,
                gwp_set: str = DEFAULT_GWP_SET, parameter_set: str = "") -> dict[str, Any]:
    """Compute the latest model version of a product against a release."""
    context.progress(5, N_("Loading the model and the background release"))
    with context.database.unit_of_work() as session:
        _actor, product = _job_product(session, actor_id, product_id)
        try:
            record = catalogue.ready_release(session, release_id)
        except ServiceError as exc:
            raise ComputeFailed(str(exc)) from None
        version = latest_version(session, product.id)
        if version is None:
            raise ComputeFailed("the product has no model yet")
        document = load_document(version)
    context.progress(20, N_("Compiling the background release"))
    compiled(record, gwp_set)
    context.progress(60, N_("Computing the footprint"))
    result = compute(document, record, gwp_set, parameter_set)
    context.progress(80, N_("Saving the result"))
    with context.database.unit_of_work() as session:
        actor, product = _job_product(session, actor_id, product_id)
        fresh = session.get(ProductModelVersion, version.id)
        assert fresh is not None
        check = rules.check_against_class(
            session, product.cpc_class,
            product_model_from_document(document, parameter_set=parameter_set or None), result)
        footprint = store_result(session, actor=actor, product=product, version=fresh,
                                 record=record, result=result, job_id=context.job_id,
                                 check=check)
        footprint_id = footprint.id
    context.progress(100, N_("Done"))
    return {"product_id": product_id, "footprint_id": footprint_id}


@dataclass
class JobView:
    job: Job
    footprint_id: int | None
    message: str


def job_view(session: Session, actor: User, job_id: str, *, kind: str,
             product_id: int | None = None) -> JobView:
    """A job of the actor's organisation (NotFound for any other)."""
    job = session.get(Job, job_id)
    if job is None or job.organisation_id != actor.organisation_id or job.kind != kind:
        raise NotFound(_("No such job."))
    parameters = json.loads(job.parameters)
    if product_id is not None and parameters.get("product_id") != product_id:
        raise NotFound(_("No such job."))
    result = json.loads(job.result) if job.status is JobStatus.DONE and job.result else {}
    return JobView(job, result.get("footprint_id") if isinstance(result, dict) else None,
                   user_message(job))


@dataclass
class ResultPage:
    product: Product
    footprint: FootprintRecord
    data: dict[str, Any]
    release: str
    version: int
    published: bool
    rule_check: dict[str, Any] | None = None  # the check against the rule of its class

    @property
    def process_totals(self) -> list[tuple[str, str, str]]:
        """(process, direct value, upstream total) per own product, the headline category,
        largest upstream first; results stored before upstream totals had none."""
        contributions = self.data.get("contributions", {})
        direct = {row["key"]: row["values"][HEADLINE.value]
                  for row in contributions.get("by_process", [])}
        return [(row["label"], direct.get(row["key"], "0"), row["values"][HEADLINE.value])
                for row in contributions.get("upstream_by_process", [])]


def owned_footprint(session: Session, actor: User, product_id: int,
                    footprint_id: int) -> tuple[Product, FootprintRecord]:
    product = owned_product(session, actor, product_id)
    footprint = session.get(FootprintRecord, footprint_id)
    if footprint is None or footprint.product_id != product.id:
        raise NotFound(_("No such result."))
    return product, footprint


@dataclass(frozen=True)
class ResultEntry:
    """One stored result of a product, with the model version and release that made it."""

    footprint: FootprintRecord
    version: int
    release: str


def results_of(session: Session, actor: User, product_id: int) -> list[ResultEntry]:
    """The results of one of the actor's products, newest first."""
    product = owned_product(session, actor, product_id)
    rows = session.execute(select(FootprintRecord, ProductModelVersion.version,
                                  ReleaseRecord.name, ReleaseRecord.version).join(
        ProductModelVersion, ProductModelVersion.id == FootprintRecord.model_version_id).join(
        ReleaseRecord, ReleaseRecord.id == FootprintRecord.release_id).where(
        FootprintRecord.product_id == product.id).order_by(FootprintRecord.id.desc()))
    return [ResultEntry(f, version, f"{name}@{release}") for f, version, name, release in rows]


def result_by_id(session: Session, actor: User, footprint_id: int) -> ResultPage:
    """A result of one of the actor's products found by its id alone (NotFound for a
    result of another organisation, as for one that does not exist)."""
    footprint = session.get(FootprintRecord, footprint_id)
    try:
        if footprint is None:
            raise NotFound
        return result_page(session, actor, footprint.product_id, footprint_id)
    except NotFound:  # one message for both, so that it does not tell which
        raise NotFound(_("No such result.")) from None


def result_page(session: Session, actor: User, product_id: int,
                footprint_id: int) -> ResultPage:
    """A result of one of the actor's products, with what produced it."""
    product, footprint = owned_footprint(session, actor, product_id, footprint_id)
    release = session.get(ReleaseRecord, footprint.release_id)
    version = session.get(ProductModelVersion, footprint.model_version_id)
    assert release is not None
    assert version is not None
    published = session.scalar(select(PublishedFootprint.id).where(
        PublishedFootprint.footprint_id == footprint.id,
        PublishedFootprint.withdrawn_at.is_(None))) is not None
    return ResultPage(product, footprint, json.loads(footprint.result),
                      catalogue.label_of(release), version.version, published,
                      rules.stored_check(footprint.rule_check))


def publish(session: Session, *, actor: User, product_id: int,
            footprint_id: int) -> PublishedFootprint:
    """Publish a result per declared unit (replacing the product's earlier publication)."""
    product, footprint = owned_footprint(session, actor, product_id, footprint_id)
    data = json.loads(footprint.result)
    amount = Decimal(data["declared_amount"])
    values = {k: str((Decimal(v) / amount).normalize()) if amount != 1 else v
              for k, v in data["totals"].items()}
    now = datetime.now(UTC)
    for earlier in session.scalars(select(PublishedFootprint).where(
            PublishedFootprint.product_id == product.id,
            PublishedFootprint.withdrawn_at.is_(None))):
        earlier.withdrawn_at = now
        audit.record(session, actor=actor, action="footprint.withdraw",
                     entity="published_footprint", entity_id=earlier.id,
                     detail=f"replaced by footprint {footprint.id}")
    published = PublishedFootprint(
        organisation_id=product.organisation_id, product_id=product.id,
        footprint_id=footprint.id, declared_unit=data["declared_unit"],
        values=json.dumps(values), primary_data_share=data["primary_data_share"] or "",
        published_at=now)
    session.add(published)
    session.flush()
    audit.record(session, actor=actor, action="footprint.publish",
                 entity="published_footprint", entity_id=published.id, after=values,
                 detail=f"product {product.id}, footprint {footprint.id}")
    return published
