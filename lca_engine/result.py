"""Immutable footprint results, and their decimal-string form for every external boundary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lca_engine.characterization import HEADLINE, Category
from lca_engine.hashing import content_hash, decimal_string

#: Every category a result carries, in this order.
RESULT_CATEGORIES: tuple[Category, ...] = tuple(Category)
HEADLINE_INDEX = RESULT_CATEGORIES.index(HEADLINE)


def _values_dict(values: tuple[float, ...]) -> dict[str, str]:
    return {c.value: decimal_string(v) for c, v in zip(RESULT_CATEGORIES, values, strict=True)}


@dataclass(frozen=True, slots=True)
class Contribution:
    """One row of a contribution analysis; *values* follow RESULT_CATEGORIES."""

    key: str
    label: str
    kind: str
    values: tuple[float, ...]

    def value(self, category: Category = HEADLINE) -> float:
        return self.values[RESULT_CATEGORIES.index(category)]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kind": self.kind,
                "values": _values_dict(self.values)}


@dataclass(frozen=True, eq=False)
class Contributions:
    """A contribution analysis as arrays: row i is `keys[i]`, `labels[i]`, `kinds[i]` and
    `values[i]` (RESULT_CATEGORIES order), sorted by the magnitude of the headline value with
    ties in model order. Iterating yields Contribution rows, built on demand."""

    keys: tuple[str, ...]
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    values: npt.NDArray[np.float64]

    @classmethod
    def sorted_from(cls, keys: list[str], labels: list[str], kinds: list[str],
                    values: npt.NDArray[np.float64]) -> Contributions:
        order = np.argsort(-np.abs(values[:, HEADLINE_INDEX]), kind="stable")
        ordered = np.ascontiguousarray(values[order])
        ordered.flags.writeable = False
        index = order.tolist()
        return cls(tuple(keys[i] for i in index), tuple(labels[i] for i in index),
                   tuple(kinds[i] for i in index), ordered)

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> Contribution:
        return Contribution(self.keys[i], self.labels[i], self.kinds[i],
                            tuple(self.values[i].tolist()))

    def __iter__(self) -> Iterator[Contribution]:
        rows = self.values.tolist()
        for i, key in enumerate(self.keys):
            yield Contribution(key, self.labels[i], self.kinds[i], tuple(rows[i]))

    def top(self, count: int) -> list[Contribution]:
        """The *count* largest rows."""
        return [self[i] for i in range(min(count, len(self)))]

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self]


@dataclass(frozen=True, slots=True)
class SupplyChainNode:
    """A node of the upstream tree: *amount* of *ref* and its cradle-to-gate *value*
    (kg CO2e, excluding biogenic uptake). *truncated* marks nodes left unexpanded by the
    node budget or depth limit."""

    label: str
    kind: str
    ref: str
    amount: float
    unit: str
    value: float
    children: tuple[SupplyChainNode, ...] = ()
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "kind": self.kind, "ref": self.ref,
            "amount": decimal_string(self.amount), "unit": self.unit,
            "value": decimal_string(self.value), "truncated": self.truncated,
            "children": [c.to_dict() for c in self.children],
        }

    def walk(self) -> list[SupplyChainNode]:
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes


@dataclass(frozen=True, slots=True)
class Provenance:
    """What produced a result: enough to reproduce it bit for bit."""

    background_hash: str
    intensity_key: str
    method: str
    gwp_set: str
    gwp_source: str
    engine_version: str
    model_hash: str
    background_solver: str
    foreground_solver: str
    allocation: tuple[tuple[str, str], ...]
    # (by-gas key, GWP100, where the value is published) for each gas the result holds
    characterisation: tuple[tuple[str, float, str], ...] = ()
    # the parameter set the model was evaluated under, and its parameters' values
    parameter_set: str = ""
    parameters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class FootprintResult:
    """The cradle-to-gate footprint of *declared_amount* *declared_unit* of a product."""

    product_id: str
    product_name: str
    declared_unit: str
    declared_amount: float
    totals: tuple[float, ...]
    by_process: Contributions
    by_input: Contributions
    by_supplier: Contributions
    by_gas: tuple[tuple[str, float], ...]
    primary_data_share: float | None
    tree: SupplyChainNode
    provenance: Provenance
    notes: tuple[str, ...] = ()
    # each own product's cradle-to-gate value at the amount made (openLCA's upstream totals)
    upstream_by_process: Contributions | None = None

    def total(self, category: Category = HEADLINE) -> float:
        return self.totals[RESULT_CATEGORIES.index(category)]

    def to_dict(self) -> dict[str, Any]:
        """The result with every number as a decimal string, ready for JSON."""
        pds = self.primary_data_share
        return {
            "product": {"id": self.product_id, "name": self.product_name},
            "declared_unit": self.declared_unit,
            "declared_amount": decimal_string(self.declared_amount),
            "unit_of_values": "kg CO2e",
            "totals": _values_dict(self.totals),
            "primary_data_share": None if pds is None else decimal_string(pds),
            "contributions": {
                "by_process": self.by_process.to_list(),
                "upstream_by_process": ([] if self.upstream_by_process is None
                                        else self.upstream_by_process.to_list()),
                "by_input": self.by_input.to_list(),
                "by_supplier": self.by_supplier.to_list(),
                "by_gas": {k: decimal_string(v) for k, v in self.by_gas},
            },
            "supply_chain": self.tree.to_dict(),
            "provenance": {
                "background_hash": self.provenance.background_hash,
                "intensity_key": self.provenance.intensity_key,
                "method": self.provenance.method,
                "gwp_set": self.provenance.gwp_set,
                "gwp_source": self.provenance.gwp_source,
                "engine_version": self.provenance.engine_version,
                "model_hash": self.provenance.model_hash,
                "background_solver": self.provenance.background_solver,
                "foreground_solver": self.provenance.foreground_solver,
                "allocation": dict(self.provenance.allocation),
                "parameter_set": self.provenance.parameter_set,
                "parameters": {k: decimal_string(v) for k, v in self.provenance.parameters},
                "characterisation": [
                    {"gas": key, "gwp100": decimal_string(value), "citation": citation}
                    for key, value, citation in self.provenance.characterisation],
            },
            "notes": list(self.notes),
        }

    @property
    def result_hash(self) -> str:
        """sha256 of the canonical JSON of `to_dict()`: equal results, equal hashes."""
        return content_hash(self.to_dict())
