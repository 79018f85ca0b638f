"""Property tests: on random productive systems the engine agrees with bw2calc.

bw2calc builds and solves its own matrices from a bw_processing datapackage, so it is an
independent oracle for both the intensity table (adjoint) and the foreground footprint.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lca_engine import (
    Category,
    Factorization,
    FullLCA,
    Method,
    build_matrices,
    compute_footprint,
    compute_intensity_table,
)
from lca_engine.characterization import TABLE_CATEGORIES
from lca_engine.model import (
    BackgroundSystem,
    Emission,
    Link,
    LinkKind,
    Process,
    ProductModel,
    ProductOutput,
    TechnosphereInput,
)

from .builders import FLOWS

GHG_FLOWS = [f.id for f in FLOWS]
FLOW_UNITS = {f.id: f.unit for f in FLOWS}
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def productive_processes(draw: st.DrawFn, prefix: str, size: int,
                         providers: list[str]) -> list[Process]:
    """Processes whose inputs per unit of output sum below 0.9 (so any loop has gain < 1)."""
    ids = [f"{prefix}{i}" for i in range(size)]
    pool = providers + ids
    processes = []
    for identifier in ids:
        output = draw(st.floats(0.5, 2.0))
        links = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
        weights = [draw(st.floats(0.05, 1.0)) for _ in links]
        budget = draw(st.floats(0.0, 0.9)) * output
        total = sum(weights) or 1.0
        inputs = tuple(
            TechnosphereInput(f"in-{target}", budget * w / total, "kg",
                              Link(LinkKind.BACKGROUND if target in providers or prefix == "b"
                                   else LinkKind.PROCESS, target))
            for target, w in zip(links, weights, strict=True) if target != identifier
        )
        emissions = tuple(
            Emission(flow, draw(st.floats(0.0, 5.0)), FLOW_UNITS[flow])
            for flow in draw(st.lists(st.sampled_from(GHG_FLOWS), max_size=3, unique=True))
        )
        tags = frozenset(draw(st.lists(st.sampled_from(["aircraft", "packaging"]),
                                       max_size=1)))
        processes.append(Process(identifier, identifier,
                                 (ProductOutput(identifier, identifier, output, "kg"),),
                                 inputs, emissions, tags=tags))
    return processes


@st.composite
def backgrounds(draw: st.DrawFn) -> BackgroundSystem:
    size = draw(st.integers(2, 12))
    return BackgroundSystem(FLOWS, tuple(draw(productive_processes("b", size, []))))


class TestIntensityTableAgainstBw2calc:
    @SETTINGS
    @given(background=backgrounds(), gwp=st.sampled_from(["AR5", "AR6"]))
    def test_every_activity_every_category(self, background: BackgroundSystem,
                                           gwp: str) -> None:
        system = build_matrices(background)
        table = compute_intensity_table(system, Method(gwp))
        full = FullLCA(system, Method(gwp))
        for j, activity_id in enumerate(system.activity_ids):
            expected = full.scores({activity_id: 1.0})
            for k, category in enumerate(TABLE_CATEGORIES):
                assert table.values[k, j] == pytest.approx(expected[category], rel=1e-9,
                                                           abs=1e-12)

    @SETTINGS
    @given(background=backgrounds())
    def test_adjoint_equals_forward_lca_per_activity(self, background: BackgroundSystem) -> None:
        # λ_k[j] = c_k B A^-1 e_j, computed here with forward solves on the engine's own
        # factorisation, one demand at a time.
        system = build_matrices(background)
        table = compute_intensity_table(system)
        factor = Factorization(system.technosphere, solver="superlu")
        excl = table.values[table.categories.index(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE)]
        from lca_engine.intensity import Characterization

        characterization = Characterization.of(system, Method())
        per_flow = characterization.signs[0] @ characterization.matrix.toarray()
        for j in range(system.size):
            demand = np.zeros(system.size)
            demand[j] = 1.0
            supply = factor.solve_forward(demand)
            assert excl[j] == pytest.approx(per_flow @ (system.biosphere @ supply),
                                            rel=1e-9, abs=1e-12)


class TestForegroundAgainstBw2calc:
    @SETTINGS
    @given(data=st.data())
    def test_footprint_equals_one_lca_of_the_combined_system(self, data: st.DataObject) -> None:
        background = data.draw(backgrounds())
        providers = [a.id for a in background.activities]
        size = data.draw(st.integers(1, 6))
        own = data.draw(productive_processes("f", size, providers))
        amount = data.draw(st.floats(0.1, 10.0))
        model = ProductModel("p", "p", "kg", "f0", tuple(own), declared_amount=amount)
        system = build_matrices(background)
        result = compute_footprint(model, system, compute_intensity_table(system))

        # The same processes as one bw2calc system: own links become background links.
        combined = BackgroundSystem(FLOWS, background.activities + tuple(
            Process(p.id, p.name, p.products, tuple(
                TechnosphereInput(i.name, i.amount, i.unit, Link(LinkKind.BACKGROUND,
                                                                 i.link.target))
                for i in p.inputs), p.emissions, tags=p.tags) for p in own))
        expected = FullLCA(build_matrices(combined)).scores({"f0": amount})
        for category in TABLE_CATEGORIES:
            assert result.total(category) == pytest.approx(expected[category], rel=1e-9,
                                                           abs=1e-12)
