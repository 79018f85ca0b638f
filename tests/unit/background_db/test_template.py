"""The project's own CSV / XLSX template importer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError
from background_db.importers.template import (
    KEYS,
    header_cells,
    import_template,
    write_blank_csv,
    write_blank_xlsx,
)
from background_db.records import DatasetRole
from lca_engine.model import FlowKind, Origin


def write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header or header_cells())
        for row in rows:
            writer.writerow([row.get(k, "") for k in KEYS])
    return path


ELECTRICITY = {"activity_id": "elec", "activity_name": "electricity, grid", "unit": "kWh",
               "geography": "CN-SX", "exchange": "emission",
               "target": "Carbon dioxide, fossil", "exchange_amount": "0.7096",
               "exchange_unit": "kg", "source": "MEE/NBS notice", "dqr_temporal": "1"}


class TestReadsAFilledTemplate:
    def test_one_activity_per_id_with_its_exchanges(self, tmp_path: Path) -> None:
        path = write(tmp_path / "base.csv", [
            ELECTRICITY,
            {"activity_id": "elec", "exchange": "排放", "target": "Methane, fossil",
             "exchange_amount": "0.00002", "exchange_unit": "kg"},
            {"activity_id": "steel", "unit": "kg", "exchange": "input", "target": "elec",
             "exchange_amount": "0.5", "exchange_unit": "kWh", "gsd": "1.1"},
            {"activity_id": "box", "unit": "kg", "tags": "packaging", "exchange": "uptake",
             "target": "Carbon dioxide, in air", "exchange_amount": "1.5",
             "exchange_unit": "kg"},
        ])
        dataset = import_template(path, name="base", version="1.0.0")
        by_id = {a.id: a for a in dataset.activities}
        assert set(by_id) == {"elec", "steel", "box"}
        elec = by_id["elec"]
        assert elec.unit == "kWh"
        assert elec.geography == "CN-SX"
        assert [e.amount for e in elec.emissions] == [0.7096, 0.00002]
        assert elec.provenance.source == "MEE/NBS notice"
        assert elec.quality is not None
        assert elec.quality.temporal == 1
        steel_input = by_id["steel"].inputs[0]
        assert (steel_input.provider, steel_input.amount, steel_input.unit) == ("elec", 0.5,
                                                                                "kWh")
        assert steel_input.uncertainty is not None
        assert dict(steel_input.uncertainty.parameters)["gsd"] == 1.1
        flows = {f.name: f for f in dataset.flows}
        assert flows["Carbon dioxide, fossil"].gas == "CO2"
        assert flows["Methane, fossil"].gas == "CH4"
        uptake = flows["Carbon dioxide, in air"]
        assert (uptake.kind, uptake.origin) == (FlowKind.UPTAKE, Origin.BIOGENIC)
        assert by_id["box"].tags == frozenset({"packaging"})

    def test_header_may_be_english_or_chinese_only(self, tmp_path: Path) -> None:
        chinese = [label for _key, label, _r, _m in __import__(
            "background_db.importers.template", fromlist=["COLUMNS"]).COLUMNS]
        dataset = import_template(write(tmp_path / "zh.csv", [ELECTRICITY], chinese))
        assert dataset.activities[0].emissions[0].amount == 0.7096
        english = import_template(write(tmp_path / "en.csv", [ELECTRICITY], list(KEYS)))
        assert english.activities[0].id == "elec"

    def test_reads_the_same_rows_from_xlsx(self, tmp_path: Path) -> None:
        import openpyxl

        path = tmp_path / "base.xlsx"
        write_blank_xlsx(path)
        book = openpyxl.load_workbook(path)
        book["data"].append([ELECTRICITY.get(k, "") for k in KEYS])
        book.save(path)
        dataset = import_template(path, role=DatasetRole.EXTENSION)
        assert dataset.role is DatasetRole.EXTENSION
        assert dataset.activities[0].emissions[0].amount == 0.7096

    def test_blank_templates_have_the_bilingual_header(self, tmp_path: Path) -> None:
        write_blank_csv(tmp_path / "t.csv")
        header = (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[0]
        assert header.startswith("activity_id / 活动编号,activity_name / 活动名称")


class TestErrorsNameRowFieldAndValue:
    @pytest.mark.parametrize(("change", "message"), [
        ({"exchange_amount": "lots"}, r"row 2: field 'exchange_amount' value 'lots'"),
        ({"exchange_amount": "1,5"}, r"row 2: field 'exchange_amount' value '1,5'.*decimal"),
        ({"exchange": "sideways"}, r"row 2: field 'exchange' value 'sideways'"),
        ({"exchange_unit": ""}, r"row 2: field 'exchange_unit'.*needs a unit"),
        ({"origin": "volcanic"}, r"row 2: field 'origin' value 'volcanic'"),
        ({"dqr_temporal": "7"}, r"row 2: field 'dqr_temporal' value '7'.*1 to 5"),
        ({"unit": ""}, r"row 2: field 'unit'.*has no unit"),
        ({"gsd": "0.5"}, r"row 2: field 'gsd' value '0.5'"),
    ])
    def test_a_bad_cell(self, tmp_path: Path, change: dict[str, str], message: str) -> None:
        path = write(tmp_path / "bad.csv", [{**ELECTRICITY, **change}])
        with pytest.raises(DatasetImportError, match=message) as caught:
            import_template(path)
        assert str(path) in str(caught.value)

    def test_contradicting_activity_fields_on_two_rows(self, tmp_path: Path) -> None:
        path = write(tmp_path / "bad.csv", [ELECTRICITY, {**ELECTRICITY, "unit": "MJ"}])
        with pytest.raises(DatasetImportError, match=r"row 3: field 'unit' value 'MJ'.*'kWh'"):
            import_template(path)

    def test_every_problem_is_reported_and_nothing_returned(self, tmp_path: Path) -> None:
        path = write(tmp_path / "bad.csv", [
            {**ELECTRICITY, "exchange_amount": "x"},
            {**ELECTRICITY, "activity_id": "other", "exchange_amount": "y"},
        ])
        with pytest.raises(DatasetImportError) as caught:
            import_template(path)
        assert len(caught.value.issues) == 2

    def test_a_missing_required_column(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        path.write_text("name,unit\nx,kg\n", encoding="utf-8")
        with pytest.raises(DatasetImportError, match=r"row 1: field 'activity_id'.*missing"):
            import_template(path)

    def test_not_a_workbook(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.xlsx"
        path.write_bytes(b"this is not a zip")
        with pytest.raises(DatasetImportError, match=r"bad.xlsx.*not a readable XLSX"):
            import_template(path)


def emission(activity: str, target: str, cas: str = "", **more: str) -> dict[str, str]:
    return {"activity_id": activity, "unit": "kg", "exchange": "emission", "target": target,
            "cas": cas, "exchange_amount": "1", "exchange_unit": "kg", **more}


class TestCasAndResourceColumns:
    @pytest.mark.parametrize(("name", "cas", "gas"), [
        ("Trichlormethan (solvent losses)", "67-66-3", "CHCl3"),
        ("MCF degreaser vapour", "71-55-6", "CH3CCl3"),
        ("fumigant, soil", "000074-83-9", "CH3Br"),
        ("DCM, paint stripping", "75-09-2", "CH2Cl2"),
        ("R40 leak", "74-87-3", "CH3Cl"),
        ("Tetra", "56-23-5", "CCl4"),
    ])
    def test_the_cas_column_recognises_a_gas_under_an_unusual_name(
            self, tmp_path: Path, name: str, cas: str, gas: str) -> None:
        dataset = import_template(write(tmp_path / "cas.csv", [emission("a", name, cas)]))
        (flow,) = dataset.flows
        assert (flow.gas, flow.origin, flow.kind, flow.cas) == (
            gas, Origin.FOSSIL, FlowKind.EMISSION, cas.lstrip("0"))
        without = import_template(write(tmp_path / "name.csv", [emission("a", name)]))
        assert without.flows[0].gas is None  # the name alone says nothing

    def test_a_cas_column_that_is_not_a_cas_number_is_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path / "bad.csv", [emission("a", "Chloroform", "chloroform")])
        with pytest.raises(DatasetImportError, match=r"row 2: field 'cas' value 'chloroform'"):
            import_template(path)

    def test_carbon_dioxide_in_air_written_as_an_emission_is_refused(
            self, tmp_path: Path) -> None:
        # it used to become a +1 biogenic CO2 emission without a word
        path = write(tmp_path / "bad.csv", [emission("a", "Carbon dioxide, in air", "",
                                                     gas="CO2", origin="biogenic")])
        with pytest.raises(DatasetImportError) as caught:
            import_template(path)
        (issue,) = caught.value.issues
        assert (issue.location, issue.field, issue.value) == ("row 2", "exchange", "emission")
        assert "taken up from the air" in issue.message

    @pytest.mark.parametrize("word", ["resource", "资源", "uptake", "吸收"])
    def test_co2_from_the_air_as_a_resource_or_an_uptake_is_the_same_uptake(
            self, tmp_path: Path, word: str) -> None:
        dataset = import_template(write(tmp_path / "r.csv", [
            {**emission("a", "Carbon dioxide, in air", "124-38-9"), "exchange": word}]))
        (flow,) = dataset.flows
        assert (flow.gas, flow.origin, flow.kind, flow.compartment) == (
            "CO2", Origin.BIOGENIC, FlowKind.UPTAKE, "natural resource")

    def test_another_resource_is_recorded_and_not_a_greenhouse_gas(self, tmp_path: Path) -> None:
        dataset = import_template(write(tmp_path / "r.csv", [
            {**emission("a", "Water, well, in ground"), "exchange": "resource"}]))
        (flow,) = dataset.flows
        assert (flow.gas, flow.origin) == (None, Origin.NONE)
        assert dataset.activities[0].emissions[0].amount == 1.0

    @pytest.mark.parametrize(("row", "field", "value"), [
        ({"exchange": "resource", "target": "Methane, fossil"}, "exchange", "resource"),
        ({"exchange": "uptake", "target": "Carbon dioxide, fossil"}, "exchange", "uptake"),
        ({"exchange": "resource", "target": "Water", "gas": "CH4"}, "gas", "CH4"),
        ({"exchange": "emission", "target": "Refrigerant", "gas": "R134a"}, "gas", "R134a"),
    ])
    def test_an_emitted_gas_as_a_resource_or_an_unknown_gas_key_is_refused(
            self, tmp_path: Path, row: dict[str, str], field: str, value: str) -> None:
        path = write(tmp_path / "bad.csv", [{**emission("a", ""), **row}])
        with pytest.raises(DatasetImportError) as caught:
            import_template(path)
        (issue,) = caught.value.issues
        assert (issue.location, issue.field, issue.value) == ("row 2", field, value)
