"""Allocation of multi-output processes: split one process into single-output columns.

Physical (mass, energy) and economic allocation share inputs and emissions in proportion to
amount x property per unit; explicit factors must sum to 1; system expansion keeps all
burdens on the reference product and credits each co-product with what it substitutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lca_engine.errors import AllocationError, UnitError
from lca_engine.model import (
    AllocationMethod,
    Process,
    ProductOutput,
    TechnosphereInput,
    require_finite,
)
from lca_engine.units import conversion_factor

FACTOR_TOLERANCE = 1e-9
_PROPERTY = {AllocationMethod.MASS: ("mass", "kg"), AllocationMethod.ENERGY: ("energy", "MJ"),
             AllocationMethod.ECONOMIC: ("price", None)}


@dataclass(frozen=True, slots=True)
class AllocatedProcess:
    """One product of a process with its share (*factor*) of the process's inputs and
    emissions, and under system expansion the credits for the co-products."""

    process: Process
    product: ProductOutput
    factor: float
    credits: tuple[TechnosphereInput, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.process.id, self.product.id)

    @property
    def label(self) -> str:
        if len(self.process.products) > 1:
            return f"{self.process.name} [{self.product.name}]"
        return self.process.name


def allocate(process: Process) -> tuple[AllocatedProcess, ...]:
    """Split *process* into one column per allocated product (one for system expansion)."""
    where = f"process {process.id!r} ({process.name})"
    if not process.products:
        raise AllocationError(f"{where} has no product output")
    if len(process.products) == 1:
        return (AllocatedProcess(process, process.products[0], 1.0),)
    names = ", ".join(repr(p.id) for p in process.products)
    if process.allocation is None:
        raise AllocationError(
            f"{where} has {len(process.products)} products ({names}) but no allocation rule; "
            f"choose mass, energy, economic, factors or system_expansion"
        )
    method = process.allocation.method
    if method is AllocationMethod.SYSTEM_EXPANSION:
        return (_system_expansion(process, where),)
    if method is AllocationMethod.FACTORS:
        factors = _explicit_factors(process, where)
    else:
        factors = _property_factors(process, method, where)
    return tuple(AllocatedProcess(process, p, f) for p, f in zip(process.products, factors,
                                                                  strict=True))


def _explicit_factors(process: Process, where: str) -> list[float]:
    assert process.allocation is not None
    given = dict(process.allocation.factors)
    ids = [p.id for p in process.products]
    unknown = sorted(set(given) - set(ids))
    if unknown:
        raise AllocationError(f"{where}: allocation factor for unknown product {unknown[0]!r}")
    missing = [i for i in ids if i not in given]
    if missing:
        raise AllocationError(f"{where}: no allocation factor for product {missing[0]!r}")
    factors = []
    for product_id in ids:
        value = require_finite(given[product_id], f"{where}, allocation factor of "
                               f"{product_id!r}", non_negative=True)
        if value > 1.0:
            raise AllocationError(f"{where}: allocation factor of {product_id!r} is {value!r}, "
                                  f"above 1")
        factors.append(value)
    total = math.fsum(factors)
    if abs(total - 1.0) > FACTOR_TOLERANCE:
        raise AllocationError(
            f"{where}: allocation factors sum to {total!r}, not 1 "
            f"({', '.join(f'{i}={v!r}' for i, v in zip(ids, factors, strict=True))})"
        )
    return factors


def _property_factors(process: Process, method: AllocationMethod, where: str) -> list[float]:
    prop, unit = _PROPERTY[method]
    bases = []
    for product in process.products:
        at = f"{where}, product {product.id!r}"
        amount = require_finite(product.amount, at, positive=True)
        per_unit = product.property(prop)
        if per_unit is None and unit is not None:
            try:
                per_unit = conversion_factor(product.unit, unit)
            except UnitError:
                per_unit = None
        if per_unit is None:
            raise AllocationError(
                f"{at}: {method.value} allocation needs the property {prop!r} "
                f"({unit or 'price'} per {product.unit}), which is missing"
            )
        per_unit = require_finite(per_unit, f"{at}, property {prop!r}", non_negative=True)
        bases.append(amount * per_unit)
    total = math.fsum(bases)
    if total <= 0:
        raise AllocationError(f"{where}: the {method.value} of all products is zero; "
                              f"nothing to allocate by")
    return [b / total for b in bases]


def _system_expansion(process: Process, where: str) -> AllocatedProcess:
    reference, *coproducts = process.products
    credits = []
    for product in coproducts:
        if product.substitutes is None:
            raise AllocationError(
                f"{where}: co-product {product.id!r} has no 'substitutes' link; system "
                f"expansion needs the product it displaces"
            )
        amount = require_finite(product.amount, f"{where}, product {product.id!r}",
                                positive=True)
        credits.append(TechnosphereInput(
            name=f"avoided {product.name}", amount=-amount, unit=product.unit,
            link=product.substitutes,
        ))
    return AllocatedProcess(process, reference, 1.0, tuple(credits))
