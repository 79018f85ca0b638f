"""The ILCD importer: real process data sets from openLCA's test resources, and a tiny archive
(folder and zip) with hand-checkable numbers and broken variants."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError
from background_db.importers import ilcd
from background_db.importers.ilcd import import_ilcd
from background_db.records import DatasetRole, ElementaryRecord, FlowRecord, InputRecord
from lca_engine.model import DataQuality, FlowKind, Origin, Uncertainty

PROCESS = "11111111-1111-1111-1111-111111111111"
BILLET = "22222222-2222-2222-2222-222222222222"
COKE = "33333333-3333-3333-3333-333333333333"
CO2 = "44444444-4444-4444-4444-444444444444"
SLAG = "55555555-5555-5555-5555-555555555555"
MASS = "66666666-6666-6666-6666-666666666666"
MASS_UNITS = "77777777-7777-7777-7777-777777777777"
ABS = "76d6aaa4-37e2-40b2-994c-03292b600074"
COMMON = 'xmlns:common="http://lca.jrc.it/ILCD/Common"'


def exchange(internal_id: str, flow: str, short: str, direction: str, amount: str,
             extra: str = "") -> str:
    return f"""<exchange dataSetInternalID="{internal_id}">
      <referenceToFlowDataSet refObjectId="{flow}" type="flow data set" uri="../flows/{flow}.xml">
        <common:shortDescription xml:lang="en">{short}</common:shortDescription>
      </referenceToFlowDataSet>
      <exchangeDirection>{direction}</exchangeDirection>
      <meanAmount>{amount}</meanAmount>{extra}
    </exchange>"""


STANDARD_EXCHANGES = (
    exchange("0", BILLET, "steel billet", "Output", "1000",
             "<resultingAmount>1000</resultingAmount>")
    + exchange("1", COKE, "hard coal coke", "Input", "450.5",
               "<uncertaintyDistributionType>log-normal</uncertaintyDistributionType>"
               "<relativeStandardDeviation95In>1.21</relativeStandardDeviation95In>")
    + exchange("2", CO2, "carbon dioxide", "Output", "1850"))


def process_xml(exchanges: str = STANDARD_EXCHANGES, reference: str = "0") -> str:
    quantitative = ("" if not reference else "<quantitativeReference type=\"Reference flow(s)\">"
                    f"<referenceToReferenceFlow>{reference}</referenceToReferenceFlow>"
                    "</quantitativeReference>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<processDataSet xmlns="http://lca.jrc.it/ILCD/Process" {COMMON} version="1.1">
  <processInformation>
    <dataSetInformation>
      <common:UUID>{PROCESS}</common:UUID>
      <name>
        <baseName xml:lang="de">Stahlknüppel</baseName>
        <baseName xml:lang="en">Steel billet</baseName>
        <treatmentStandardsRoutes xml:lang="en">basic oxygen furnace</treatmentStandardsRoutes>
        <mixAndLocationTypes xml:lang="en">at plant</mixAndLocationTypes>
      </name>
      <classificationInformation><common:classification>
        <common:class level="0">Metals</common:class><common:class level="1">Steel</common:class>
      </common:classification></classificationInformation>
    </dataSetInformation>
    {quantitative}
    <time><common:referenceYear>2020</common:referenceYear>
      <common:dataSetValidUntil>2025</common:dataSetValidUntil></time>
    <geography><locationOfOperationSupplyOrProduction location="CN-SX"/></geography>
  </processInformation>
  <modellingAndValidation>
    <dataSourcesTreatmentAndRepresentativeness>
      <referenceToDataSource refObjectId="88888888-8888-8888-8888-888888888888">
        <common:shortDescription xml:lang="en">Shanxi plant survey</common:shortDescription>
      </referenceToDataSource>
    </dataSourcesTreatmentAndRepresentativeness>
    <validation><review type="Independent external review">
      <common:dataQualityIndicators>
        <common:dataQualityIndicator name="Technological representativeness" value="Good"/>
        <common:dataQualityIndicator name="Precision" value="Fair"/>
      </common:dataQualityIndicators>
    </review></validation>
  </modellingAndValidation>
  <administrativeInformation><publicationAndOwnership>
    <common:referenceToOwnershipOfDataSet refObjectId="99999999-9999-9999-9999-999999999999">
      <common:shortDescription xml:lang="en">Shanxi EEC</common:shortDescription>
    </common:referenceToOwnershipOfDataSet>
    <common:licenseType>Free of charge for all users and uses</common:licenseType>
  </publicationAndOwnership></administrativeInformation>
  <exchanges>{exchanges}</exchanges>
</processDataSet>"""


def flow_xml(uuid: str, name: str, kind: str, categories: str = "", cas: str = "") -> str:
    classification = (f"<common:elementaryFlowCategorization>{categories}"
                      "</common:elementaryFlowCategorization>" if categories else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow" {COMMON} version="1.1">
  <flowInformation>
    <dataSetInformation>
      <common:UUID>{uuid}</common:UUID>
      <name><baseName xml:lang="en">{name}</baseName></name>
      <classificationInformation>{classification}</classificationInformation>
      {f"<CASNumber>{cas}</CASNumber>" if cas else ""}
    </dataSetInformation>
    <quantitativeReference><referenceToReferenceFlowProperty>0</referenceToReferenceFlowProperty>
    </quantitativeReference>
  </flowInformation>
  <modellingAndValidation><LCIMethod><typeOfDataSet>{kind}</typeOfDataSet></LCIMethod>
  </modellingAndValidation>
  <flowProperties><flowProperty dataSetInternalID="0">
    <referenceToFlowPropertyDataSet refObjectId="{MASS}"/><meanValue>1</meanValue>
  </flowProperty></flowProperties>
</flowDataSet>"""


FLOW_PROPERTY = f"""<?xml version="1.0" encoding="UTF-8"?>
<flowPropertyDataSet xmlns="http://lca.jrc.it/ILCD/FlowProperty" {COMMON}>
  <flowPropertiesInformation>
    <dataSetInformation><common:UUID>{MASS}</common:UUID></dataSetInformation>
    <quantitativeReference>
      <referenceToReferenceUnitGroup refObjectId="{MASS_UNITS}"/>
    </quantitativeReference>
  </flowPropertiesInformation>
</flowPropertyDataSet>"""

UNIT_GROUP = f"""<?xml version="1.0" encoding="UTF-8"?>
<unitGroupDataSet xmlns="http://lca.jrc.it/ILCD/UnitGroup" {COMMON}>
  <unitGroupInformation>
    <dataSetInformation><common:UUID>{MASS_UNITS}</common:UUID></dataSetInformation>
    <quantitativeReference><referenceToReferenceUnit>1</referenceToReferenceUnit>
    </quantitativeReference>
  </unitGroupInformation>
  <units>
    <unit dataSetInternalID="0"><name>t</name><meanValue>1000</meanValue></unit>
    <unit dataSetInternalID="1"><name>kg</name><meanValue>1</meanValue></unit>
  </units>
</unitGroupDataSet>"""

AIR = ('<common:category level="0">Emissions</common:category>'
       '<common:category level="1">Emissions to air</common:category>')


def archive_files(process: str) -> dict[str, str]:
    return {
        f"processes/{PROCESS}.xml": process,
        f"flows/{BILLET}_01.00.000.xml": flow_xml(BILLET, "steel billet", "Product flow"),
        f"flows/{COKE}.xml": flow_xml(COKE, "hard coal coke", "Product flow"),
        f"flows/{CO2}.xml": flow_xml(CO2, "carbon dioxide", "Elementary flow", AIR, "124-38-9"),
        f"flows/{SLAG}.xml": flow_xml(SLAG, "blast furnace slag", "Product flow"),
        f"flowproperties/{MASS}.xml": FLOW_PROPERTY,
        f"unitgroups/{MASS_UNITS}.xml": UNIT_GROUP,
    }


def write_folder(root: Path, process: str = "") -> Path:
    for name, text in archive_files(process or process_xml()).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def write_zip(path: Path, process: str = "", extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in (archive_files(process or process_xml()) | (extra or {})).items():
            archive.writestr(f"ILCD/{name}", text)
    return path


def failure(path: Path) -> DatasetImportError:
    with pytest.raises(DatasetImportError) as caught:
        import_ilcd(path)
    return caught.value


class TestTinyArchive:
    def test_reads_the_process_with_units_from_its_flow_properties(self, tmp_path: Path) -> None:
        dataset = import_ilcd(write_folder(tmp_path / "shanxi"), version="2024.1")
        assert (dataset.name, dataset.version, dataset.format) == ("shanxi", "2024.1", "ilcd")
        assert dataset.role is DatasetRole.BASE
        (activity,) = dataset.activities
        assert activity.id == PROCESS
        assert activity.name == "Steel billet, basic oxygen furnace, at plant"
        assert (activity.reference_product, activity.unit, activity.amount) == (
            "steel billet", "kg", 1000.0)
        assert activity.inputs == (InputRecord(
            "", 450.5, "kg", "hard coal coke", "hard coal coke",
            Uncertainty("lognormal", (("gsd", pytest.approx(1.1)),))),)
        assert activity.emissions == (ElementaryRecord(CO2, 1850.0, "kg"),)
        assert dataset.flows == (FlowRecord(
            CO2, "carbon dioxide", "kg", "Emissions/Emissions to air", "124-38-9", "CO2",
            Origin.FOSSIL, FlowKind.EMISSION),)

    def test_reads_metadata_provenance_and_quality(self, tmp_path: Path) -> None:
        (activity,) = import_ilcd(write_folder(tmp_path)).activities
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "CN-SX", "2020", "2025")
        assert activity.sector == "Metals/Steel"
        assert activity.provenance.publisher == "Shanxi EEC"
        assert activity.provenance.source == "Shanxi plant survey"
        assert activity.provenance.licence == "Free of charge for all users and uses"
        assert activity.quality == DataQuality(technological=2.0, reliability=3.0)

    def test_a_zip_with_an_ilcd_top_folder_reads_like_the_folder(self, tmp_path: Path) -> None:
        from_zip = import_ilcd(write_zip(tmp_path / "bg.zip"), name="Shanxi",
                               role=DatasetRole.EXTENSION)
        from_folder = import_ilcd(write_folder(tmp_path / "bg"))
        assert (from_zip.name, from_zip.role) == ("Shanxi", DatasetRole.EXTENSION)
        assert from_zip.activities == from_folder.activities
        assert from_zip.flows == from_folder.flows

    def test_a_lone_process_file_falls_back_to_short_descriptions(self, tmp_path: Path) -> None:
        path = tmp_path / "billet.xml"
        path.write_text(process_xml(), encoding="utf-8")
        dataset = import_ilcd(path)
        (activity,) = dataset.activities
        assert dataset.name == "Steel billet, basic oxygen furnace, at plant"
        assert (activity.reference_product, activity.unit) == ("steel billet", "")
        assert [(i.provider_name, i.amount, i.unit) for i in activity.inputs] == [
            ("hard coal coke", 450.5, "")]
        # no flow data set: "carbon dioxide" is elementary because it names a greenhouse gas
        assert dataset.flows[0].gas == "CO2"
        assert activity.emissions == (ElementaryRecord(CO2, 1850.0, ""),)

    def test_without_flow_data_only_an_output_named_after_a_gas_is_an_emission(
            self, tmp_path: Path) -> None:
        fuel = exchange("3", "66666666-0000-0000-0000-000000000000", "propane", "Input", "2")
        path = tmp_path / "billet.xml"
        path.write_text(process_xml(STANDARD_EXCHANGES + fuel), encoding="utf-8")
        dataset = import_ilcd(path)
        (activity,) = dataset.activities
        assert [(i.provider_name, i.amount) for i in activity.inputs] == [
            ("hard coal coke", 450.5), ("propane", 2.0)]  # bought, not taken from nature
        assert [f.gas for f in dataset.flows] == ["CO2"]

    def test_a_waste_output_is_an_input_of_its_treatment(self, tmp_path: Path) -> None:
        waste = exchange("3", SLAG, "blast furnace slag", "Output", "120")
        write_folder(tmp_path, process_xml(STANDARD_EXCHANGES + waste))
        (tmp_path / "flows" / f"{SLAG}.xml").write_text(
            flow_xml(SLAG, "blast furnace slag", "Waste flow"), encoding="utf-8")
        (activity,) = import_ilcd(tmp_path).activities
        assert [(i.provider_name, i.amount) for i in activity.inputs] == [
            ("hard coal coke", 450.5), ("blast furnace slag", 120.0)]

    def test_splits_a_multi_output_process_by_its_allocation(self, tmp_path: Path) -> None:
        def shares(billet: str, slag: str) -> str:
            return (f'<allocations><allocation internalReferenceToCoProduct="0" '
                    f'allocatedFraction="{billet}"/><allocation '
                    f'internalReferenceToCoProduct="3" allocatedFraction="{slag}"/></allocations>')

        exchanges = (exchange("0", BILLET, "steel billet", "Output", "1000")
                     + exchange("1", COKE, "hard coal coke", "Input", "400", shares("90", "10"))
                     + exchange("2", CO2, "carbon dioxide", "Output", "2000", shares("75", "25"))
                     + exchange("3", SLAG, "blast furnace slag", "Output", "200"))
        billet, slag = import_ilcd(write_folder(tmp_path, process_xml(exchanges))).activities
        assert (billet.id, billet.reference_product, billet.amount) == (
            f"{PROCESS}::0", "steel billet", 1000.0)
        assert (slag.id, slag.reference_product, slag.amount) == (
            f"{PROCESS}::3", "blast furnace slag", 200.0)
        assert [i.amount for i in billet.inputs] == [pytest.approx(360.0)]
        assert [e.amount for e in billet.emissions] == [pytest.approx(1500.0)]
        assert [i.amount for i in slag.inputs] == [pytest.approx(40.0)]
        assert [e.amount for e in slag.emissions] == [pytest.approx(500.0)]


class TestUncertainty:
    @pytest.mark.parametrize(("spread", "expected"), [
        ("<uncertaintyDistributionType>normal</uncertaintyDistributionType>"
         "<relativeStandardDeviation95In>10</relativeStandardDeviation95In>",
         Uncertainty("normal", (("sd", pytest.approx(22.525)),))),
        ("<uncertaintyDistributionType>triangular</uncertaintyDistributionType>"
         "<minimumAmount>400</minimumAmount><maximumAmount>500</maximumAmount>",
         Uncertainty("triangular", (("maximum", 500.0), ("minimum", 400.0), ("mode", 450.5)))),
        ("<uncertaintyDistributionType>uniform</uncertaintyDistributionType>"
         "<minimumAmount>400</minimumAmount><maximumAmount>500</maximumAmount>",
         Uncertainty("uniform", (("maximum", 500.0), ("minimum", 400.0)))),
        ("<uncertaintyDistributionType>undefined</uncertaintyDistributionType>"
         "<relativeStandardDeviation95In>12.1</relativeStandardDeviation95In>", None),
    ])
    def test_reads_the_distribution_of_an_input(self, tmp_path: Path, spread: str,
                                                expected: Uncertainty | None) -> None:
        exchanges = (exchange("0", BILLET, "steel billet", "Output", "1000")
                     + exchange("1", COKE, "hard coal coke", "Input", "450.5", spread))
        (activity,) = import_ilcd(write_folder(tmp_path, process_xml(exchanges))).activities
        assert activity.inputs[0].uncertainty == expected

    def test_a_log_normal_factor_of_one_or_less_is_refused(self, tmp_path: Path) -> None:
        broken = process_xml(STANDARD_EXCHANGES.replace(">1.21<", ">0.5<"))
        (issue,) = failure(write_folder(tmp_path, broken)).issues
        assert (issue.location, issue.field, issue.value) == (
            f"process {PROCESS}, exchange 1", "relativeStandardDeviation95In", "0.5")

    def test_an_allocated_share_scales_the_absolute_spread(self, tmp_path: Path) -> None:
        spread = ("<uncertaintyDistributionType>uniform</uncertaintyDistributionType>"
                  "<minimumAmount>300</minimumAmount><maximumAmount>500</maximumAmount>"
                  '<allocations><allocation internalReferenceToCoProduct="0" '
                  'allocatedFraction="50"/><allocation internalReferenceToCoProduct="3" '
                  'allocatedFraction="50"/></allocations>')
        exchanges = (exchange("0", BILLET, "steel billet", "Output", "1000")
                     + exchange("1", COKE, "hard coal coke", "Input", "400", spread)
                     + exchange("3", SLAG, "blast furnace slag", "Output", "200"))
        billet, _ = import_ilcd(write_folder(tmp_path, process_xml(exchanges))).activities
        assert billet.inputs == (InputRecord(
            "", 200.0, "kg", "hard coal coke", "hard coal coke",
            Uncertainty("uniform", (("maximum", 250.0), ("minimum", 150.0)))),)


class TestBrokenArchives:
    def test_a_non_numeric_amount_names_file_location_field_and_value(
            self, tmp_path: Path) -> None:
        broken = process_xml(STANDARD_EXCHANGES.replace("450.5", "45O.5"))
        error = failure(write_folder(tmp_path, broken))
        (issue,) = error.issues
        assert issue.file == str(tmp_path / "processes" / f"{PROCESS}.xml")
        assert (issue.location, issue.field, issue.value) == (
            f"process {PROCESS}, exchange 1", "meanAmount", "45O.5")
        assert f"process {PROCESS}, exchange 1: field 'meanAmount' value '45O.5'" in str(error)

    def test_a_process_without_reference_flow_is_refused(self, tmp_path: Path) -> None:
        error = failure(write_zip(tmp_path / "bg.zip", process_xml(reference="")))
        (issue,) = error.issues
        assert issue.file == f"{tmp_path / 'bg.zip'}:ILCD/processes/{PROCESS}.xml"
        assert (issue.location, issue.field) == (f"process {PROCESS}", "referenceToReferenceFlow")
        assert "no quantitative reference" in issue.message

    def test_a_reference_to_a_missing_exchange_names_its_id(self, tmp_path: Path) -> None:
        (issue,) = failure(write_folder(tmp_path, process_xml(reference="7"))).issues
        assert (issue.field, issue.value) == ("referenceToReferenceFlow", "7")

    def test_malformed_xml_names_the_file_and_line(self, tmp_path: Path) -> None:
        error = failure(write_folder(tmp_path, process_xml()[:400]))
        (issue,) = error.issues
        assert issue.file.endswith(f"{PROCESS}.xml")
        assert issue.location.startswith("line ")
        assert "malformed XML" in issue.message

    def test_a_malformed_flow_data_set_is_named(self, tmp_path: Path) -> None:
        write_folder(tmp_path)
        (tmp_path / "flows" / f"{COKE}.xml").write_text("<flowDataSet>", encoding="utf-8")
        (issue,) = failure(tmp_path).issues
        assert issue.file == str(tmp_path / "flows" / f"{COKE}.xml")
        assert "malformed XML" in issue.message

    def test_allocation_fractions_that_do_not_sum_to_100_are_refused(
            self, tmp_path: Path) -> None:
        shares = ('<allocations><allocation internalReferenceToCoProduct="0" '
                  'allocatedFraction="60"/><allocation internalReferenceToCoProduct="3" '
                  'allocatedFraction="30"/></allocations>')
        exchanges = (exchange("0", BILLET, "steel billet", "Output", "1000")
                     + exchange("1", COKE, "hard coal coke", "Input", "400", shares)
                     + exchange("3", SLAG, "blast furnace slag", "Output", "200"))
        (issue,) = failure(write_folder(tmp_path, process_xml(exchanges))).issues
        assert (issue.location, issue.field, issue.value) == (
            f"process {PROCESS}, exchange 1", "allocatedFraction", "90")

    def test_a_second_product_without_allocation_is_refused(self, tmp_path: Path) -> None:
        slag = exchange("3", SLAG, "blast furnace slag", "Output", "120")
        (issue,) = failure(write_folder(tmp_path, process_xml(STANDARD_EXCHANGES + slag))).issues
        assert issue.value == "steel billet; blast furnace slag"
        assert issue.message == "multi-output process without allocation"

    def test_a_zip_member_outside_the_archive_is_refused(self, tmp_path: Path) -> None:
        error = failure(write_zip(tmp_path / "bg.zip", extra={"../../evil.xml": "<x/>"}))
        assert [i.value for i in error.issues] == ["ILCD/../../evil.xml"]
        assert "outside the archive" in error.issues[0].message

    def test_an_oversized_zip_member_is_refused(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(ilcd, "MAX_MEMBER_BYTES", 2000)
        error = failure(write_zip(tmp_path / "bg.zip"))
        assert {i.location for i in error.issues} == {f"member ILCD/processes/{PROCESS}.xml"}
        assert "larger than 2000 bytes" in error.issues[0].message

    def test_a_file_that_is_not_a_zip_is_an_issue_not_a_traceback(self, tmp_path: Path) -> None:
        path = tmp_path / "bg.zip"
        path.write_bytes(b"not a zip")
        (issue,) = failure(path).issues
        assert "BadZipFile" in issue.message

    def test_a_folder_without_processes_and_a_missing_path(self, tmp_path: Path) -> None:
        assert "no processes/ folder" in failure(tmp_path).issues[0].message
        empty = tmp_path / "empty.zip"
        with zipfile.ZipFile(empty, "w") as archive:
            archive.writestr("readme.txt", "no data sets")
        assert "no process data sets" in failure(empty).issues[0].message
        assert failure(tmp_path / "nope.xml").issues[0].message == "no such file or folder"


class TestReferenceFixtures:
    def test_olca_modules_process_resolves_flow_property_and_unit_group(
            self, reference_fixtures: Path, tmp_path: Path) -> None:
        source = reference_fixtures / "ilcd" / "olca-modules"
        for folder, name in (("processes", "process.xml"), ("flows", "flow.xml"),
                             ("flowproperties", "flowproperty.xml"), ("unitgroups", "unit.xml")):
            (tmp_path / "ILCD" / folder).mkdir(parents=True)
            shutil.copy(source / name, tmp_path / "ILCD" / folder / name)
        (activity,) = import_ilcd(tmp_path).activities
        assert activity.id == ABS
        assert activity.name == (
            "Acrylonitrile-Butadiene-Styrene granulate (ABS), production mix, at plant")
        # the test data set's reference flow is the flow data set beside it: glycidol, in kg
        assert (activity.reference_product, activity.unit, activity.amount) == (
            "glycidol", "kg", 1.0)
        assert (activity.geography, activity.period_start, activity.period_end) == (
            "RER", "1996", "2006")
        assert activity.sector == "Materials production/Plastics"
        assert (activity.inputs, activity.emissions) == ((), ())

    def test_olca_modules_process_alone_uses_the_short_description(
            self, reference_fixtures: Path) -> None:
        (activity,) = import_ilcd(reference_fixtures / "ilcd" / "olca-modules" /
                                  "process.xml").activities
        assert (activity.reference_product, activity.unit) == ("carcass meal", "")

    def test_olca_ilcd_elcd_process_with_163_exchanges(self, reference_fixtures: Path) -> None:
        dataset = import_ilcd(reference_fixtures / "ilcd" / "olca-ilcd" / "process.xml")
        (activity,) = dataset.activities
        assert activity.reference_product == "acrylonitrile-butadiene-styrene granulate (ABS)"
        assert activity.amount == 1.0
        assert (len(activity.inputs), len(activity.emissions), len(dataset.flows)) == (
            21, 141, 141)
        assert activity.provenance.publisher == "Plastics Europe"
        assert activity.provenance.source == "Boustead Model; Ecoprofile ABS"
        inputs = {i.provider_name: i.amount for i in activity.inputs}
        assert inputs["energy (recovered)"] == -3.97796
        assert inputs["chemical waste (unspecified)"] == 0.004142821  # a waste output
        gases = {(f.name, f.compartment, f.gas) for f in dataset.flows if f.gas}
        assert gases == {("carbon dioxide", "Emissions to air", "CO2"),
                         ("methane", "Emissions to air", "CH4"),
                         ("nitrous oxide", "Emissions to air", "N2O"),
                         ("dichloromethane", "Emissions to air", "CH2Cl2"),
                         ("1,2-dichloroethane", "Emissions to air", "CH2ClCH2Cl")}
        assert ("phosphate", "Emissions to water") in {
            (f.name, f.compartment) for f in dataset.flows}

    def test_the_sdk_sample_with_zero_reference_amounts_is_refused(
            self, reference_fixtures: Path) -> None:
        error = failure(reference_fixtures / "ilcd" / "olca-ilcd" / "sdk_sample_process.xml")
        where = "process 00000000-0000-0000-0000-000000000000"
        assert [(i.location, i.field, i.value) for i in error.issues] == [
            (f"{where}, exchange 0", "resultingAmount", "0"),
            (f"{where}, exchange 1", "resultingAmount", "0"),
            (where, "exchanges", "shortDescription64; shortDescription64")]

    @pytest.mark.parametrize("name", ["flow.xml", "contact.xml", "unit.xml"])
    def test_a_non_process_data_set_is_refused(self, reference_fixtures: Path,
                                               name: str) -> None:
        (issue,) = failure(reference_fixtures / "ilcd" / "olca-ilcd" / name).issues
        assert issue.location == "root element"
        assert "not an ILCD process data set" in issue.message
