"""Intensity tables on systems small enough to solve by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lca_engine import (
    Category,
    FullLCA,
    Method,
    available_solvers,
    compute_intensity_table,
)
from lca_engine.intensity import table_key
from lca_engine.lru import LruCache
from lca_engine.matrices import MatrixSystem
from lca_engine.model import BackgroundSystem

from .builders import FLOWS, activity, bg, compiled, em, inp, loop_background

# The loop's methane is fossil (a coal mine): IPCC AR6 WG1 Table 7.15 gives CH4-fossil 29.8
# and CH4-non fossil 27.0; AR5 WG1 Chapter 8 gives 30 and 28 (without climate feedbacks).
GWP_CH4_AR6 = 29.8
GWP_CH4_AR5 = 30.0
GWP_CH4_NON_FOSSIL_AR6 = 27.0
GWP_CH4_NON_FOSSIL_AR5 = 28.0


def hand_loop(gwp_ch4: float) -> tuple[float, float]:
    # λ_e = 0.8 + 0.4 λ_c ; λ_c = 0.01 g + 0.05 λ_e  =>  λ_e = (0.8 + 0.004 g) / 0.98
    elec = (0.8 + 0.4 * 0.01 * gwp_ch4) / (1 - 0.4 * 0.05)
    coal = 0.01 * gwp_ch4 + 0.05 * elec
    return elec, coal


class TestTwoProcessLoop:
    @pytest.mark.parametrize("solver", available_solvers())
    def test_matches_the_hand_solution_with_every_solver(self, solver: str) -> None:
        table = compute_intensity_table(compiled(), Method("AR6"), solver=solver)
        elec, coal = hand_loop(GWP_CH4_AR6)
        assert table.column("elec")[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] == pytest.approx(
            elec, rel=1e-12)
        assert table.column("coal")[Category.FOSSIL_GHG_EMISSIONS] == pytest.approx(
            coal, rel=1e-12)
        assert table.solver == solver

    def test_ar5_uses_the_ar5_methane_value(self) -> None:
        table = compute_intensity_table(compiled(), Method("AR5"))
        assert table.column("elec")[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] == pytest.approx(
            hand_loop(GWP_CH4_AR5)[0], rel=1e-12)
        assert table.method.gwp_set == "AR5"

    def test_uptake_counts_only_in_the_including_total_and_the_uptake_category(self) -> None:
        box = compute_intensity_table(compiled()).column("box")
        elec = hand_loop(GWP_CH4_AR6)[0]
        excluding = 0.5 * elec + 0.02  # electricity plus land-use-change CO2
        assert box[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] == pytest.approx(excluding)
        assert box[Category.PCF_INCLUDING_BIOGENIC_UPTAKE] == pytest.approx(excluding - 1.5)
        assert box[Category.BIOGENIC_CO2_UPTAKE] == pytest.approx(-1.5)
        assert box[Category.LAND_USE_CHANGE_GHG_EMISSIONS] == pytest.approx(0.02)
        assert box[Category.FOSSIL_GHG_EMISSIONS] == pytest.approx(0.5 * elec)

    def test_aircraft_category_holds_only_emissions_of_aircraft_tagged_activities(self) -> None:
        table = compute_intensity_table(compiled())
        assert table.column("flight")[Category.AIRCRAFT_GHG_EMISSIONS] == pytest.approx(0.6)
        assert table.column("elec")[Category.AIRCRAFT_GHG_EMISSIONS] == 0.0

    def test_gas_breakdown_adds_up_to_the_category_totals(self) -> None:
        table = compute_intensity_table(compiled())
        excl = table.values[table.categories.index(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE)]
        incl = table.values[table.categories.index(Category.PCF_INCLUDING_BIOGENIC_UPTAKE)]
        emission_rows = [i for i, g in enumerate(table.gas_groups) if g.kind == "emission"]
        np.testing.assert_allclose(table.gas_values[emission_rows].sum(axis=0), excl,
                                   rtol=1e-12)
        np.testing.assert_allclose(table.gas_values.sum(axis=0), incl, rtol=1e-12, atol=1e-15)

    def test_equals_bw2calc_forward_lca_for_every_activity(self) -> None:
        system = compiled()
        table = compute_intensity_table(system)
        full = FullLCA(system)
        for activity_id in system.activity_ids:
            expected = full.scores({activity_id: 1.0})
            got = table.column(activity_id)
            for category, value in expected.items():
                assert got[category] == pytest.approx(value, rel=1e-9, abs=1e-12), (
                    activity_id, category)

    def test_arrays_are_read_only(self) -> None:
        table = compute_intensity_table(compiled())
        with pytest.raises(ValueError, match="read-only"):
            table.values[0, 0] = 1.0


class TestDeterminism:
    def test_two_fresh_tables_are_bit_identical(self) -> None:
        first = compute_intensity_table(compiled())
        second = compute_intensity_table(compiled())
        assert first.values.tobytes() == second.values.tobytes()
        assert first.key == second.key

    def test_the_key_changes_with_the_method(self) -> None:
        system = compiled()
        assert (compute_intensity_table(system, Method("AR5")).key
                != compute_intensity_table(system, Method("AR6")).key)


class TableCache:
    """Intensity tables kept in the package's one LRU helper, keyed by content."""

    def __init__(self, capacity: int = 8) -> None:
        self.tables: LruCache[str, object] = LruCache(capacity)

    def get(self, system: MatrixSystem, method: Method | None = None) -> Any:
        method = method or Method()
        return self.tables.get_or_make(table_key(system.content_hash, method),
                                       lambda: compute_intensity_table(system, method))

    def __contains__(self, key: str) -> bool:
        return key in self.tables

    def __len__(self) -> int:
        return len(self.tables)


class TestCache:
    def test_serves_the_same_table_for_an_equal_system(self) -> None:
        cache = TableCache()
        first = cache.get(compiled())
        assert cache.get(compiled()) is first
        assert len(cache) == 1

    def test_computes_anew_when_a_number_changes(self) -> None:
        cache = TableCache()
        first = cache.get(compiled())
        changed = loop_background()
        elec = activity("elec", "kWh", (inp("coal", 0.41, "kg", bg("coal")),), (em("co2", 0.8),))
        activities = (elec, *changed.activities[1:])
        second = cache.get(compiled(BackgroundSystem(FLOWS, activities)))
        assert second is not first
        assert second.column("elec")[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] > first.column(
            "elec")[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE]

    def test_evicts_the_least_recently_used_table(self) -> None:
        cache = TableCache(capacity=1)
        system = compiled()
        cache.get(system, Method("AR6"))
        ar5 = cache.get(system, Method("AR5"))
        assert len(cache) == 1
        assert ar5.key in cache


class TestMethaneByOrigin:
    @pytest.mark.parametrize(("gwp_set", "origin", "value", "table"), [
        ("AR6", "fossil", 29.8, "Table 7.15"), ("AR6", "biogenic", 27.0, "Table 7.15"),
        ("AR6", "land_use_change", 29.8, "Table 7.15"), ("AR5", "fossil", 30.0, "Table 8.A.1"),
        ("AR5", "biogenic", 28.0, "Table 8.7")])
    def test_each_origin_has_its_cited_value(self, gwp_set: str, origin: str, value: float,
                                             table: str) -> None:
        from lca_engine.model import Origin

        cited = Method(gwp_set).gwp_value("CH4", Origin(origin))
        assert cited.value == value
        assert table in cited.citation
        assert gwp_set in cited.citation

    def test_other_gases_keep_the_package_value_and_cite_its_table(self) -> None:
        from lca_engine.model import Origin

        n2o = Method("AR6").gwp_value("N2O", Origin.BIOGENIC)
        assert n2o.value == 273.0
        assert n2o.citation.startswith("IPCC AR6 WG1 (2021), Chapter 7, Table 7.SM.7: N2O")

    def test_biogenic_methane_of_a_background_activity_uses_the_non_fossil_value(self) -> None:
        from lca_engine import build_matrices

        system = BackgroundSystem(FLOWS, (activity("cow", "kg", emissions=(
            em("ch4-bio", 0.02),)),))

        for gwp_set, value in (("AR6", GWP_CH4_NON_FOSSIL_AR6),
                               ("AR5", GWP_CH4_NON_FOSSIL_AR5)):
            column = compute_intensity_table(build_matrices(system), Method(gwp_set)).column(
                "cow")
            assert column[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] == pytest.approx(
                0.02 * value, rel=1e-12)
            assert column[Category.BIOGENIC_NON_CO2_EMISSIONS] == pytest.approx(
                0.02 * value, rel=1e-12)
            assert column[Category.FOSSIL_GHG_EMISSIONS] == 0.0

    def test_the_method_hash_moves_with_the_origin_values(self) -> None:
        assert Method("AR6").content_hash != Method("AR5").content_hash


class TestTrivialBackgrounds:
    @pytest.mark.parametrize("solver", available_solvers())
    def test_an_empty_background_serves_a_model_of_own_processes(self, solver: str) -> None:
        from lca_engine import build_matrices, compute_footprint

        from .builders import em, model, process, product

        system = build_matrices(BackgroundSystem(FLOWS, ()))
        table = compute_intensity_table(system, Method("AR6"), solver=solver)
        assert table.values.shape == (len(table.categories), 0)
        result = compute_footprint(model((process("main", (product("main"),), (),
                                                  (em("co2", 2.0),)),)), system, table)
        assert result.total(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE) == pytest.approx(2.0)

    @pytest.mark.parametrize("solver", available_solvers())
    def test_an_activity_that_makes_nothing_is_named(self, solver: str) -> None:
        from lca_engine import build_matrices
        from lca_engine.errors import EngineError

        system = BackgroundSystem(FLOWS, (activity("idle", "kg", amount=0.0),))
        with pytest.raises(EngineError, match="idle"):
            compute_intensity_table(build_matrices(system), Method("AR6"), solver=solver)


class TestLruCache:
    def test_a_stored_value_wins_over_a_later_one_made_for_the_same_key(self) -> None:
        cache: LruCache[str, int] = LruCache(2)
        assert cache.put("a", 1) == 1
        assert cache.put("a", 2) == 1
        assert cache.get_or_make("b", lambda: 3) == 3
        cache.get("a")
        cache.put("c", 4)  # "b" is the least recently used
        assert "b" not in cache
        assert cache.get("a") == 1
