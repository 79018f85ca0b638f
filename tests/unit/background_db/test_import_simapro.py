"""SimaPro CSV importer: the shared reference exports (bw2io, olca-modules; modern and older
layouts, LCIA methods and broken files), and a small export written here whose numbers can be
checked by hand, whole and broken."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError
from background_db.importers.simapro import import_simapro_csv
from background_db.records import ActivityRecord, Dataset, DatasetRole, FlowRecord, InputRecord
from lca_engine.model import FlowKind, Origin, Uncertainty


def simapro(reference_fixtures: Path, name: str) -> Path:
    return reference_fixtures / "simapro" / name


def only(dataset: Dataset) -> ActivityRecord:
    assert len(dataset.activities) == 1
    return dataset.activities[0]


def activity(dataset: Dataset, activity_id: str) -> ActivityRecord:
    return next(a for a in dataset.activities if a.id == activity_id)


def flow(dataset: Dataset, flow_id: str) -> FlowRecord:
    return next(f for f in dataset.flows if f.id == flow_id)


def named(record: ActivityRecord, provider_name: str) -> InputRecord:
    return next(i for i in record.inputs if i.provider_name == provider_name)


def params(uncertainty: Uncertainty | None) -> dict[str, float]:
    assert uncertainty is not None
    return dict(uncertainty.parameters)


def distribution(uncertainty: Uncertainty | None) -> str:
    assert uncertainty is not None
    return uncertainty.distribution


def rejected(path: Path) -> str:
    with pytest.raises(DatasetImportError) as caught:
        import_simapro_csv(path)
    message = str(caught.value)
    assert str(path) in message
    assert "Traceback" not in message
    return message


# ------------------------------------------------------------------ reference exports

class TestModernReferenceExports:
    def test_reads_the_olca_modules_process_with_resources_and_emissions(
            self, reference_fixtures: Path) -> None:
        path = simapro(reference_fixtures, "olca-modules/process.csv")
        dataset = import_simapro_csv(path)
        test = only(dataset)
        assert (test.id, test.name, test.reference_product) == (
            "Dev99229000009369600009", "Test", "Test")
        assert (test.unit, test.amount, test.sector, test.geography) == ("kg", 1.0, "Others", "")
        assert test.inputs == ()
        amounts = {e.flow: e.amount for e in test.emissions}
        assert amounts == {
            "Water, well, RE|Resources|in water|m3": 0.01,
            "Nitrogen, atmospheric|Resources|in air|kg": 0.05,
            "Carbon dioxide|Emissions to air|low. pop.|kg": 0.001,
            "Methane|Emissions to air|low. pop.|kg": 0.0001,
            "Acetone|Emissions to water|groundwater, long-term|kg": 1.0e-15,
        }
        co2 = flow(dataset, "Carbon dioxide|Emissions to air|low. pop.|kg")
        assert (co2.compartment, co2.cas, co2.gas, co2.origin) == (
            "Emissions to air/low. pop.", "124-38-9", "CO2", Origin.FOSSIL)
        assert flow(dataset, "Methane|Emissions to air|low. pop.|kg").gas == "CH4"
        water = flow(dataset, "Water, well, RE|Resources|in water|m3")
        assert (water.compartment, water.cas, water.gas) == ("Resources/in water", "7732-18-5",
                                                              None)
        assert flow(dataset, "Acetone|Emissions to water|groundwater, long-term|kg").gas is None
        assert (dataset.name, dataset.format, dataset.source_file) == (
            "process", "simapro", "process.csv")
        assert dataset.provenance.source == (
            "SimaPro 9.1.0.7 export, project 'Test', exported 2021-11-09")

    def test_splits_the_rice_process_by_its_allocation_and_keeps_the_feed_process_whole(
            self, reference_fixtures: Path) -> None:
        dataset = import_simapro_csv(simapro(reference_fixtures, "bw2io/allocation.csv"))
        assert [a.id for a in dataset.activities] == [
            "ReCenter000033915300046",
            "ReCenter000033915302504::Rice, at farm (WFLDB 3.0)/IN U",
            "ReCenter000033915302504::Rice straw, at farm (WFLDB 3.0)/IN U",
        ]
        feed = dataset.activities[0]
        assert feed.reference_product.startswith("Agricultural residues, non-mechanized")
        assert (feed.unit, feed.amount, feed.geography) == ("kg", 1.0, "GLO")
        assert [(i.provider, i.provider_name, i.amount, i.unit) for i in feed.inputs] == [
            ("", "Rice straw, at farm (WFLDB 3.0)/IN U", 0.771, "kg"),
            ("", "Rice, at farm (WFLDB 3.0)/IN U", 0.388, "kg"),
        ]
        rice, straw = dataset.activities[1:]
        assert (rice.reference_product, rice.amount, rice.unit) == (
            "Rice, at farm (WFLDB 3.0)/IN U", 6250.0, "kg")
        assert (straw.reference_product, straw.amount) == (
            "Rice straw, at farm (WFLDB 3.0)/IN U", 3125.0)
        assert rice.geography == straw.geography == "IN"
        assert rice.sector == "_WFLDB 3.0\\Plant products\\Arable\\Rice"
        assert rice.provenance.source == "Blah blah blah"

    def test_reads_literature_references_and_substance_cas_numbers(
            self, reference_fixtures: Path) -> None:
        path = simapro(reference_fixtures, "bw2io/external_documents_and_literature_references.csv")
        dataset = import_simapro_csv(path)
        process = only(dataset)
        assert (process.reference_product, process.unit, process.amount) == (
            "process with litterature refs", "kg", 1.0)
        assert [(e.flow, e.amount, e.unit) for e in process.emissions] == [
            ("Calcium|Resources||kg", 2.0, "kg"), ("Beryllium|Resources||kg", 2.0, "kg")]
        assert flow(dataset, "Calcium|Resources||kg").cas == "7440-70-2"
        assert flow(dataset, "Beryllium|Resources||kg").cas == "7440-41-7"
        references = process.provenance.source.split("; ")
        assert len(references) == 3
        assert references[2] == "Ecoinvent 3 (http://www.ecoinvent.org)"
        assert references[0].startswith("Life Cycle Inventories of Agricultural Production")
        assert "library 'World Food LCA Database'" in dataset.provenance.source

    def test_reads_a_lognormal_input_in_tons(self, reference_fixtures: Path) -> None:
        tank = only(import_simapro_csv(simapro(reference_fixtures, "bw2io/inventory.csv")))
        assert tank.reference_product == (
            "hot water tank, carbon dioxide capture process {CH}| production | Alloc Rec, U")
        assert (tank.unit, tank.amount, tank.geography) == ("p", 1.0, "CH")
        steel = only_input(tank)
        assert steel.provider_name.startswith("Steel, low-alloyed {RER}")
        assert (steel.amount, steel.unit) == (0.001, "ton")
        assert params(steel.uncertainty)["gsd"] == pytest.approx(math.sqrt(1.05))

    def test_a_lognormal_with_gsd_squared_of_one_has_no_uncertainty(
            self, reference_fixtures: Path) -> None:
        path = simapro(reference_fixtures, "bw2io/process_with_invalid_lognormal_scale.csv")
        process = only(import_simapro_csv(path))
        assert [(e.flow, e.amount, e.uncertainty) for e in process.emissions] == [
            ("Aluminium|Resources||kg", 1.0, None)]

    def test_converts_a_product_to_the_reference_unit_of_the_files_unit_table(
            self, reference_fixtures: Path) -> None:
        path = simapro(reference_fixtures, "bw2io/python_builtin_as_unit_name.csv")
        process = only(import_simapro_csv(path))
        assert process.reference_product == "Product in minutes"
        assert (process.amount, process.unit) == (300.0, "s")  # 5 min


def only_input(record: ActivityRecord) -> InputRecord:
    assert len(record.inputs) == 1
    return record.inputs[0]


class TestOlderLayoutReferenceExports:
    def test_reads_two_processes_that_name_each_other(self, reference_fixtures: Path) -> None:
        dataset = import_simapro_csv(simapro(reference_fixtures, "bw2io/simple.txt"))
        fish = activity(dataset, "InsertSomethingCleverHere")
        assert (fish.name, fish.reference_product, fish.amount, fish.unit) == (
            "bikes rule, cars drool", "Fish food", 1.0, "p")
        assert fish.sector == "Agricultural\\Animal production\\Animal foods"
        assert [(i.provider_name, i.amount, i.unit) for i in fish.inputs] == [
            ("lunch/CA U", 1.0, "kg"), ("dinner", 1.0, "kg"), ("Cat food", 1.0, "p")]
        cat = activity(dataset, "OopsForgot")
        assert (cat.name, cat.reference_product) == ("raining cats and dogs", "Cat food")
        assert [(i.provider_name, i.amount) for i in cat.inputs] == [("dinner/CH/I S", 1.0)]
        assert dataset.provenance.source == (
            "SimaPro (version not given) export, project 'W00t', exported 2013-08-29")

    def test_skips_comment_lines_and_reads_their_lognormal_inputs(
            self, reference_fixtures: Path) -> None:
        fish = only(import_simapro_csv(simapro(reference_fixtures, "bw2io/comments.txt")))
        assert fish.reference_product == "Fish food"
        lunch, dinner = fish.inputs
        assert (lunch.provider_name, lunch.amount, lunch.uncertainty) == (
            "lunch/CA U", 2.5e-10, None)
        assert (dinner.provider_name, dinner.amount) == ("dinner/CH/I S", 1.0)
        assert params(dinner.uncertainty)["gsd"] == pytest.approx(math.sqrt(1.2))

    def test_reads_amounts_written_before_units_and_an_avoided_product(
            self, reference_fixtures: Path) -> None:
        dataset = import_simapro_csv(simapro(reference_fixtures, "bw2io/new-order.csv"))
        hydrogen = only(dataset)
        assert hydrogen.reference_product.startswith("Hydrogen, from hydrolysis of zinc")
        assert (hydrogen.id, hydrogen.amount, hydrogen.unit) == ("psigabe118221501349", 1.0,
                                                                  "MJ")
        assert hydrogen.sector == "Hydrogen\\GMM-LCA"
        assert len(hydrogen.inputs) == 10
        assert named(hydrogen, "Zinc, from thermal ZnO dissociation").amount == 0.241
        assert named(hydrogen, "Transport, freight, rail/RER U").unit == "tkm"
        zinc_oxide = named(hydrogen, "Zinc oxide, from hydrolysis of zinc")
        assert (zinc_oxide.amount, zinc_oxide.unit) == (-0.3, "kg")
        assert [(e.flow, e.amount) for e in hydrogen.emissions] == [
            ("Zinc oxide|Emissions to air|low. pop.|kg", 0.0)]
        assert dataset.provenance.source.startswith(
            "SimaPro 8.0.4.30 export, project 'Hydrogen book EI3', exported 2016-08-26")

    def test_a_process_with_no_exchanges_is_imported_as_it_stands(
            self, reference_fixtures: Path) -> None:
        fish = only(import_simapro_csv(simapro(reference_fixtures, "bw2io/empty.txt")))
        assert (fish.id, fish.reference_product, fish.amount, fish.unit) == (
            "InsertSomethingCleverHere", "Fish food", 1.0, "p")
        assert (fish.inputs, fish.emissions) == ((), ())

    def test_a_provider_missing_from_the_file_is_left_for_linking(
            self, reference_fixtures: Path) -> None:
        dataset = import_simapro_csv(simapro(reference_fixtures, "bw2io/missing.txt"))
        assert [a.reference_product for a in dataset.activities] == ["Fish food", "Cat food"]
        dog_food = only_input(activity(dataset, "InsertSomethingCleverHere"))
        assert (dog_food.provider, dog_food.provider_name, dog_food.amount) == ("", "Dog food",
                                                                               1.0)


class TestRejectedReferenceFiles:
    @pytest.mark.parametrize("name", ["olca-modules/method.csv", "bw2io/damagecategory.txt"])
    def test_an_lcia_method_export_has_no_processes(self, reference_fixtures: Path,
                                                     name: str) -> None:
        message = rejected(simapro(reference_fixtures, name))
        assert "LCIA method export; it holds no processes to import" in message

    def test_a_file_from_another_program_is_not_simapro(self, reference_fixtures: Path) -> None:
        message = rejected(simapro(reference_fixtures, "bw2io/invalid.txt"))
        assert "line 1: value \"Joe's LCA Software" in message
        assert "not a SimaPro CSV export" in message

    def test_two_products_allocated_100_percent_each_are_refused(
            self, reference_fixtures: Path) -> None:
        message = rejected(simapro(reference_fixtures, "bw2io/multioutput.txt"))
        assert ("line 35, process 'InsertSomethingCleverHere': field 'allocation' value '200': "
                "the allocation percentages of its 2 product(s) sum to 200, not 100") in message

    def test_a_problem_in_the_older_layout_names_the_line_of_the_file(
            self, reference_fixtures: Path, tmp_path: Path) -> None:
        text = simapro(reference_fixtures, "bw2io/simple.txt").read_text(encoding="utf-8")
        text = "\n\n" + text.replace("dinner\t1\tkg", "dinner\tlots\tkg")
        path = write(tmp_path, text, "simple.txt")
        message = rejected(path)
        assert (f"{path}, line {line_of(text, 'dinner')}, process 'InsertSomethingCleverHere': "
                "field 'amount' value 'lots': Materials/fuels 'dinner'") in message

    def test_a_process_without_category_type_or_identifier_is_refused(
            self, reference_fixtures: Path) -> None:
        message = rejected(simapro(reference_fixtures, "bw2io/metadata.txt"))
        assert "process '(no identifier)': 'Category type' is missing or not recognised" in message


# ------------------------------------------------------------------ a small export

COKE = """\
{SimaPro 9.5.0.2}
{processes}
{Date: 01/03/2024}
{Time: 10:00:00}
{Project: Shanxi coke}
{CSV Format version: 9.0.0}
{CSV separator: Semicolon}
{Decimal separator: .}
{Date separator: /}
{Short date format: dd/MM/yyyy}

Process

Category type
material

Process identifier
SX0001

Type
Unit process

Process name
Coke oven, Shanxi

Time period
2020-2022

Geography
Unspecified

Literature references
Shanxi yearbook 2022

Products
Coke {CN-SX};kg;1000;70;not defined;Fuels\\Coke;
Coke oven gas {CN-SX};m3;400;30;not defined;Fuels\\Gas;

Avoided products
Coke breeze {CN};kg;10;Undefined;0;0;0;

Materials/fuels
Hard coal {CN};kg;1300;Lognormal;1.21;0;0;
Electricity, medium voltage {CN};kWh;50;Normal;10;0;0;
Transport, freight, lorry {CN};tkm;2*50;Triangle;0;80;120;

Emissions to air
Carbon dioxide, fossil;high. pop.;kg;200;Uniform;0;180;220;

Emissions to water
Carbon dioxide, fossil;;kg;1;Undefined;0;0;0;

End

Process

Category type
material

Process identifier
SX0002

Process name
Coal mining, Shanxi

Geography
China

Products
Hard coal {CN};t;1;100;not defined;Fuels\\Coal;

Emissions to air
Methane, fossil;;kg;8;Undefined;0;0;0;

End

Units
kg;Mass;1;kg
t;Mass;1000;kg

End

Airborne emissions
Carbon dioxide, fossil;kg;000124-38-9;

End
"""


def write(tmp_path: Path, text: str = COKE, name: str = "coke.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


class TestSmallExport:
    def test_splits_a_two_product_process_by_its_70_30_allocation(self, tmp_path: Path) -> None:
        dataset = import_simapro_csv(write(tmp_path))
        coke = activity(dataset, "SX0001::Coke {CN-SX}")
        gas = activity(dataset, "SX0001::Coke oven gas {CN-SX}")
        assert (coke.name, coke.reference_product, coke.unit, coke.amount) == (
            "Coke {CN-SX}", "Coke {CN-SX}", "kg", 1000.0)
        assert (gas.unit, gas.amount) == ("m3", 400.0)
        assert named(coke, "Hard coal {CN}").amount == pytest.approx(910.0)
        assert named(gas, "Hard coal {CN}").amount == pytest.approx(390.0)
        assert named(coke, "Electricity, medium voltage {CN}").amount == pytest.approx(35.0)
        assert named(coke, "Transport, freight, lorry {CN}").amount == pytest.approx(70.0)
        assert named(coke, "Coke breeze {CN}").amount == pytest.approx(-7.0)
        co2 = "Carbon dioxide, fossil|Emissions to air|high. pop.|kg"
        assert {e.flow: e.amount for e in coke.emissions} == pytest.approx(
            {co2: 140.0, "Carbon dioxide, fossil|Emissions to water||kg": 0.7})
        assert {e.flow: e.amount for e in gas.emissions}[co2] == pytest.approx(60.0)

    def test_scales_uncertainty_with_the_allocation_share(self, tmp_path: Path) -> None:
        coke = activity(import_simapro_csv(write(tmp_path)), "SX0001::Coke {CN-SX}")
        coal = named(coke, "Hard coal {CN}").uncertainty
        assert distribution(coal) == "lognormal"
        assert params(coal)["gsd"] == pytest.approx(1.1)  # sqrt(1.21), a share leaves it
        power = named(coke, "Electricity, medium voltage {CN}").uncertainty
        assert distribution(power) == "normal"
        assert params(power)["sd"] == pytest.approx(3.5)  # 2 sd = 10, times 0.7
        lorry = named(coke, "Transport, freight, lorry {CN}").uncertainty
        assert distribution(lorry) == "triangular"
        assert params(lorry) == pytest.approx({"min": 56.0, "mode": 70.0, "max": 84.0})
        emitted = next(e for e in coke.emissions if "air" in e.flow).uncertainty
        assert distribution(emitted) == "uniform"
        assert params(emitted) == pytest.approx({"min": 126.0, "max": 154.0})
        assert named(coke, "Coke breeze {CN}").uncertainty is None

    def test_classifies_co2_to_air_but_not_co2_to_water(self, tmp_path: Path) -> None:
        dataset = import_simapro_csv(write(tmp_path))
        air = flow(dataset, "Carbon dioxide, fossil|Emissions to air|high. pop.|kg")
        assert (air.compartment, air.cas, air.gas, air.origin, air.kind) == (
            "Emissions to air/high. pop.", "124-38-9", "CO2", Origin.FOSSIL, FlowKind.EMISSION)
        water = flow(dataset, "Carbon dioxide, fossil|Emissions to water||kg")
        assert (water.compartment, water.gas, water.origin) == ("Emissions to water", None,
                                                                Origin.NONE)
        methane = flow(dataset, "Methane, fossil|Emissions to air||kg")
        assert (methane.compartment, methane.gas) == ("Emissions to air", "CH4")

    def test_reads_metadata_of_each_process(self, tmp_path: Path) -> None:
        dataset = import_simapro_csv(write(tmp_path), role=DatasetRole.EXTENSION,
                                     name="shanxi-coke", version="2024.1")
        coke = activity(dataset, "SX0001::Coke {CN-SX}")
        assert (coke.geography, coke.period_start, coke.period_end) == ("CN-SX", "2020", "2022")
        assert (coke.sector, coke.provenance.source) == ("Fuels\\Coke", "Shanxi yearbook 2022")
        coal = activity(dataset, "SX0002")
        assert (coal.name, coal.reference_product, coal.geography) == (
            "Coal mining, Shanxi", "Hard coal {CN}", "China")
        assert (coal.amount, coal.unit) == (1000.0, "kg")  # 1 t in the file's reference unit
        assert [(e.flow, e.amount) for e in coal.emissions] == [
            ("Methane, fossil|Emissions to air||kg", 8.0)]
        assert (dataset.name, dataset.version, dataset.role) == (
            "shanxi-coke", "2024.1", DatasetRole.EXTENSION)
        assert dataset.provenance.source == (
            "SimaPro 9.5.0.2 export, project 'Shanxi coke', exported 2024-03-01")


class TestBrokenSmallExport:
    def test_a_non_numeric_amount_names_file_line_field_and_value(self, tmp_path: Path) -> None:
        text = COKE.replace("Hard coal {CN};kg;1300;", "Hard coal {CN};kg;lots;")
        path = write(tmp_path, text)
        message = rejected(path)
        line = line_of(text, "Hard coal {CN};kg;")
        assert f"{path}, line {line}, process 'SX0001': field 'amount' value 'lots': " in message
        assert "Materials/fuels 'Hard coal {CN}'" in message

    def test_a_decimal_comma_in_a_point_file_is_not_a_number(self, tmp_path: Path) -> None:
        text = COKE.replace("Hard coal {CN};kg;1300;", "Hard coal {CN};kg;1,5;")
        message = rejected(write(tmp_path, text))
        assert (f"line {line_of(text, 'Hard coal {CN};kg;')}, process 'SX0001': field 'amount' "
                "value '1,5'") in message

    def test_allocations_summing_to_90_name_the_process_and_the_sum(self,
                                                                     tmp_path: Path) -> None:
        text = COKE.replace(";1000;70;", ";1000;60;")
        path = write(tmp_path, text)
        message = rejected(path)
        assert (f"{path}, line {line_of(text, 'Coke {CN-SX};')}, process 'SX0001': field "
                "'allocation' value '90': the allocation percentages of its 2 product(s) sum "
                "to 90, not 100") in message

    def test_an_unknown_uncertainty_type_names_the_line(self, tmp_path: Path) -> None:
        text = COKE.replace(";50;Normal;10;", ";50;Gamma;10;")
        message = rejected(write(tmp_path, text))
        assert (f"line {line_of(text, 'Electricity, medium')}, process 'SX0001': field "
                "'uncertainty' value 'Gamma;10;0;0'") in message

    def test_every_problem_of_every_process_is_reported_and_nothing_is_kept(
            self, tmp_path: Path) -> None:
        text = (COKE.replace("Hard coal {CN};kg;1300;", "Hard coal {CN};kg;lots;")
                .replace("Hard coal {CN};t;1;100;", "Hard coal {CN};t;-1;100;"))
        with pytest.raises(DatasetImportError) as caught:
            import_simapro_csv(write(tmp_path, text))
        issues = caught.value.issues
        assert [(i.field, i.value) for i in issues] == [("amount", "lots"), ("amount", "-1")]
        assert issues[1].location == (
            f"line {line_of(text, 'Hard coal {CN};t;')}, process 'SX0002', product "
            "'Hard coal {CN}'")

    def test_conflicting_unit_conversions_are_refused(self, tmp_path: Path) -> None:
        text = COKE.replace("t;Mass;1000;kg\n", "t;Mass;1000;kg\nt;Mass;100;kg\n")
        assert 'Multiple different unit conversions given for input unit "t"' in rejected(
            write(tmp_path, text))

    def test_a_process_without_products_is_refused(self, tmp_path: Path) -> None:
        text = COKE.replace("Hard coal {CN};t;1;100;not defined;Fuels\\Coal;\n", "")
        message = rejected(write(tmp_path, text))
        assert "process 'SX0002': field 'Products': the process has no products" in message

    def test_a_block_the_reader_cannot_read_names_its_line(self, tmp_path: Path) -> None:
        text = COKE + "\nNonsense\n"
        message = rejected(write(tmp_path, text))
        assert (f"line {len(text.splitlines())}: cannot read this block: ValueError: Can't process "
                "unknown block type Nonsense") in message

    def test_a_processes_export_without_processes_is_refused(self, tmp_path: Path) -> None:
        text = COKE[:COKE.index("Process\n")] + "Units\nkg;Mass;1;kg\n\nEnd\n"
        assert "the file holds no processes to import" in rejected(write(tmp_path, text))

    def test_missing_and_empty_files_are_refused(self, tmp_path: Path) -> None:
        assert "no such file" in rejected(tmp_path / "absent.csv")
        assert "the file is empty" in rejected(write(tmp_path, "\n\n"))
