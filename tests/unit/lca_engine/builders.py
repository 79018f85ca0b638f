"""Small builders for hand-checkable systems: flows, background activities, own processes."""

from __future__ import annotations

from lca_engine import Method, build_matrices, compute_footprint, compute_intensity_table
from lca_engine.matrices import MatrixSystem
from lca_engine.model import (
    Allocation,
    AllocationMethod,
    BackgroundSystem,
    DataType,
    ElementaryFlow,
    Emission,
    FlowKind,
    Link,
    LinkKind,
    Origin,
    Process,
    ProductModel,
    ProductOutput,
    SupplierFootprint,
    TechnosphereInput,
)
from lca_engine.result import FootprintResult

CO2 = ElementaryFlow("co2", "Carbon dioxide, fossil", "kg", "CO2", Origin.FOSSIL)
CH4 = ElementaryFlow("ch4", "Methane, fossil", "kg", "CH4", Origin.FOSSIL)
N2O = ElementaryFlow("n2o", "Dinitrogen monoxide", "kg", "N2O", Origin.FOSSIL)
CH4_BIO = ElementaryFlow("ch4-bio", "Methane, biogenic", "kg", "CH4", Origin.BIOGENIC)
CO2_BIO = ElementaryFlow("co2-bio", "Carbon dioxide, biogenic", "kg", "CO2", Origin.BIOGENIC)
CO2_UPTAKE = ElementaryFlow("co2-uptake", "Carbon dioxide, in air", "kg", "CO2",
                            Origin.BIOGENIC, FlowKind.UPTAKE, "natural resource")
CO2_LUC = ElementaryFlow("co2-luc", "Carbon dioxide, land transformation", "kg", "CO2",
                         Origin.LAND_USE_CHANGE)
WATER = ElementaryFlow("water", "Water", "m3", None)
FLOWS = (CO2, CH4, N2O, CH4_BIO, CO2_BIO, CO2_UPTAKE, CO2_LUC, WATER)


def bg(target: str) -> Link:
    return Link(LinkKind.BACKGROUND, target)


def own(target: str, product: str | None = None) -> Link:
    return Link(LinkKind.PROCESS, target, product)


def supplier(target: str) -> Link:
    return Link(LinkKind.SUPPLIER, target)


def inp(name: str, amount: float, unit: str, link: Link, **kw: object) -> TechnosphereInput:
    return TechnosphereInput(name, amount, unit, link, **kw)  # type: ignore[arg-type]


def em(flow: str, amount: float, unit: str = "kg",
       data_type: DataType = DataType.PRIMARY) -> Emission:
    return Emission(flow, amount, unit, data_type)


def activity(identifier: str, unit: str, inputs: tuple[TechnosphereInput, ...] = (),
             emissions: tuple[Emission, ...] = (), amount: float = 1.0,
             tags: frozenset[str] = frozenset()) -> Process:
    return Process(identifier, identifier, (ProductOutput(identifier, identifier, amount, unit),),
                   inputs, emissions, tags=tags)


def process(identifier: str, products: tuple[ProductOutput, ...],
            inputs: tuple[TechnosphereInput, ...] = (), emissions: tuple[Emission, ...] = (),
            allocation: AllocationMethod | None = None,
            factors: tuple[tuple[str, float], ...] = (),
            tags: frozenset[str] = frozenset()) -> Process:
    rule = Allocation(allocation, factors) if allocation else None
    return Process(identifier, identifier, products, inputs, emissions, rule, tags=tags)


def product(identifier: str, amount: float = 1.0, unit: str = "kg", **kw: object) -> ProductOutput:
    return ProductOutput(identifier, identifier, amount, unit, **kw)  # type: ignore[arg-type]


def model(processes: tuple[Process, ...], reference: str = "main",
          suppliers: tuple[SupplierFootprint, ...] = (), declared_unit: str = "kg",
          declared_amount: float = 1.0, reference_product: str | None = None) -> ProductModel:
    return ProductModel("p1", "Test product", declared_unit, reference, processes,
                        declared_amount, reference_product, suppliers)


def loop_background() -> BackgroundSystem:
    """Electricity uses 0.4 kg coal per kWh; coal uses 0.05 kWh per kg.

    λ_elec = 0.8 + 0.4 λ_coal, λ_coal = 0.01 GWP_CH4 + 0.05 λ_elec.
    """
    return BackgroundSystem(FLOWS, (
        activity("elec", "kWh", (inp("coal", 0.4, "kg", bg("coal")),), (em("co2", 0.8),)),
        activity("coal", "kg", (inp("power", 0.05, "kWh", bg("elec")),), (em("ch4", 0.01),)),
        activity("box", "kg", (inp("power", 0.5, "kWh", bg("elec")),),
                 (em("co2-uptake", 1.5), em("co2-luc", 0.02)), tags=frozenset({"packaging"})),
        activity("flight", "tkm", (), (em("co2", 0.6),), tags=frozenset({"aircraft"})),
        activity("credit-source", "kg", (), (em("co2", 0.5),)),
    ))


def footprint(processes: tuple[Process, ...], background: BackgroundSystem | None = None,
              method: Method | None = None, **kw: object) -> FootprintResult:
    system = build_matrices(background or loop_background())
    table = compute_intensity_table(system, method or Method())
    return compute_footprint(model(processes, **kw), system, table)  # type: ignore[arg-type]


def compiled(background: BackgroundSystem | None = None) -> MatrixSystem:
    return build_matrices(background or loop_background())
