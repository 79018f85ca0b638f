"""Product-model and background documents, and their errors with field paths."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from lca_engine import background_from_document, product_model_from_document
from lca_engine.errors import DocumentError
from lca_engine.model import AllocationMethod, DataType, LinkKind

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example() -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / "steel-bracket.yaml").read_text(encoding="utf-8"))


class TestShippedExample:
    def test_the_example_model_parses_with_its_allocations_and_links(self) -> None:
        model = product_model_from_document(example())
        by_id = {p.id: p for p in model.processes}
        assert by_id["galvanising"].allocation is not None
        assert by_id["galvanising"].allocation.method is AllocationMethod.ECONOMIC
        assert by_id["slitting"].allocation.method is AllocationMethod.MASS  # type: ignore[union-attr]
        kinds = {i.link.kind for p in model.processes for i in p.inputs}
        assert kinds == {LinkKind.BACKGROUND, LinkKind.PROCESS, LinkKind.SUPPLIER}
        assert by_id["forming"].inputs[1].data_type is DataType.PRIMARY

    def test_the_example_background_parses(self) -> None:
        document = yaml.safe_load((EXAMPLES / "background-demo.yaml").read_text("utf-8"))
        background = background_from_document(document)
        assert len(background.activities) >= 10
        assert any("aircraft" in a.tags for a in background.activities)


class TestErrorsNameTheField:
    @pytest.mark.parametrize(("mutate", "message"), [
        (lambda d: d["processes"][1]["inputs"][0].__setitem__("amount", "lots"),
         r"model.yaml: processes\[1\]\.inputs\[0\]\.amount: formula 'lots': no parameter "
         r"named lots"),
        (lambda d: d["processes"][0]["inputs"][0].pop("unit"),
         r"processes\[0\]\.inputs\[0\]\.unit: is required"),
        (lambda d: d["processes"][0]["inputs"][0].__setitem__("from", {}),
         r"processes\[0\]\.inputs\[0\]\.from: name exactly one provider"),
        (lambda d: d["processes"][0].__setitem__("allocation", "by vibes"),
         r"processes\[0\]\.allocation\.method: expected one of mass, energy"),
        (lambda d: d["product"].pop("declared_unit"), r"product\.declared_unit: is required"),
        (lambda d: d["suppliers"][0].__setitem__("primary_data_share", 140),
         r"suppliers\[0\]\.primary_data_share: a share is 0 to 100, got 140"),
        (lambda d: d["processes"][0]["inputs"][1].__setitem__("data_type", "guessed"),
         r"processes\[0\]\.inputs\[1\]\.data_type: expected one of primary, secondary"),
        (lambda d: d["processes"][0]["inputs"][0].__setitem__("amount", float("nan")),
         r"processes\[0\]\.inputs\[0\]\.amount: expected a finite number"),
    ])
    def test_a_malformed_field(self, mutate: Any, message: str) -> None:
        document = copy.deepcopy(example())
        mutate(document)
        with pytest.raises(DocumentError, match=message):
            product_model_from_document(document, "model.yaml")

    def test_a_document_that_is_not_a_mapping(self) -> None:
        with pytest.raises(DocumentError, match=r"\(document\): expected a mapping"):
            product_model_from_document(["not", "a", "model"])


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


class TestHostileValues:
    """What fuzzing the parser found (test_fuzz_documents.py): values that used to end in a
    RecursionError, an OverflowError or a TypeError instead of a DocumentError."""

    @pytest.mark.parametrize(("mutate", "message"), [
        (lambda d: d["processes"][0]["inputs"][0].__setitem__("amount", nested(5000)),
         r"^processes\[0\]\.inputs\[0\]\.amount: expected a number, got \[\[\[\[\.\.\.\]\]\]\]$"),
        (lambda d: d["processes"][0]["inputs"][1].__setitem__("data_type", nested(5000)),
         r"^processes\[0\]\.inputs\[1\]\.data_type: expected one of primary, secondary, got "
         r"\[\[\[\[\.\.\.\]\]\]\]$"),
        (lambda d: d["processes"][0]["inputs"][0].__setitem__("amount", 10**400),
         r"^processes\[0\]\.inputs\[0\]\.amount: expected a finite number, got 1(0){17}\.\.\."
         r"(0){19}$"),
        (lambda d: d["processes"][0]["products"][0].__setitem__(
            "properties", {1: 2.0, "mass": 1.0}),
         r"^processes\[0\]\.products\[0\]\.properties: expected names as keys, got 1$"),
        (lambda d: d["processes"][0]["inputs"][0].__setitem__(
            "uncertainty", {"distribution": "lognormal", 2: 1.0, "gsd": 1.1}),
         r"^processes\[0\]\.inputs\[0\]\.uncertainty: expected names as keys, got 2$"),
    ])
    def test_a_hostile_value_is_a_document_error_with_a_short_message(
            self, mutate: Any, message: str) -> None:
        document = copy.deepcopy(example())
        mutate(document)
        with pytest.raises(DocumentError, match=message):
            product_model_from_document(document)

    def test_a_megabyte_of_text_is_shown_in_80_characters(self) -> None:
        document = copy.deepcopy(example())
        document["processes"][0]["inputs"][0]["amount"] = "x" * 1_000_000
        with pytest.raises(DocumentError) as caught:
            product_model_from_document(document)
        # text that is no number is a formula, and a formula is at most 500 characters
        assert str(caught.value).startswith("processes[0].inputs[0].amount: formula 'xxx")
        assert len(str(caught.value)) < 200
