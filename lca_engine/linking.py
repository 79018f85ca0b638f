"""Linking a product model: allocate its processes into columns, resolve every input's
provider, convert units, and price each background input, supplier input and emission per
run of its column. Pricing is vectorised: the loop over exchanges only collects indices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lca_engine.allocation import AllocatedProcess, allocate
from lca_engine.characterization import (
    AIRCRAFT_TAG,
    HEADLINE,
    PACKAGING_TAG,
    TABLE_CATEGORIES,
    Category,
)
from lca_engine.errors import (
    DuplicateIdError,
    EngineError,
    InvalidAmountError,
    UnitError,
    UnknownFlowError,
    UnlinkedInputError,
)
from lca_engine.intensity import IntensityTable
from lca_engine.matrices import MatrixSystem
from lca_engine.model import (
    DataType,
    ElementaryFlow,
    FlowKind,
    LinkKind,
    Process,
    ProductModel,
    SupplierFootprint,
    check_unique,
    require_finite,
)
from lca_engine.result import RESULT_CATEGORIES
from lca_engine.units import conversion_factor

FloatArray = npt.NDArray[np.float64]
N_CAT = len(RESULT_CATEGORIES)
EXCL = RESULT_CATEGORIES.index(HEADLINE)
PACK = RESULT_CATEGORIES.index(Category.PACKAGING_GHG_EMISSIONS)
AIR = RESULT_CATEGORIES.index(Category.AIRCRAFT_GHG_EMISSIONS)
TABLE_ROWS = np.array([RESULT_CATEGORIES.index(c) for c in TABLE_CATEGORIES])
SUPPLIER_GAS = "supplier data (not split by gas)"


@dataclass(slots=True)
class Terms:
    """The priced exchanges of all foreground columns, one row each, per run of the column
    (a structure of arrays, so pricing and contributions are vectorised)."""

    column: npt.NDArray[np.int64]
    kind: list[str]  # background | supplier | emission | credit
    key: list[str]
    label: list[str]
    ref: list[str]  # background activity id, supplier footprint id or flow id
    unit: list[str]
    amount: FloatArray  # in *unit*, per run
    values: FloatArray  # (terms, categories) kg CO2e per run
    gas: FloatArray  # (terms, gas keys) kg CO2e per run, uptake negative
    gas_keys: list[str]
    primary: FloatArray  # kg CO2e per run that rests on primary data
    packaging: npt.NDArray[np.bool_]
    supplier: list[str | None]

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(slots=True)
class OwnEdge:
    """An input of one foreground column from another: *amount* per run, provider's unit."""

    provider: int
    column: int
    amount: float
    packaging: bool
    label: str


@dataclass(slots=True)
class ForegroundSystem:
    """The foreground of a product model, linked and priced but not yet solved."""

    columns: list[AllocatedProcess]
    terms: Terms
    edges: list[OwnEdge]
    notes: list[str] = field(default_factory=list)
    own_credits: bool = False

    def matrix(self, *, cut_packaging: bool = False) -> sp.csr_matrix:
        n = len(self.columns)
        rows = list(range(n))
        cols = list(range(n))
        vals = [c.product.amount for c in self.columns]
        for edge in self.edges:
            if cut_packaging and edge.packaging:
                continue
            rows.append(edge.provider)
            cols.append(edge.column)
            vals.append(-edge.amount)
        return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


class _Collector:
    """Collects one row per priced exchange; `finish` prices them all at once.

    Every row names a *source*: a background activity (its table column), a supplier
    footprint or an elementary flow, each with a per-unit vector of category values."""

    def __init__(self, table: IntensityTable, background: MatrixSystem,
                 flows: dict[str, ElementaryFlow], suppliers: dict[str, SupplierFootprint]
                 ) -> None:
        self.table = table
        self.background = background
        self.flows = flows
        self.suppliers = suppliers
        self.gas_keys = [g.key for g in table.gas_groups]
        self.gas_index = {k: i for i, k in enumerate(self.gas_keys)}
        self.sources: dict[tuple[str, str], int] = {}
        self.source_values: list[FloatArray | int] = []  # vector, or a table column index
        self.source_gas: list[dict[int, float] | int] = []
        self.source_fraction: list[float] = []  # supplier's primary data share, as a fraction
        # One tuple per exchange: (column, source, q, kind, key, label, ref, unit, primary,
        # packaging, aircraft, supplier); transposed once in `finish`.
        self.rows: list[tuple[Any, ...]] = []
        self.background_meta: dict[int, tuple[str, str, bool]] = {}

    def _gas(self, key: str) -> int:
        if key not in self.gas_index:
            self.gas_index[key] = len(self.gas_keys)
            self.gas_keys.append(key)
        return self.gas_index[key]

    def background_input(self, column: int, key: str, name: str, target: str, amount: float,
                         unit: str, at: At, *, credit: bool, primary: bool,
                         packaging: bool) -> None:
        source = self.sources.get(("bg", target))
        if source is None:
            b = self.background.position(target)
            if b is None:
                raise UnlinkedInputError(f"{_at(at)}: background activity {target!r} is not "
                                         f"in the background release")
            source = self.sources[("bg", target)] = len(self.source_values)
            self.source_values.append(b)
            self.source_gas.append(b)
            self.source_fraction.append(0.0)
            self.background_meta[source] = (self.background.activity_units[b],
                                            self.background.activity_names[b],
                                            bool(self.background.packaging[b]))
        activity_unit, activity_name, tagged = self.background_meta[source]
        q = amount * _factor(unit, activity_unit, at)
        self.rows.append((column, source, q, "credit" if credit else "background", key,
                          f"{name} ← {activity_name}", target, activity_unit, primary,
                          packaging or tagged, False, None))

    def supplier_input(self, column: int, key: str, name: str, target: str, amount: float,
                       unit: str, at: At, *, credit: bool, packaging: bool) -> None:
        supplier = self.suppliers.get(target)
        if supplier is None:
            raise UnlinkedInputError(f"{_at(at)}: supplier footprint {target!r} is not among the "
                                     f"model's suppliers")
        source = self.sources.get(("supplier", target))
        if source is None:
            values = np.zeros(N_CAT)
            for k, category in enumerate(RESULT_CATEGORIES):
                if category is not Category.PACKAGING_GHG_EMISSIONS:
                    values[k] = require_finite(supplier.value(category),
                                               f"supplier footprint {supplier.id!r}, "
                                               f"{category.value}")
            source = self.sources[("supplier", target)] = len(self.source_values)
            self.source_values.append(values)
            self.source_gas.append({self._gas(SUPPLIER_GAS): float(values[EXCL])})
            share = supplier.primary_data_share
            self.source_fraction.append(0.0 if share is None else share / 100.0)
        q = amount * _factor(unit, supplier.declared_unit, at)
        self.rows.append((column, source, q, "credit" if credit else "supplier", key,
                          f"{name} ← {supplier.company}: {supplier.product_name}", target,
                          supplier.declared_unit, False, packaging, False, target))

    def emission(self, column: int, key: str, flow_id: str, amount: float, unit: str,
                 at: At, *, primary: bool, aircraft: bool) -> None:
        source = self.sources.get(("flow", flow_id))
        flow = self.flows.get(flow_id)
        if flow is None:
            raise UnknownFlowError(f"{_at(at)}: no such elementary flow in the background or the "
                                   f"model")
        if source is None:
            values = np.zeros(N_CAT)
            gas: dict[int, float] = {}
            try:
                found = self.table.method.factor(flow)
                to_kg = conversion_factor(flow.unit, "kg") if found else 1.0
            except EngineError as exc:
                raise type(exc)(f"{_at(at)}: {exc}") from None
            if found is not None:
                group, gwp = found
                for k, category in zip(TABLE_ROWS, TABLE_CATEGORIES, strict=True):
                    values[k] = group.sign_in(category) * gwp * to_kg
                sign = -1.0 if group.kind is FlowKind.UPTAKE else 1.0
                gas[self._gas(group.key)] = sign * gwp * to_kg
            source = self.sources[("flow", flow_id)] = len(self.source_values)
            self.source_values.append(values)
            self.source_gas.append(gas)
            self.source_fraction.append(0.0)
        q = amount * _factor(unit, flow.unit, at)
        self.rows.append((column, source, q, "emission", key, f"{flow.name} (direct)", flow_id,
                          flow.unit, primary, False, aircraft, None))

    def finish(self) -> Terms:
        sources = len(self.source_values)
        unit_values = np.zeros((sources, N_CAT))
        unit_gas = np.zeros((sources, len(self.gas_keys)))
        table_sources = [i for i, v in enumerate(self.source_values) if isinstance(v, int)]
        if table_sources:
            columns = np.array([self.source_values[i] for i in table_sources])
            rows = np.ix_(np.array(table_sources), TABLE_ROWS)
            unit_values[rows] = self.table.values[:, columns].T
            unit_gas[table_sources, :len(self.table.gas_groups)] = (
                self.table.gas_values[:, columns].T)
        for i, (vector, gas) in enumerate(zip(self.source_values, self.source_gas,
                                              strict=True)):
            if not isinstance(vector, int):
                unit_values[i] = vector
                assert isinstance(gas, dict)
                for g, value in gas.items():
                    unit_gas[i, g] = value
        if self.rows:
            (column, source_list, q_list, kind, key, label, ref, unit, primary, packaging_list,
             aircraft_list, supplier) = (list(x) for x in zip(*self.rows, strict=True))
        else:
            column, source_list, q_list, kind, key, label, ref, unit = ([] for _ in range(8))
            primary, packaging_list, aircraft_list, supplier = [], [], [], []
        source = np.array(source_list, dtype=np.int64)
        q = np.array(q_list, dtype=np.float64)
        values = unit_values[source] * q[:, None]
        packaging = np.array(packaging_list, dtype=bool)
        values[:, PACK] = np.where(packaging, values[:, EXCL], 0.0)
        aircraft = np.array(aircraft_list, dtype=bool)
        values[aircraft, AIR] = values[aircraft, EXCL]
        fraction = np.where(np.array(primary, dtype=bool), 1.0,
                            np.array(self.source_fraction)[source] if sources else 0.0)
        return Terms(
            column=np.array(column, dtype=np.int64), kind=kind, key=key, label=label, ref=ref,
            unit=unit, amount=q, values=values, gas=unit_gas[source] * q[:, None],
            gas_keys=self.gas_keys, primary=fraction * values[:, EXCL], packaging=packaging,
            supplier=supplier)


def link(model: ProductModel, background: MatrixSystem,
         table: IntensityTable) -> ForegroundSystem:
    """Allocate the model's processes, resolve every input's provider and price each
    background input, supplier input and emission per run of its column."""
    check_unique([p.id for p in model.processes], "process")
    check_unique([s.id for s in model.suppliers], "supplier footprint")
    flows: dict[str, ElementaryFlow] = {f.id: f for f in background.flows}
    for flow in model.flows:
        if flow.id in flows and flows[flow.id] != flow:
            raise DuplicateIdError(f"elementary flow {flow.id!r} of the model differs from the "
                                   f"background flow of that id")
        flows[flow.id] = flow
    columns: list[AllocatedProcess] = []
    for process in model.processes:
        columns.extend(allocate(process))
    index = {c.key: j for j, c in enumerate(columns)}
    processes = {p.id: p for p in model.processes}
    collector = _Collector(table, background, flows, {s.id: s for s in model.suppliers})
    edges: list[OwnEdge] = []
    notes = [f"supplier footprint {s.id!r} uses IPCC {s.gwp_set}, this calculation "
             f"{table.method.gwp_set}: its values are used as published"
             for s in model.suppliers if s.gwp_set != table.method.gwp_set]
    own_credits = False
    for j, column in enumerate(columns):
        process = column.process
        where = f"process {process.id!r} ({process.name})"
        prefix = f"{process.id}/{column.product.id}"
        require_finite(column.product.amount, f"{where}, product {column.product.id!r}",
                       positive=True)
        exchanges = [(f"inputs[{i}]", x, False) for i, x in enumerate(process.inputs)]
        exchanges += [(f"credits[{i}]", x, True) for i, x in enumerate(column.credits)]
        for slot, exchange, credit in exchanges:
            # `at` is only written out when an error needs it: this loop is the hot path.
            at = (where, "input", exchange.name)
            amount = exchange.amount
            if not (0.0 <= amount < math.inf) and not (
                    (credit or exchange.avoided) and -math.inf < amount < 0.0):
                _reject_amount(amount, at, credit)
            amount *= 1.0 if credit else column.factor
            target = exchange.link.target
            if exchange.link.kind is LinkKind.PROCESS:
                provider = _own_provider(target, exchange.link.product, processes, index, at)
                provider_column = columns[provider]
                q = amount * _factor(exchange.unit, provider_column.product.unit, at)
                tagged = PACKAGING_TAG in provider_column.process.tags
                edges.append(OwnEdge(provider, j, q, exchange.packaging or tagged,
                                     exchange.name))
                own_credits |= credit or exchange.avoided
            elif exchange.link.kind is LinkKind.BACKGROUND:
                collector.background_input(
                    j, f"{prefix}#{slot}", exchange.name, target, amount, exchange.unit, at,
                    credit=credit or exchange.avoided,
                    primary=exchange.data_type is DataType.PRIMARY,
                    packaging=exchange.packaging)
            else:
                collector.supplier_input(j, f"{prefix}#{slot}", exchange.name, target,
                                         amount, exchange.unit, at,
                                         credit=credit or exchange.avoided,
                                         packaging=exchange.packaging)
        aircraft = AIRCRAFT_TAG in process.tags
        for i, emission in enumerate(process.emissions):
            at = (where, "elementary flow", emission.flow)
            amount = emission.amount
            if not 0.0 <= amount < math.inf:
                _reject_amount(amount, at, False)
            collector.emission(j, f"{prefix}#emissions[{i}]", emission.flow,
                               amount * column.factor, emission.unit, at,
                               primary=emission.data_type is DataType.PRIMARY,
                               aircraft=aircraft)
    return ForegroundSystem(columns, collector.finish(), edges, notes, own_credits)


At = tuple[str, str, str]  # (process, kind of exchange, exchange name), see `_at`


def _at(at: At) -> str:
    """Where an exchange sits, written out only when an error message needs it: building
    the text for every exchange was a tenth of the linking time."""
    where, what, name = at
    return f"{where}, {what} {name!r}"


def _factor(from_unit: str, to_unit: str, at: At) -> float:
    if from_unit == to_unit:
        return 1.0
    try:
        return conversion_factor(from_unit, to_unit)
    except UnitError as exc:
        raise type(exc)(f"{_at(at)}: {exc}") from None


def _reject_amount(amount: float, at: At, credit: bool) -> None:
    require_finite(amount, f"{_at(at)}, amount", non_negative=not credit)
    raise InvalidAmountError(f"{_at(at)}: amount {amount!r} is not allowed here")


def _own_provider(target: str, product: str | None, processes: dict[str, Process],
                  index: dict[tuple[str, str], int], at: At) -> int:
    provider = processes.get(target)
    if provider is None:
        raise UnlinkedInputError(f"{_at(at)}: own process {target!r} does not exist in the model")
    product_id = product or provider.products[0].id
    j = index.get((target, product_id))
    if j is None:
        if product_id in [p.id for p in provider.products]:
            raise UnlinkedInputError(
                f"{_at(at)}: product {product_id!r} of process {target!r} is a co-product credited "
                f"by system expansion; allocate that process to use the co-product as an input")
        raise UnlinkedInputError(f"{_at(at)}: process {target!r} has no product {product_id!r}")
    return j


