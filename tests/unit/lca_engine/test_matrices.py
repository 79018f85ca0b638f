"""Matrix building and the content hash that keys cached intensity tables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lca_engine import build_matrices
from lca_engine.model import BackgroundSystem

from .builders import FLOWS, activity, bg, compiled, em, inp, loop_background

HASH_SCRIPT = """
from tests.unit.lca_engine.builders import compiled
print(compiled().content_hash)
"""


class TestBuildMatrices:
    def test_inputs_are_negative_and_converted_to_the_providers_unit(self) -> None:
        system = build_matrices(BackgroundSystem(FLOWS, (
            activity("elec", "kWh"),
            activity("user", "kg", (inp("power", 7.2, "MJ", bg("elec")),),
                     (em("co2", 500, "g"),)),
        )))
        A = system.technosphere.toarray()
        assert A[0, 1] == pytest.approx(-2.0)  # 7.2 MJ = 2 kWh
        assert A[1, 1] == 1.0
        assert system.biosphere[system.flow_index("co2"), 1] == pytest.approx(0.5)

    def test_repeated_inputs_are_summed(self) -> None:
        system = build_matrices(BackgroundSystem(FLOWS, (
            activity("elec", "kWh"),
            activity("user", "kg", (inp("a", 1.0, "kWh", bg("elec")),
                                    inp("b", 2.0, "kWh", bg("elec")))),
        )))
        assert system.technosphere[0, 1] == pytest.approx(-3.0)


class TestContentHash:
    def test_is_stable_across_processes(self) -> None:
        hashes = {
            subprocess.run([sys.executable, "-c", HASH_SCRIPT], capture_output=True,
                           text=True, check=True).stdout.strip()
            for _ in range(2)
        }
        assert hashes == {compiled().content_hash}

    def test_changes_when_any_number_changes(self) -> None:
        base = loop_background()
        elec = activity("elec", "kWh", (inp("coal", 0.4, "kg", bg("coal")),),
                        (em("co2", 0.8000000001),))
        changed = BackgroundSystem(FLOWS, (elec, *base.activities[1:]))
        assert compiled(changed).content_hash != compiled(base).content_hash

    def test_changes_when_a_tag_changes(self) -> None:
        base = loop_background()
        untagged = activity("flight", "tkm", (), (em("co2", 0.6),))
        retagged = BackgroundSystem(FLOWS, (*base.activities[:3], untagged,
                                            *base.activities[4:]))
        assert compiled(retagged).content_hash != compiled(base).content_hash

    def test_ignores_display_names(self) -> None:
        base = loop_background()
        renamed = BackgroundSystem(FLOWS, base.activities, name="another name")
        assert compiled(renamed).content_hash == compiled(base).content_hash
