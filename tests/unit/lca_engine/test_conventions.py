"""Modelling conventions practitioners bring, in the product-model document: waste treatment
and avoided products written as openLCA writes them (a treatment whose reference is the waste
it takes in; avoided outputs) and as ecoinvent writes them (a negative product; negative
inputs) give the same, hand-checkable results; parameters and formulas, with parameter sets
as scenarios."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lca_engine import (
    Category,
    Method,
    build_matrices,
    compute_footprint,
    compute_intensity_table,
    product_model_from_document,
)
from lca_engine.errors import DocumentError
from lca_engine.hashing import model_hash

from .builders import loop_background
from .test_intensity import GWP_CH4_AR6, hand_loop

EXCL = Category.PCF_EXCLUDING_BIOGENIC_UPTAKE
ELEC = hand_loop(GWP_CH4_AR6)[0]
# 1 kg of product: 0.1 kg CO2 on site; 0.2 kg scrap to a treatment that uses 0.1 kWh and
# emits 0.5 kg CO2 per kg treated; 0.3 kg of a product displaced whose making emits 0.5 kg
# CO2 per kg ("credit-source" in the loop background)
EXPECTED = 0.1 + 0.2 * (0.5 + 0.1 * ELEC) - 0.3 * 0.5
HEADER = {"id": "p", "name": "product", "declared_unit": "kilogram",
          "reference_process": "main"}
FLOWS = [{"id": "co2", "name": "Carbon dioxide, fossil", "gas": "CO2"}]
TREATMENT_BODY = {"inputs": [{"name": "power", "amount": 0.1, "unit": "kWh",
                              "from": {"background": "elec"}}],
                  "emissions": [{"flow": "co2", "amount": 0.5, "unit": "kg"}]}


def openlca_style() -> dict[str, Any]:
    return {"product": HEADER, "flows": FLOWS, "processes": [
        {"id": "main", "products": [{"id": "main", "amount": 1, "unit": "kg"}],
         "emissions": [{"flow": "co2", "amount": 0.1, "unit": "kg"}],
         "wastes": [{"name": "scrap", "amount": 0.2, "unit": "kg",
                     "to": {"process": "treatment"}}],
         "avoided_products": [{"name": "recovered material", "amount": 0.3, "unit": "kg",
                               "from": {"background": "credit-source"}}]},
        {"id": "treatment", "treats": {"id": "scrap", "amount": 1, "unit": "kg"},
         **TREATMENT_BODY}]}


def ecoinvent_style() -> dict[str, Any]:
    return {"product": HEADER, "flows": FLOWS, "processes": [
        {"id": "main", "products": [{"id": "main", "amount": 1, "unit": "kg"}],
         "emissions": [{"flow": "co2", "amount": 0.1, "unit": "kg"}],
         "inputs": [{"name": "scrap", "amount": -0.2, "unit": "kg",
                     "from": {"process": "treatment"}},
                    {"name": "recovered material", "amount": -0.3, "unit": "kg",
                     "from": {"background": "credit-source"}}]},
        {"id": "treatment", "products": [{"id": "scrap", "amount": -1, "unit": "kg"}],
         **TREATMENT_BODY}]}


def total(document: dict[str, Any], parameter_set: str | None = None) -> float:
    system = build_matrices(loop_background())
    table = compute_intensity_table(system, Method("AR6"))
    model = product_model_from_document(document, parameter_set=parameter_set)
    return compute_footprint(model, system, table).total(EXCL)


class TestWasteAndAvoidedProducts:
    @pytest.mark.parametrize("document", [openlca_style, ecoinvent_style])
    def test_both_conventions_give_the_hand_computed_result(self, document: Any) -> None:
        assert total(document()) == pytest.approx(EXPECTED, rel=1e-12)

    def test_the_conventions_build_the_same_model(self) -> None:
        first = product_model_from_document(openlca_style())
        second = product_model_from_document(ecoinvent_style())
        assert [i.amount for i in first.processes[0].inputs] == [0.2, -0.3]
        assert [i.amount for i in second.processes[0].inputs] == [0.2, -0.3]
        assert [i.avoided for i in second.processes[0].inputs] == [False, True]
        assert second.processes[1].products[0].amount == 1.0

    def test_a_positive_input_from_a_negative_treatment_is_refused(self) -> None:
        document = ecoinvent_style()
        document["processes"][0]["inputs"][0]["amount"] = 0.2
        with pytest.raises(DocumentError, match="whose product is negative"):
            product_model_from_document(document)

    def test_a_process_makes_products_or_treats_a_waste(self) -> None:
        document = openlca_style()
        document["processes"][1]["products"] = [{"id": "x", "amount": 1, "unit": "kg"}]
        with pytest.raises(DocumentError, match="exactly one"):
            product_model_from_document(document)

    def test_an_avoided_product_is_listed_with_a_positive_amount(self) -> None:
        document = openlca_style()
        document["processes"][0]["avoided_products"][0]["amount"] = -0.3
        with pytest.raises(DocumentError, match="avoided product's amount is positive"):
            product_model_from_document(document)


def parametrised() -> dict[str, Any]:
    """The openLCA-style model with its amounts as formulas over parameters."""
    document = openlca_style()
    document["parameters"] = [{"name": "scrap_rate", "value": 0.2},
                              {"name": "recovery", "formula": "scrap_rate * 1.5"}]
    document["parameter_sets"] = {"lean": {"scrap_rate": 0.1}}
    document["product"] = {**HEADER, "parameters": [{"name": "site_co2", "value": 0.1}]}
    main = document["processes"][0]
    main["parameters"] = [{"name": "kg_scrap", "formula": "scrap_rate * 1"}]
    main["emissions"][0]["amount"] = "site_co2"
    main["wastes"][0]["amount"] = "kg_scrap"
    main["avoided_products"][0]["amount"] = "recovery"
    return document


class TestParameters:
    def test_formulas_give_the_same_result_as_the_numbers(self) -> None:
        assert total(parametrised()) == pytest.approx(EXPECTED, rel=1e-12)

    def test_a_parameter_set_is_a_scenario_of_the_same_model(self) -> None:
        lean = 0.1 + 0.1 * (0.5 + 0.1 * ELEC) - 0.15 * 0.5
        assert total(parametrised(), "lean") == pytest.approx(lean, rel=1e-12)
        base = product_model_from_document(parametrised())
        scenario = product_model_from_document(parametrised(), parameter_set="lean")
        assert scenario.parameter_set == "lean"
        assert dict(scenario.parameters)["recovery"] == pytest.approx(0.15)
        assert model_hash(scenario) != model_hash(base)

    def test_an_unknown_set_or_a_set_naming_an_unknown_parameter_is_refused(self) -> None:
        with pytest.raises(DocumentError, match="no parameter set 'green'; the document has "
                                                "'lean'"):
            product_model_from_document(parametrised(), parameter_set="green")
        document = parametrised()
        document["parameter_sets"]["lean"]["scrap_rat"] = 0.1
        with pytest.raises(DocumentError, match="no model or product parameter named "
                                                "scrap_rat"):
            product_model_from_document(document, parameter_set="lean")

    def test_a_formula_error_names_the_field(self) -> None:
        document = copy.deepcopy(parametrised())
        document["processes"][0]["wastes"][0]["amount"] = "kg_scrp * 2"
        with pytest.raises(DocumentError, match=r"processes\[0\]\.wastes\[0\]\.amount: formula "
                                                r"'kg_scrp \* 2': no parameter named kg_scrp"):
            product_model_from_document(document)

    def test_a_cycle_is_refused_at_its_scope(self) -> None:
        document = parametrised()
        document["parameters"] = [{"name": "a", "formula": "b"}, {"name": "b", "formula": "a"},
                                  {"name": "scrap_rate", "value": 0.2},
                                  {"name": "recovery", "value": 0.3}]
        with pytest.raises(DocumentError, match="parameters: parameters depend on each other"):
            product_model_from_document(document)
