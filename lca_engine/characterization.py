"""Reporting categories (PACT v3 names) and their characterisation with IPCC GWP100 values
from the `globalwarmingpotentials` package.

The finest split the engine solves for is the *gas group*: one (gas, origin, kind) triple,
such as fossil CH4 or biogenic CO2 uptake. Every reporting category except aircraft is a fixed
sum of gas groups, so category totals and the by-gas breakdown add up exactly. Aircraft
emissions are the excluding-uptake total restricted to processes tagged `aircraft`; packaging
is attributed in the foreground, to inputs flagged as packaging.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.metadata import version

import globalwarmingpotentials

from lca_engine.errors import ModelError, UnknownGasError
from lca_engine.model import ElementaryFlow, FlowKind, Origin

GWP_SETS = {"AR5": "AR5GWP100", "AR6": "AR6GWP100"}
DEFAULT_GWP_SET = "AR6"
AIRCRAFT_TAG = "aircraft"
PACKAGING_TAG = "packaging"


@cache
def _gwp_source() -> str:
    return f"globalwarmingpotentials {version('globalwarmingpotentials')}"


class Category(StrEnum):
    """Reporting categories, named after the PACT v3 `pcf` fields they fill."""

    PCF_EXCLUDING_BIOGENIC_UPTAKE = "pcf_excluding_biogenic_uptake"
    PCF_INCLUDING_BIOGENIC_UPTAKE = "pcf_including_biogenic_uptake"
    FOSSIL_GHG_EMISSIONS = "fossil_ghg_emissions"
    BIOGENIC_CO2_EMISSIONS = "biogenic_co2_emissions"
    BIOGENIC_CO2_UPTAKE = "biogenic_co2_uptake"
    BIOGENIC_NON_CO2_EMISSIONS = "biogenic_non_co2_emissions"
    LAND_USE_CHANGE_GHG_EMISSIONS = "land_use_change_ghg_emissions"
    AIRCRAFT_GHG_EMISSIONS = "aircraft_ghg_emissions"
    PACKAGING_GHG_EMISSIONS = "packaging_ghg_emissions"


#: Categories the intensity table holds; packaging is attributed per product model.
TABLE_CATEGORIES: tuple[Category, ...] = tuple(
    c for c in Category if c is not Category.PACKAGING_GHG_EMISSIONS
)
HEADLINE = Category.PCF_EXCLUDING_BIOGENIC_UPTAKE


@dataclass(frozen=True, slots=True, order=True)
class GasGroup:
    """One gas of one origin, emitted or taken up: the unit of the by-gas breakdown."""

    gas: str
    origin: Origin
    kind: FlowKind

    @property
    def key(self) -> str:
        if self.kind is FlowKind.UPTAKE:
            return f"{self.gas} ({self.origin.value}, uptake)"
        return f"{self.gas} ({self.origin.value})"

    def sign_in(self, category: Category) -> float:
        """+1 or -1 if this group counts in *category* (with that sign), else 0."""
        gas, origin, uptake = self.gas, self.origin, self.kind is FlowKind.UPTAKE
        if uptake:
            counted = category in (Category.PCF_INCLUDING_BIOGENIC_UPTAKE,
                                   Category.BIOGENIC_CO2_UPTAKE)
            return -1.0 if counted else 0.0
        emitted = {
            Category.PCF_EXCLUDING_BIOGENIC_UPTAKE: True,
            Category.PCF_INCLUDING_BIOGENIC_UPTAKE: True,
            Category.FOSSIL_GHG_EMISSIONS: origin is Origin.FOSSIL,
            Category.BIOGENIC_CO2_EMISSIONS: origin is Origin.BIOGENIC and gas == "CO2",
            Category.BIOGENIC_NON_CO2_EMISSIONS: origin is Origin.BIOGENIC and gas != "CO2",
            Category.LAND_USE_CHANGE_GHG_EMISSIONS: origin is Origin.LAND_USE_CHANGE,
        }
        return 1.0 if emitted.get(category, False) else 0.0


@dataclass(frozen=True, slots=True)
class Method:
    """A characterisation method: which IPCC report's GWP100 values apply."""

    gwp_set: str = DEFAULT_GWP_SET

    def __post_init__(self) -> None:
        if self.gwp_set not in GWP_SETS:
            raise ModelError(
                f"unknown GWP set {self.gwp_set!r}; choose one of {', '.join(sorted(GWP_SETS))}"
            )

    @property
    def source(self) -> str:
        return _gwp_source()

    @property
    def label(self) -> str:
        return f"IPCC {self.gwp_set} GWP100"

    @property
    def content_hash(self) -> str:
        text = f"{self.gwp_set}|{self.source}|{','.join(TABLE_CATEGORIES)}"
        return hashlib.sha256(text.encode()).hexdigest()

    def gwp(self, gas: str) -> float:
        """GWP100 of *gas* in this set; CO2 is 1 by definition."""
        if gas == "CO2":
            return 1.0
        table = globalwarmingpotentials.data[GWP_SETS[self.gwp_set]]
        try:
            return float(table[gas])
        except KeyError:
            raise UnknownGasError(
                f"gas {gas!r} has no GWP100 value in IPCC {self.gwp_set}"
            ) from None

    def factor(self, flow: ElementaryFlow) -> tuple[GasGroup, float] | None:
        """The gas group of *flow* and its factor in kg CO2e per flow unit converted to kg,
        or None for flows that are not greenhouse gases."""
        if flow.gas is None:
            return None
        if flow.kind is FlowKind.UPTAKE and not (flow.gas == "CO2" and
                                                 flow.origin is Origin.BIOGENIC):
            raise UnknownGasError(
                f"flow {flow.id!r} ({flow.name}): only biogenic CO2 can be an uptake, "
                f"got {flow.origin.value} {flow.gas}"
            )
        try:
            value = self.gwp(flow.gas)
        except UnknownGasError as exc:
            raise UnknownGasError(f"flow {flow.id!r} ({flow.name}): {exc}") from None
        return GasGroup(flow.gas, flow.origin, flow.kind), value
