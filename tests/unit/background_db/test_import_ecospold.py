"""EcoSpold2 and EcoSpold1 importers: the shared reference files (with their traps), and
tiny hand-written files whose numbers can be checked by hand, whole and broken."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError
from background_db.importers.ecospold import import_ecospold1, import_ecospold2
from background_db.records import ActivityRecord, Dataset, DatasetRole, FlowRecord
from lca_engine.model import FlowKind, Origin, Uncertainty

BW2IO_ID = ("c40e3c0a-292f-45a5-88cd-ed18265cb7d7_d4ee8f39-342b-4443-bbb9-c49b6801b5d6")
SAMPLE_ID = "08a78e38-fdbe-4ea8-869f-7735b41ecf85_d3a29af5-314a-4659-a574-6bfd53a6bde0"


def only(dataset: Dataset) -> ActivityRecord:
    assert len(dataset.activities) == 1
    return dataset.activities[0]


def flow(dataset: Dataset, flow_id: str) -> FlowRecord:
    return next(f for f in dataset.flows if f.id == flow_id)


def gsd(uncertainty: Uncertainty | None) -> float:
    assert uncertainty is not None
    assert uncertainty.distribution == "lognormal"
    return dict(uncertainty.parameters)["gsd"]


# ------------------------------------------------------------------ tiny EcoSpold2 files

def es2_exchange(name: str, amount: str, unit: str, group: str, *, product: str = "p-x",
                 link: str = "", extra: str = "") -> str:
    linked = f' activityLinkId="{link}"' if link else ""
    return (f'<intermediateExchange id="e-{product}" amount="{amount}" '
            f'intermediateExchangeId="{product}"{linked}><name xml:lang="en">{name}</name>'
            f'<unitName xml:lang="en">{unit}</unitName>{extra}{group}</intermediateExchange>')


def es2_file(path: Path, exchanges: str, *, activity: str = "act-1",
             name: str = "steel production") -> Path:
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02">
  <activityDataset>
    <activityDescription>
      <activity id="{activity}"><activityName xml:lang="en">{name}</activityName>
        <tag>steel</tag></activity>
      <classification>
        <classificationSystem xml:lang="en">ISIC rev.4 ecoinvent</classificationSystem>
        <classificationValue xml:lang="en">2410:Manufacture of basic iron and steel\
</classificationValue>
      </classification>
      <geography><shortname xml:lang="en">CN-SX</shortname></geography>
      <timePeriod startDate="2020-01-01" endDate="2022-12-31"/>
    </activityDescription>
    <flowData>{exchanges}</flowData>
    <administrativeInformation>
      <dataGeneratorAndPublication personName="Shanxi LCA Centre" publishedSourceYear="2023"
        publishedSourceFirstAuthor="Wang L." accessRestrictedTo="0"/>
    </administrativeInformation>
  </activityDataset>
</ecoSpold>""", encoding="utf-8")
    return path


STEEL = "<outputGroup>0</outputGroup>"
CO2 = """<elementaryExchange id="x1" amount="1.5" elementaryExchangeId="co2-fossil"
  casNumber="000124-38-9"><name xml:lang="en">Carbon dioxide, fossil</name>
  <unitName xml:lang="en">kg</unitName>
  <uncertainty><lognormal meanValue="1.5" variance="0.01" varianceWithPedigreeUncertainty="0.04"/>
  </uncertainty>
  <compartment><compartment xml:lang="en">air</compartment>
  <subcompartment xml:lang="en">urban air close to ground</subcompartment></compartment>
  <outputGroup>4</outputGroup></elementaryExchange>"""
ELECTRICITY = es2_exchange("electricity", "3", "kWh", "<inputGroup>5</inputGroup>",
                           product="p-elec", link="grid-act")


def allocation(factor: str) -> str:
    return (f'<property propertyId="a" amount="{factor}"><name xml:lang="en">allocation factor'
            '</name><unitName xml:lang="en">dimensionless</unitName></property>')


class TestEcoSpold2TinyFiles:
    def test_reads_reference_product_input_emission_and_metadata(self, tmp_path: Path) -> None:
        exchanges = (es2_exchange("steel", "2", "kg", STEEL, product="p-steel") + ELECTRICITY
                     + es2_exchange("slag", "0", "kg", "<outputGroup>2</outputGroup>",
                                    product="p-slag") + CO2)
        dataset = import_ecospold2(es2_file(tmp_path / "steel.spold", exchanges),
                                   role=DatasetRole.EXTENSION, version="2024.1")
        activity = only(dataset)
        assert (dataset.name, dataset.version, dataset.role, dataset.format) == (
            "steel", "2024.1", DatasetRole.EXTENSION, "ecospold2")
        assert activity.id == "act-1_p-steel"
        assert (activity.name, activity.reference_product, activity.unit, activity.amount) == (
            "steel production", "steel", "kg", 2.0)
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "CN-SX", "2020-01-01", "2022-12-31")
        assert activity.sector == "2410:Manufacture of basic iron and steel"
        assert activity.tags == frozenset({"steel"})
        assert activity.provenance.publisher == "Shanxi LCA Centre"
        assert activity.provenance.source == "Wang L. (2023)"
        assert activity.provenance.licence == "public"
        [electricity] = activity.inputs
        assert (electricity.provider, electricity.provider_name, electricity.amount,
                electricity.unit) == ("grid-act_p-elec", "electricity", 3.0, "kWh")
        [co2] = activity.emissions
        assert (co2.flow, co2.amount, co2.unit) == ("co2-fossil", 1.5, "kg")
        assert gsd(co2.uncertainty) == pytest.approx(math.exp(0.2))  # pedigree variance wins
        record = flow(dataset, "co2-fossil")
        assert (record.gas, record.origin, record.kind) == ("CO2", Origin.FOSSIL,
                                                            FlowKind.EMISSION)
        assert record.compartment == "air/urban air close to ground"

    def test_a_negative_by_product_is_a_demand_for_waste_treatment(self, tmp_path: Path) -> None:
        exchanges = (es2_exchange("steel", "1", "kg", STEEL, product="p-steel")
                     + es2_exchange("scrap", "-0.25", "kg", "<outputGroup>2</outputGroup>",
                                    product="p-scrap", link="treat"))
        [waste] = only(import_ecospold2(es2_file(tmp_path / "a.spold", exchanges))).inputs
        assert (waste.provider, waste.amount) == ("treat_p-scrap", 0.25)

    def test_splits_co_products_by_their_allocation_factors(self, tmp_path: Path) -> None:
        exchanges = (es2_exchange("steel", "1", "kg", STEEL, product="p-steel",
                                  extra=allocation("3"))
                     + es2_exchange("gas", "4", "MJ", "<outputGroup>2</outputGroup>",
                                    product="p-gas", extra=allocation("1"))
                     + ELECTRICITY + CO2)
        dataset = import_ecospold2(es2_file(tmp_path / "a.spold", exchanges))
        steel, gas = dataset.activities
        assert (steel.id, gas.id) == ("act-1_p-steel", "act-1_p-gas")
        assert (gas.reference_product, gas.unit, gas.amount) == ("gas", "MJ", 4.0)
        assert steel.inputs[0].amount == pytest.approx(2.25)
        assert gas.inputs[0].amount == pytest.approx(0.75)
        assert steel.emissions[0].amount + gas.emissions[0].amount == pytest.approx(1.5)

    def test_rejects_co_products_without_allocation(self, tmp_path: Path) -> None:
        exchanges = (es2_exchange("steel", "1", "kg", STEEL, product="p-steel")
                     + es2_exchange("gas", "4", "MJ", STEEL, product="p-gas"))
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold2(es2_file(tmp_path / "a.spold", exchanges))
        [issue] = caught.value.issues
        assert issue.location == "activity 'steel production'"
        assert "multi-output activity without allocation" in issue.message
        assert issue.value == "steel, gas"

    def test_names_file_exchange_field_and_value_of_a_bad_amount(self, tmp_path: Path) -> None:
        exchanges = (es2_exchange("steel", "1", "kg", STEEL, product="p-steel")
                     + es2_exchange("electricity", "three", "kWh", "<inputGroup>5</inputGroup>"))
        path = es2_file(tmp_path / "bad.spold", exchanges)
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold2(path)
        message = str(caught.value)
        assert str(path) in message
        assert "activity 'steel production', exchange 'electricity'" in message
        assert "field 'amount' value 'three': expected a number" in message

    def test_rejects_an_activity_without_reference_product(self, tmp_path: Path) -> None:
        path = es2_file(tmp_path / "a.spold", ELECTRICITY + CO2)
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold2(path)
        [issue] = caught.value.issues
        assert (issue.file, issue.location, issue.field) == (
            str(path), "activity 'steel production'", "outputGroup")
        assert "no reference product" in issue.message

    def test_reports_line_and_column_of_malformed_xml(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.spold"
        path.write_text('<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02">\n'
                        "  <activityDataset>\n  </activity>\n</ecoSpold>\n", encoding="utf-8")
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold2(path)
        [issue] = caught.value.issues
        assert issue.file == str(path)
        assert issue.location == "line 3, column 4"
        assert "malformed XML" in issue.message

    def test_rejects_an_ecospold1_file(self, tmp_path: Path) -> None:
        path = es1_file(tmp_path / "v1.xml", es1_dataset(ES1_EXCHANGES))
        with pytest.raises(DatasetImportError, match=r"found <ecoSpold> in http://www\.EcoInvent"
                           r"\.org/EcoSpold01"):
            import_ecospold2(path)

    def test_imports_a_folder_as_one_dataset_with_shared_flows(self, tmp_path: Path) -> None:
        es2_file(tmp_path / "a.spold", es2_exchange("steel", "1", "kg", STEEL) + CO2)
        es2_file(tmp_path / "b.spold", es2_exchange("iron", "1", "kg", STEEL) + CO2,
                 activity="act-2", name="iron production")
        (tmp_path / "notes.txt").write_text("not a dataset", encoding="utf-8")
        dataset = import_ecospold2(tmp_path, name="demo")
        assert dataset.name == "demo"
        assert [a.id for a in dataset.activities] == ["act-1_p-x", "act-2_p-x"]
        assert [f.id for f in dataset.flows] == ["co2-fossil"]

    def test_reports_an_empty_folder_and_a_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetImportError, match=r"holds no \.spold or \.xml files"):
            import_ecospold2(tmp_path)
        with pytest.raises(DatasetImportError, match="no such file or folder"):
            import_ecospold2(tmp_path / "missing.spold")


# ------------------------------------------------------------------ tiny EcoSpold1 files

ES1_EXCHANGES = """
  <exchange number="3" category="air" subCategory="high population density"
    name="Carbon dioxide, fossil" unit="kg" meanValue="2.5" CASNumber="000124-38-9"
    uncertaintyType="1" standardDeviation95="1.21">
    <outputGroup>4</outputGroup></exchange>
  <exchange number="1" name="Cement, at plant" location="CN" unit="kg" meanValue="1000">
    <outputGroup>0</outputGroup></exchange>
  <exchange number="2" name="Electricity, at grid" location="CN" unit="kWh" meanValue="90">
    <inputGroup>5</inputGroup></exchange>
  <exchange number="4" category="resource" subCategory="in ground" name="Limestone, in ground"
    unit="kg" meanValue="1200"><inputGroup>4</inputGroup></exchange>
  <exchange number="5" name="Heat recovered" location="CN" unit="MJ" meanValue="8">
    <outputGroup>2</outputGroup></exchange>"""


def es1_dataset(exchanges: str, *, name: str = "Cement, at plant", extra: str = "") -> str:
    # flowData before metaInformation and geography after timePeriod: order must not matter
    return f"""<dataset number="1"><flowData>{exchanges}{extra}</flowData>
  <metaInformation><processInformation>
    <timePeriod><endYear>2021</endYear><startYear>2019</startYear></timePeriod>
    <referenceFunction name="{name}" unit="kg" amount="1000" category="minerals"
      subCategory="cement"/>
    <geography location="CN"/>
  </processInformation>
  <administrativeInformation>
    <person number="7" name="Li Na" companyCode="FAR-TOO-LONG-COMPANY-CODE"/>
    <dataGeneratorAndPublication person="7" accessRestrictedTo="0"/>
  </administrativeInformation></metaInformation></dataset>"""


def es1_file(path: Path, *datasets: str, root: str = "ecoSpold") -> Path:
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<{root} xmlns="http://www.EcoInvent.org/EcoSpold01">{"".join(datasets)}'
                    f"</{root}>", encoding="utf-8")
    return path


class TestEcoSpold1TinyFiles:
    def test_reads_reference_product_inputs_and_flows_in_any_order(self, tmp_path: Path) -> None:
        dataset = import_ecospold1(es1_file(tmp_path / "cement.xml", es1_dataset(ES1_EXCHANGES)))
        activity = only(dataset)
        assert dataset.format == "ecospold1"
        assert activity.id == "Cement, at plant {CN}"
        assert (activity.reference_product, activity.unit, activity.amount) == (
            "Cement, at plant", "kg", 1000.0)
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "CN", "2019", "2021")
        assert activity.sector == "minerals/cement"
        assert activity.provenance.publisher == "Li Na"
        [electricity] = activity.inputs  # the by-product "Heat recovered" carries no burden
        assert (electricity.provider, electricity.provider_name, electricity.amount) == (
            "", "Electricity, at grid {CN}", 90.0)
        co2_id = "Carbon dioxide, fossil|air|high population density|kg"
        assert [(e.flow, e.amount) for e in activity.emissions] == [
            (co2_id, 2.5), ("Limestone, in ground|resource|in ground|kg", 1200.0)]
        assert gsd(activity.emissions[0].uncertainty) == pytest.approx(1.1)
        co2 = flow(dataset, co2_id)
        assert (co2.gas, co2.origin, co2.compartment, co2.cas) == (
            "CO2", Origin.FOSSIL, "air/high population density", "000124-38-9")

    def test_applies_allocation_fractions_of_the_reference_product(self, tmp_path: Path) -> None:
        extra = ('<allocation referenceToCoProduct="1" allocationMethod="1" fraction="60">'
                 "<referenceToInputOutput>2</referenceToInputOutput></allocation>")
        activity = only(import_ecospold1(
            es1_file(tmp_path / "a.xml", es1_dataset(ES1_EXCHANGES, extra=extra))))
        assert activity.inputs[0].amount == pytest.approx(54.0)
        assert activity.emissions[0].amount == 2.5  # not named by the allocation: kept whole

    def test_reads_every_dataset_of_a_file(self, tmp_path: Path) -> None:
        clinker = ES1_EXCHANGES.replace("Cement, at plant", "Clinker, at plant")
        dataset = import_ecospold1(es1_file(
            tmp_path / "a.xml", es1_dataset(ES1_EXCHANGES),
            es1_dataset(clinker, name="Clinker, at plant")))
        assert [a.id for a in dataset.activities] == ["Cement, at plant {CN}",
                                                      "Clinker, at plant {CN}"]
        assert len(dataset.flows) == 2

    def test_names_file_exchange_field_and_value_of_a_bad_amount(self, tmp_path: Path) -> None:
        path = es1_file(tmp_path / "bad.xml",
                        es1_dataset(ES1_EXCHANGES.replace('meanValue="90"', 'meanValue="n/a"')))
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold1(path)
        [issue] = caught.value.issues
        assert (issue.file, issue.location, issue.field, issue.value) == (
            str(path), "activity 'Cement, at plant', exchange 'Electricity, at grid'",
            "meanValue", "n/a")
        assert f"{path}, activity 'Cement, at plant'" in str(caught.value)

    def test_rejects_a_dataset_without_reference_product(self, tmp_path: Path) -> None:
        dataset = es1_dataset(ES1_EXCHANGES.replace("<outputGroup>0", "<outputGroup>2"))
        dataset = dataset.replace("<referenceFunction", "<otherFunction")
        with pytest.raises(DatasetImportError, match="no reference product") as caught:
            import_ecospold1(es1_file(tmp_path / "a.xml", dataset))
        assert caught.value.issues[0].location == "dataset '1'"

    def test_rejects_another_root_element_naming_it(self, tmp_path: Path) -> None:
        path = es1_file(tmp_path / "a.xml", es1_dataset(ES1_EXCHANGES), root="ecoSpoldX")
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold1(path)
        [issue] = caught.value.issues
        assert (issue.file, issue.value) == (str(path), "ecoSpoldX")

    def test_reports_line_and_column_of_malformed_xml(self, tmp_path: Path) -> None:
        path = tmp_path / "a.xml"
        path.write_text('<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold01">\n'
                        '<dataset number="1" a="1" a="2"/></ecoSpold>', encoding="utf-8")
        with pytest.raises(DatasetImportError,
                           match=r"a\.xml, line 2, column 26:.* malformed XML: duplicate attr"):
            import_ecospold1(path)


# ------------------------------------------------------------------ shared reference files

class TestEcoSpold2ReferenceFiles:
    def test_imports_the_bw2io_child_dataset(self, reference_fixtures: Path) -> None:
        path = next((reference_fixtures / "ecospold2" / "bw2io").glob("*0000.spold"))
        dataset = import_ecospold2(path)
        activity = only(dataset)
        assert activity.id == BW2IO_ID
        assert (activity.name, activity.reference_product, activity.unit, activity.amount) == (
            "concrete block production", "concrete block", "kg", 1.0)
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "DE", "1997-01-01", "2018-12-31")
        assert activity.sector == "2395:Manufacture of articles of concrete, cement and plaster"
        [pit] = activity.inputs
        assert pit.provider == ("759fac54-b912-4781-9833-0ddd6e8cda24_"
                                "6fe4040b-39c7-4d58-b95b-6ee1de4aedb3")
        assert (pit.provider_name, pit.amount, pit.unit) == ("clay pit infrastructure", 9999.0,
                                                             "unit")
        assert gsd(pit.uncertainty) == pytest.approx(math.exp(math.sqrt(0.2)))
        [water] = activity.emissions
        assert (water.flow, water.amount, water.unit) == (
            "075e433b-4be4-448e-9510-9a5029c1ce94", 123456.0, "m3")
        record = flow(dataset, water.flow)
        assert (record.name, record.compartment, record.cas, record.gas) == (
            "Water", "air/unspecified", "007732-18-5", None)
        assert activity.provenance.publisher == "Rhyme Thyme"
        assert activity.provenance.source == "T.J. (2004)"

    def test_the_synonyms_variant_is_the_same_activity(self, reference_fixtures: Path) -> None:
        path = next((reference_fixtures / "ecospold2" / "bw2io").glob("*_with_synonyms.spold"))
        assert only(import_ecospold2(path)).id == BW2IO_ID

    def test_a_folder_holding_one_activity_twice_is_rejected(self,
                                                             reference_fixtures: Path) -> None:
        with pytest.raises(DatasetImportError, match="activity id appears more than once"):
            import_ecospold2(reference_fixtures / "ecospold2" / "bw2io")

    @pytest.mark.parametrize("relative", ["olca-ecospold-2/sample_ecospold2.xml",
                                          "olca-ecospold-2/sample_child_ecospold2.xml",
                                          "olca-modules/sample_ecospold2.xml"])
    def test_imports_the_openlca_samples(self, reference_fixtures: Path, relative: str) -> None:
        dataset = import_ecospold2(reference_fixtures / "ecospold2" / relative)
        activity = only(dataset)
        assert activity.id == SAMPLE_ID
        assert (activity.name, activity.reference_product, activity.unit, activity.amount) == (
            "Sample", "1-pentanol", "kg", 33.0)
        assert (activity.geography, activity.sector) == ("AX", "0112:Growing of rice")
        assert activity.tags == frozenset({"tag1", "tag2"})
        [solvent] = activity.inputs
        assert (solvent.provider, solvent.provider_name, solvent.amount) == (
            "", "1,1-dimethylcyclopentane", 25.0)
        assert solvent.uncertainty == Uncertainty(
            "triangular", (("max", 5.0), ("min", 2.0), ("mode", 25.0)))
        assert [(e.amount, e.unit) for e in activity.emissions] == [
            (22.0, "m3*year"), (3.0, "kg"), (2.0, "kg")]
        assert [e.uncertainty for e in activity.emissions] == [
            Uncertainty("normal", (("sd", math.sqrt(2)),)),
            Uncertainty("uniform", (("max", 5.0), ("min", 1.0))), None]
        assert [f.compartment for f in dataset.flows] == [
            "natural resource/in water", "soil/industrial", "natural resource/biotic"]
        assert activity.provenance.source == "Gernes D.C. (1960)"

    def test_rejects_master_data_with_a_clear_issue(self, reference_fixtures: Path) -> None:
        folder = reference_fixtures / "ecospold2" / "bw2io-ecoinvent39-masterdata"
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold2(folder)
        [issue] = caught.value.issues
        assert issue.file.endswith("ecoinvent elementary flows 3.9.xml")
        assert issue.value == "validElementaryExchanges"
        assert "master data" in issue.message


class TestEcoSpold1ReferenceFiles:
    def test_rejects_the_acetic_acid_trap_naming_its_root(self, reference_fixtures: Path) -> None:
        path = reference_fixtures / "ecospold1" / "bw2io-uslci" / "Acetic acid, at plant.xml"
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold1(path)
        [issue] = caught.value.issues
        assert (issue.file, issue.value) == (str(path), "notecoSpold")
        assert "found <notecoSpold>" in str(caught.value)

    def test_a_folder_with_the_trap_yields_no_partial_dataset(self,
                                                              reference_fixtures: Path) -> None:
        with pytest.raises(DatasetImportError) as caught:
            import_ecospold1(reference_fixtures / "ecospold1" / "bw2io-uslci")
        assert [i.value for i in caught.value.issues] == ["notecoSpold"]

    def test_imports_aluminum_despite_its_element_order(self, reference_fixtures: Path) -> None:
        path = (reference_fixtures / "ecospold1" / "bw2io-uslci"
                / "Aluminum, extrusion, at plant.xml")
        dataset = import_ecospold1(path)
        activity = only(dataset)
        assert (activity.reference_product, activity.unit, activity.amount) == (
            "Aluminum, extrusion, at plant", "kg", 1000.0)
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "RNA", "2010", "2015")
        assert len(activity.inputs) == 13  # 4 technosphere inputs and 9 wastes to treatment
        assert len(activity.emissions) == 586  # 86 resources and 500 emissions
        scrap = activity.inputs[0]
        assert (scrap.provider_name, scrap.amount, scrap.unit, scrap.uncertainty) == (
            "Dummy, Aluminum, scrap {RNA}", 426.11, "kg", None)  # sd95 0: spread unknown
        co2_id = "Carbon dioxide, fossil|Air|unspecified|kg"
        assert next(e.amount for e in activity.emissions if e.flow == co2_id) == 5854.7
        assert flow(dataset, co2_id).gas == "CO2"
        uptake = flow(dataset, "Carbon dioxide, in air|resource|in air|kg")
        assert (uptake.kind, uptake.origin) == (FlowKind.UPTAKE, Origin.BIOGENIC)
        assert activity.provenance.publisher == "PE INTERNATIONAL AG"

    def test_imports_abs_resin(self, reference_fixtures: Path) -> None:
        path = next((reference_fixtures / "ecospold1" / "bw2io-uslci").glob("Acrylonitrile*"))
        dataset = import_ecospold1(path)
        activity = only(dataset)
        assert activity.reference_product == ("Acrylonitrile-butadiene-styrene copolymer resin, "
                                              "at plant, CTR")
        assert (activity.unit, activity.amount, activity.geography) == ("kg", 1.0, "RNA")
        assert len(activity.inputs) == 4
        assert len(activity.emissions) == 224  # 16 resources and 208 emissions
        assert all("Recovered energy" not in i.name for i in activity.inputs)
        co2_id = "Carbon dioxide, fossil|air|unspecified|kg"
        assert next(e.amount for e in activity.emissions if e.flow == co2_id) == 3.3048
        co2 = flow(dataset, co2_id)
        assert (co2.gas, co2.origin, co2.kind) == ("CO2", Origin.FOSSIL, FlowKind.EMISSION)

    def test_imports_the_openlca_example_with_its_long_company_code(
            self, reference_fixtures: Path) -> None:
        dataset = import_ecospold1(reference_fixtures / "ecospold1" / "olca-modules"
                                   / "example.xml")
        activity = only(dataset)
        assert activity.id == "community garden compost service {DE}"
        assert (activity.unit, activity.amount, activity.period_start, activity.period_end) == (
            "kg", 1.0, "2024", "2025")
        assert activity.sector == "waste treatment/community composting"
        [chips] = activity.inputs
        assert (chips.provider_name, chips.amount) == ("wood chips, bulking agent {DE}", 0.15)
        assert gsd(chips.uncertainty) == pytest.approx(math.sqrt(1.10))
        assert (activity.emissions, dataset.flows) == ((), ())
        assert activity.provenance.publisher == "Alex Example"
        assert activity.provenance.source == ("OpenLCA Test Team (2026), "
                                              "Synthetic EcoSpold Example Dataset")
        assert activity.provenance.licence == "public"
