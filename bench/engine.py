"""Engine benchmark: intensity table vs one factorisation, one product from the cached table
vs a fresh bw2calc LCA, all activities by adjoint vs forward LCA, peak memory.

Prints a table and `name: value` lines. Run: `python -m bench` (or `make bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.synthetic import SyntheticSpec, synthetic_background, synthetic_product
from lca_engine import (
    Factorization,
    FullLCA,
    MatrixSystem,
    compute_footprint,
    compute_intensity_table,
)
from lca_engine.characterization import Category
from lca_engine.model import LinkKind, ProductModel


def median_seconds(action: Callable[[], Any], repeat: int,
                   before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def combined_system(background: MatrixSystem, model: ProductModel) -> MatrixSystem:
    """Background plus the product's own processes as one system, for bw2calc."""
    n = background.size
    A, B = background.technosphere.tocoo(), background.biosphere.tocoo()
    t_rows, t_cols, t_vals = list(A.row), list(A.col), list(A.data)
    b_rows, b_cols, b_vals = list(B.row), list(B.col), list(B.data)
    own = {p.id: n + i for i, p in enumerate(model.processes)}
    for p in model.processes:
        j = own[p.id]
        t_rows.append(j)
        t_cols.append(j)
        t_vals.append(p.products[0].amount)
        for x in p.inputs:
            row = (background.index_of(x.link.target) if x.link.kind is LinkKind.BACKGROUND
                   else own[x.link.target])
            t_rows.append(row)
            t_cols.append(j)
            t_vals.append(-x.amount)
        for e in p.emissions:
            b_rows.append(background.flow_index(e.flow))
            b_cols.append(j)
            b_vals.append(e.amount)
    ids = list(background.activity_ids) + [p.id for p in model.processes]
    tags = [("aircraft",) if a else ("packaging",) if k else ()
            for a, k in zip(background.aircraft, background.packaging, strict=True)]
    return MatrixSystem.from_arrays(
        activity_ids=ids, activity_units=["kg"] * len(ids),
        technosphere=(np.array(t_rows), np.array(t_cols), np.array(t_vals)),
        biosphere=(np.array(b_rows), np.array(b_cols), np.array(b_vals)),
        flows=background.flows, tags=tags + [()] * len(model.processes))


def reset_bw2calc_solver() -> None:
    """Make the next bw2calc LCA factorise afresh (pypardiso caches one factorisation)."""
    try:
        from pypardiso.scipy_aliases import pypardiso_solver  # noqa: PLC0415
    except ImportError:
        return
    pypardiso_solver.remove_stored_factorization()


def peak_memory_of_table_build(system: MatrixSystem, solver: str | None) -> dict[str, float]:
    """Build the table in a fresh process; report its peak RSS and its RSS before the build."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "system.npz"
        A, B = system.technosphere.tocoo(), system.biosphere.tocoo()
        np.savez(path, ar=A.row, ac=A.col, av=A.data, br=B.row, bc=B.col, bv=B.data,
                 aircraft=system.aircraft, packaging=system.packaging)
        flows = [[f.id, f.gas, f.origin.value, f.kind.value] for f in system.flows]
        (Path(folder) / "flows.json").write_text(json.dumps(flows))
        output = subprocess.run(
            [sys.executable, "-m", "bench.memory_probe", folder, solver or ""],
            capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parents[1]).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def run(spec: SyntheticSpec, repeat: int, solver: str | None, sample: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    system = synthetic_background(spec)
    figures["generate_s"] = time.perf_counter() - started
    figures["activities"] = system.size
    figures["technosphere_nnz"] = system.technosphere.nnz
    figures["biosphere_nnz"] = system.biosphere.nnz
    figures["flows"] = len(system.flows)
    print(f"synthetic background: {system.size} activities, {system.technosphere.nnz} "
          f"technosphere and {system.biosphere.nnz} biosphere non-zeros, {len(system.flows)} "
          f"flows ({figures['generate_s']:.1f} s to generate)", file=sys.stderr)

    def factorize() -> None:
        Factorization(system.technosphere, solver=solver).close()

    figures["factorization_s"] = median_seconds(factorize, repeat)
    tables = []

    def build_table() -> None:
        tables.append(compute_intensity_table(system, solver=solver))

    figures["intensity_table_s"] = median_seconds(build_table, repeat)
    table = tables[-1]
    figures["table_factorization_part_s"] = statistics.median(
        t.factorization_seconds for t in tables)
    figures["table_solve_part_s"] = statistics.median(t.solve_seconds for t in tables)
    figures["solver"] = table.solver
    figures["table_over_factorization"] = (figures["intensity_table_s"]
                                           / figures["factorization_s"])
    figures["bit_identical_tables"] = all(
        t.values.tobytes() == table.values.tobytes() for t in tables)
    print(f"intensity table: {figures['intensity_table_s']:.3f} s", file=sys.stderr)

    model = synthetic_product(system)
    result = compute_footprint(model, system, table)  # warm the CSC cache and imports
    figures["single_product_ms"] = 1000 * median_seconds(
        lambda: compute_footprint(model, system, table), max(repeat, 20))
    figures["single_product_no_tree_ms"] = 1000 * median_seconds(
        lambda: compute_footprint(model, system, table, max_nodes=0), max(repeat, 20))

    combined = combined_system(system, model)
    scores: list[dict[Category, float]] = []
    figures["bw2calc_fresh_lca_ms"] = 1000 * median_seconds(
        lambda: scores.append(FullLCA(combined).scores({"p0": 1.0})), repeat,
        before=reset_bw2calc_solver)
    figures["speedup_single_product"] = (figures["bw2calc_fresh_lca_ms"]
                                         / figures["single_product_ms"])
    engine_total = result.total(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE)
    oracle_total = scores[-1][Category.PCF_EXCLUDING_BIOGENIC_UPTAKE]
    figures["product_relative_difference_vs_bw2calc"] = abs(engine_total - oracle_total) / abs(
        oracle_total)

    full = FullLCA(system)
    rng = np.random.default_rng(1)
    picks = [system.activity_ids[j] for j in rng.integers(0, system.size, sample)]
    full.scores({picks[0]: 1.0})  # factorise once; the timed calls reuse it
    per_activity = median_seconds(lambda: full.scores({picks.pop(): 1.0}), len(picks) - 1)
    figures["forward_lca_per_activity_ms"] = 1000 * per_activity
    figures["forward_all_activities_extrapolated_s"] = per_activity * system.size
    figures["all_activities_speedup"] = (figures["forward_all_activities_extrapolated_s"]
                                         / figures["intensity_table_s"])
    memory = peak_memory_of_table_build(system, solver)
    figures["intensity_table_peak_rss_mb"] = memory["peak_rss_mb"]
    figures["rss_before_table_mb"] = memory["rss_before_mb"]
    figures["cpu_count"] = os.cpu_count()
    return figures


TARGETS = {
    "table_over_factorization": ("<", 1.5),
    "single_product_ms": ("<", 5.0),
    "speedup_single_product": (">=", 200.0),
    "all_activities_speedup": (">=", 300.0),
    "intensity_table_peak_rss_mb": ("<", 2048.0),
}


def report(figures: dict[str, Any]) -> None:
    print(f"\n{'figure':<42} {'value':>14}  target")
    print(f"{'-' * 42} {'-' * 14}  ------")
    for name, value in figures.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        target = ""
        if name in TARGETS:
            op, bound = TARGETS[name]
            met = value < bound if op == "<" else value >= bound
            target = f"{op} {bound:g} {'met' if met else 'MISSED'}"
        print(f"{name:<42} {text:>14}  {target}")
    print()
    for name, value in figures.items():
        print(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per median")
    parser.add_argument("--solver", choices=["pardiso", "superlu"], default=None)
    parser.add_argument("--sample", type=int, default=30,
                        help="activities timed by forward LCA, to extrapolate to all")
    parser.add_argument("--activities", type=int, default=25_000,
                        help="background size; non-zeros scale with it")
    args = parser.parse_args(argv)
    factor = args.activities / 25_000
    spec = SyntheticSpec(activities=args.activities,
                         technosphere_nnz=int(330_000 * factor),
                         biosphere_nnz=int(400_000 * factor),
                         flows=max(20, int(2_000 * min(factor, 1.0))),
                         hubs=max(10, int(300 * min(factor, 1.0))))
    report(run(spec, args.repeat, args.solver, args.sample))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark_process_peak_rss_mb: {peak:.1f}")
