"""Small datasets for release tests."""

from __future__ import annotations

from dataclasses import replace

from background_db.records import (
    ActivityRecord,
    Dataset,
    DatasetRole,
    ElementaryRecord,
    FlowRecord,
    InputRecord,
)
from lca_engine.model import Origin

CO2 = FlowRecord("co2", "Carbon dioxide, fossil", "kg", "air", "124-38-9", "CO2",
                 Origin.FOSSIL)
CH4 = FlowRecord("ch4", "Methane, fossil", "kg", "air", "74-82-8", "CH4", Origin.FOSSIL)


def activity(identifier: str, unit: str, inputs: tuple[tuple[str, float, str], ...] = (),
             co2: float = 0.0, **kw: object) -> ActivityRecord:
    return ActivityRecord(
        id=identifier, name=identifier, reference_product=identifier, unit=unit,
        inputs=tuple(InputRecord(p, a, u, p) for p, a, u in inputs),
        emissions=(ElementaryRecord("co2", co2, "kg"),) if co2 else (),
        **kw)  # type: ignore[arg-type]


def national() -> Dataset:
    """grid (0.5 kg/kWh) <- coal; steel uses grid; cement uses coal only; ore is separate."""
    return Dataset("national", "1.0.0", DatasetRole.BASE, (CO2, CH4), (
        activity("grid", "kWh", (("coal", 0.4, "kg"),), co2=0.5),
        activity("coal", "kg", (("grid", 0.02, "kWh"),), co2=0.05),
        activity("steel", "kg", (("grid", 0.6, "kWh"), ("ore", 1.5, "kg")), co2=1.2),
        activity("cement", "kg", (("coal", 0.1, "kg"),), co2=0.5),
        activity("ore", "kg", (), co2=0.01),
    ))


def shanxi(grid_co2: float = 0.71) -> Dataset:
    """A provincial grid replacing the national one."""
    return Dataset("shanxi", "0.1.0", DatasetRole.EXTENSION, (CO2,), (
        activity("grid-sx", "kWh", (("coal", 0.45, "kg"),), co2=grid_co2, replaces="grid",
                 geography="CN-SX"),
        activity("alu-sx", "kg", (("grid-sx", 13.5, "kWh"),), co2=1.6, geography="CN-SX"),
    ))


def with_activity(dataset: Dataset, identifier: str, **changes: object) -> Dataset:
    activities = tuple(replace(a, **changes) if a.id == identifier else a  # type: ignore[arg-type]
                       for a in dataset.activities)
    return replace(dataset, activities=activities)
