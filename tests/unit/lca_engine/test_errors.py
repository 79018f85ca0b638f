"""Every error the engine raises names the process, exchange and value at fault."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lca_engine import MatrixSystem, Method, build_matrices, compute_intensity_table
from lca_engine.errors import (
    AllocationError,
    DuplicateIdError,
    InvalidAmountError,
    MissingReferenceProductError,
    NonProductiveSystemError,
    SingularSystemError,
    UnitMismatchError,
    UnknownFlowError,
    UnknownGasError,
    UnknownUnitError,
    UnlinkedInputError,
)
from lca_engine.model import AllocationMethod, BackgroundSystem, ElementaryFlow, Origin

from .builders import (
    CO2,
    FLOWS,
    activity,
    bg,
    em,
    footprint,
    inp,
    own,
    process,
    product,
    supplier,
)


def background_of(*activities):  # type: ignore[no-untyped-def]
    return BackgroundSystem(FLOWS, tuple(activities))


class TestSingularAndNonProductive:
    def test_a_loop_that_consumes_exactly_what_it_makes_is_singular(self) -> None:
        system = build_matrices(background_of(
            activity("ore", "kg", (inp("mill", 1.0, "kg", bg("mill")),)),
            activity("mill", "kg", (inp("ore", 1.0, "kg", bg("ore")),), (em("co2", 1.0),)),
        ))
        with pytest.raises(SingularSystemError, match=r"loop of 'ore', 'mill'.*needs 1 units"):
            compute_intensity_table(system, solver="superlu")

    @pytest.mark.parametrize("solver", ["superlu", "pardiso"])
    def test_a_loop_with_gain_above_one_is_not_productive(self, solver: str) -> None:
        from lca_engine import available_solvers

        if solver not in available_solvers():
            pytest.skip(f"{solver} is not installed on this platform")
        system = build_matrices(background_of(
            activity("a", "kg", (inp("b", 2.0, "kg", bg("b")),), (em("co2", 1.0),)),
            activity("b", "kg", (inp("a", 1.0, "kg", bg("a")),)),
        ))
        with pytest.raises((NonProductiveSystemError, SingularSystemError),
                           match=r"'a', 'b'.*needs 1\.41421"):
            compute_intensity_table(system, solver=solver)

    def test_an_activity_eating_more_of_its_own_product_than_it_makes(self) -> None:
        with pytest.raises(NonProductiveSystemError, match=r"'self'.*net output -0\.5"):
            build_matrices(background_of(
                activity("self", "kg", (inp("self", 1.5, "kg", bg("self")),))))

    def test_a_zero_net_output_is_singular(self) -> None:
        with pytest.raises(SingularSystemError, match=r"'zero'.*net output of zero"):
            build_matrices(background_of(
                activity("zero", "kg", (inp("zero", 1.0, "kg", bg("zero")),))))

    def test_a_non_productive_foreground_loop_names_its_processes(self) -> None:
        with pytest.raises((NonProductiveSystemError, SingularSystemError),
                           match=r"'main/main', 'helper/helper'"):
            footprint((
                process("main", (product("main"),), (inp("h", 2.0, "kg", own("helper")),),
                        (em("co2", 1.0),)),
                process("helper", (product("helper"),), (inp("m", 1.0, "kg", own("main")),)),
            ))


class TestLinks:
    def test_background_input_linked_to_nothing(self) -> None:
        with pytest.raises(UnlinkedInputError,
                           match=r"activity 'elec'.*input 'coal'.*provider 'nope'"):
            build_matrices(background_of(
                activity("elec", "kWh", (inp("coal", 0.4, "kg", bg("nope")),))))

    def test_foreground_input_to_a_missing_background_activity(self) -> None:
        with pytest.raises(UnlinkedInputError,
                           match=r"process 'main'.*input 'steel'.*'no-such-steel'"):
            footprint((process("main", (product("main"),),
                               (inp("steel", 1.0, "kg", bg("no-such-steel")),)),))

    def test_foreground_input_to_a_missing_own_process(self) -> None:
        with pytest.raises(UnlinkedInputError, match=r"input 'part'.*own process 'ghost'"):
            footprint((process("main", (product("main"),),
                               (inp("part", 1.0, "kg", own("ghost")),)),))

    def test_foreground_input_to_an_unknown_supplier(self) -> None:
        with pytest.raises(UnlinkedInputError, match=r"input 'zinc'.*supplier footprint 'z9'"):
            footprint((process("main", (product("main"),),
                               (inp("zinc", 1.0, "kg", supplier("z9")),)),))

    def test_emission_of_an_unknown_flow(self) -> None:
        with pytest.raises(UnknownFlowError, match=r"process 'main'.*flow 'co3'"):
            footprint((process("main", (product("main"),), (), (em("co3", 1.0),)),))

    def test_a_gas_without_a_gwp_value(self) -> None:
        odd = ElementaryFlow("x", "Unobtainium hexafluoride", "kg", "UF6", Origin.FOSSIL)
        system = build_matrices(BackgroundSystem(
            (CO2, odd), (activity("a", "kg", (), (em("x", 1.0),)),)))
        with pytest.raises(UnknownGasError, match=r"flow 'x'.*'UF6'.*AR6"):
            compute_intensity_table(system, Method("AR6"))


class TestUnits:
    def test_a_unit_that_cannot_be_converted(self) -> None:
        with pytest.raises(UnitMismatchError,
                           match=r"process 'main'.*input 'power'.*'kg' to 'kWh'"):
            footprint((process("main", (product("main"),),
                               (inp("power", 1.0, "kg", bg("elec")),)),))

    def test_an_unknown_unit(self) -> None:
        with pytest.raises(UnknownUnitError, match=r"input 'power'.*'furlongs/fortnight2x'"):
            footprint((process("main", (product("main"),),
                               (inp("power", 1.0, "furlongs/fortnight2x", bg("elec")),)),))

    def test_declared_unit_incompatible_with_the_reference_product(self) -> None:
        with pytest.raises(UnitMismatchError, match=r"declared unit.*'main'"):
            footprint((process("main", (product("main"),)),), declared_unit="kilowatt hour")


class TestReferenceProduct:
    def test_missing_reference_process(self) -> None:
        with pytest.raises(MissingReferenceProductError, match=r"'nowhere'"):
            footprint((process("main", (product("main"),)),), reference="nowhere")

    def test_reference_product_not_made_by_the_process(self) -> None:
        with pytest.raises(MissingReferenceProductError, match=r"'main'.*'gold'"):
            footprint((process("main", (product("main"),)),), reference_product="gold")


class TestAllocationErrors:
    outputs = (product("a", 10), product("b", 30))

    def test_factors_that_do_not_sum_to_one(self) -> None:
        with pytest.raises(AllocationError, match=r"'main'.*sum to 0\.9.*not 1"):
            footprint((process("main", self.outputs, allocation=AllocationMethod.FACTORS,
                               factors=(("a", 0.5), ("b", 0.4))),), reference_product="a")

    def test_a_multi_output_process_without_a_rule(self) -> None:
        with pytest.raises(AllocationError, match=r"'main'.*2 products.*no allocation rule"):
            footprint((process("main", self.outputs),))

    def test_economic_allocation_without_prices(self) -> None:
        with pytest.raises(AllocationError, match=r"product 'a'.*'price'.*missing"):
            footprint((process("main", self.outputs, allocation=AllocationMethod.ECONOMIC),))

    def test_system_expansion_without_a_substitute(self) -> None:
        with pytest.raises(AllocationError, match=r"co-product 'b'.*substitutes"):
            footprint((process("main", self.outputs,
                               allocation=AllocationMethod.SYSTEM_EXPANSION),))


class TestAmounts:
    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_input_amounts(self, bad: float) -> None:
        with pytest.raises(InvalidAmountError, match=r"process 'main'.*input 'power'.*not finite"):
            footprint((process("main", (product("main"),), (inp("power", bad, "kWh",
                                                                  bg("elec")),)),))

    def test_a_negative_input(self) -> None:
        with pytest.raises(InvalidAmountError, match=r"input 'power'.*-2.*must not be negative"):
            footprint((process("main", (product("main"),),
                               (inp("power", -2.0, "kWh", bg("elec")),)),))

    def test_a_negative_emission(self) -> None:
        with pytest.raises(InvalidAmountError, match=r"flow 'co2'.*-1.0.*must not be negative"):
            footprint((process("main", (product("main"),), (), (em("co2", -1.0),)),))

    def test_a_zero_product_output(self) -> None:
        with pytest.raises(InvalidAmountError, match=r"product 'main'.*0.*greater than zero"):
            footprint((process("main", (product("main", 0.0),)),))

    def test_nan_in_a_matrix_built_from_arrays(self) -> None:
        with pytest.raises(InvalidAmountError, match=r"activity 'b'.*biosphere.*nan"):
            MatrixSystem.from_arrays(
                activity_ids=["a", "b"], activity_units=["kg", "kg"],
                technosphere=(np.array([0, 1]), np.array([0, 1]), np.array([1.0, 1.0])),
                biosphere=(np.array([0]), np.array([1]), np.array([math.nan])),
                flows=[CO2])

    def test_a_duplicate_process_id(self) -> None:
        with pytest.raises(DuplicateIdError, match=r"process id 'main'"):
            footprint((process("main", (product("main"),)), process("main", (product("x"),))))
