"""The intensity table: cradle-to-gate footprint per unit of every background activity in
every reporting category, from one factorisation and one multi-right-hand-side adjoint solve.

For each gas group g the engine solves A^T λ_g = B^T c_g, plus one solve for aircraft
emissions and one (a right-hand side of ones) that checks the system is productive.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lca_engine.characterization import (
    TABLE_CATEGORIES,
    Category,
    GasGroup,
    Method,
)
from lca_engine.errors import UnitError
from lca_engine.matrices import MatrixSystem
from lca_engine.model import FlowKind
from lca_engine.solve import Factorization, check_productive
from lca_engine.units import conversion_factor
from lca_engine.version import ENGINE_VERSION

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Characterization:
    """Characterisation of one system's flows: a (gas group x flow) matrix in kg CO2e per
    flow unit, and the sign of each gas group in each table category."""

    groups: tuple[GasGroup, ...]
    matrix: sp.csr_matrix
    signs: FloatArray  # (len(TABLE_CATEGORIES), len(groups))

    @classmethod
    def of(cls, system: MatrixSystem, method: Method) -> Characterization:
        entries: dict[GasGroup, list[tuple[int, float]]] = {}
        for i, flow in enumerate(system.flows):
            found = method.factor(flow)
            if found is None:
                continue
            group, gwp = found
            try:
                to_kg = conversion_factor(flow.unit, "kg")
            except UnitError as exc:
                raise type(exc)(f"greenhouse-gas flow {flow.id!r} ({flow.name}): {exc}") from None
            entries.setdefault(group, []).append((i, gwp * to_kg))
        groups = tuple(sorted(entries))
        rows, cols, vals = [], [], []
        for g, group in enumerate(groups):
            for i, value in entries[group]:
                rows.append(g)
                cols.append(i)
                vals.append(value)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(groups), len(system.flows)))
        signs = np.array([[g.sign_in(c) for g in groups] for c in TABLE_CATEGORIES],
                         dtype=np.float64).reshape(len(TABLE_CATEGORIES), len(groups))
        return cls(groups, matrix, signs)

    @property
    def gas_signs(self) -> FloatArray:
        """-1 for uptake groups, +1 for emission groups: the sign in the by-gas breakdown,
        where emission groups add up to the excluding-uptake total and all groups to the
        including-uptake total."""
        return np.array([-1.0 if g.kind is FlowKind.UPTAKE else 1.0 for g in self.groups])

    def direct(self, biosphere: sp.spmatrix) -> FloatArray:
        """Direct (gas group x column) kg CO2e of the columns of *biosphere*."""
        return np.asarray((self.matrix @ biosphere).toarray(), dtype=np.float64)

    def categories(self, by_group: FloatArray, aircraft: FloatArray) -> FloatArray:
        """Table-category values from gas-group values (rows) and the aircraft row."""
        values = self.signs @ by_group
        values[TABLE_CATEGORIES.index(Category.AIRCRAFT_GHG_EMISSIONS)] = aircraft
        return values


@dataclass(frozen=True, eq=False)
class IntensityTable:
    """Per-unit cradle-to-gate values of every activity of one background system.

    `values[k, j]` is category `categories[k]` of one unit of activity `activity_ids[j]`;
    `gas_values[g, j]` the same split by gas group in kg CO2e, uptake groups negative, so
    emission groups add up to the excluding-uptake value and all groups to the
    including-uptake value. Arrays are read-only.
    """

    system_hash: str
    method: Method
    activity_ids: tuple[str, ...]
    categories: tuple[Category, ...]
    values: FloatArray
    gas_groups: tuple[GasGroup, ...]
    gas_values: FloatArray
    solver: str
    engine_version: str
    factorization_seconds: float
    solve_seconds: float

    @property
    def key(self) -> str:
        return table_key(self.system_hash, self.method)

    def column(self, activity_id: str) -> dict[Category, float]:
        j = self._index[activity_id]
        return {c: float(self.values[k, j]) for k, c in enumerate(self.categories)}

    def index_of(self, activity_id: str) -> int:
        return self._index[activity_id]

    @property
    def _index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {a: i for i, a in enumerate(self.activity_ids)}
            object.__setattr__(self, "_index_cache", cached)
        return cached


def table_key(system_hash: str, method: Method) -> str:
    """Cache key of an intensity table: the system's content hash and the method's."""
    text = f"{system_hash}|{method.content_hash}|engine {ENGINE_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()


def compute_intensity_table(system: MatrixSystem, method: Method | None = None, *,
                            factorization: Factorization | None = None,
                            solver: str | None = None) -> IntensityTable:
    """Solve for the intensities of every activity in every category.

    Pass *factorization* to reuse one already made for this system's technosphere.
    """
    method = method or Method()
    characterization = Characterization.of(system, method)
    if factorization is None:
        factorization = Factorization(system.technosphere, solver=solver,
                                      labels=system.activity_ids)
    direct = characterization.direct(system.biosphere)  # (groups, activities)
    excluding = characterization.signs[
        TABLE_CATEGORIES.index(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE)] @ direct
    aircraft_direct = np.where(system.aircraft, excluding, 0.0)
    rhs = np.column_stack([direct.T, aircraft_direct, np.ones(system.size)])
    started = time.perf_counter()
    solution = factorization.solve_adjoint(rhs)
    solve_seconds = time.perf_counter() - started
    check_productive(system.technosphere, solution[:, -1], system.activity_ids)
    groups = len(characterization.groups)
    by_group = np.ascontiguousarray(solution[:, :groups].T)
    values = characterization.categories(by_group, solution[:, groups].copy())
    by_group *= characterization.gas_signs[:, None]
    for array in (values, by_group):
        array.flags.writeable = False
    return IntensityTable(
        system_hash=system.content_hash,
        method=method,
        activity_ids=system.activity_ids,
        categories=TABLE_CATEGORIES,
        values=values,
        gas_groups=characterization.groups,
        gas_values=by_group,
        solver=factorization.solver,
        engine_version=ENGINE_VERSION,
        factorization_seconds=factorization.seconds,
        solve_seconds=solve_seconds,
    )
