"""Footprint of a product model: solve the enterprise's small foreground system, then price
its background demand with the intensity table and its supplier inputs with the suppliers'
per-unit values. The background is never refactorised, so this takes milliseconds.

For foreground columns j (one per allocated product) with activity levels s (A_f s = f):

    footprint_k = sum_j s_j * (direct_kj + sum_bg q_bj * λ_k[b] + sum_sup q_uj * σ_k[u])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lca_engine.characterization import HEADLINE
from lca_engine.contribution import build_tree
from lca_engine.errors import (
    MissingReferenceProductError,
    ModelError,
    NonProductiveSystemError,
    UnitError,
)
from lca_engine.hashing import model_hash
from lca_engine.intensity import IntensityTable
from lca_engine.linking import EXCL, N_CAT, PACK, ForegroundSystem, link
from lca_engine.matrices import MatrixSystem
from lca_engine.model import ProductModel, require_finite
from lca_engine.result import RESULT_CATEGORIES, Contributions, FootprintResult, Provenance
from lca_engine.solve import SUPERLU, Factorization, loop_diagnosis
from lca_engine.units import conversion_factor
from lca_engine.version import ENGINE_VERSION

FloatArray = npt.NDArray[np.float64]
assert RESULT_CATEGORIES.index(HEADLINE) == EXCL


def compute_footprint(model: ProductModel, background: MatrixSystem, table: IntensityTable,
                      *, cutoff: float = 0.01, max_depth: int = 8,
                      max_nodes: int = 200) -> FootprintResult:
    """Compute the footprint of *model* against *background* and its intensity *table*.

    *cutoff* (a share of the total) and *max_depth* / *max_nodes* bound the upstream tree.
    """
    if table.system_hash != background.content_hash:
        raise ModelError("the intensity table was computed for another background system "
                         f"({table.system_hash[:12]} is not {background.content_hash[:12]})")
    foreground = link(model, background, table)
    reference = _reference_column(model, foreground)
    ref_column = foreground.columns[reference]
    where = f"product model {model.id!r}"
    declared = require_finite(model.declared_amount, f"{where}, declared amount", positive=True)
    try:
        to_product = conversion_factor(model.declared_unit, ref_column.product.unit)
    except UnitError as exc:
        raise type(exc)(f"{where}: declared unit against reference product "
                        f"{ref_column.product.id!r}: {exc}") from None
    demand = np.zeros(len(foreground.columns))
    demand[reference] = declared * to_product

    labels = [f"{c.process.id}/{c.product.id}" for c in foreground.columns]
    A = foreground.matrix()
    factor = Factorization(A, solver=SUPERLU, labels=labels)
    supply = factor.solve_forward(demand)
    _check_supply(supply, A, labels, foreground)

    terms = foreground.terms
    n = len(foreground.columns)
    per_run = np.zeros((n, N_CAT))
    np.add.at(per_run, terms.column, terms.values)
    # Cumulative per-unit values of every own product: for packaging and the tree.
    unit_values = factor.solve_adjoint(per_run)
    packaging = _packaging(foreground, unit_values, demand)
    scaled = terms.values * supply[terms.column, None]
    scaled[:, PACK] = terms.values[:, PACK] * packaging.supply[terms.column]

    totals = scaled.sum(axis=0) if len(terms) else np.zeros(N_CAT)
    totals[PACK] += sum(packaging.own.values())
    tree = build_tree(
        model=model, foreground=foreground, reference=reference, demand=demand,
        unit_values=unit_values, background=background, table=table,
        cutoff=cutoff, max_depth=max_depth, max_nodes=max_nodes,
    )
    by_gas = _by_gas(foreground, supply)
    provenance = Provenance(
        background_hash=background.content_hash,
        intensity_key=table.key,
        method=table.method.label,
        gwp_set=table.method.gwp_set,
        gwp_source=table.method.source,
        engine_version=ENGINE_VERSION,
        model_hash=model_hash(model),
        background_solver=table.solver,
        foreground_solver=factor.solver,
        allocation=tuple(sorted(
            (p.id, p.allocation.method.value) for p in model.processes
            if p.allocation is not None and len(p.products) > 1
        )),
        characterisation=table.method.citations(key for key, _value in by_gas),
        parameter_set=model.parameter_set,
        parameters=model.parameters,
    )
    return FootprintResult(
        product_id=model.id,
        product_name=model.name,
        declared_unit=model.declared_unit,
        declared_amount=declared,
        totals=tuple(totals.tolist()),
        by_process=_by_process(foreground, supply, scaled, packaging),
        upstream_by_process=_upstream_by_process(foreground, supply, unit_values),
        by_input=_by_input(foreground, scaled),
        by_supplier=_by_supplier(foreground, scaled),
        by_gas=by_gas,
        primary_data_share=_primary_share(foreground, supply, float(totals[EXCL])),
        tree=tree,
        provenance=provenance,
        notes=tuple(foreground.notes),
    )


def _reference_column(model: ProductModel, foreground: ForegroundSystem) -> int:
    process = next((p for p in model.processes if p.id == model.reference_process), None)
    if process is None:
        raise MissingReferenceProductError(
            f"product model {model.id!r}: reference process {model.reference_process!r} is not "
            f"one of its processes")
    product_id = model.reference_product or process.products[0].id
    for j, column in enumerate(foreground.columns):
        if column.key == (process.id, product_id):
            return j
    raise MissingReferenceProductError(
        f"product model {model.id!r}: process {process.id!r} has no (allocated) product "
        f"{product_id!r}")


def _check_supply(supply: FloatArray, A: sp.csr_matrix, labels: list[str],
                  foreground: ForegroundSystem) -> None:
    scale = float(np.abs(supply).max(initial=0.0))
    negative = np.flatnonzero(supply < -1e-12 * max(scale, 1.0))
    if not negative.size:
        return
    if foreground.own_credits:
        names = ", ".join(repr(labels[j]) for j in negative[:5])
        foreground.notes.append(f"system-expansion credits drive the activity of {names} "
                                f"below zero (avoided production)")
        return
    j = int(negative[0])
    culprit = (loop_diagnosis(A, labels)
               or f"{labels[j]!r} would run at the negative level {float(supply[j])!r}")
    raise NonProductiveSystemError(f"the foreground is not productive: {culprit}")


@dataclass(slots=True)
class _Packaging:
    """Packaging attribution: flagged exchanges priced at their provider's cradle-to-gate
    value, with activity levels of the system cut below flagged own inputs, so packaging
    nested inside packaging is counted once."""

    supply: FloatArray
    own: dict[int, float]  # edge index -> packaging kg CO2e (already scaled)


def _packaging(foreground: ForegroundSystem, unit_values: FloatArray,
               demand: FloatArray) -> _Packaging:
    flagged = [i for i, e in enumerate(foreground.edges) if e.packaging]
    if not flagged and not foreground.terms.packaging.any():
        return _Packaging(np.zeros(len(foreground.columns)), {})
    cut = Factorization(foreground.matrix(cut_packaging=True), solver=SUPERLU)
    supply = cut.solve_forward(demand)
    own = {}
    for i in flagged:
        edge = foreground.edges[i]
        own[i] = float(supply[edge.column] * edge.amount * unit_values[edge.provider, EXCL])
    return _Packaging(supply, own)


def _by_process(foreground: ForegroundSystem, supply: FloatArray, scaled: FloatArray,
                packaging: _Packaging) -> Contributions:
    n = len(foreground.columns)
    rows = np.zeros((n, N_CAT))
    np.add.at(rows, foreground.terms.column, scaled)
    for i, value in packaging.own.items():
        rows[foreground.edges[i].column, PACK] += value
    columns = foreground.columns
    return Contributions.sorted_from([f"{c.process.id}/{c.product.id}" for c in columns],
                                     [c.label for c in columns], ["process"] * n, rows)


def _upstream_by_process(foreground: ForegroundSystem, supply: FloatArray,
                         unit_values: FloatArray) -> Contributions:
    """Each own product's cradle-to-gate value at the amount the system makes of it: its
    per-unit value times its output (product amount per run times the runs), what openLCA's
    upstream tree shows per process. Unlike the direct contributions these overlap: the
    reference process's upstream total is the whole footprint."""
    columns = foreground.columns
    made = np.array([c.product.amount for c in columns]) * supply
    rows = unit_values * made[:, None] if len(columns) else np.zeros((0, N_CAT))
    return Contributions.sorted_from([f"{c.process.id}/{c.product.id}" for c in columns],
                                     [c.label for c in columns], ["upstream"] * len(columns),
                                     rows)


def _by_input(foreground: ForegroundSystem, scaled: FloatArray) -> Contributions:
    terms = foreground.terms
    return Contributions.sorted_from(terms.key, terms.label, terms.kind, scaled)


def _by_supplier(foreground: ForegroundSystem, scaled: FloatArray) -> Contributions:
    terms = foreground.terms
    ids = sorted({s for s in terms.supplier if s is not None})
    position = {s: i for i, s in enumerate(ids)}
    rows = np.zeros((len(ids), N_CAT))
    labels = [""] * len(ids)
    for t, supplier in enumerate(terms.supplier):
        if supplier is not None:
            rows[position[supplier]] += scaled[t]
            labels[position[supplier]] = terms.label[t].split(" ← ", 1)[-1]
    return Contributions.sorted_from(ids, labels, ["supplier"] * len(ids), rows)


def _by_gas(foreground: ForegroundSystem, supply: FloatArray) -> tuple[tuple[str, float], ...]:
    terms = foreground.terms
    sums = (terms.gas * supply[terms.column, None]).sum(axis=0) if len(terms) else []
    pairs = [(k, float(v)) for k, v in zip(terms.gas_keys, sums, strict=False) if v != 0.0]
    return tuple(sorted(pairs, key=lambda kv: (-abs(kv[1]), kv[0])))


def _primary_share(foreground: ForegroundSystem, supply: FloatArray,
                   total: float) -> float | None:
    """PACT primary data share: the part of the excluding-uptake total that rests on primary
    data, in percent. Undefined (None) when that total is not positive."""
    if total <= 0:
        return None
    terms = foreground.terms
    primary = float(terms.primary @ supply[terms.column]) if len(terms) else 0.0
    return 100.0 * primary / total
