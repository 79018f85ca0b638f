"""Product models: every change is checked (parsed by the engine, linked and computed against
the model's release) and saved as a new ProductModelVersion; versions are never edited."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lca_engine import compute_footprint, product_model_from_document
from lca_engine.accounting_rules import RuleCheck
from lca_engine.errors import EngineError
from lca_engine.hashing import model_hash
from lca_engine.model import ProductModel
from portal.db.models import (
    FootprintRecord,
    Organisation,
    Product,
    ProductModelVersion,
    PublishedFootprint,
    ReleaseRecord,
    User,
)
from portal.rules import use_cases as rules
from portal.services import audit, catalogue, products
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.model_document import (
    Document,
    Edit,
    EditContext,
    check_size,
    empty_document,
    prune_suppliers,
    replace_model,
    sync_header,
)
from portal.services.model_storage import load_document, seal_document
from portal.services.model_template import write_template
from portal.services.model_upload import read_template
from portal.services.products import ProductFields, latest_version, owned_product


def document_of(version: ProductModelVersion | None) -> Document:
    return empty_document() if version is None else dict(load_document(version))


def product_key(product: Product) -> str:
    """The product's id inside its model document."""
    return product.internal_id or product.gtin or f"product-{product.id}"


def release_of(session: Session, document: Document) -> ReleaseRecord:
    """The READY release the document names; an unnamed document takes the newest."""
    label = str(document.get("release") or "")
    if label:
        record = catalogue.release_by_label(session, label)
        if record is None:
            raise Conflict(_("Background release %(value)s is not available; choose another "
                             "in the model settings.", value=label))
        return record
    releases = catalogue.ready_releases(session)
    if not releases:
        raise Conflict(_("No background release is published yet."))
    document["release"] = catalogue.label_of(releases[0])
    return releases[0]


def check_model(document: Document, record: ReleaseRecord) -> ProductModel:
    """Parse the document and compute it against the release; InvalidInput names the
    process, exchange and value of the first problem."""
    try:
        model = product_model_from_document(document)
        built = catalogue.compiled(record)
        compute_footprint(model, built.system, built.table, max_nodes=1)
    except EngineError as exc:
        raise InvalidInput({"model": _("The model cannot be computed: %(error)s",
                                       error=str(exc))}) from None
    return model


def supplier_entry(session: Session, organisation_id: int, published_id: int
                   ) -> dict[str, Any]:
    """A published footprint of another organisation as a supplier entry of a document."""
    published = session.get(PublishedFootprint, published_id)
    if (published is None or published.withdrawn_at is not None
            or published.organisation_id == organisation_id):
        raise NotFound(_("No such published footprint."))
    company = session.get(Organisation, published.organisation_id)
    product = session.get(Product, published.product_id)
    record = session.get(FootprintRecord, published.footprint_id)
    assert company is not None
    assert product is not None
    assert record is not None
    entry: dict[str, Any] = {
        "id": f"published-{published.id}", "published_footprint": published.id,
        "company": company.name, "product_name": product.name,
        "declared_unit": published.declared_unit, "gwp_set": record.gwp_set,
        "source": f"published footprint {published.id} on the platform",
    }
    entry.update({k: float(v) for k, v in json.loads(published.values).items()})
    if published.primary_data_share:
        entry["primary_data_share"] = float(published.primary_data_share)
    return entry


def save_version(session: Session, *, actor: User, product: Product, document: Document,
                 model: ProductModel, action: str, detail: str,
                 before: Document | None) -> ProductModelVersion:
    """Append the next version of *product*'s model (audited)."""
    latest = latest_version(session, product.id)
    version = ProductModelVersion(
        product_id=product.id, version=(latest.version if latest else 0) + 1,
        document="", model_hash=model_hash(model),
        created_by_id=actor.id, created_at=datetime.now(UTC))
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(_("The model was changed at the same time; reload and try "
                         "again.")) from None
    seal_document(session, version, product.organisation_id, document)
    audit.record(session, actor=actor, action=f"product_model.{action}",
                 entity="product_model_version", entity_id=version.id, before=before,
                 after=document, detail=f"product {product.id} v{version.version}: {detail}",
                 organisation_id=product.organisation_id)
    return version


def edit_model(session: Session, *, actor: User, product_id: int, base_version: int,
               edit: Edit) -> ProductModelVersion:
    """Apply *edit* to the latest model of the product and save it as a new version.

    *base_version* is the version the user edited; a newer one means someone else saved in
    between, and the edit is refused rather than applied to a model the user has not seen."""
    product = owned_product(session, actor, product_id)
    latest = latest_version(session, product.id)
    if base_version != (latest.version if latest else 0):
        raise Conflict(_("The model was changed since you opened it; reload and try again."))
    before = document_of(latest)
    document = copy.deepcopy(before)
    context = EditContext(lambda pid: supplier_entry(session, actor.organisation_id, pid))
    edit.apply(document, context)
    check_size(document.get("processes"))
    sync_header(document, product_key=product_key(product), name=product.name,
                declared_unit=product.declared_unit)
    prune_suppliers(document)
    model = check_model(document, release_of(session, document))
    return save_version(session, actor=actor, product=product, document=document,
                        model=model, action=edit.action, detail=edit.detail,
                        before=before if latest else None)


@dataclass(frozen=True)
class SupplierChoice:
    id: int
    company: str
    product: str
    declared_unit: str
    headline: str


def supplier_choices(session: Session, actor: User) -> list[SupplierChoice]:
    """Footprints other organisations have published (what may be linked, nothing more)."""
    rows = session.execute(select(PublishedFootprint, Organisation.name, Product.name).join(
        Organisation, Organisation.id == PublishedFootprint.organisation_id).join(
        Product, Product.id == PublishedFootprint.product_id).where(
        PublishedFootprint.withdrawn_at.is_(None),
        PublishedFootprint.organisation_id != actor.organisation_id).order_by(
        Organisation.name, Product.name))
    return [SupplierChoice(p.id, company, name, p.declared_unit,
                           json.loads(p.values).get("pcf_excluding_biogenic_uptake", ""))
            for p, company, name in rows]


#: processes shown (and offered in the forms' lists) per page of the model page
PROCESSES_PER_PAGE = 25


@dataclass(frozen=True)
class ProcessPage:
    """Which processes the model page shows: those matching *query* (id or name), one page
    of them at a time, so that a model of thousands of processes renders in bounded time."""

    processes: list[dict[str, Any]]
    matching: int
    total: int
    number: int
    pages: int
    query: str

    @property
    def first(self) -> int:
        """The position (from 1) of the first process shown; 0 when none matches."""
        return (self.number - 1) * PROCESSES_PER_PAGE + 1 if self.processes else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * PROCESSES_PER_PAGE + len(self.processes)


def process_page(document: Document, *, query: str = "", number: int = 1) -> ProcessPage:
    """Page *number* (from 1) of the document's processes whose id or name holds *query*."""
    every = document.get("processes", [])
    needle = query.strip().lower()
    matching = [p for p in every if not needle or needle in str(p.get("id", "")).lower()
                or needle in str(p.get("name", "")).lower()]
    pages = max(1, -(-len(matching) // PROCESSES_PER_PAGE))
    number = min(max(1, number), pages)
    start = (number - 1) * PROCESSES_PER_PAGE
    return ProcessPage(matching[start:start + PROCESSES_PER_PAGE], len(matching), len(every),
                       number, pages, query.strip())


@dataclass
class ModelPage:
    product: Product
    version: int
    document: Document
    release: ReleaseRecord | None
    releases: list[ReleaseRecord]
    shown: ProcessPage = field(default_factory=lambda: ProcessPage([], 0, 0, 1, 1, ""))
    activities: list[catalogue.ActivityChoice] = field(default_factory=list)
    activity_names: dict[str, str] = field(default_factory=dict)
    flows: list[catalogue.FlowChoice] = field(default_factory=list)
    suppliers: list[SupplierChoice] = field(default_factory=list)
    own_products: list[tuple[str, str, str]] = field(default_factory=list)
    rule_check: RuleCheck | None = None  # the model clauses of the rule of its class

    @property
    def used_activities(self) -> list[str]:
        """Background activities the model's inputs use, in order of first use."""
        used = [i["from"]["background"] for p in self.document.get("processes", [])
                for i in p.get("inputs", []) if "background" in i["from"]]
        return list(dict.fromkeys(used))

    @property
    def supplier_entries(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.document.get("suppliers", [])}


def model_page(session: Session, actor: User, product_id: int, *, name: str = "",
               sector: str = "", geography: str = "", process_query: str = "",
               page_number: int = 1) -> ModelPage:
    """The latest model of the product with the choices its forms offer; the background
    activities offered are those matching the search (name, sector, geography). One page
    of processes is shown, and the forms offer those and the declared product's process."""
    product = owned_product(session, actor, product_id)
    latest = latest_version(session, product.id)
    document = document_of(latest)
    releases = catalogue.ready_releases(session)
    shown = process_page(document, query=process_query, number=page_number)
    page = ModelPage(product, latest.version if latest else 0, document, None, releases,
                     shown)
    if latest is not None:
        try:
            page.rule_check = rules.check_against_class(
                session, product.cpc_class, product_model_from_document(document))
        except EngineError:  # a stored version always parsed; an old one may not any more
            page.rule_check = None
    try:
        page.release = release_of(session, document)
    except Conflict:
        return page
    release = catalogue.load_release(page.release)
    page.activities = catalogue.search_activities(release, name=name, sector=sector,
                                                  geography=geography)
    page.activity_names = catalogue.activity_names(release)
    page.flows = catalogue.flows(release)
    page.suppliers = supplier_choices(session, actor)
    reference = (document.get("product") or {}).get("reference_process")
    offered = list(shown.processes) + [
        p for p in document.get("processes", [])
        if p.get("id") == reference and p not in shown.processes]
    page.own_products = [  # a name is optional in a document: the engine reads the id
        (p["id"], o["id"], f"{p.get('name') or p['id']} / {o.get('name') or o['id']}")
        for p in offered for o in p["products"]]
    return page


def latest_model(session: Session, actor: User, product_id: int
                 ) -> tuple[ProductModelVersion | None, Document]:
    """The latest version of one of the actor's products' models and its document (None and
    an empty document before the first)."""
    latest = latest_version(session, owned_product(session, actor, product_id).id)
    return latest, document_of(latest)


def version_history(session: Session, actor: User, product_id: int
                    ) -> list[ProductModelVersion]:
    product = owned_product(session, actor, product_id)
    return list(session.scalars(select(ProductModelVersion).where(
        ProductModelVersion.product_id == product.id).order_by(
        ProductModelVersion.version.desc())))


def update_product(session: Session, *, actor: User, product_id: int,
                   fields: ProductFields) -> Product:
    """Change a product's description; when its name or declared unit changes, its model
    gets a new version carrying them (refused if the model no longer computes)."""
    latest = latest_version(session, product_id)
    product = products.update_product(session, actor=actor, product_id=product_id,
                                      fields=fields)
    if latest is None:
        return product
    before = document_of(latest)
    header = before.get("product", {})
    if (header.get("name"), header.get("declared_unit"), header.get("id")) == (
            product.name, product.declared_unit, product_key(product)):
        return product
    document = copy.deepcopy(before)
    sync_header(document, product_key=product_key(product), name=product.name,
                declared_unit=product.declared_unit)
    model = check_model(document, release_of(session, document))
    save_version(session, actor=actor, product=product, document=document, model=model,
                 action="product_header", detail="product name or declared unit",
                 before=before)
    return product


def template_for(session: Session, actor: User, product_id: int) -> bytes:
    """The XLSX template filled with the product's latest model."""
    product = owned_product(session, actor, product_id)
    return write_template(document_of(latest_version(session, product.id)))


def upload_model(session: Session, *, actor: User, product_id: int, base_version: int,
                 data: bytes, filename: str) -> ProductModelVersion:
    """Replace the model's processes with a filled-in template (TemplateRejected lists every
    problem by sheet, row, field and value; nothing is saved then)."""
    product = owned_product(session, actor, product_id)
    release = catalogue.load_release(release_of(
        session, document_of(latest_version(session, product.id))))
    parsed = read_template(
        data, activities={a.id for a in release.activities}, flows={f.id for f in release.flows},
        supplier=lambda pid: supplier_entry(session, actor.organisation_id, pid))
    return edit_model(session, actor=actor, product_id=product.id, base_version=base_version,
                      edit=replace_model(processes=parsed.processes, suppliers=parsed.suppliers,
                                         reference=parsed.reference,
                                         source=f"template {filename[:100]}"))
