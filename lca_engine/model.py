"""The engine's value objects: elementary flows, processes with their exchanges, product
models and supplier footprints. Everything here is a frozen dataclass with no behaviour beyond
validation of its own fields; building and solving matrices lives in other modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from lca_engine.errors import DuplicateIdError, InvalidAmountError


class Origin(StrEnum):
    """Where the carbon of an elementary flow comes from (PACT / ISO 14067 split)."""

    FOSSIL = "fossil"
    BIOGENIC = "biogenic"
    LAND_USE_CHANGE = "land_use_change"
    NONE = "none"


class FlowKind(StrEnum):
    """An emission to the environment, or an uptake from it (biogenic CO2 in biomass)."""

    EMISSION = "emission"
    UPTAKE = "uptake"


class LinkKind(StrEnum):
    """What a technosphere input is linked to."""

    BACKGROUND = "background"  # an activity of the background release
    PROCESS = "process"  # one of the enterprise's own processes
    SUPPLIER = "supplier"  # a supplier's published per-unit footprint


class DataType(StrEnum):
    """PACT data type: primary (site- or supplier-specific) or secondary (database)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


class AllocationMethod(StrEnum):
    """How the burdens of a multi-output process are shared among its products."""

    MASS = "mass"
    ENERGY = "energy"
    ECONOMIC = "economic"
    FACTORS = "factors"  # explicit factors given by the modeller
    SYSTEM_EXPANSION = "system_expansion"  # co-products credited with what they substitute


def require_finite(value: float, where: str, *, positive: bool = False,
                   non_negative: bool = False) -> float:
    """Return *value* as a float, or raise InvalidAmountError naming *where*."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidAmountError(f"{where}: amount {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidAmountError(f"{where}: amount {value!r} is not finite")
    if positive and number <= 0.0:
        raise InvalidAmountError(f"{where}: amount {value!r} must be greater than zero")
    if non_negative and number < 0.0:
        raise InvalidAmountError(f"{where}: amount {value!r} must not be negative")
    return number


def check_unique(ids: Iterable[str], what: str) -> None:
    """Raise DuplicateIdError naming the first id that appears twice."""
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise DuplicateIdError(f"{what} id {item!r} appears more than once")
        seen.add(item)


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """An amount's uncertainty: a distribution name and its parameters (ILCD / ecoinvent
    conventions: lognormal takes the geometric standard deviation `gsd`)."""

    distribution: str
    parameters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class DataQuality:
    """PACT data-quality ratings, 1 (best) to 5 (worst); None where not rated."""

    technological: float | None = None
    temporal: float | None = None
    geographical: float | None = None
    completeness: float | None = None
    reliability: float | None = None

    def ratings(self) -> tuple[float, ...]:
        """The ratings given, in PACT's order."""
        return tuple(r for r in (self.technological, self.temporal, self.geographical,
                                 self.completeness, self.reliability) if r is not None)


@dataclass(frozen=True, slots=True)
class ElementaryFlow:
    """A flow between the technosphere and the environment, measured in *unit*.

    *gas* is the key of the gas in the IPCC tables ("CO2", "CH4", "N2O", "SF6", "HFC134a",
    ...); None for flows that are not greenhouse gases.
    """

    id: str
    name: str
    unit: str = "kg"
    gas: str | None = None
    origin: Origin = Origin.NONE
    kind: FlowKind = FlowKind.EMISSION
    compartment: str = "air"


@dataclass(frozen=True, slots=True)
class Link:
    """The provider of an input: a background activity id, an own process id (with the
    product id for a multi-output provider), or a supplier footprint id."""

    kind: LinkKind
    target: str
    product: str | None = None

    def describe(self) -> str:
        suffix = f" (product {self.product!r})" if self.product else ""
        return f"{self.kind.value} {self.target!r}{suffix}"


@dataclass(frozen=True, slots=True)
class TechnosphereInput:
    """An input of a product to a process, *amount* in *unit* per the process's outputs.

    An *avoided* input is a product the process displaces (openLCA's avoided product,
    ecoinvent's negative input): its amount is negative and earns a credit of the provider's
    value."""

    name: str
    amount: float
    unit: str
    link: Link
    packaging: bool = False
    data_type: DataType = DataType.SECONDARY
    uncertainty: Uncertainty | None = None
    quality: DataQuality | None = None
    avoided: bool = False


@dataclass(frozen=True, slots=True)
class Emission:
    """A direct exchange of the process with the environment (an emission or an uptake)."""

    flow: str
    amount: float
    unit: str
    data_type: DataType = DataType.PRIMARY
    uncertainty: Uncertainty | None = None


@dataclass(frozen=True, slots=True)
class ProductOutput:
    """A product a process makes. *properties* hold allocation bases per unit of product:
    `mass` (kg), `energy` (MJ), `price` (any one currency). *substitutes* names what a
    co-product displaces under system expansion."""

    id: str
    name: str
    amount: float
    unit: str
    properties: tuple[tuple[str, float], ...] = ()
    substitutes: Link | None = None

    def property(self, name: str) -> float | None:
        for key, value in self.properties:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Allocation:
    """The allocation rule of a multi-output process."""

    method: AllocationMethod
    factors: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Process:
    """A unit process: its products, technosphere inputs and direct elementary exchanges.

    Amounts are per the output amounts stated in *products*. The first product is the
    reference product. *tags* mark processes for reporting categories (`aircraft`,
    `packaging`).
    """

    id: str
    name: str
    products: tuple[ProductOutput, ...]
    inputs: tuple[TechnosphereInput, ...] = ()
    emissions: tuple[Emission, ...] = ()
    allocation: Allocation | None = None
    location: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def reference_product(self) -> ProductOutput:
        return self.products[0]


@dataclass(frozen=True, slots=True)
class SupplierFootprint:
    """A supplier's published footprint per *declared_unit* of its product (PACT style).

    *values* maps reporting category names to kg CO2e per declared unit.
    """

    id: str
    company: str
    product_name: str
    declared_unit: str
    values: tuple[tuple[str, float], ...]
    primary_data_share: float | None = None
    gwp_set: str = "AR6"
    source: str = ""

    def value(self, category: str) -> float:
        for key, amount in self.values:
            if key == category:
                return amount
        return 0.0


@dataclass(frozen=True, slots=True)
class BackgroundSystem:
    """A background database as the engine sees it: elementary flows and single-output
    activities whose inputs all link to other activities of the same system."""

    flows: tuple[ElementaryFlow, ...]
    activities: tuple[Process, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An input or process left out of the model under a cut-off rule, with its estimated
    share (percent) of the footprint, as ISO 14067 6.3.4 asks the study to state."""

    name: str
    share_percent: float
    reason: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.share_percent) or not 0 <= self.share_percent <= 100:
            raise InvalidAmountError(f"exclusion {self.name!r}: the estimated share is 0 to "
                                     f"100 %, got {self.share_percent!r}")


@dataclass(frozen=True, slots=True)
class ProductModel:
    """An enterprise's product: its own processes, the process and product that deliver the
    declared unit, the supplier footprints its inputs may link to, and what it leaves out."""

    id: str
    name: str
    declared_unit: str
    reference_process: str
    processes: tuple[Process, ...]
    declared_amount: float = 1.0
    reference_product: str | None = None
    suppliers: tuple[SupplierFootprint, ...] = ()
    flows: tuple[ElementaryFlow, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    # the parameter set the amounts were evaluated under, and the model's and product's
    # parameter values (formulas already evaluated into every amount)
    parameter_set: str = ""
    parameters: tuple[tuple[str, float], ...] = ()
