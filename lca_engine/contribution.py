"""The upstream supply-chain tree of a footprint, walked on the engine's own matrices.

Each node carries an amount of a product and its cradle-to-gate value (kg CO2e excluding
biogenic uptake). Children below *cutoff* of the total are merged into one "below cut-off"
node per parent; expansion stops at *max_depth* or when *max_nodes* are placed, biggest
branches first. Loops unroll until their contributions fall below the cut-off.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lca_engine.characterization import HEADLINE
from lca_engine.result import RESULT_CATEGORIES, SupplyChainNode

if TYPE_CHECKING:
    from lca_engine.intensity import IntensityTable
    from lca_engine.linking import ForegroundSystem
    from lca_engine.matrices import MatrixSystem
    from lca_engine.model import ProductModel

FloatArray = npt.NDArray[np.float64]
EXCL = RESULT_CATEGORIES.index(HEADLINE)
# A child to place: (value, label, kind, ref, amount, unit, how to expand it or None)
Spec = tuple[float, str, str, str, float, str, tuple[str, int] | None]


class _TreeBuilder:
    def __init__(self, foreground: ForegroundSystem, unit_values: FloatArray,
                 background: MatrixSystem, table: IntensityTable, threshold: float,
                 max_depth: int, max_nodes: int) -> None:
        self.fg = foreground
        self.unit_values = unit_values
        self.bg = background
        self.columns = background.technosphere_columns
        self.lam = table.values[table.categories.index(HEADLINE)]
        self.threshold = threshold
        self.max_depth = max_depth
        self.budget = max_nodes
        self.edges_of: dict[int, list[int]] = {}
        for i, edge in enumerate(foreground.edges):
            self.edges_of.setdefault(edge.column, []).append(i)
        self.terms_of: dict[int, list[int]] = {}
        for i, column in enumerate(foreground.terms.column.tolist()):
            self.terms_of.setdefault(column, []).append(i)

    def foreground_children(self, column: int, amount: float) -> list[Spec]:
        runs = amount / self.fg.columns[column].product.amount
        specs: list[Spec] = []
        for i in self.edges_of.get(column, []):
            edge = self.fg.edges[i]
            q = runs * edge.amount
            provider = self.fg.columns[edge.provider]
            specs.append((q * float(self.unit_values[edge.provider, EXCL]), provider.label,
                          "process", f"{provider.process.id}/{provider.product.id}", q,
                          provider.product.unit, ("fg", edge.provider)))
        terms = self.fg.terms
        for i in self.terms_of.get(column, []):
            kind, ref = terms.kind[i], terms.ref[i]
            expand = (("bg", self.bg.index_of(ref))
                      if kind in ("background", "credit") and self.bg.has(ref) else None)
            specs.append((runs * float(terms.values[i, EXCL]), terms.label[i], kind, ref,
                          runs * float(terms.amount[i]), terms.unit[i], expand))
        return specs

    def background_children(self, activity: int, amount: float) -> list[Spec]:
        A = self.columns
        start, end = A.indptr[activity], A.indptr[activity + 1]
        rows, values = A.indices[start:end], A.data[start:end]
        output = float(values[rows == activity][0])
        runs = amount / output
        specs: list[Spec] = []
        direct = output * float(self.lam[activity])
        for i, a in zip(rows, values, strict=True):
            if i == activity:
                continue
            q = -runs * float(a)
            direct += float(a) * float(self.lam[i])
            specs.append((q * float(self.lam[i]), self.bg.activity_names[i], "background",
                          self.bg.activity_ids[i], q, self.bg.activity_units[i], ("bg", int(i))))
        direct_value = runs * direct
        if abs(direct_value) > 1e-15 * max(abs(amount * float(self.lam[activity])), 1e-300):
            specs.append((direct_value, "direct emissions", "emission",
                          self.bg.activity_ids[activity], amount,
                          self.bg.activity_units[activity], None))
        return specs

    def node(self, spec: Spec, depth: int) -> SupplyChainNode:
        value, label, kind, ref, amount, unit, expand = spec
        if expand is None:
            return SupplyChainNode(label, kind, ref, amount, unit, value)
        if depth >= self.max_depth or self.budget <= 0:
            return SupplyChainNode(label, kind, ref, amount, unit, value, truncated=True)
        where, index = expand
        specs = (self.foreground_children(index, amount) if where == "fg"
                 else self.background_children(index, amount))
        return SupplyChainNode(label, kind, ref, amount, unit, value,
                               self.children(specs, depth + 1))

    def children(self, specs: list[Spec], depth: int) -> tuple[SupplyChainNode, ...]:
        specs.sort(key=lambda s: (-abs(s[0]), s[3], s[1]))
        kept = [s for s in specs if abs(s[0]) >= self.threshold]
        rest = [s for s in specs if abs(s[0]) < self.threshold]
        nodes = []
        self.budget -= len(kept) + (1 if rest else 0)
        for spec in kept:
            nodes.append(self.node(spec, depth))
        if rest:
            nodes.append(SupplyChainNode(
                f"below cut-off ({len(rest)} input{'s' if len(rest) > 1 else ''})", "other",
                "", float(len(rest)), "inputs", math.fsum(s[0] for s in rest)))
        return tuple(nodes)


def build_tree(*, model: ProductModel, foreground: ForegroundSystem, reference: int,
               demand: FloatArray, unit_values: FloatArray,
               background: MatrixSystem, table: IntensityTable, cutoff: float,
               max_depth: int, max_nodes: int) -> SupplyChainNode:
    """The upstream tree of the declared unit of *model* (see module docstring)."""
    total = float(demand @ unit_values[:, EXCL])
    builder = _TreeBuilder(foreground, unit_values, background, table,
                           abs(total) * cutoff, max_depth, max_nodes)
    column = foreground.columns[reference]
    amount = float(demand[reference])
    root = (total, model.name, "product", f"{column.process.id}/{column.product.id}",
            amount, column.product.unit, ("fg", reference))
    builder.budget -= 1
    return builder.node(root, 0)
