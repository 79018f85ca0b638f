"""Bulk recompute: when a new release is published, an enterprise recomputes every product
that has a model against it (one job) and sees the old and new headline values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import (
    Job,
    OrganisationKind,
    Product,
    ProductModelVersion,
    ReleaseRecord,
    User,
)
from portal.jobs import JobContext, submit, task
from portal.services import catalogue
from portal.services.errors import Forbidden, ServiceError
from portal.services.footprints import (
    N_,
    ComputeFailed,
    JobView,
    compiled,
    compute,
    job_view,
    store_result,
)
from portal.services.model_storage import load_document
from portal.services.products import latest_footprint, latest_version
from portal.services.scenarios import compare_line

KIND = "recompute_products"


def start_recompute(app: Flask, session: Session, *, actor: User, release_id: int) -> str:
    """Queue the recompute of all the actor's organisation's products; returns the job id."""
    if actor.organisation.kind is not OrganisationKind.ENTERPRISE:
        raise Forbidden(_("Only enterprises model products."))
    catalogue.ready_release(session, release_id)
    return submit(app, KIND, {"release_id": release_id, "actor_id": actor.id}, actor=actor)


def _work(session: Session, organisation_id: int) -> list[dict[str, Any]]:
    """What to recompute: each product with a model, its latest version and last result."""
    items = []
    for product in session.scalars(select(Product).where(
            Product.organisation_id == organisation_id).order_by(Product.id)):
        version = latest_version(session, product.id)
        if version is None:
            continue
        previous = latest_footprint(session, product.id)
        old_release = session.get(ReleaseRecord, previous.release_id) if previous else None
        items.append({
            "product_id": product.id, "name": product.name, "version_id": version.id,
            "document": load_document(version),
            "old_headline": previous.headline if previous else "",
            "old_footprint_id": previous.id if previous else None,
            "old_release": catalogue.label_of(old_release) if old_release else "",
        })
    return items


@task(KIND)
def recompute_job(context: JobContext, *, release_id: int, actor_id: int) -> dict[str, Any]:
    """Recompute every product of the actor's organisation against one release."""
    context.progress(5, N_("Loading the model and the background release"))
    with context.database.unit_of_work() as session:
        actor = session.get(User, actor_id)
        if actor is None:
            raise ComputeFailed("the user who asked for this computation no longer exists")
        try:
            record = catalogue.ready_release(session, release_id)
        except ServiceError as exc:
            raise ComputeFailed(str(exc)) from None
        items = _work(session, actor.organisation_id)
    context.progress(10, N_("Compiling the background release"))
    compiled(record)
    rows = []
    for number, item in enumerate(items):
        context.progress(10 + int(85 * number / max(len(items), 1)),
                         N_("Computing the footprints"))
        document = item.pop("document")
        try:
            result = compute(document, record)
        except ComputeFailed as exc:
            rows.append({**item, "new_headline": "", "new_footprint_id": None,
                         "error": str(exc)})
            continue
        with context.database.unit_of_work() as session:
            actor = session.get(User, actor_id)
            product = session.get(Product, item["product_id"])
            version = session.get(ProductModelVersion, item["version_id"])
            assert actor is not None
            assert product is not None
            assert version is not None
            footprint = store_result(session, actor=actor, product=product, version=version,
                                     record=record, result=result, job_id=context.job_id)
            rows.append({**item, "new_headline": footprint.headline,
                         "new_footprint_id": footprint.id, "error": ""})
    context.progress(100, N_("Done"))
    return {"release": catalogue.label_of(record), "rows": rows}


@dataclass
class RecomputePage:
    releases: list[ReleaseRecord]
    job: JobView | None = None
    release: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)


def recompute_page(session: Session, actor: User, job_id: str | None) -> RecomputePage:
    """The releases to choose from and a recompute job's old and new values (the given job,
    or the organisation's latest)."""
    page = RecomputePage(catalogue.ready_releases(session))
    if job_id is None:
        job_id = session.scalar(select(Job.id).where(
            Job.kind == KIND, Job.organisation_id == actor.organisation_id).order_by(
            Job.created_at.desc()).limit(1))
        if job_id is None:
            return page
    page.job = job_view(session, actor, job_id, kind=KIND)
    if page.job.job.result:
        result = json.loads(page.job.job.result)
        page.release = result["release"]
        for row in result["rows"]:
            line = compare_line(str(row["product_id"]), row["name"], row["old_headline"],
                                row["new_headline"]) if row["new_headline"] else None
            page.rows.append({**row, "difference": line.difference if line else "",
                              "change": line.change if line else ""})
    return page
