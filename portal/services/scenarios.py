"""Scenarios: a copy of a product and its latest model to change freely (say, green
electricity), and a side-by-side comparison of two results with exact decimal differences."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lca_engine import RESULT_CATEGORIES, product_model_from_document
from lca_engine.characterization import HEADLINE
from lca_engine.errors import EngineError
from portal.db.models import FootprintRecord, Product, User
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.footprints import owned_footprint
from portal.services.model_document import sync_header
from portal.services.product_models import document_of, product_key, save_version
from portal.services.products import (
    create_product,
    fields_of,
    latest_footprint,
    latest_version,
    owned_product,
)


def create_scenario(session: Session, *, actor: User, product_id: int, name: str) -> Product:
    """A new product marked as a scenario of this one, holding a copy of its latest model."""
    base = owned_product(session, actor, product_id)
    version = latest_version(session, base.id)
    if version is None:
        raise Conflict(_("The product has no model yet."))
    fields = replace(fields_of(base), name=name.strip() or _("%(name)s (scenario)",
                                                             name=base.name))
    scenario = create_product(session, actor=actor, fields=fields, scenario_of=base)
    document = document_of(version)
    sync_header(document, product_key=product_key(scenario), name=scenario.name,
                declared_unit=scenario.declared_unit)
    try:
        model = product_model_from_document(document)
    except EngineError as exc:  # a stored version always parsed; kept for safety
        raise InvalidInput({"model": str(exc)}) from None
    save_version(session, actor=actor, product=scenario, document=document, model=model,
                 action="scenario_copy", detail=f"copy of product {base.id} v{version.version}",
                 before=None)
    return scenario


@dataclass(frozen=True)
class Line:
    """One compared quantity: exact decimal strings and the relative change in percent."""

    key: str
    label: str
    a: str
    b: str
    difference: str
    change: str  # "" when the first value is zero


def compare_line(key: str, label: str, a: str, b: str) -> Line:
    first, second = Decimal(a or "0"), Decimal(b or "0")
    difference = second - first
    change = "" if first == 0 else f"{difference / abs(first) * 100:+.1f}"
    text = format(difference.normalize(), "f") if difference else "0"
    return Line(key, label, a, b, text, change)


def _contributions(data: dict[str, Any], kind: str) -> dict[str, tuple[str, str]]:
    return {row["key"]: (row["label"], row["values"][HEADLINE.value])
            for row in data["contributions"][kind]}


def _side_by_side(a: dict[str, Any], b: dict[str, Any], kind: str) -> list[Line]:
    first, second = _contributions(a, kind), _contributions(b, kind)
    lines = []
    for key in [*first, *(k for k in second if k not in first)]:
        label_a, value_a = first.get(key, ("", ""))
        label_b, value_b = second.get(key, ("", ""))
        label = label_a if label_a == label_b or not label_b else (
            f"{label_a} → {label_b}" if label_a else label_b)
        lines.append(compare_line(key, label, value_a, value_b))
    return lines


@dataclass
class Comparison:
    products: tuple[Product, Product]
    footprints: tuple[FootprintRecord, FootprintRecord]
    totals: list[Line]
    by_process: list[Line]
    by_input: list[Line]


def compare(session: Session, actor: User, product_id: int, other_id: int, *,
            first: int | None = None, second: int | None = None) -> Comparison:
    """The results of two of the actor's products side by side (latest ones by default)."""
    pairs = []
    for pid, fid in ((product_id, first), (other_id, second)):
        if fid is None:
            product = owned_product(session, actor, pid)
            footprint = latest_footprint(session, pid)
            if footprint is None:
                raise NotFound(_("%(name)s has no result yet.", name=product.name))
            pairs.append((product, footprint))
        else:
            pairs.append(owned_footprint(session, actor, pid, fid))
    (pa, fa), (pb, fb) = pairs
    a, b = json.loads(fa.result), json.loads(fb.result)
    totals = [compare_line(c.value, c.value, a["totals"][c.value], b["totals"][c.value])
              for c in RESULT_CATEGORIES]
    return Comparison((pa, pb), (fa, fb), totals, _side_by_side(a, b, "by_process"),
                      _side_by_side(a, b, "by_input"))
