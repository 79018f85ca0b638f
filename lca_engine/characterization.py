"""Reporting categories (PACT v3 names) and their characterisation with IPCC GWP100 values:
the `globalwarmingpotentials` package for the gases it has, the engine's species table
(`lca_engine.species`) for the rest, and methane by origin (`ORIGIN_SPECIFIC`).

The finest split the engine solves for is the *gas group*: one (gas, origin, kind) triple,
such as fossil CH4 or biogenic CO2 uptake. Every reporting category except aircraft is a fixed
sum of gas groups, so category totals and the by-gas breakdown add up exactly. Aircraft
emissions are the excluding-uptake total restricted to processes tagged `aircraft`; packaging
is attributed in the foreground, to inputs flagged as packaging. `GasGroup.sign_in` is the
rule; which flows land in which group is decided when data is imported (`background_db.ghg`):

    category (PACT v3 field: its definition)        flows counted (examples)          sign
    pcf_excluding_biogenic_uptake                   every emission to air of every    +1
      (pcfExcludingBiogenicUptake: all fossil,      gas with a GWP: fossil, biogenic,
      land-sector and biogenic emissions;           land-use change
      excluding biogenic product CO2 uptake)
    pcf_including_biogenic_uptake                   the same emissions                +1
      (pcfIncludingBiogenicUptake: the above        CO2 taken up from air ("Carbon    -1
      plus biogenic product CO2 uptake)             dioxide, in air", a resource)
    fossil_ghg_emissions (fossilGhgEmissions:       "Carbon dioxide, fossil", "Methane, +1
      fossil fuel combustion, fugitive and          fossil"; gases whose name gives no
      process emissions)                            origin: N2O, HFCs, PFCs, SF6, ...
    biogenic_co2_emissions (no v3 field; kept       "Carbon dioxide, non-fossil",      +1
      so PACT v2's values can be derived)           "..., biogenic"
    biogenic_co2_uptake (biogenicCO2Uptake:         "Carbon dioxide, in air", "...,    -1
      temporary CO2 uptake of biomass in the        from air", "..., resource
      product at the factory gate)                  correction", CO2 as a resource
    biogenic_non_co2_emissions (biogenicNonCO2-     "Methane, non-fossil", "...,       +1
      Emissions: CH4 from land management and       biogenic" (CH4 and any other gas
      biomass degradation)                          named biogenic)
    land_use_change_ghg_emissions (landUseChange-   "Carbon dioxide, from soil or      +1
      GhgEmissions: emissions from land-use         biomass stock", "Methane, from
      change that cause carbon stock loss)          soil or biomass stock", "...,
                                                    land transformation"
    aircraft_ghg_emissions (aircraftGhgEmissions:   the excluding-uptake emissions of  +1
      aircraft engine use, excluding biogenic       activities and own processes
      CO2 uptake)                                   tagged `aircraft`
    packaging_ghg_emissions (packagingGhg-          the excluding-uptake value of      +1
      Emissions: excluding biogenic CO2 uptake)     inputs flagged `packaging`

Counted nowhere: "Carbon dioxide, to soil or biomass stock" (carbon put into land stocks: a
removal PACT v3 reports as `landManagementBiogenicCO2Removals`, subject to traceability,
which the engine does not report, so neither pcf total includes the removals PACT v3 puts
in them; ecoinvent's IPCC methods count it -1); emissions to water or soil; gases without a
GWP100 value. Land-use-change and biogenic flows also count in both
pcf totals; land-use change is not also fossil or biogenic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.metadata import version

import globalwarmingpotentials

from lca_engine.errors import ModelError, UnknownGasError
from lca_engine.model import ElementaryFlow, FlowKind, Origin
from lca_engine.species import GwpValue, species_table

GWP_SETS = {"AR5": "AR5GWP100", "AR6": "AR6GWP100"}
NEWEST_GWP_SET = "AR6"

#: Values that depend on the carbon's origin, which the package's tables do not split.
#: Fossil methane counts the CO2 its oxidation adds to the atmosphere, and so does methane
#: from soil or biomass stocks lost to land-use change (stored carbon, as ecoinvent's IPCC
#: 2021 method also treats it); biogenic methane does not: its carbon was taken up from the
#: air just before.
ORIGIN_SPECIFIC: dict[tuple[str, str, str], GwpValue] = {
    ("AR6", "CH4", "fossil"): GwpValue(
        29.8, "IPCC AR6 WG1 (2021), Chapter 7, Table 7.15: CH4-fossil, GWP-100"),
    ("AR6", "CH4", "non-fossil"): GwpValue(
        27.0, "IPCC AR6 WG1 (2021), Chapter 7, Table 7.15: CH4-non fossil, GWP-100"),
    ("AR5", "CH4", "fossil"): GwpValue(
        30.0, "IPCC AR5 WG1 (2013), Chapter 8, Table 8.A.1 and its note on fossil methane "
              "(28 plus 2 for the CO2 its oxidation adds), GWP-100 without climate-carbon "
              "feedbacks"),
    ("AR5", "CH4", "non-fossil"): GwpValue(
        28.0, "IPCC AR5 WG1 (2013), Chapter 8, Table 8.7 and Table 8.A.1: CH4, GWP-100 "
              "without climate-carbon feedbacks"),
}
_PACKAGE_TABLES = {"AR5": "IPCC AR5 WG1 (2013), Chapter 8, Table 8.A.1",
                   "AR6": "IPCC AR6 WG1 (2021), Chapter 7, Table 7.SM.7"}
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

    @classmethod
    def from_key(cls, key: str) -> GasGroup | None:
        """The group a by-gas key names ("CH4 (fossil)", "CO2 (biogenic, uptake)"), or None
        for keys that are not one gas (a supplier's total)."""
        gas, _, rest = key.partition(" (")
        origin, _, uptake = rest.rstrip(")").partition(", ")
        try:
            return cls(gas, Origin(origin), FlowKind.UPTAKE if uptake == "uptake"
                       else FlowKind.EMISSION)
        except ValueError:
            return None

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
        specific = ";".join(f"{k}={v.value}" for k, v in sorted(ORIGIN_SPECIFIC.items())
                            if k[0] == self.gwp_set)
        text = (f"{self.gwp_set}|{self.source}|{specific}|species {species_table().digest}|"
                f"{','.join(TABLE_CATEGORIES)}")
        return hashlib.sha256(text.encode()).hexdigest()

    def gwp(self, gas: str, origin: Origin = Origin.FOSSIL) -> float:
        """GWP100 of *gas* of *origin* in this set; CO2 is 1 by definition."""
        return self.gwp_value(gas, origin).value

    def gwp_value(self, gas: str, origin: Origin = Origin.FOSSIL) -> GwpValue:
        """GWP100 of *gas* of *origin* and its citation: the origin-specific table for
        methane, the `globalwarmingpotentials` package for the gases it has, the species
        table (`lca_engine.species`) for the rest. A gas this set holds no value for is
        given its AR6 value, and the citation says so (PACT v3 then lists both reports in
        `ipccCharacterizationFactors`)."""
        if gas == "CO2":
            return GwpValue(1.0, "CO2 is the reference gas (1 by definition)")
        # carbon from a stock (fossil, or soil and biomass lost to land-use change) adds the
        # CO2 of its oxidation; only recently fixed, biogenic carbon does not
        split = "non-fossil" if origin is Origin.BIOGENIC else "fossil"
        specific = ORIGIN_SPECIFIC.get((self.gwp_set, gas, split))
        if specific is not None:
            return specific
        package = globalwarmingpotentials.data[GWP_SETS[self.gwp_set]]
        if gas in package:
            return GwpValue(float(package[gas]), f"{_PACKAGE_TABLES[self.gwp_set]}: {gas}, "
                                                 f"GWP-100 (via {_gwp_source()})")
        species = species_table().get(gas)
        own = None if species is None else species.gwp100(self.gwp_set)
        if own is not None:
            return own
        if species is not None and self.gwp_set != NEWEST_GWP_SET:
            newest = Method(NEWEST_GWP_SET).gwp_value(gas, origin)
            return GwpValue(newest.value, f"{newest.citation}; IPCC {self.gwp_set} gives no "
                                          f"value this engine holds for {gas}, so the AR6 "
                                          f"value is used")
        raise UnknownGasError(f"gas {gas!r} has no GWP100 value in IPCC {self.gwp_set}")

    def citations(self, keys: Iterable[str]) -> tuple[tuple[str, float, str], ...]:
        """(by-gas key, GWP100, citation) for every key that names one gas: what a result
        states about the values it used."""
        found = []
        for key in keys:
            group = GasGroup.from_key(key)
            if group is not None:
                cited = self.gwp_value(group.gas, group.origin)
                found.append((key, cited.value, cited.citation))
        return tuple(sorted(found))

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
            value = self.gwp(flow.gas, flow.origin)
        except UnknownGasError as exc:
            raise UnknownGasError(f"flow {flow.id!r} ({flow.name}): {exc}") from None
        return GasGroup(flow.gas, flow.origin, flow.kind), value
