"""The packaged greenhouse-gas species table and the GWP100 values the engine takes from it."""

from __future__ import annotations

import globalwarmingpotentials
import pytest

from lca_engine import characterization
from lca_engine.characterization import GWP_SETS, Method
from lca_engine.errors import SpeciesTableError, UnknownGasError
from lca_engine.model import Origin
from lca_engine.species import (
    COLUMNS,
    SpeciesTable,
    cas_check_digit_ok,
    normal_cas,
    parse_table,
    species_table,
)

TABLE = species_table()
PACKAGE = {name: globalwarmingpotentials.data[key] for name, key in GWP_SETS.items()}


class TestTheTable:
    def test_holds_every_ar6_species_of_table_7sm7_it_could_verify(self) -> None:
        # 249 rows in Table 7.SM.7; six whose GWP100 rounds to 0 are left out
        assert len(TABLE) == 243
        assert all(s.gwp100("AR6") is not None for s in TABLE.species)

    def test_covers_every_gas_of_the_package(self) -> None:
        assert set(PACKAGE["AR6"]) <= {s.key for s in TABLE.species}
        assert sum(1 for s in TABLE.species if s.key in PACKAGE["AR6"]) == 86

    @pytest.mark.parametrize("gwp_set", ["AR6", "AR5"])
    def test_repeats_the_package_values_exactly(self, gwp_set: str) -> None:
        for species in TABLE.species:
            own = species.gwp100(gwp_set)
            if species.key in PACKAGE[gwp_set]:
                assert own is not None, species.key
                assert own.value == PACKAGE[gwp_set][species.key], species.key

    def test_every_value_has_a_citation_naming_its_ipcc_table(self) -> None:
        for species in TABLE.species:
            for gwp_set, value in species.values:
                if species.key != "CO2":
                    table = "Table 7.SM.7" if gwp_set == "AR6" else "Table 8.A.1"
                    assert table in value.citation, species.key

    def test_the_gases_the_issue_found_missing_are_there(self) -> None:
        expected = {"C5F12": 9220, "HCFC31": 79.4, "CCl2CCl2": 6.34, "CH2ClCH2Cl": 1.3,
                    "CH3CH2Cl": 0.481, "C2H6": 0.437, "C3H8": 0.02, "C4H10": 0.006,
                    "nC3H7Br": 0.052, "CHClCCl2": 0.044}
        found = {k: TABLE.get(k) for k in expected}
        assert {k: s.gwp100("AR6").value for k, s in found.items() if s and s.gwp100("AR6")
                } == expected

    def test_keys_and_cas_numbers_are_unique_and_well_formed(self) -> None:
        numbers = [c for s in TABLE.species for c in s.cas]
        assert len(numbers) == len(set(numbers))
        assert all(normal_cas(c) == c and cas_check_digit_ok(c) for c in numbers)


class TestParsing:
    HEADER = ",".join(COLUMNS)
    GOOD = 'X1,CH3X,74-82-8,1.5,"IPCC AR6, Table 7.SM.7: X",,,X gas | x-1'

    def test_reads_a_row(self) -> None:
        (species,) = parse_table(f"{self.HEADER}\n{self.GOOD}\n").species
        assert (species.key, species.cas, species.names) == ("X1", ("74-82-8",),
                                                             ("X gas", "x-1"))
        assert species.gwp100("AR5") is None

    @pytest.mark.parametrize(("row", "message"), [
        ('X-1,,,1,cited,,,x', "letters and digits"),
        ('X1,,74-82-9,1,cited,,,x', "not a valid CAS"),  # wrong check digit
        ('X1,,,1,,,,x', "citation"),
        ('X1,,,,,2,cited,x', "no AR6"),
        ('X1,,,1,cited,,,', "no name"),
        ('X1,,,one,cited,,,x', "not a number"),
    ])
    def test_refuses_a_malformed_row_naming_its_line(self, row: str, message: str) -> None:
        with pytest.raises(SpeciesTableError, match=rf"line 2: .*{message}"):
            parse_table(f"{self.HEADER}\n{row}\n")

    def test_refuses_a_key_or_cas_given_twice(self) -> None:
        with pytest.raises(SpeciesTableError, match="line 3: key 'X1' appears twice"):
            parse_table(f"{self.HEADER}\n{self.GOOD}\n{self.GOOD}\n")
        other = self.GOOD.replace("X1,", "X2,")
        with pytest.raises(SpeciesTableError, match="line 3: CAS 74-82-8 is already 'X1'"):
            parse_table(f"{self.HEADER}\n{self.GOOD}\n{other}\n")

    @pytest.mark.parametrize(("text", "expected"), [
        ("000124-38-9", "124-38-9"), ("124389", "124-38-9"), (" 74-82-8 ", "74-82-8"),
        ("CAS 74-82-8", ""), ("", ""), ("12-3", "")])
    def test_normalises_cas_numbers(self, text: str, expected: str) -> None:
        assert normal_cas(text) == expected


class TestTheEngineUsesIt:
    @pytest.mark.parametrize(("gas", "value"), [("HCFC31", 79.4), ("C2H6", 0.437),
                                                 ("CH2ClCH2Cl", 1.3), ("HFO1234yf", 0.501)])
    def test_a_gas_the_package_lacks_gets_the_table_value(self, gas: str, value: float) -> None:
        cited = Method("AR6").gwp_value(gas)
        assert cited.value == value
        assert "Table 7.SM.7" in cited.citation

    def test_a_gas_the_package_has_still_comes_from_the_package(self) -> None:
        assert "via globalwarmingpotentials" in Method("AR6").gwp_value("HFC134a").citation

    def test_under_ar5_a_gas_without_an_ar5_value_gets_its_ar6_value_and_says_so(
            self) -> None:
        cited = Method("AR5").gwp_value("HCFC31")
        assert cited.value == 79.4
        assert "AR6" in cited.citation
        assert "IPCC AR5 gives no value" in cited.citation
        assert Method("AR5").gwp_value("HFC134a").value == 1300.0  # AR5 where it has one

    def test_methane_keeps_its_origin_specific_values(self) -> None:
        assert Method("AR6").gwp("CH4", Origin.FOSSIL) == 29.8
        assert Method("AR6").gwp("CH4", Origin.BIOGENIC) == 27.0

    def test_a_gas_in_no_table_is_still_refused(self) -> None:
        with pytest.raises(UnknownGasError, match=r"'UF6'.*AR5"):
            Method("AR5").gwp_value("UF6")

    def test_the_method_hash_covers_the_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        before = Method("AR6").content_hash
        edited = SpeciesTable(TABLE.species, "another digest")
        monkeypatch.setattr(characterization, "species_table", lambda: edited)
        assert Method("AR6").content_hash != before  # cached tables are not reused
