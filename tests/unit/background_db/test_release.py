"""Composing, validating, freezing and hashing releases; replacement of national activities."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from background_db.compile import compile_release
from background_db.errors import ReleaseError, ReleaseValidationError
from background_db.records import DatasetRole, ElementaryRecord, FlowRecord, InputRecord
from background_db.release import BackgroundRelease, compose
from lca_engine import Factorization
from lca_engine.characterization import HEADLINE

from .builders import CO2, activity, national, shanxi, with_activity

HASH_SCRIPT = """
from background_db.release import compose
from tests.unit.background_db.builders import national, shanxi
print(compose("r", "1.0.0", national(), [shanxi()]).content_hash)
"""


def headline(release: BackgroundRelease) -> dict[str, float]:
    table = compile_release(release).table
    k = table.categories.index(HEADLINE)
    return {a: float(table.values[k, j]) for j, a in enumerate(table.activity_ids)}


class TestCompose:
    def test_a_base_alone_compiles_to_the_hand_solution(self) -> None:
        values = headline(compose("national", "1.0.0", national()))
        # grid = 0.5 + 0.4 coal; coal = 0.05 + 0.02 grid
        grid = (0.5 + 0.4 * 0.05) / (1 - 0.4 * 0.02)
        assert values["grid"] == pytest.approx(grid, rel=1e-12)
        assert values["steel"] == pytest.approx(1.2 + 0.6 * grid + 1.5 * 0.01, rel=1e-12)

    def test_replacement_takes_the_national_id(self) -> None:
        release = compose("sx", "1.0.0", national(), [shanxi()])
        grid = release.activity("grid")
        assert grid.geography == "CN-SX"
        assert grid.emissions[0].amount == 0.71
        assert release.replacements == (("grid", "shanxi", "grid-sx"),)
        assert "grid-sx" not in {a.id for a in release.activities}
        # the extension's own link to its original id now points at the national id
        assert release.activity("alu-sx").inputs[0].provider == "grid"

    def test_replacing_changes_exactly_the_dependent_intensities(self) -> None:
        before = headline(compose("n", "1.0.0", national()))
        release = compose("sx", "1.0.0", national(), [shanxi()])
        after = headline(release)
        moved = {a for a in before if abs(after[a] - before[a]) > 1e-12 * abs(before[a])}
        # grid, coal (uses grid), steel (uses grid), cement (uses coal); ore does not move
        assert moved == {"grid", "coal", "steel", "cement"}
        # and every new value equals a forward calculation on the release's own matrices
        compiled = compile_release(release)
        system = compiled.system
        factor = Factorization(system.technosphere, solver="superlu")
        direct = system.technosphere.T @ compiled.table.values[
            compiled.table.categories.index(HEADLINE)]
        for activity_id in before:
            demand = np.zeros(system.size)
            demand[system.index_of(activity_id)] = 1.0
            supply = factor.solve_forward(demand)
            assert float(direct @ supply) == pytest.approx(after[activity_id], rel=1e-12)

    def test_links_inputs_by_product_name(self) -> None:
        base = with_activity(national(), "cement", inputs=(
            InputRecord("", 0.1, "kg", "coal", provider_name="Coal"),))
        release = compose("n", "1.0.0", base)
        assert release.activity("cement").inputs[0].provider == "coal"


class TestValidation:
    def expect(self, message: str, base=None, extensions=()) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ReleaseValidationError, match=message):
            compose("r", "1.0.0", base or national(), list(extensions))

    def test_an_input_linked_to_nothing(self) -> None:
        self.expect(r"dataset 'national', activity 'steel': field 'provider' value 'mine'",
                    with_activity(national(), "steel", inputs=(
                        InputRecord("mine", 1.0, "kg", "iron"),)))

    def test_an_input_whose_name_matches_no_product(self) -> None:
        self.expect(r"activity 'cement': field 'provider_name' value 'limestone'.*no activity",
                    with_activity(national(), "cement", inputs=(
                        InputRecord("", 1.0, "kg", "", provider_name="limestone"),)))

    def test_an_input_whose_name_matches_several_products(self) -> None:
        base = national()
        second_coal = replace(activity("coal-2", "kg", co2=0.1), reference_product="coal")
        base = replace(base, activities=(*base.activities, second_coal))
        base = with_activity(base, "cement", inputs=(
            InputRecord("", 1.0, "kg", "", provider_name="coal"),))
        self.expect(r"field 'provider_name' value 'coal': input 'coal': 2 activities make", base)

    def test_inconsistent_units(self) -> None:
        self.expect(r"activity 'steel': field 'unit' value 'kg'.*'kg' to 'kWh'",
                    with_activity(national(), "steel", inputs=(
                        InputRecord("grid", 0.6, "kg", "grid"),)))

    def test_an_unknown_flow(self) -> None:
        self.expect(r"activity 'ore': field 'flow' value 'dust'",
                    with_activity(national(), "ore", emissions=(
                        ElementaryRecord("dust", 1.0, "kg"),)))

    def test_a_flow_defined_twice_differently(self) -> None:
        other = replace(shanxi(), flows=(replace(CO2, unit="t"),))
        self.expect(r"flow.*'co2'.*defined differently", extensions=[other])

    def test_replacing_an_activity_the_base_lacks(self) -> None:
        self.expect(r"dataset 'shanxi', activity 'grid-sx': field 'replaces' value 'nope'",
                    extensions=[with_activity(shanxi(), "grid-sx", replaces="nope")])

    def test_an_extension_reusing_a_base_id(self) -> None:
        self.expect(r"dataset 'shanxi', activity 'steel': field 'id'.*already used by dataset "
                    r"'national'", extensions=[with_activity(shanxi(), "alu-sx", id="steel")])

    def test_a_non_productive_system(self) -> None:
        # coal needs 3 kWh per kg and the grid 0.4 kg coal per kWh: a loop gain of 1.2
        self.expect(r"not productive|singular", with_activity(
            national(), "coal", inputs=(InputRecord("grid", 3.0, "kWh", "grid"),)))

    def test_a_version_that_is_not_semantic(self) -> None:
        with pytest.raises(ReleaseError, match=r"'v2' is not a semantic version"):
            compose("r", "v2", national())

    def test_an_extension_given_as_base(self) -> None:
        self.expect(r"field 'role' value 'extension'", replace(national(),
                                                             role=DatasetRole.EXTENSION))


class TestContentHash:
    def test_is_stable_across_processes(self) -> None:
        outputs = {subprocess.run([sys.executable, "-c", HASH_SCRIPT], capture_output=True,
                                  text=True, check=True).stdout.strip() for _ in range(2)}
        assert outputs == {compose("r", "1.0.0", national(), [shanxi()]).content_hash}

    def test_changes_when_any_number_changes(self) -> None:
        base = compose("r", "1.0.0", national(), [shanxi()]).content_hash
        assert compose("r", "1.0.0", national(), [shanxi(0.7100001)]).content_hash != base
        changed = with_activity(national(), "ore", amount=1.0000001)
        assert compose("r", "1.0.0", changed, [shanxi()]).content_hash != base

    def test_does_not_depend_on_the_order_of_activities(self) -> None:
        base = national()
        shuffled = replace(base, activities=tuple(reversed(base.activities)))
        assert (compose("r", "1.0.0", base).content_hash
                == compose("r", "1.0.0", shuffled).content_hash)

    def test_survives_a_round_trip_through_its_document(self) -> None:
        release = compose("r", "1.0.0", national(), [shanxi()])
        again = BackgroundRelease.from_document(release.to_document())
        assert again.content_hash == release.content_hash
        assert again.activities == release.activities

    def test_a_tampered_document_is_refused(self) -> None:
        document = compose("r", "1.0.0", national()).to_document()
        document["activities"][0][4] = 2.0  # the reference amount of the first activity
        with pytest.raises(ReleaseError, match="does not match its content"):
            BackgroundRelease.from_document(document)

    def test_flow_records_are_part_of_the_hash(self) -> None:
        base = national()
        relabelled = replace(base, flows=(replace(CO2, gas="CH4"), base.flows[1]))
        assert (compose("r", "1.0.0", relabelled).content_hash
                != compose("r", "1.0.0", base).content_hash)
        assert isinstance(CO2, FlowRecord)
