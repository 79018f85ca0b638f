"""Recognising greenhouse-gas flows by CAS number, name and compartment."""

from __future__ import annotations

import pytest

from background_db.ghg import classify_flow
from lca_engine.model import FlowKind, Origin


@pytest.mark.parametrize(("name", "compartment", "cas", "expected"), [
    ("Carbon dioxide, fossil", "air/urban air close to ground", "",
     ("CO2", Origin.FOSSIL, FlowKind.EMISSION)),
    ("Carbon dioxide, non-fossil", "Emission to air", "", ("CO2", Origin.BIOGENIC,
                                                           FlowKind.EMISSION)),
    ("Carbon dioxide, in air", "natural resource/in air", "",
     ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE)),
    ("Carbon dioxide, from soil or biomass stock", "air", "",
     ("CO2", Origin.LAND_USE_CHANGE, FlowKind.EMISSION)),
    ("Methane, biogenic", "Elementary flows/Emission to air/unspecified", "",
     ("CH4", Origin.BIOGENIC, FlowKind.EMISSION)),
    ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", "air", "",
     ("HFC134a", Origin.FOSSIL, FlowKind.EMISSION)),
    ("Sulfur hexafluoride", "air", "", ("SF6", Origin.FOSSIL, FlowKind.EMISSION)),
    ("nitrous oxide", "air", "10024-97-2", ("N2O", Origin.FOSSIL, FlowKind.EMISSION)),
    ("anything", "air", "0074-82-8", ("CH4", Origin.FOSSIL, FlowKind.EMISSION)),
])
def test_recognises_greenhouse_gases(name: str, compartment: str, cas: str,
                                     expected: tuple[str, Origin, FlowKind]) -> None:
    assert classify_flow(name, compartment, cas) == expected


@pytest.mark.parametrize(("name", "compartment"), [
    ("Methane", "Emissions to water/river"),
    ("Carbon dioxide, fossil", "Emissions to soil/agricultural"),
    ("Water", "air"),
    ("Methane, fossil", "Resources/in ground"),
    ("Ethane, some-unknown-fluoro-, HFC-9999", "air"),
])
def test_ignores_what_is_not_a_greenhouse_gas_to_air(name: str, compartment: str) -> None:
    assert classify_flow(name, compartment) == (None, Origin.NONE, FlowKind.EMISSION)
