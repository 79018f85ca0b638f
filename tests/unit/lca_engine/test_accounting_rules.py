"""Product-category accounting rules: reading a rule document, and checking models against a
rule clause by clause, with numbers that can be checked by hand."""

from __future__ import annotations

import dataclasses

import pytest

from lca_engine import Method, build_matrices, compute_footprint, compute_intensity_table
from lca_engine.accounting_rules import (
    AccountingRule,
    Clause,
    RequiredStage,
    check_model,
    data_quality_rating,
    describe,
    rule_from_document,
    rule_to_document,
)
from lca_engine.errors import DocumentError
from lca_engine.model import (
    AllocationMethod,
    DataQuality,
    DataType,
    Exclusion,
    Process,
    ProductModel,
)

from .builders import bg, em, inp, loop_background, model, process, product

RULE_DOCUMENT = {
    "id": "sx-steel-products", "version": "1.2.0", "name": "Steel products, Shanxi",
    "cpc_classes": ["412", "4299"], "declared_unit": "kilogram",
    "implements": "GB/T 24067-2024; T/SXSA 001-2026 (illustrative)",
    "required_stages": [{"tag": "forming", "description": "forming of the product"}],
    "cutoff": {"each_percent": 1, "total_percent": 3},
    "allocation": ["mass", "economic"],
    "min_primary_data_share": 20, "max_data_quality_rating": 3,
}


def rule(**changes: object) -> AccountingRule:
    return dataclasses.replace(rule_from_document(RULE_DOCUMENT), **changes)  # type: ignore[arg-type]


def steel_model(**changes: object) -> ProductModel:
    """1 kg of product: 2 kWh of grid electricity (rated 2, 2, 4) and 0.1 kg CO2 on site."""
    forming = Process("forming", "forming", (product("main"),), (
        inp("power", 2.0, "kWh", bg("elec"), data_type=DataType.SECONDARY,
            quality=DataQuality(technological=2, temporal=2, geographical=4)),),
        (em("co2", 0.1),), tags=frozenset({"forming"}))
    base = model((forming,), reference="forming", declared_unit="kilogram")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def computed(product_model: ProductModel):  # type: ignore[no-untyped-def]
    system = build_matrices(loop_background())
    return compute_footprint(product_model, system, compute_intensity_table(system, Method()))


class TestRuleDocuments:
    def test_a_rule_reads_and_writes_back_unchanged(self) -> None:
        read = rule_from_document(RULE_DOCUMENT)
        assert read.reference == "sx-steel-products@1.2.0"
        assert read.allocation == (AllocationMethod.MASS, AllocationMethod.ECONOMIC)
        assert read.required_stages == (RequiredStage("forming", "forming of the product"),)
        assert rule_from_document(rule_to_document(read)) == read

    def test_every_problem_is_named_with_its_path(self) -> None:
        broken = {**RULE_DOCUMENT, "version": "1.2", "declared_unit": "tonne",
                  "cutoff": {"each_percnt": 1}, "allocation": ["mass", "random"],
                  "max_data_quality_rating": 7, "cpc_clases": ["412"]}
        with pytest.raises(DocumentError) as caught:
            rule_from_document(broken, "rule.yaml")
        text = str(caught.value)
        assert "rule.yaml: (rule): unknown key 'cpc_clases'; did you mean 'cpc_classes'?" in text
        assert "cutoff: unknown key 'each_percnt'; did you mean 'each_percent'?" in text
        assert "version: '1.2' is not of the form" in text
        assert "declared_unit: 'tonne' is not a PACT declared unit" in text
        assert "allocation[1]: 'random' is not one of" in text
        assert "max_data_quality_rating: expected a rating from 1 to 5, got '7'" in text

    def test_a_rule_covers_its_classes_and_their_sub_classes(self) -> None:
        read = rule()
        assert read.covers("41211")
        assert read.covers("4299")
        assert not read.covers("42")
        assert not read.covers("")


class TestChecks:
    def test_a_model_that_keeps_every_clause_passes(self) -> None:
        good = steel_model(exclusions=(Exclusion("glue", 0.5), Exclusion("labels", 0.4)))
        # electricity is all of the inputs' weight: (2 + 2 + 4) / 3 = 2.667 <= 3; the on-site
        # CO2 (0.1) over the total gives the primary data share
        result = computed(good)  # primary: 0.1 of 0.1 + 2 x 0.9302 kWh, about 5.06 %
        check = check_model(rule(min_primary_data_share=5.0), good, result)
        assert check.passed, [describe(f) for f in check.failures]
        assert check.rule == "sx-steel-products@1.2.0"
        quality = next(f for f in check.findings if f.clause is Clause.DATA_QUALITY)
        assert quality.fact("found") == "2.667"
        share = next(f for f in check.findings if f.clause is Clause.PRIMARY_DATA_SHARE)
        assert float(share.fact("found")) == pytest.approx(
            100 * 0.1 / result.total(), rel=1e-3)

    def test_each_clause_fails_on_its_own(self) -> None:
        bad = steel_model(exclusions=(Exclusion("glue", 1.5), Exclusion("labels", 2.0)))
        check = check_model(rule(declared_unit="liter", min_primary_data_share=90.0,
                                 max_data_quality_rating=2.0,
                                 required_stages=(RequiredStage("painting", "painting"),)),
                            bad, computed(bad))
        failed = {f.clause for f in check.failures}
        assert failed == {Clause.DECLARED_UNIT, Clause.REQUIRED_PROCESS, Clause.CUTOFF_EACH,
                          Clause.CUTOFF_TOTAL, Clause.PRIMARY_DATA_SHARE, Clause.DATA_QUALITY}
        texts = {f.clause: describe(f) for f in check.failures}
        assert texts[Clause.CUTOFF_EACH] == ("fails cutoff_each: exclusions above 1 %: "
                                             "glue (1.5 %); labels (2 %)")
        assert texts[Clause.CUTOFF_TOTAL] == ("fails cutoff_total: exclusions total 3.5 % "
                                              "(at most 3 %)")
        assert texts[Clause.REQUIRED_PROCESS] == ("fails required_process: stage 'painting' "
                                                  "painting is not modelled")

    def test_allocation_outside_the_rule_is_named_by_process(self) -> None:
        split = process("mill", (product("main"), product("slag", 0.2)), (), (em("co2", 1.0),),
                        allocation=AllocationMethod.ENERGY)
        forming = steel_model().processes[0]
        two = model((forming, split), reference="forming", declared_unit="kilogram")
        finding = next(f for f in check_model(rule(), two).findings
                       if f.clause is Clause.ALLOCATION)
        assert not finding.passed
        assert finding.fact("refused") == "mill: energy"

    def test_an_unrated_input_counts_as_the_worst_rating(self) -> None:
        forming = steel_model().processes[0]
        unrated = dataclasses.replace(forming, inputs=(
            *forming.inputs, inp("more power", 2.0, "kWh", bg("elec"))))
        product_model = steel_model(processes=(unrated,))
        rating, names = data_quality_rating(product_model, computed(product_model))
        # two equal inputs: (8/3 + 5) / 2
        assert rating == pytest.approx((8 / 3 + 5) / 2, rel=1e-12)
        assert names == ["forming: more power"]

    def test_without_a_result_only_the_model_clauses_are_checked(self) -> None:
        clauses = {f.clause for f in check_model(rule(), steel_model()).findings}
        assert Clause.PRIMARY_DATA_SHARE not in clauses
        assert Clause.DATA_QUALITY not in clauses
        assert Clause.DECLARED_UNIT in clauses


def test_a_stored_result_document_checks_the_same_as_the_result() -> None:
    from lca_engine.accounting_rules import ResultFacts

    product_model = steel_model(exclusions=(Exclusion("glue", 0.5),))
    result = computed(product_model)
    direct = check_model(rule(), product_model, result)
    stored = check_model(rule(), product_model, ResultFacts.from_document(result.to_dict()))
    assert stored == direct
