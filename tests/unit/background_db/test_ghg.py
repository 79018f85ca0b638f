"""Recognising greenhouse-gas flows by CAS number, name and compartment."""

from __future__ import annotations

import pytest

from background_db.ghg import classify_flow, direction_conflict, normal_name, species_of
from lca_engine.model import FlowKind, Origin
from lca_engine.species import Species, species_table


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


class TestEverySpeciesByEveryName:
    @pytest.mark.parametrize("species", species_table().species,
                             ids=[s.key for s in species_table().species])
    def test_each_name_and_cas_of_a_species_finds_it(self, species: Species) -> None:
        for name in species.names:
            assert (name, species_of(name)) == (name, species.key)
        for cas in species.cas:
            assert species_of("no such name", cas) == species.key
            assert species_of("no such name", "000" + cas) == species.key  # ecoinvent's zeros

    def test_no_two_species_share_a_folded_name(self) -> None:
        seen: dict[str, str] = {}
        for species in species_table().species:
            for name in species.names:
                assert seen.setdefault(normal_name(name), species.key) == species.key, name


class TestNamesAreMatchedRobustly:
    @pytest.mark.parametrize(("name", "gas"), [
        ("Ethane, 1,2-dichloro-", "CH2ClCH2Cl"),
        ("1,2-dichloroethane", "CH2ClCH2Cl"),
        ("1,2-DICHLOROETHANE", "CH2ClCH2Cl"),
        ("1, 2 - dichloro ethane", "CH2ClCH2Cl"),
        ("Ethane, chloro-", "CH3CH2Cl"),
        ("Monochloroethane", "CH3CH2Cl"),
        ("Ethene, tetrachloro-", "CCl2CCl2"),
        ("Perfluoropentane", "C5F12"),
        ("Methane, chloro-fluoro-, HCFC-31", "HCFC31"),
        ("Bromopropane", "nC3H7Br"),
        ("Ethane, trifluoro-, HFC-143", "HFC143"),  # the code decides what the name leaves open
        ("Ethane, 2-chloro-1,1,1,2-tetra-fluoro-, HCFC-124", "HCFC124"),
        ("Ethane, 1,1,1-trichloro-, HCFC-140", "CH3CCl3"),  # ecoinvent's code for CH3CCl3
        ("Methane, tetrachloro-, CFC-10", "CCl4"),  # SimaPro's
        ("Methane, tetrafluoro-, FC-14", "CF4"),  # US LCI's
        ("R 134a (tetrafluoroethane)", "HFC134a"),
        ("R134a", "HFC134a"),
        ("HFO-1234ze(E)", "HFO1234zeE"),
        ("HFO-1234ze(Z)", "HFO1234zeZ"),
        ("HG'-01", "HGp01"),
        ("HG-01", "HFE338pcc13"),
        ("Ethane", "C2H6"),
        ("Propane", "C3H8"),
        ("Butane", "C4H10"),
    ])
    def test_finds_the_gas(self, name: str, gas: str) -> None:
        assert species_of(name) == gas

    @pytest.mark.parametrize("name", [
        "Ethene", "Ethanol", "Ethane thiol", "Ethane, 1,1,2-trichloro-", "Methanol",
        "Methanesulfonic acid", "Carbon monoxide, fossil", "Dinitrogen tetroxide",
        "Propane, 2-methyl-", "HFO-1234ze",  # which isomer? neither
        "n butane, kg C",  # an amount of carbon, not of butane
        "Ethane, some-unknown-fluoro-, HFC-9999",
    ])
    def test_does_not_misfire(self, name: str) -> None:
        assert species_of(name) is None

    @pytest.mark.parametrize(("name", "gas"), [
        ("Ethane, 1,1,1,2-tetrafluoro-", "HFC134a"),  # not ethane
        ("Ethane, 1,1,1,2-tetrafluoro", "HFC134a"),  # the trailing hyphen forgotten
        ("Methane, bromo-", "CH3Br"),  # not methane
        ("Methane, bromo-, Halon 1001", "CH3Br"),
        ("Methane, dichloro-, HCC-30", "CH2Cl2"),
        ("Butane, 1-chloro-", "nC4H9Cl"),  # not butane
    ])
    def test_a_parent_named_with_substituents_is_not_the_parent(self, name: str,
                                                                gas: str) -> None:
        assert classify_flow(name, "air") == (gas, Origin.FOSSIL, FlowKind.EMISSION)


class TestOriginAndUptake:
    @pytest.mark.parametrize(("name", "compartment", "expected"), [
        ("Carbon dioxide, from soil or biomass stock", "air/unspecified",
         ("CO2", Origin.LAND_USE_CHANGE, FlowKind.EMISSION)),
        ("Methane, from soil or biomass stock", "air/non-urban air or from high stacks",
         ("CH4", Origin.LAND_USE_CHANGE, FlowKind.EMISSION)),
        ("Methane, land transformation", "Emissions to air", ("CH4", Origin.LAND_USE_CHANGE,
                                                              FlowKind.EMISSION)),
        ("carbon dioxide (land use change)", "Emissions to air",
         ("CO2", Origin.LAND_USE_CHANGE, FlowKind.EMISSION)),
        ("methane (biotic)", "Emissions to air", ("CH4", Origin.BIOGENIC, FlowKind.EMISSION)),
        ("Carbon dioxide, non-fossil, resource correction", "natural resource/in air",
         ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE)),
        ("carbon dioxide", "Resources/Resources from air",
         ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE)),
        ("Carbon dioxide, from air", "", ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE)),
        ("Dinitrogen monoxide", "air", ("N2O", Origin.FOSSIL, FlowKind.EMISSION)),
    ])
    def test_reads_origin_and_uptake_off_name_and_compartment(
            self, name: str, compartment: str, expected: tuple[str, Origin, FlowKind]) -> None:
        assert classify_flow(name, compartment) == expected

    @pytest.mark.parametrize(("name", "compartment"), [
        ("Carbon dioxide, to soil or biomass stock", "soil/unspecified"),
        ("Carbon dioxide, to soil or biomass stock", ""),  # carbon stored in land, not air
        ("Carbon dioxide, to soil or biomass stock", "air"),
        ("Carbon dioxide, fossil", "natural resource/in air"),  # refused by the importers
        ("Chloroform", "water/surface water"),
    ])
    def test_is_not_a_flow_to_or_from_air(self, name: str, compartment: str) -> None:
        assert classify_flow(name, compartment, "124-38-9" if "arbon" in name else "") == (
            None, Origin.NONE, FlowKind.EMISSION)


class TestDirection:
    @pytest.mark.parametrize(("name", "compartment", "cas"), [
        ("Carbon dioxide, in air", "air", ""),
        ("Carbon dioxide, in air", "natural resource/in air", "124-38-9"),
        ("Carbon dioxide, from air", "Elementary flows/Emission to air/unspecified", ""),
        ("CO2 taken up by the crop", "Resources/in air", "124-38-9"),
    ])
    def test_co2_taken_up_cannot_be_an_emission(self, name: str, compartment: str,
                                                cas: str) -> None:
        problem = direction_conflict(name, compartment, cas, from_nature=False)
        assert problem is not None
        assert "taken up from the air" in problem
        assert direction_conflict(name, compartment, cas, from_nature=True) is None

    @pytest.mark.parametrize(("name", "compartment"), [
        ("Methane, fossil", "Resources/in ground"),
        ("Methane, fossil", "air"),
        ("Carbon dioxide, fossil", "natural resource/in air"),
        ("Sulfur hexafluoride", ""),
    ])
    def test_an_emitted_gas_cannot_be_a_resource(self, name: str, compartment: str) -> None:
        problem = direction_conflict(name, compartment, "", from_nature=True)
        assert problem is not None
        assert "emitted to air" in problem

    @pytest.mark.parametrize(("name", "compartment", "from_nature"), [
        ("Carbon dioxide, fossil", "air", False),
        ("Water", "natural resource/in water", True),
        ("Methane", "water/river", True),  # not a greenhouse-gas flow: not this module's
        ("Carbon dioxide, to soil or biomass stock", "soil", False),
    ])
    def test_agreeing_or_unrelated_flows_pass(self, name: str, compartment: str,
                                              from_nature: bool) -> None:
        assert direction_conflict(name, compartment, "", from_nature=from_nature) is None
