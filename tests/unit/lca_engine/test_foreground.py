"""Product footprints on hand-checkable foregrounds."""

from __future__ import annotations

import pytest

from lca_engine import Category, Method
from lca_engine.model import AllocationMethod, DataType, SupplierFootprint

from .builders import (
    bg,
    em,
    footprint,
    inp,
    own,
    process,
    product,
    supplier,
)
from .test_intensity import GWP_CH4_AR5, GWP_CH4_AR6, hand_loop

EXCL = Category.PCF_EXCLUDING_BIOGENIC_UPTAKE
ELEC = hand_loop(GWP_CH4_AR6)[0]


class TestForegroundLoop:
    def test_two_own_processes_in_a_loop(self) -> None:
        # main: 1 kg, uses 0.2 kg helper, emits 1 kg CO2; helper: uses 0.5 kg main, emits 2.
        # s_main = 1 + 0.5 s_helper, s_helper = 0.2 s_main => s_main = 10/9, s_helper = 2/9
        result = footprint((
            process("main", (product("main"),), (inp("h", 0.2, "kg", own("helper")),),
                    (em("co2", 1.0),)),
            process("helper", (product("helper"),), (inp("m", 0.5, "kg", own("main")),),
                    (em("co2", 2.0),)),
        ))
        assert result.total(EXCL) == pytest.approx(10 / 9 + 2 * 2 / 9, rel=1e-12)
        by_process = {c.key: c.value() for c in result.by_process}
        assert by_process == pytest.approx({"main/main": 10 / 9, "helper/helper": 4 / 9})

    def test_background_inputs_are_priced_by_the_intensity_table(self) -> None:
        result = footprint((process("main", (product("main"),),
                                    (inp("power", 2.0, "kWh", bg("elec")),)),))
        assert result.total(EXCL) == pytest.approx(2 * ELEC, rel=1e-12)

    def test_input_units_are_converted_to_the_providers_unit(self) -> None:
        # 7.2 MJ is 2 kWh; 0.5 t of a kg-measured product is 500 kg.
        result = footprint((
            process("main", (product("main", 1000, "kg"),),
                    (inp("power", 7.2, "MJ", bg("elec")),
                     inp("part", 0.5, "t", own("part")))),
            process("part", (product("part"),), (), (em("co2", 0.001),)),
        ), declared_unit="t")
        # declared 1 t = 1000 kg = one run of main: 2 kWh + 500 kg x 0.001 kg CO2
        assert result.total(EXCL) == pytest.approx(2 * ELEC + 0.5, rel=1e-12)

    def test_declared_amount_scales_the_result(self) -> None:
        one = footprint((process("main", (product("main"),), (), (em("co2", 1.0),)),))
        ten = footprint((process("main", (product("main"),), (), (em("co2", 1.0),)),),
                        declared_amount=10)
        assert ten.total(EXCL) == pytest.approx(10 * one.total(EXCL))


class TestAllocation:
    # A multi-output process makes 10 kg of `a` and 30 kg of `b` and emits 100 kg CO2.
    @staticmethod
    def footprint_of_a(method: AllocationMethod, **kw: object) -> float:
        outputs = (product("a", 10, properties=(("energy", 5.0), ("price", 3.0))),
                   product("b", 30, properties=(("energy", 1.0), ("price", 1.0)),
                           substitutes=bg("credit-source")))
        result = footprint((process("main", outputs, (), (em("co2", 100.0),),
                                    allocation=method, **kw),))  # type: ignore[arg-type]
        return result.total(EXCL)

    def test_mass_allocation(self) -> None:
        assert self.footprint_of_a(AllocationMethod.MASS) == pytest.approx(100 * 0.25 / 10)

    def test_energy_allocation(self) -> None:
        # 10 x 5 MJ against 30 x 1 MJ: a carries 50/80
        assert self.footprint_of_a(AllocationMethod.ENERGY) == pytest.approx(100 * 0.625 / 10)

    def test_economic_allocation(self) -> None:
        # revenues 10 x 3 and 30 x 1: equal shares
        assert self.footprint_of_a(AllocationMethod.ECONOMIC) == pytest.approx(100 * 0.5 / 10)

    def test_explicit_factors(self) -> None:
        value = self.footprint_of_a(AllocationMethod.FACTORS, factors=(("a", 0.2), ("b", 0.8)))
        assert value == pytest.approx(100 * 0.2 / 10)

    def test_system_expansion_credits_the_substituted_product(self) -> None:
        # all 100 kg on `a`, minus 30 kg of b displacing a 0.5 kg CO2/kg product
        value = self.footprint_of_a(AllocationMethod.SYSTEM_EXPANSION)
        assert value == pytest.approx((100 - 30 * 0.5) / 10)

    def test_a_co_product_can_feed_another_own_process(self) -> None:
        # `user` consumes 1 kg of co-product b; with mass allocation b carries 2.5 kg CO2
        # per 30 kg.
        result = footprint((
            process("main", (product("a", 10), product("b", 30)), (), (em("co2", 100.0),),
                    allocation=AllocationMethod.MASS),
            process("user", (product("user"),), (inp("b", 1.0, "kg", own("main", "b")),)),
        ), reference="user")
        assert result.total(EXCL) == pytest.approx(75 / 30)


class TestSuppliersAndShares:
    ZINC = SupplierFootprint("zinc", "Zinc Co", "zinc ingot", "kilogram",
                             ((EXCL.value, 3.0), (Category.FOSSIL_GHG_EMISSIONS.value, 2.9),
                              (Category.LAND_USE_CHANGE_GHG_EMISSIONS.value, 0.1)),
                             primary_data_share=50.0)

    def result(self):  # type: ignore[no-untyped-def]
        return footprint((
            process("main", (product("main"),),
                    (inp("zinc", 2000, "g", supplier("zinc")),
                     inp("power", 1.0, "kWh", bg("elec"), data_type=DataType.PRIMARY),
                     inp("power2", 1.0, "kWh", bg("elec"))),
                    (em("co2", 1.0), em("ch4", 0.1, data_type=DataType.SECONDARY))),
        ), suppliers=(self.ZINC,))

    def test_supplier_values_are_used_per_declared_unit(self) -> None:
        result = self.result()
        assert result.by_supplier[0].key == "zinc"
        assert result.by_supplier[0].value() == pytest.approx(6.0)
        assert result.total(Category.LAND_USE_CHANGE_GHG_EMISSIONS) == pytest.approx(0.2)

    def test_primary_data_share_follows_the_pact_definition(self) -> None:
        result = self.result()
        total = 6.0 + 2 * ELEC + 1.0 + 0.1 * GWP_CH4_AR6
        primary = 6.0 * 0.5 + ELEC + 1.0  # supplier's PDS, primary electricity, direct CO2
        assert result.total(EXCL) == pytest.approx(total)
        assert result.primary_data_share == pytest.approx(100 * primary / total)

    def test_contributions_add_up_to_the_total(self) -> None:
        result = self.result()
        for rows in (result.by_process, result.by_input):
            for category in Category:
                assert sum(r.value(category) for r in rows) == pytest.approx(
                    result.total(category), abs=1e-12)
        assert sum(v for k, v in result.by_gas if "uptake" not in k) == pytest.approx(
            result.total(EXCL))

    def test_by_gas_names_direct_and_upstream_gases(self) -> None:
        gases = dict(self.result().by_gas)
        assert gases["CH4 (fossil)"] == pytest.approx(0.1 * GWP_CH4_AR6
                                                      + 2 * (ELEC - 0.8 / 0.98))
        assert gases["supplier data (not split by gas)"] == pytest.approx(6.0)


class TestPackagingAndAircraft:
    def test_flagged_and_tagged_inputs_count_as_packaging(self) -> None:
        box = 0.5 * ELEC + 0.02
        result = footprint((process("main", (product("main"),),
                                    (inp("carton", 0.1, "kg", bg("box")),
                                     inp("wrap", 0.2, "kWh", bg("elec"), packaging=True))),))
        assert result.total(Category.PACKAGING_GHG_EMISSIONS) == pytest.approx(
            0.1 * box + 0.2 * ELEC)

    def test_packaging_nested_in_packaging_is_counted_once(self) -> None:
        # `pack` is tagged packaging and itself uses a flagged carton: only `pack` counts.
        box = 0.5 * ELEC + 0.02
        result = footprint((
            process("main", (product("main"),), (inp("pack", 1.0, "kg", own("pack")),),
                    (em("co2", 1.0),)),
            process("pack", (product("pack"),), (inp("carton", 0.1, "kg", bg("box")),),
                    (em("co2", 0.3),), tags=frozenset({"packaging"})),
        ))
        assert result.total(Category.PACKAGING_GHG_EMISSIONS) == pytest.approx(0.3 + 0.1 * box)
        assert result.total(EXCL) == pytest.approx(1.3 + 0.1 * box)

    def test_aircraft_covers_background_flights_and_tagged_own_processes(self) -> None:
        result = footprint((
            process("main", (product("main"),), (inp("freight", 2.0, "tkm", bg("flight")),
                                                 inp("courier", 1.0, "kg", own("courier")))),
            process("courier", (product("courier"),), (), (em("co2", 0.3),),
                    tags=frozenset({"aircraft"})),
        ))
        assert result.total(Category.AIRCRAFT_GHG_EMISSIONS) == pytest.approx(1.2 + 0.3)


class TestResultRecord:
    def test_same_inputs_give_bit_identical_results(self) -> None:
        processes = (process("main", (product("main"),), (inp("power", 2.0, "kWh", bg("elec")),),
                             (em("co2", 1.0),)),)
        first, second = footprint(processes), footprint(processes)
        assert first.result_hash == second.result_hash
        assert first.to_dict() == second.to_dict()

    def test_provenance_names_method_solvers_and_hashes(self) -> None:
        result = footprint((process("main", (product("main"),), (), (em("ch4", 1.0),)),),
                           method=Method("AR5"))
        p = result.provenance
        assert p.gwp_set == "AR5"
        assert result.total(EXCL) == pytest.approx(GWP_CH4_AR5)  # fossil CH4, AR5 Ch. 8
        assert p.foreground_solver == "superlu"
        assert p.background_solver in ("pardiso", "superlu")
        assert len(p.background_hash) == len(p.model_hash) == 64

    def test_the_result_states_each_gwp_value_it_used_and_its_table(self) -> None:
        result = footprint((process("main", (product("main"),), (),
                                    (em("ch4", 1.0), em("ch4-bio", 1.0), em("co2", 1.0))),))
        stated = {row["gas"]: row for row in result.to_dict()["provenance"]["characterisation"]}
        assert set(stated) == {"CH4 (fossil)", "CH4 (biogenic)", "CO2 (fossil)"}
        assert stated["CH4 (fossil)"]["gwp100"] == "29.8"
        assert stated["CH4 (biogenic)"]["gwp100"] == "27"
        assert "Table 7.15" in stated["CH4 (biogenic)"]["citation"]
        assert result.total(EXCL) == pytest.approx(29.8 + 27.0 + 1.0, rel=1e-12)

    def test_a_changed_amount_changes_the_model_and_result_hashes(self) -> None:
        a = footprint((process("main", (product("main"),), (), (em("co2", 1.0),)),))
        b = footprint((process("main", (product("main"),), (), (em("co2", 1.5),)),))
        assert a.provenance.model_hash != b.provenance.model_hash
        assert a.result_hash != b.result_hash

    def test_values_leave_as_decimal_strings(self) -> None:
        result = footprint((process("main", (product("main"),), (), (em("co2", 1e-7),)),))
        assert result.to_dict()["totals"][EXCL.value] == "0.0000001"


class TestSupplyChainTree:
    def test_root_holds_the_total_and_children_add_up(self) -> None:
        result = footprint((process("main", (product("main"),),
                                    (inp("power", 2.0, "kWh", bg("elec")),
                                     inp("carton", 0.01, "kg", bg("box"))),
                                    (em("co2", 1.0),)),), )
        root = result.tree
        assert root.value == pytest.approx(result.total(EXCL))
        assert sum(c.value for c in root.children) == pytest.approx(root.value)

    def test_loops_unroll_until_below_the_cut_off(self) -> None:
        result = footprint((process("main", (product("main"),),
                                    (inp("power", 2.0, "kWh", bg("elec")),)),))
        nodes = result.tree.walk()
        assert any(n.ref == "coal" for n in nodes)
        for node in nodes:
            if node.children:
                assert sum(c.value for c in node.children) == pytest.approx(node.value)


class TestTinyNumbers:
    def test_subnormal_amounts_are_not_mistaken_for_a_singular_system(self) -> None:
        # found by hypothesis: 5e-324 kg inputs underflow to a zero solution
        result = footprint((process("main", (product("main", 2.0),),
                                    (inp("power", 5e-324, "kWh", bg("elec")),)),))
        assert result.total(EXCL) == pytest.approx(0.0, abs=1e-300)


class TestUpstreamTotals:
    def test_each_own_process_shows_its_cradle_to_gate_value_at_the_amount_made(self) -> None:
        part = process("part", (product("part"),), (inp("power", 0.5, "kWh", bg("elec")),),
                       (em("co2", 1.0),))
        main = process("main", (product("main"),), (inp("part", 2.0, "kg", own("part")),),
                       (em("co2", 0.25),))
        result = footprint((main, part))
        upstream = {row.key: row.values[0] for row in result.upstream_by_process or ()}
        direct = {row.key: row.values[0] for row in result.by_process}
        assert upstream["part/part"] == pytest.approx(2 * (1.0 + 0.5 * ELEC), rel=1e-12)
        assert upstream["main/main"] == pytest.approx(result.total(EXCL), rel=1e-12)
        assert direct["main/main"] == pytest.approx(0.25, rel=1e-12)
        listed = result.to_dict()["contributions"]["upstream_by_process"]
        assert [row["key"] for row in listed] == ["main/main", "part/part"]
