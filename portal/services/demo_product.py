"""The demo enterprise's product: the worked example (galvanised steel brackets), its model
linked to the seed release shanxi-demo@1.0.0."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lca_engine.accounting_rules import rule_from_document
from portal.db.models import Product, User
from portal.rules import use_cases as rules
from portal.services import grading_tables, product_models, products
from portal.services.model_document import Edit, EditContext

DEMO_EMAIL = "enterprise@demo.pcf"
OPERATOR_EMAIL = "operator@demo.pcf"
DEMO_THRESHOLDS = "A <= 2.0\nB <= 3.0\nC <= 4.5"  # kg CO2e per kg, illustrative
ASSOCIATION_EMAIL = "association@demo.pcf"
#: an illustrative accounting rule for the demo product's class, from the demo association
DEMO_RULE = {
    "id": "sx-fabricated-metal-demo", "version": "1.0.0",
    "name": "Fabricated metal products, Shanxi (illustrative demo rule) / 金属制品（演示规则）",
    "cpc_classes": ["429"], "declared_unit": "kilogram",
    "implements": "GB/T 24067-2024; illustrative, not a published sector rule",
    "cutoff": {"each_percent": 1, "total_percent": 5},
    "allocation": ["mass", "economic", "system_expansion"],
    "min_primary_data_share": 10, "max_data_quality_rating": 3,
}
RELEASE = "shanxi-demo@1.0.0"
NAME = "Galvanised steel bracket GS-40 / 镀锌钢支架 GS-40"
# The example's own background ids and their counterparts in the seed release.
SEED_IDS = {
    "hot-rolled-coil": "hot-rolled-coil-shanxi",
    "electricity-grid-shanxi-2022": "electricity-grid-cn",
    "natural-gas": "combustion-natural-gas",  # the combustion activity carries the CO2
    "lorry-transport": "lorry-transport-cn",
}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "steel-bracket.yaml"


def demo_document() -> dict[str, Any]:
    """The worked example, relinked to the seed release."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document.pop("background", None)
    for process in document["processes"]:
        inputs = []
        for item in process.get("inputs", []):
            source = item["from"]
            if "background" in source:
                if source["background"] not in SEED_IDS:
                    continue  # no counterpart in the seed release (the carton)
                source["background"] = SEED_IDS[source["background"]]
            inputs.append(item)
        process["inputs"] = inputs
        if process["id"] == "galvanising":  # the combustion activity now emits this CO2
            process["emissions"] = []
    document["release"] = RELEASE
    return document


def ensure_demo_product(session: Session) -> Product | None:
    """Create the demo product with its model unless the demo enterprise already has one."""
    user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        return None
    existing = session.scalar(select(Product).where(
        Product.organisation_id == user.organisation_id, Product.name == NAME))
    if existing is not None:
        return existing
    product = products.create_product(session, actor=user, fields=products.ProductFields(
        name=NAME, declared_unit="kilogram", gtin="06901234567892", cpc_class="42999",
        period_start="2025-01-01", period_end="2025-12-31", geography="CN-SX"))
    document = demo_document()

    def apply(target: dict[str, Any], _context: EditContext) -> None:
        target.update(copy.deepcopy({k: v for k, v in document.items() if k != "product"}))
        target.setdefault("product", {}).update(
            reference_process=document["product"]["reference_process"])

    product_models.edit_model(session, actor=user, product_id=product.id, base_version=0,
                              edit=Edit("demo", "the worked example", apply))
    operator = session.scalar(select(User).where(User.email == OPERATOR_EMAIL))
    if operator is not None and grading_tables.table_for(session, "42999", "kilogram") is None:
        grading_tables.set_table(session, actor=operator, cpc_class="42999",
                                 declared_unit="kilogram", bounds_text=DEMO_THRESHOLDS,
                                 note="illustrative demo thresholds, not a sector benchmark")
    association = session.scalar(select(User).where(User.email == ASSOCIATION_EMAIL))
    if association is not None and rules.rule_for_class(session, "42999") is None:
        rules.add_rule(session, actor=association, rule=rule_from_document(DEMO_RULE),
                       now=datetime.now(UTC))
    return product
