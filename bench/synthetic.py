"""A synthetic, ecoinvent-sized background and a 200-process foreground on it.

The technosphere is A = P (I - S), with S >= 0 of column sums below 0.85 (so every loop has a
gain below 1 and the system is productive) and P a diagonal of product scales spanning five
orders of magnitude, as mixed units do in real databases. Activities sit in clusters of 40
(product groups, regions) and draw a third of their inputs from 300 hub activities
(electricity, fuels, transport) that in turn draw on activities anywhere: nearly all 25,000
activities form one strongly connected component, yet the sparsity keeps LU fill-in near what
real databases show. (Uniformly random links instead made PARDISO take 25 s and SuperLU
240 s: no LCA database is that unstructured.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lca_engine.matrices import MatrixSystem
from lca_engine.model import (
    DataType,
    ElementaryFlow,
    Emission,
    FlowKind,
    Link,
    LinkKind,
    Origin,
    Process,
    ProductModel,
    ProductOutput,
    TechnosphereInput,
)

GHG = [
    ("CO2", Origin.FOSSIL, FlowKind.EMISSION), ("CH4", Origin.FOSSIL, FlowKind.EMISSION),
    ("N2O", Origin.FOSSIL, FlowKind.EMISSION), ("SF6", Origin.FOSSIL, FlowKind.EMISSION),
    ("HFC134a", Origin.FOSSIL, FlowKind.EMISSION), ("CF4", Origin.FOSSIL, FlowKind.EMISSION),
    ("CO2", Origin.BIOGENIC, FlowKind.EMISSION), ("CH4", Origin.BIOGENIC, FlowKind.EMISSION),
    ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE), ("CO2", Origin.LAND_USE_CHANGE, FlowKind.EMISSION),
    ("N2O", Origin.LAND_USE_CHANGE, FlowKind.EMISSION), ("NF3", Origin.FOSSIL, FlowKind.EMISSION),
]


@dataclass(frozen=True)
class SyntheticSpec:
    activities: int = 25_000
    technosphere_nnz: int = 330_000
    biosphere_nnz: int = 400_000
    flows: int = 2_000
    hubs: int = 300
    cluster_size: int = 40
    seed: int = 20261121


IntArray = npt.NDArray[np.int64]


def _distinct(draw: Callable[[int], tuple[IntArray, IntArray]], target: int, width: int, *,
              first: tuple[IntArray, IntArray] | None = None,
              off_diagonal: bool = False) -> tuple[IntArray, IntArray]:
    """*target* distinct (row, column) pairs: those in *first*, then drawn ones; with
    *off_diagonal*, pairs with row == column are dropped."""
    keys = np.empty(0, dtype=np.int64)
    pending = [first] if first is not None else []
    while keys.size < target:
        rows, cols = pending.pop() if pending else draw(int(1.1 * (target - keys.size)) + 64)
        if off_diagonal:
            rows, cols = rows[rows != cols], cols[rows != cols]
        keys = np.concatenate([keys, rows.astype(np.int64) * width + cols.astype(np.int64)])
        _, firsts = np.unique(keys, return_index=True)
        keys = keys[np.sort(firsts)]
    keys = keys[:target]
    return keys // width, keys % width


def synthetic_background(spec: SyntheticSpec = SyntheticSpec()) -> MatrixSystem:
    """Generate the background system described in the module docstring."""
    rng = np.random.default_rng(spec.seed)
    n, hubs, size = spec.activities, spec.hubs, spec.cluster_size
    clusters = (n - hubs) // size
    # Hubs (electricity, fuels, transport) take 12 inputs each: 8 from other hubs and 4 from
    # anywhere, so that nearly every activity sits on one strongly connected cycle.
    hub_cols = np.repeat(np.arange(hubs), 12)
    hub_rows = np.where(np.tile(np.arange(12), hubs) < 8, rng.integers(0, hubs, hubs * 12),
                        rng.integers(hubs, n, hubs * 12))

    # Other activities: 35 % of inputs from hubs, 2 % from a neighbouring sector cluster,
    # the rest from their own cluster (a product group or region).
    def draw(count: int) -> tuple[IntArray, IntArray]:
        cols = rng.integers(hubs, n, count)
        kind = rng.random(count)
        cluster = np.minimum((cols - hubs) // size, clusters - 1)
        near = np.clip(cluster + rng.integers(-3, 4, count), 0, clusters - 1)
        rows = np.where(kind < 0.35, rng.integers(0, hubs, count),
                        hubs + np.where(kind < 0.37, near, cluster) * size
                        + rng.integers(0, size, count))
        return np.minimum(rows, n - 1), cols

    rows, cols = _distinct(draw, spec.technosphere_nnz - n, n, first=(hub_rows, hub_cols),
                           off_diagonal=True)
    weights = rng.lognormal(0.0, 1.0, rows.size)
    column_sum = np.bincount(cols, weights=weights, minlength=n)
    share = rng.uniform(0.2, 0.85, n)  # sum of inputs per unit of output, below 1
    S = weights * share[cols] / np.where(column_sum[cols] > 0, column_sum[cols], 1.0)
    scale = 10.0 ** rng.uniform(-2, 3, n)  # product units from grams to tonnes
    t_rows = np.concatenate([np.arange(n), rows])
    t_cols = np.concatenate([np.arange(n), cols])
    t_vals = np.concatenate([scale, -scale[rows] * S])

    flows = [ElementaryFlow(f"flow-{i}", f"synthetic flow {i}", "kg",
                            *(GHG[i][:2] if i < len(GHG) else (None, Origin.NONE)),
                            kind=GHG[i][2] if i < len(GHG) else FlowKind.EMISSION)
             for i in range(spec.flows)]
    # Fossil CO2 in most activities, other gases rarer, the rest non-GHG flows.
    gas_weights = np.array([40, 10, 6, 1, 1, 1, 8, 3, 6, 3, 1, 1], dtype=float)

    def draw_flows(count: int) -> tuple[IntArray, IntArray]:
        ghg = rng.random(count) < 0.25
        flow = np.where(ghg, rng.choice(len(GHG), count, p=gas_weights / gas_weights.sum()),
                        rng.integers(len(GHG), spec.flows, count))
        return flow, rng.integers(0, n, count)

    b_rows, b_cols = _distinct(draw_flows, spec.biosphere_nnz, n)
    b_vals = rng.lognormal(-1.0, 1.5, b_rows.size) * scale[b_cols] / 10
    tags = [("aircraft",) if j % 1250 == 7 else ("packaging",) if j % 250 == 3 else ()
            for j in range(n)]
    return MatrixSystem.from_arrays(
        activity_ids=[f"act-{j}" for j in range(n)],
        activity_units=["kg"] * n,
        technosphere=(t_rows.astype(np.int64), t_cols.astype(np.int64), t_vals),
        biosphere=(b_rows.astype(np.int64), b_cols.astype(np.int64), b_vals),
        flows=flows,
        tags=tags,
    )


def synthetic_product(system: MatrixSystem, processes: int = 200,
                      seed: int = 7) -> ProductModel:
    """A product of *processes* own processes, each with background inputs, links to other
    own processes (some backwards, making loops) and direct emissions."""
    rng = np.random.default_rng(seed)
    ghg_flows = [f.id for f in system.flows if f.gas is not None and f.kind is FlowKind.EMISSION]
    own = []
    for i in range(processes):
        inputs = []
        for b in rng.integers(0, system.size, 5):
            inputs.append(TechnosphereInput(
                f"bg-{b}", float(rng.uniform(0.01, 2.0)), "kg",
                Link(LinkKind.BACKGROUND, system.activity_ids[b]),
                data_type=DataType.PRIMARY if rng.random() < 0.2 else DataType.SECONDARY))
        providers = {i + 1, i + 2, int(rng.integers(0, processes))} - {i}
        for p in sorted(x for x in providers if x < processes):
            inputs.append(TechnosphereInput(f"part-{p}", float(rng.uniform(0.05, 0.3)), "kg",
                                            Link(LinkKind.PROCESS, f"p{p}")))
        emissions = tuple(Emission(str(flow), float(rng.uniform(0.0, 0.5)), "kg")
                          for flow in rng.choice(ghg_flows, 2, replace=False))
        own.append(Process(f"p{i}", f"own process {i}",
                           (ProductOutput(f"p{i}", f"part {i}", 1.0, "kg"),),
                           tuple(inputs), emissions))
    return ProductModel("bench-product", "benchmark product", "kg", "p0", tuple(own))
