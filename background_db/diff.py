"""Differences between two releases: which activities were added, removed or changed, how
the intensity of every activity moved, and how much each single change moved the
activities that depend on it.

The effect of one changed activity alone is exact, by the Sherman-Morrison formula on the
first release's factorisation: changing activity c's column of A and its direct emissions
changes only equation c of A^T λ = d, so λ' = λ + w (δ - uᵀλ) / (1 + uᵀw) with w = A^-T e_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from background_db.compile import CompiledRelease, compile_release
from background_db.release import BackgroundRelease
from background_db.serialize import activity_to_list
from lca_engine import Factorization, Method
from lca_engine.characterization import HEADLINE

_FIELDS = ("id", "name", "reference_product", "unit", "amount", "geography", "period_start",
           "period_end", "sector", "inputs", "emissions", "tags", "provenance", "quality",
           "replaces")


@dataclass(frozen=True, slots=True)
class IntensityChange:
    """How one activity's headline intensity moved between the releases."""

    activity: str
    name: str
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        return None if self.old == 0 else self.delta / abs(self.old)


@dataclass(frozen=True, slots=True)
class ChangeEffect:
    """The effect of one changed activity alone on the activities that depend on it
    (kg CO2e per unit of each dependent), largest first; *note* explains when it could not
    be attributed."""

    activity: str
    fields: tuple[str, ...]
    effects: tuple[tuple[str, float], ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    old: str
    new: str
    method: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ChangeEffect, ...]
    intensity_changes: tuple[IntensityChange, ...]  # common activities that moved, largest first


def diff_releases(old: BackgroundRelease, new: BackgroundRelease, *,
                  method: Method | None = None, top: int = 20,
                  tolerance: float = 1e-12) -> ReleaseDiff:
    """Compare *old* with *new* (see the module docstring)."""
    method = method or Method()
    old_by_id = {a.id: a for a in old.activities}
    new_by_id = {a.id: a for a in new.activities}
    added = tuple(sorted(set(new_by_id) - set(old_by_id)))
    removed = tuple(sorted(set(old_by_id) - set(new_by_id)))
    changed_ids = sorted(i for i in set(old_by_id) & set(new_by_id)
                         if activity_to_list(old_by_id[i]) != activity_to_list(new_by_id[i]))
    a, b = compile_release(old, method), compile_release(new, method)
    k = a.table.categories.index(HEADLINE)
    moves = []
    for activity_id in sorted(set(old_by_id) & set(new_by_id)):
        before = float(a.table.values[k, a.table.index_of(activity_id)])
        after = float(b.table.values[k, b.table.index_of(activity_id)])
        if abs(after - before) > tolerance * max(abs(before), abs(after), 1e-300):
            moves.append(IntensityChange(activity_id, new_by_id[activity_id].name, before,
                                         after))
    moves.sort(key=lambda m: (-abs(m.relative if m.relative is not None else np.inf),
                              m.activity))
    effects = _effects(old, new, changed_ids, a, b, top)
    return ReleaseDiff(old.label, new.label, method.label, added, removed, effects,
                       tuple(moves))


def _effects(old: BackgroundRelease, new: BackgroundRelease, changed: list[str],
             a: CompiledRelease, b: CompiledRelease, top: int) -> tuple[ChangeEffect, ...]:
    if not changed:
        return ()
    old_by_id = {x.id: x for x in old.activities}
    new_by_id = {x.id: x for x in new.activities}
    system_a, system_b = a.system, b.system
    k = a.table.categories.index(HEADLINE)
    lam = a.table.values[k]
    # direct headline emissions per activity column of each system
    direct_a = _direct(a)
    direct_b = _direct(b)
    columns = [system_a.index_of(c) for c in changed]
    factor = Factorization(system_a.technosphere, labels=system_a.activity_ids)
    rhs = np.zeros((system_a.size, len(columns)))
    rhs[columns, range(len(columns))] = 1.0
    w = factor.solve_adjoint(rhs)
    factor.close()
    results = []
    Ab = system_b.technosphere.tocsc()
    Aa = system_a.technosphere.tocsc()
    for n, (activity_id, c) in enumerate(zip(changed, columns, strict=True)):
        fields = tuple(f for f, x, y in zip(_FIELDS, activity_to_list(old_by_id[activity_id]),
                                            activity_to_list(new_by_id[activity_id]),
                                            strict=True) if x != y)
        cb = system_b.index_of(activity_id)
        u = np.zeros(system_a.size)
        column_b = Ab[:, cb].tocoo()
        outside = [system_b.activity_ids[i] for i in column_b.row
                   if not system_a.has(system_b.activity_ids[i])]
        if outside:
            results.append(ChangeEffect(activity_id, fields, (), note=(
                f"now uses activities new in this release ({', '.join(outside[:3])}); "
                f"its effect is part of the intensity changes")))
            continue
        for i, value in zip(column_b.row, column_b.data, strict=True):
            u[system_a.index_of(system_b.activity_ids[i])] += value
        column_a = Aa[:, c].tocoo()
        u[column_a.row] -= column_a.data
        delta = direct_b[cb] - direct_a[c]
        wc = w[:, n]
        scale = (delta - u @ lam) / (1.0 + u @ wc)
        shift = wc * scale
        order = np.argsort(-np.abs(shift), kind="stable")[:top]
        effects = tuple((system_a.activity_ids[j], float(shift[j])) for j in order
                        if abs(shift[j]) > 0)
        results.append(ChangeEffect(activity_id, fields, effects))
    return tuple(results)


def _direct(compiled: CompiledRelease) -> npt.NDArray[np.float64]:
    """Direct headline emissions of every activity column: d = A^T λ."""
    k = compiled.table.categories.index(HEADLINE)
    return np.asarray(compiled.system.technosphere.T @ compiled.table.values[k])
