"""An enterprise's products: creating and updating them, and reading only one's own (another
organisation's product is "not found", never "forbidden")."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lca_engine.units import PACT_DECLARED_UNITS
from portal.db.models import (
    FootprintRecord,
    OrganisationKind,
    Product,
    ProductModelVersion,
    PublishedFootprint,
    ReleaseRecord,
    User,
)
from portal.services import audit, catalogue
from portal.services.errors import Forbidden, InvalidInput, NotFound

GTIN_LENGTHS = (8, 12, 13, 14)
_CPC = re.compile(r"^\d{1,5}$")
_GEOGRAPHY = re.compile(r"^[A-Za-z0-9 ,:()\-]{0,40}$")
#: What `check_fields` accepts, as JSON Schema keywords for the API document (the rules that
#: span fields, a GTIN's check digit and "a GTIN or an internal id", are only in prose).
FIELD_SCHEMA: dict[str, dict[str, object]] = {
    "name": {"minLength": 1, "maxLength": 200, "pattern": r"\S"},
    "declared_unit": {"enum": sorted(PACT_DECLARED_UNITS)},
    "gtin": {"pattern": r"^ *([0-9]{8}|[0-9]{12,14})? *$"},
    "internal_id": {"maxLength": 100},
    "cpc_class": {"pattern": r"^ *([0-9]{1,5})? *$"},
    "period_start": {"pattern": r"^ *([0-9]{4}-[0-9]{2}-[0-9]{2})? *$"},
    "period_end": {"pattern": r"^ *([0-9]{4}-[0-9]{2}-[0-9]{2})? *$"},
    "geography": {"pattern": r"^ *[A-Za-z0-9 ,:()\-]{0,40} *$"},
}


@dataclass(frozen=True, slots=True)
class ProductFields:
    """What a product is described by (the form and the service agree on these)."""

    name: str
    declared_unit: str
    gtin: str = ""
    internal_id: str = ""
    cpc_class: str = ""
    period_start: str = ""
    period_end: str = ""
    geography: str = ""

    def cleaned(self) -> ProductFields:
        return ProductFields(**{k: v.strip() for k, v in asdict(self).items()})


def gtin_is_valid(code: str) -> bool:
    """GTIN-8/12/13/14: digits only, and the GS1 check digit (weights 3, 1 from the right)."""
    if len(code) not in GTIN_LENGTHS or not code.isascii() or not code.isdigit():
        return False
    body = [int(c) for c in reversed(code[:-1])]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return (10 - total % 10) % 10 == int(code[-1])


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def check_fields(fields: ProductFields) -> ProductFields:
    """The cleaned fields, or InvalidInput naming every wrong field and its value."""
    f = fields.cleaned()
    errors: dict[str, str] = {}
    if not f.name or len(f.name) > 200:
        errors["name"] = _("A name of 1 to 200 characters is required.")
    if f.gtin and not gtin_is_valid(f.gtin):
        errors["gtin"] = _("'%(value)s' is not a GTIN-8, -12, -13 or -14 with a valid check "
                           "digit.", value=f.gtin)
    if not f.gtin and not f.internal_id:
        errors["internal_id"] = _("Give a GTIN or an internal id.")
    if len(f.internal_id) > 100:
        errors["internal_id"] = _("At most 100 characters.")
    if f.cpc_class and not _CPC.match(f.cpc_class):
        errors["cpc_class"] = _("'%(value)s' is not a CPC code (1 to 5 digits).",
                                value=f.cpc_class)
    if f.declared_unit not in PACT_DECLARED_UNITS:
        errors["declared_unit"] = _("'%(value)s' is not a PACT declared unit.",
                                    value=f.declared_unit)
    start, end = _date(f.period_start), _date(f.period_end)
    for name, text, parsed in (("period_start", f.period_start, start),
                               ("period_end", f.period_end, end)):
        if text and parsed is None:
            errors[name] = _("'%(value)s' is not a date (YYYY-MM-DD).", value=text)
    if start and end and end < start:
        errors["period_end"] = _("The reference period ends before it starts.")
    if not _GEOGRAPHY.match(f.geography):
        errors["geography"] = _("'%(value)s' is not a geography code such as CN-SX.",
                                value=f.geography)
    if errors:
        raise InvalidInput(errors)
    return f


def _require_enterprise(actor: User) -> None:
    if actor.organisation.kind is not OrganisationKind.ENTERPRISE:
        raise Forbidden(_("Only enterprises model products."))


def create_product(session: Session, *, actor: User, fields: ProductFields,
                   scenario_of: Product | None = None) -> Product:
    """A new product of the actor's enterprise."""
    _require_enterprise(actor)
    f = check_fields(fields)
    product = Product(organisation_id=actor.organisation_id, created_at=datetime.now(UTC),
                      scenario_of_id=scenario_of.id if scenario_of else None, **asdict(f))
    session.add(product)
    session.flush()
    audit.record(session, actor=actor, action="product.create", entity="product",
                 entity_id=product.id, after=asdict(f),
                 detail=f"scenario of {scenario_of.id}" if scenario_of else "")
    return product


def update_product(session: Session, *, actor: User, product_id: int,
                   fields: ProductFields) -> Product:
    """Change a product's description (its model versions are kept as they are)."""
    product = owned_product(session, actor, product_id)
    f = check_fields(fields)
    before = fields_of(product)
    for key, value in asdict(f).items():
        setattr(product, key, value)
    audit.record(session, actor=actor, action="product.update", entity="product",
                 entity_id=product.id, before=asdict(before), after=asdict(f))
    return product


def fields_of(product: Product) -> ProductFields:
    return ProductFields(name=product.name, declared_unit=product.declared_unit,
                         gtin=product.gtin, internal_id=product.internal_id,
                         cpc_class=product.cpc_class, period_start=product.period_start,
                         period_end=product.period_end, geography=product.geography)


def owned_product(session: Session, actor: User, product_id: int) -> Product:
    """The product if it belongs to the actor's organisation; NotFound otherwise."""
    product = session.get(Product, product_id)
    if product is None or product.organisation_id != actor.organisation_id:
        raise NotFound(_("No such product."))
    return product


def latest_version(session: Session, product_id: int) -> ProductModelVersion | None:
    return session.scalar(select(ProductModelVersion).where(
        ProductModelVersion.product_id == product_id).order_by(
        ProductModelVersion.version.desc()).limit(1))


def latest_footprint(session: Session, product_id: int) -> FootprintRecord | None:
    return session.scalar(select(FootprintRecord).where(
        FootprintRecord.product_id == product_id).order_by(FootprintRecord.id.desc()).limit(1))


@dataclass
class ProductRow:
    product: Product
    versions: int
    footprint: FootprintRecord | None


def list_products(session: Session, actor: User) -> list[ProductRow]:
    """The actor's organisation's products, with latest model version and result."""
    products = session.scalars(select(Product).where(
        Product.organisation_id == actor.organisation_id).order_by(Product.id))
    counts: dict[int, int] = dict(session.execute(select(
        ProductModelVersion.product_id, func.max(ProductModelVersion.version)).join(
        Product).where(Product.organisation_id == actor.organisation_id).group_by(
        ProductModelVersion.product_id)).all())
    return [ProductRow(p, counts.get(p.id, 0), latest_footprint(session, p.id))
            for p in products]


def product_row(session: Session, actor: User, product_id: int) -> ProductRow:
    """One of the actor's products as `list_products` shows it."""
    product = owned_product(session, actor, product_id)
    latest = latest_version(session, product.id)
    return ProductRow(product, latest.version if latest else 0,
                      latest_footprint(session, product.id))


@dataclass
class ProductPage:
    product: Product
    version: ProductModelVersion | None
    footprints: list[FootprintRecord]
    scenarios: list[Product]
    base: Product | None
    published: PublishedFootprint | None
    release_labels: dict[int, str] = field(default_factory=dict)
    releases: list[ReleaseRecord] = field(default_factory=list)


def product_page(session: Session, actor: User, product_id: int) -> ProductPage:
    """Everything the product page shows, for the owner only."""
    product = owned_product(session, actor, product_id)
    footprints = list(session.scalars(select(FootprintRecord).where(
        FootprintRecord.product_id == product.id).order_by(FootprintRecord.id.desc())))
    scenarios = list(session.scalars(select(Product).where(
        Product.scenario_of_id == product.id,
        Product.organisation_id == actor.organisation_id).order_by(Product.id)))
    base = (session.get(Product, product.scenario_of_id)
            if product.scenario_of_id is not None else None)
    published = session.scalar(select(PublishedFootprint).where(
        PublishedFootprint.product_id == product.id,
        PublishedFootprint.withdrawn_at.is_(None)).order_by(PublishedFootprint.id.desc()))
    labels = {r.id: f"{r.name}@{r.version}" for r in session.scalars(select(ReleaseRecord))}
    return ProductPage(product, latest_version(session, product.id), footprints, scenarios,
                       base, published, labels, catalogue.ready_releases(session))
