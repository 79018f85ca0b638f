"""Decimal strings and the model hash."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest

from lca_engine.hashing import decimal_string, model_hash
from lca_engine.model import (
    Allocation,
    AllocationMethod,
    DataQuality,
    DataType,
    ElementaryFlow,
    Emission,
    Exclusion,
    FlowKind,
    Link,
    LinkKind,
    Origin,
    Process,
    ProductModel,
    ProductOutput,
    SupplierFootprint,
    TechnosphereInput,
    Uncertainty,
)


def rich_model() -> ProductModel:
    """A model in which every optional field is set, so every field can be changed."""
    return ProductModel(
        id="m", name="model", declared_unit="kg", reference_process="p",
        declared_amount=2.0, reference_product="a",
        processes=(Process(
            id="p", name="proc", location="CN-SX", tags=frozenset({"packaging"}),
            allocation=Allocation(AllocationMethod.FACTORS, (("a", 0.6), ("b", 0.4))),
            products=(ProductOutput("a", "A", 1.0, "kg", (("mass", 1.0),),
                                    Link(LinkKind.BACKGROUND, "x", "px")),),
            inputs=(TechnosphereInput("in", 2.0, "kWh", Link(LinkKind.PROCESS, "q", "qq"),
                                      True, DataType.PRIMARY,
                                      Uncertainty("lognormal", (("gsd", 1.2),)),
                                      DataQuality(1, 2, 3, 4, 5)),),
            emissions=(Emission("co2", 1.0, "kg", DataType.SECONDARY,
                                Uncertainty("normal", (("sd", 0.1),))),),
        ),),
        suppliers=(SupplierFootprint("s", "Co", "zinc", "kg", (("pcf", 3.0),), 50.0, "AR5",
                                     "urn:x"),),
        flows=(ElementaryFlow("f", "flow", "kg", "CH4", Origin.BIOGENIC, FlowKind.EMISSION,
                              "air"),),
        exclusions=(Exclusion("glue", 0.3, "under 1 % of mass"),),
    )


def changed(value: Any) -> Iterator[Any]:
    """Every single-field change of *value*, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            for other in changed(getattr(value, field.name)):
                yield dataclasses.replace(value, **{field.name: other})
    elif isinstance(value, Enum):
        yield next(member for member in type(value) if member is not value)
    elif isinstance(value, bool):
        yield not value
    elif isinstance(value, str):
        yield value + "x"
    elif isinstance(value, int | float):
        yield value + 1.5
    elif isinstance(value, frozenset):
        yield value | {"other"}
    elif isinstance(value, tuple) and value:
        for other in changed(value[0]):
            yield (other, *value[1:])


class TestModelHash:
    def test_every_field_of_every_model_class_changes_the_hash(self) -> None:
        base = rich_model()
        variants = list(changed(base))
        assert len(variants) > 50  # the walk reached the nested classes
        hashes = {model_hash(v) for v in variants}
        assert model_hash(base) not in hashes
        assert len(hashes) == len(variants)

    def test_is_stable_for_equal_models(self) -> None:
        assert model_hash(rich_model()) == model_hash(rich_model())


class TestDecimalString:
    @pytest.mark.parametrize(("value", "text"), [
        (0.0, "0"), (-0.0, "0"), (1.0, "1"), (2.5, "2.5"), (1e-7, "0.0000001"),
        (1.5e20, "150000000000000000000"), (0.1 + 0.2, "0.30000000000000004"), (-3.25, "-3.25"),
    ])
    def test_writes_the_shortest_round_trip_without_exponent(self, value: float,
                                                              text: str) -> None:
        assert decimal_string(value) == text
        assert float(text) == value

    def test_refuses_nan(self) -> None:
        with pytest.raises(ValueError, match="nan"):
            decimal_string(float("nan"))
