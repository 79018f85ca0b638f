"""Unit parsing and conversion with pint, including the PACT declared units.

Conversion factors are rounded to 15 significant digits: pint composes prefixes in binary
floating point (1 kWh came out as 3.5999999999999996 MJ), and every factor we convert by is an
exact decimal, so the rounding removes noise rather than information.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache
from typing import Any

import pint

from lca_engine.errors import UnitError, UnitMismatchError, UnknownUnitError

#: PACT declared units (Technical Specifications v2/v3) and the pint expression for each.
PACT_DECLARED_UNITS: dict[str, str] = {
    "liter": "liter",
    "kilogram": "kilogram",
    "cubic meter": "meter ** 3",
    "kilowatt hour": "kilowatt_hour",
    "megajoule": "megajoule",
    "ton kilometer": "tonne * kilometer",
    "square meter": "meter ** 2",
}

# Spellings common in LCA databases that pint does not know.
_ALIASES: dict[str, str] = {
    "tkm": "tonne * kilometer",
    "t*km": "tonne * kilometer",
    "pkm": "person * kilometer",
    "m3": "meter ** 3",
    "m2": "meter ** 2",
    "nm3": "meter ** 3",  # normal cubic metre of gas: a volume at reference conditions
    "kwh": "kilowatt_hour",
    "mwh": "megawatt_hour",
    "gwh": "gigawatt_hour",
    "unit": "item",
    "units": "item",
    "p": "item",
    "pcs": "item",
    "piece": "item",
    "pieces": "item",
    "ea": "item",
    "m2*a": "meter ** 2 * year",
    "m2a": "meter ** 2 * year",
}

_SUPERSCRIPT = re.compile(r"(?<=[a-zA-Z])([23])\b")


@cache
def registry() -> Any:
    """The one unit registry of the engine, with countable items and people added."""
    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.define("item = [item] = pc")
    ureg.define("person = [person]")
    return ureg


def normalise_unit(unit: str) -> str:
    """Map a unit string as written in datasets to an expression pint can parse."""
    text = unit.strip()
    if not text:
        raise UnknownUnitError("empty unit")
    lowered = text.lower()
    if lowered in PACT_DECLARED_UNITS:
        return PACT_DECLARED_UNITS[lowered]
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    return _SUPERSCRIPT.sub(r"**\1", text)


@lru_cache(maxsize=4096)
def _parse(unit: str) -> Any:
    try:
        return registry().Unit(normalise_unit(unit))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError,
            AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise UnknownUnitError(f"unknown unit {unit!r}") from exc


def check_unit(unit: str) -> None:
    """Raise UnknownUnitError if pint cannot parse *unit*."""
    _parse(unit)


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor f such that an amount x in *from_unit* equals x * f in *to_unit*.

    Raises UnitMismatchError when the two units measure different quantities.
    """
    if from_unit == to_unit:
        return 1.0
    source, target = _parse(from_unit), _parse(to_unit)
    try:
        factor = float(registry().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitMismatchError(
            f"cannot convert {from_unit!r} to {to_unit!r}: "
            f"{source.dimensionality} is not {target.dimensionality}"
        ) from exc
    if factor == 0.0 or not math.isfinite(factor):
        raise UnitMismatchError(f"cannot convert {from_unit!r} to {to_unit!r}")
    return float(f"{factor:.15g}")


def factor_at(from_unit: str, to_unit: str, where: object) -> float:
    """`conversion_factor`, with *where* (the exchange, written out only on error) prefixed
    to the message of any unit error."""
    try:
        return conversion_factor(from_unit, to_unit)
    except UnitError as exc:
        raise type(exc)(f"{where}: {exc}") from None
