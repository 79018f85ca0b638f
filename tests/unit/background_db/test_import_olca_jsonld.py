"""openLCA JSON-LD import: the real 1.x / 2.x fixtures, exact numbers on generated packages in
both schema versions, allocation, and the errors (file, location, field and value named)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from background_db.errors import DatasetImportError
from background_db.importers import olca_jsonld
from background_db.importers.olca_jsonld import import_olca_jsonld
from background_db.records import ActivityRecord, Dataset, DatasetRole
from lca_engine.model import DataQuality, FlowKind, Origin, Uncertainty

# ---------------------------------------------------------------- real fixtures


def _activity(dataset: Dataset, activity_id: str) -> ActivityRecord:
    return next(a for a in dataset.activities if a.id == activity_id)


def test_olca_1x_zip_single_process(reference_fixtures: Path) -> None:
    path = reference_fixtures / "jsonld" / "olca-modules-zips" / "exchange_sync-process.zip"
    dataset = import_olca_jsonld(path, version="1.7.3")
    assert (dataset.name, dataset.version, dataset.format) == (
        "exchange_sync-process", "1.7.3", "olca-jsonld")
    assert dataset.role is DatasetRole.BASE
    (act,) = dataset.activities
    assert (act.id, act.name) == ("68a86e58-0567-433f-ae8a-af32effe1f4c", "Test process")
    assert (act.reference_product, act.unit, act.amount) == ("Test flow", "test", 1.0)
    (inp,) = act.inputs
    assert (inp.provider, inp.provider_name, inp.amount, inp.unit) == (
        "", "Test flow 2", 1.0, "test")
    assert dataset.flows == ()


def test_olca_1x_zip_all(reference_fixtures: Path) -> None:
    path = reference_fixtures / "jsonld" / "olca-modules-zips" / "exchange_sync-all.zip"
    dataset = import_olca_jsonld(path, name="sync")
    assert dataset.name == "sync"
    assert {a.id: a.reference_product for a in dataset.activities} == {
        "68a86e58-0567-433f-ae8a-af32effe1f4c": "Test flow",
        "644e363a-a8e2-423b-a25c-d109a188d963": "Test flow 2",
    }
    assert _activity(dataset, "644e363a-a8e2-423b-a25c-d109a188d963").inputs == ()


def test_zip_without_processes_is_refused(reference_fixtures: Path) -> None:
    path = reference_fixtures / "jsonld" / "olca-modules-zips" / "unit_sync-unit_group.zip"
    with pytest.raises(DatasetImportError, match="holds no processes") as info:
        import_olca_jsonld(path)
    assert str(path) in str(info.value)


def test_beef_cattle_folder(reference_fixtures: Path) -> None:
    folder = reference_fixtures / "jsonld" / "bw2io-beef-cattle-finishing" / "beef-cattle-finishing"
    dataset = import_olca_jsonld(folder)
    assert dataset.name == "beef-cattle-finishing"
    assert len(dataset.activities) == 8
    finishing = _activity(dataset, "1b97b691-7c00-4150-9e97-df2020bfd203")
    assert finishing.name == "beef cattle finishing; CCF operation; at auction; LW"
    assert finishing.reference_product == (
        "beef cattle; CCF operation; finishers and culls at auction; LW")
    assert (finishing.unit, finishing.amount) == ("kg", 2914841.44)
    assert finishing.geography == "US-NE"
    assert (finishing.period_start, finishing.period_end) == ("2011-01-01", "2011-12-31")
    assert finishing.sector == (
        "Agriculture, forestry, and fishing/ISIC 0141: Raising of cattle and buffaloes")
    assert finishing.provenance.publisher == "University of Arkansas, USA"
    assert finishing.provenance.source.startswith("Rotz et al. 2013")
    premix = next(i for i in finishing.inputs if i.name.startswith("vitamin premix"))
    assert (premix.provider, premix.amount, premix.unit) == (
        "9f9e378b-7faa-4d4c-a419-3374b3632021", 1000.0, "kg")
    transport = next(i for i in finishing.inputs if i.name.startswith("Transport"))
    assert (transport.provider, transport.provider_name, transport.amount, transport.unit) == (
        "", "Transport, combination truck, diesel powered", 10617.0, "t*km")
    assert len(finishing.inputs) == 9
    assert len(finishing.emissions) == 6
    # "alfalfa hay production" flags no quantitative reference; its one product output is it
    alfalfa = _activity(dataset, "bb4f02fd-2277-400d-92ef-0b712aef4baf")
    assert (alfalfa.reference_product, alfalfa.amount, alfalfa.unit) == (
        "alfalfa hay; bailed, stored outside; on farm; dry matter", 8093.0, "t")
    flows = {f.id: f for f in dataset.flows}
    co2 = flows["7ae371aa-8532-11e0-9d78-0800200c9a66"]
    assert (co2.name, co2.unit, co2.compartment) == (
        "Carbon dioxide", "kg", "Elementary flows/Emission to air/unspecified")
    assert (co2.gas, co2.origin, co2.kind) == ("CO2", Origin.FOSSIL, FlowKind.EMISSION)
    assert flows["57bdb443-d4a6-423d-8024-959b8261d02e"].gas == "CH4"
    assert flows["57bdb443-d4a6-423d-8024-959b8261d02e"].origin is Origin.BIOGENIC
    pasture = _activity(dataset, "2185d89c-d65f-4116-99ad-2ee41ba80689")
    assert {e.flow: e.amount for e in pasture.emissions}[co2.id] == 309278.0
    feed = _activity(dataset, "efa8b1d9-dd4a-4d25-b595-2dad6932e428")
    co2_high = flows["643975a8-03da-44bb-873f-4fe8e7740fe6"]
    assert co2_high.compartment == "Elementary flows/Emission to air/high population density"
    assert co2_high.gas == "CO2"
    assert {e.flow: e.amount for e in feed.emissions}[co2_high.id] == 250419.0


def test_us_fpl_folder_allocates_co_products(reference_fixtures: Path) -> None:
    dataset = import_olca_jsonld(reference_fixtures / "jsonld" / "bw2io-US-FPL" / "US-FPL")
    # 4 processes: pyrolysis has 3 products, torrefaction 2 (causal allocation by default)
    assert len(dataset.activities) == 7
    chips = _activity(dataset, "0fc3aa0c-865f-33b1-92d7-4db5ad1c8c1c")
    assert (chips.reference_product, chips.unit, chips.amount) == (
        "Whole tree chips; softwood; at sawmill, INW", "kg", 1.0)
    assert chips.quality is None  # "(1;1)" is not a 5-indicator pedigree entry
    assert chips.provenance.publisher == (
        "United States Forest Service, Forest Products Laboratory")
    train = next(i for i in chips.inputs if i.name == "Transport, train, diesel powered")
    assert (train.amount, train.unit) == (3.48, "t*km")
    torgas = _activity(dataset, "81e3e71d-0616-32a8-89ce-216aacc03ff5::"
                                "12d75c42-10a6-35ab-abf9-f83fcf5f7b21")
    assert (torgas.reference_product, torgas.amount, torgas.unit) == ("Torgas", 0.0432, "m3")
    gasoline = {i.name: i.amount for i in torgas.inputs}["Gasoline, at refinery"]
    assert gasoline == pytest.approx(2.23e-06 * 5)  # the file's causal factor for Torgas
    torrefied = _activity(dataset, "81e3e71d-0616-32a8-89ce-216aacc03ff5")
    assert torrefied.reference_product == "Torrefied chips; at torrefier"
    assert all(i.amount == 0.0 for i in torrefied.inputs)  # causal factors 0 in the file


def test_olca_schema_v2_single_process(reference_fixtures: Path) -> None:
    dataset = import_olca_jsonld(reference_fixtures / "jsonld" / "olca-schema-examples"
                                 / "process.json")
    (act,) = dataset.activities
    assert (act.id, act.name) == ("59963026-9b57-4666-a732-59fa9ebd9223", "Steel production")
    assert (act.reference_product, act.unit, act.amount, act.geography) == (
        "Steel", "kg", 1.0, "Germany")
    assert (act.inputs, act.emissions, dataset.flows) == ((), (), ())


def test_single_file_that_is_not_a_process(reference_fixtures: Path) -> None:
    with pytest.raises(DatasetImportError, match="'@type' value 'Flow': not a Process"):
        import_olca_jsonld(reference_fixtures / "jsonld" / "olca-schema-examples" / "flow.json")


# ---------------------------------------------------------------- generated packages

ELEC, STEEL, BRICK = "p-elec", "p-steel", "p-brick"
F_ELEC, F_STEEL, F_SLAG, F_SCRAP = "f-elec", "f-steel", "f-slag", "f-scrap"
F_WATER, F_BRICK, F_CO2, F_CH4 = "f-water", "f-brick", "f-co2", "f-ch4"
AIR = "Elementary flows/Emission to air/unspecified"
MASS, KG_GROUP = "fp-mass", "ug-mass"


def _flow(uid: str, name: str, flow_type: str, category: str, cas: str = "") -> dict[str, Any]:
    return {"@type": "Flow", "@id": uid, "name": name, "flowType": flow_type,
            "category": category, "cas": cas, "flowProperties": [
                {"@type": "FlowPropertyFactor", "isRefFlowProperty": True,
                 "conversionFactor": 1.0, "flowProperty": {"@type": "FlowProperty", "@id": MASS}}]}


FLOWS = [
    _flow(F_ELEC, "electricity, medium voltage", "PRODUCT_FLOW", "Technosphere/energy"),
    _flow(F_STEEL, "steel, hot rolled", "PRODUCT_FLOW", "Technosphere/metals"),
    _flow(F_SLAG, "blast furnace slag", "PRODUCT_FLOW", "Technosphere/metals"),
    _flow(F_SCRAP, "iron scrap", "PRODUCT_FLOW", "Technosphere/metals"),
    _flow(F_WATER, "waste water", "WASTE_FLOW", "Technosphere/waste"),
    _flow(F_BRICK, "slag brick", "PRODUCT_FLOW", "Technosphere/building"),
    _flow(F_CO2, "Carbon dioxide, fossil", "ELEMENTARY_FLOW", AIR, "124-38-9"),
    _flow(F_CH4, "Methane, fossil", "ELEMENTARY_FLOW", AIR, "74-82-8"),
]
FLOW_TYPES = {f["@id"]: f["flowType"] for f in FLOWS}
FLOW_NAMES = {f["@id"]: f["name"] for f in FLOWS}


def _ex(n: int, flow: str, amount: object, unit: str, *, is_input: bool = False,
        ref: bool = False, avoided: bool = False, provider: str = "",
        uncertainty: dict[str, Any] | None = None, ref_unit: bool = True) -> dict[str, Any]:
    flow_ref: dict[str, Any] = {"@type": "Flow", "@id": flow, "name": FLOW_NAMES[flow],
                                "flowType": FLOW_TYPES[flow]}
    if ref_unit:
        flow_ref["refUnit"] = "kg"
    exchange: dict[str, Any] = {
        "@type": "Exchange", "internalId": n, "amount": amount, "isInput": is_input,
        "isQuantitativeReference": ref, "isAvoidedProduct": avoided, "flow": flow_ref,
        "unit": {"@type": "Unit", "name": unit}}
    if provider:
        exchange["defaultProvider"] = {"@type": "Process", "@id": provider}
    if uncertainty:
        exchange["uncertainty"] = {"@type": "Uncertainty", **uncertainty}
    return exchange


def _process(uid: str, name: str, exchanges: list[dict[str, Any]],
             **extra: Any) -> dict[str, Any]:
    return {"@type": "Process", "@id": uid, "name": name, "processType": "UNIT_PROCESS",
            "exchanges": exchanges, **extra}


def _system() -> dict[str, list[dict[str, Any]]]:
    """Electricity -> steel (with slag as co-product, physical allocation 0.8/0.2) -> brick."""
    elec = _process(ELEC, "electricity production", [
        _ex(1, F_ELEC, 1.0, "kWh", ref=True),
        _ex(2, F_CO2, 0.5, "kg", uncertainty={"distributionType": "LOG_NORMAL_DISTRIBUTION",
                                              "geomMean": 0.5, "geomSd": 1.2}),
    ], location={"@type": "Location", "@id": "loc-sx", "name": "Shanxi"},
        category="Energy/Electricity")
    steel = _process(STEEL, "steel production", [
        _ex(1, F_STEEL, 1000.0, "kg", ref=True),
        _ex(2, F_SLAG, 250.0, "kg"),
        _ex(3, F_ELEC, 500.0, "kWh", is_input=True, provider=ELEC,
            uncertainty={"distributionType": "NORMAL_DISTRIBUTION", "mean": 500, "sd": 10}),
        _ex(4, F_SCRAP, 20.0, "kg", is_input=True, avoided=True,
            uncertainty={"distributionType": "UNIFORM_DISTRIBUTION",
                         "minimum": 10, "maximum": 30}),
        _ex(5, F_WATER, 3.0, "m3"),
        _ex(6, F_CO2, "1800", "kg", uncertainty={"distributionType": "TRIANGLE_DISTRIBUTION",
                                                  "minimum": 1700, "mode": 1800,
                                                  "maximum": 1900}),
        _ex(7, F_CH4, 5.0, "g", ref_unit=False),
    ], location={"@type": "Location", "@id": "loc-sx", "name": "Shanxi"},
        category="C/24 Basic metals", dqEntry="(2;3;1;4;5)",
        defaultAllocationMethod="PHYSICAL_ALLOCATION", allocationFactors=[
            {"@type": "AllocationFactor", "allocationType": t, "value": v,
             "product": {"@type": "Flow", "@id": p}}
            for t, p, v in (("PHYSICAL_ALLOCATION", F_STEEL, 0.8),
                            ("PHYSICAL_ALLOCATION", F_SLAG, 0.2),
                            ("ECONOMIC_ALLOCATION", F_STEEL, 0.95),
                            ("ECONOMIC_ALLOCATION", F_SLAG, 0.05))],
        processDocumentation={
            "validFrom": "2023-01-01", "validUntil": "2023-12-31+08:00",
            "dataSetOwner": {"@type": "Actor", "name": "Shanxi Steel Co."},
            "publication": {"@type": "Source", "name": "Plant report 2023"}})
    brick = _process(BRICK, "slag brick production", [
        _ex(1, F_BRICK, 1.0, "kg", ref=True),
        _ex(2, F_SLAG, 0.9, "kg", is_input=True, provider=STEEL),
    ])
    return {
        "processes": [elec, steel, brick],
        "flows": FLOWS,
        "locations": [{"@type": "Location", "@id": "loc-sx", "name": "Shanxi",
                       "code": "CN-SX"}],
        "flow_properties": [{"@type": "FlowProperty", "@id": MASS, "name": "Mass",
                             "unitGroup": {"@type": "UnitGroup", "@id": KG_GROUP}}],
        "unit_groups": [{"@type": "UnitGroup", "@id": KG_GROUP, "name": "Units of mass",
                         "units": [{"name": "g", "conversionFactor": 0.001},
                                   {"name": "kg", "isRefUnit": True, "conversionFactor": 1}]}],
    }


def _check(uncertainty: Uncertainty | None, distribution: str, **parameters: float) -> None:
    assert uncertainty is not None
    assert uncertainty.distribution == distribution
    assert dict(uncertainty.parameters) == pytest.approx(parameters)


V2_TO_V1 = {v2: v1 for v1, v2 in olca_jsonld.V1_KEYS.items()}


def _to_v1(node: Any, top: bool = True) -> Any:
    """The same document in openLCA 1.x form: old keys, category objects and paths."""
    if isinstance(node, list):
        return [_to_v1(item, False) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "category" and isinstance(value, str):
            *path, name = value.split("/")
            if top:
                out["category"] = {"@type": "Category", "name": name, "categoryPath": path}
            else:
                out["categoryPath"] = [*path, name]
        else:
            out[V2_TO_V1.get(key) or key] = _to_v1(value, False)
    return out


def _write_folder(root: Path, package: dict[str, list[dict[str, Any]]]) -> Path:
    for folder, documents in package.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for doc in documents:
            (root / folder / f"{doc['@id']}.json").write_text(json.dumps(doc, indent=2))
    return root


def _write_zip(path: Path, package: dict[str, list[dict[str, Any]]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.info", '{"client":"test"}')
        for folder, documents in package.items():
            for doc in documents:
                archive.writestr(f"{folder}/{doc['@id']}.json", json.dumps(_to_v1(doc)))
    return path


@pytest.fixture(params=["v2-folder", "v1-zip"])
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Dataset:
    if request.param == "v2-folder":
        return import_olca_jsonld(_write_folder(tmp_path / "pkg", _system()))
    return import_olca_jsonld(_write_zip(tmp_path / "pkg.zip", _system()),
                              role=DatasetRole.EXTENSION, version="1")


def test_v1_zip_really_uses_old_keys(tmp_path: Path) -> None:
    path = _write_zip(tmp_path / "pkg.zip", _system())
    with zipfile.ZipFile(path) as archive:
        text = archive.read(f"processes/{STEEL}.json").decode()
    assert '"quantitativeReference": true' in text
    assert '"avoidedProduct": true' in text
    assert '"categoryPath"' in text
    assert '"isInput"' not in text


def test_generated_system_activities(system: Dataset) -> None:
    assert [a.id for a in system.activities] == [BRICK, ELEC, STEEL, f"{STEEL}::{F_SLAG}"]
    elec = _activity(system, ELEC)
    assert (elec.reference_product, elec.unit, elec.amount) == (
        "electricity, medium voltage", "kWh", 1.0)
    assert (elec.geography, elec.sector, elec.quality) == ("CN-SX", "Energy/Electricity", None)
    (co2,) = elec.emissions
    assert (co2.flow, co2.amount, co2.unit) == (F_CO2, 0.5, "kg")
    assert co2.uncertainty == Uncertainty("lognormal", (("gsd", 1.2),))
    brick = _activity(system, BRICK)
    (slag_input,) = brick.inputs
    assert (slag_input.provider, slag_input.amount) == (f"{STEEL}::{F_SLAG}", 0.9)


def test_generated_system_allocation_and_metadata(system: Dataset) -> None:
    steel = _activity(system, STEEL)
    assert (steel.reference_product, steel.unit, steel.amount) == (
        "steel, hot rolled", "kg", 1000.0)
    assert (steel.period_start, steel.period_end) == ("2023-01-01", "2023-12-31")
    assert steel.sector == "C/24 Basic metals"
    assert (steel.provenance.publisher, steel.provenance.source) == (
        "Shanxi Steel Co.", "Plant report 2023")
    assert steel.quality == DataQuality(technological=5, temporal=1, geographical=4,
                                        completeness=3, reliability=2)
    inputs = {i.name: i for i in steel.inputs}
    elec = inputs["electricity, medium voltage"]
    assert (elec.provider, elec.unit) == (ELEC, "kWh")
    assert elec.amount == pytest.approx(400.0)
    _check(elec.uncertainty, "normal", sd=8.0)
    scrap = inputs["iron scrap"]  # avoided product: a negative input
    assert scrap.amount == pytest.approx(-16.0)
    _check(scrap.uncertainty, "uniform", min=-24.0, max=-8.0)
    water = inputs["waste water"]  # waste output: demand for treatment, no provider known
    assert (water.provider, water.provider_name, water.unit) == ("", "waste water", "m3")
    assert water.amount == pytest.approx(2.4)
    emissions = {e.flow: e for e in steel.emissions}
    assert emissions[F_CO2].amount == pytest.approx(1440.0)
    _check(emissions[F_CO2].uncertainty, "triangular", min=1360.0, mode=1440.0, max=1520.0)
    assert emissions[F_CH4].unit == "g"
    assert emissions[F_CH4].amount == pytest.approx(4.0)
    slag = _activity(system, f"{STEEL}::{F_SLAG}")
    assert (slag.name, slag.reference_product, slag.unit, slag.amount) == (
        "steel production", "blast furnace slag", "kg", 250.0)
    assert {i.name: i.amount for i in slag.inputs} == {
        "electricity, medium voltage": pytest.approx(100.0),
        "iron scrap": pytest.approx(-4.0), "waste water": pytest.approx(0.6)}
    assert {e.flow: e.amount for e in slag.emissions} == {
        F_CO2: pytest.approx(360.0), F_CH4: pytest.approx(1.0)}


def test_generated_system_flows(system: Dataset) -> None:
    flows = {f.id: f for f in system.flows}
    assert set(flows) == {F_CO2, F_CH4}
    assert (flows[F_CO2].compartment, flows[F_CO2].cas, flows[F_CO2].gas) == (
        AIR, "124-38-9", "CO2")
    assert flows[F_CO2].origin is Origin.FOSSIL
    # no refUnit on the exchange: the flow's unit comes through flow property and unit group
    assert (flows[F_CH4].gas, flows[F_CH4].unit) == ("CH4", "kg")


def test_bare_category_references_are_looked_up(tmp_path: Path) -> None:
    package = _system()
    co2 = next(f for f in package["flows"] if f["@id"] == F_CO2)
    co2["category"] = {"@type": "Category", "@id": "c-3"}  # 1.x: a reference without path
    package["categories"] = [
        {"@type": "Category", "@id": "c-3", "name": "unspecified", "category": {"@id": "c-2"}},
        {"@type": "Category", "@id": "c-2", "name": "Emission to air",
         "category": {"@id": "c-1"}},
        {"@type": "Category", "@id": "c-1", "name": "Elementary flows"}]
    dataset = import_olca_jsonld(_write_zip(tmp_path / "pkg.zip", package))
    flows = {f.id: f for f in dataset.flows}
    assert (flows[F_CO2].compartment, flows[F_CO2].gas) == (AIR, "CO2")


def test_causal_allocation_in_single_v2_file(tmp_path: Path) -> None:
    doc = _process("p-chp", "combined heat and power", [
        _ex(1, F_ELEC, 10.0, "kWh", ref=True),
        _ex(2, F_STEEL, 5.0, "kg"),
        _ex(3, F_SCRAP, 100.0, "kg", is_input=True),
        _ex(4, F_CO2, 8.0, "kg"),
    ], defaultAllocationMethod="CAUSAL_ALLOCATION", allocationFactors=[
        {"allocationType": "CAUSAL_ALLOCATION", "value": v, "product": {"@id": p},
         "exchange": {"@type": "Exchange", "internalId": n}}
        for p, n, v in ((F_ELEC, 3, 0.7), (F_STEEL, 3, 0.3), (F_ELEC, 4, 0.5),
                        (F_STEEL, 4, 0.5))])
    doc["exchanges"][3]["flow"]["category"] = AIR
    path = tmp_path / "chp.json"
    path.write_text(json.dumps(doc))
    dataset = import_olca_jsonld(path)
    main, co = dataset.activities
    assert (main.id, co.id) == ("p-chp", f"p-chp::{F_STEEL}")
    assert [i.amount for i in main.inputs] == [pytest.approx(70.0)]
    assert [i.amount for i in co.inputs] == [pytest.approx(30.0)]
    assert [e.amount for e in main.emissions] == [pytest.approx(4.0)]
    (co2,) = dataset.flows  # no flow files: name, category and unit from the exchange
    assert (co2.name, co2.unit, co2.compartment, co2.gas) == (
        "Carbon dioxide, fossil", "kg", AIR, "CO2")


# ---------------------------------------------------------------- broken packages


def _broken(tmp_path: Path, *processes: dict[str, Any]) -> str:
    package = _system()
    package["processes"] = list(processes)
    with pytest.raises(DatasetImportError) as info:
        import_olca_jsonld(_write_folder(tmp_path / "pkg", package))
    return str(info.value)


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    root = _write_folder(tmp_path / "pkg", _system())
    (root / "processes" / "bad.json").write_text('{"@type": "Process",\n  "name": }\n')
    with pytest.raises(DatasetImportError) as info:
        import_olca_jsonld(root)
    message = str(info.value)
    assert str(root) in message
    assert "processes/bad.json, line 2, column 11" in message
    assert "invalid JSON" in message


@pytest.mark.parametrize(("text", "where"), [
    ("{\n", "line 2, column 1"), ("", "line 1, column 1"), ("[1, 2]", "expected a JSON object"),
    ("\xff", "invalid JSON: not UTF-8")])
def test_unparsable_single_file(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "process.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DatasetImportError, match=r"process\.json") as info:
        import_olca_jsonld(path)
    assert where in str(info.value)


def test_non_numeric_amount(tmp_path: Path) -> None:
    message = _broken(tmp_path, _process("p-x", "broken", [
        _ex(1, F_STEEL, 1.0, "kg", ref=True),
        _ex(2, F_ELEC, "lots", "kWh", is_input=True)]))
    assert "processes/p-x.json, process 'broken', exchange 2" in message
    assert "field 'amount' value 'lots': expected a number" in message
    assert str(tmp_path / "pkg") in message


def test_process_without_reference(tmp_path: Path) -> None:
    message = _broken(tmp_path, _process("p-x", "two outputs", [
        _ex(1, F_STEEL, 1.0, "kg"), _ex(2, F_SLAG, 1.0, "kg")]))
    assert "processes/p-x.json, process 'two outputs'" in message
    assert "field 'isQuantitativeReference'" in message
    assert "no quantitative reference" in message


def test_multi_output_without_allocation_factors(tmp_path: Path) -> None:
    message = _broken(tmp_path, _process("p-x", "steel and slag", [
        _ex(1, F_STEEL, 1.0, "kg", ref=True), _ex(2, F_SLAG, 0.2, "kg")],
        defaultAllocationMethod="PHYSICAL_ALLOCATION"))
    assert "processes/p-x.json, process 'steel and slag'" in message
    assert "field 'allocationFactors' value 'PHYSICAL_ALLOCATION'" in message
    assert "multi-output process without allocation factors" in message
    assert "'blast furnace slag'" in message


def test_every_problem_is_reported_and_nothing_kept(tmp_path: Path) -> None:
    good = _system()["processes"][0]
    message = _broken(tmp_path, good, _process("p-x", "broken", [
        _ex(1, F_STEEL, 1.0, "kg", ref=True),
        _ex(2, F_ELEC, "", "kWh", is_input=True),
        _ex(3, F_CO2, 1.0, "kg", uncertainty={"distributionType": "LOG_NORMAL_DISTRIBUTION",
                                               "geomSd": "wide"})]))
    assert message.startswith("2 problem(s)")
    assert "exchange 2 (electricity, medium voltage): field 'amount'" in message
    assert "field 'uncertainty.geomSd' value 'wide'" in message


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "pkg.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(DatasetImportError, match="not a readable zip archive") as info:
        import_olca_jsonld(path)
    assert str(path) in str(info.value)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetImportError, match="no such file or folder"):
        import_olca_jsonld(tmp_path / "absent.zip")


def test_zip_path_traversal_is_refused(tmp_path: Path) -> None:
    path = _write_zip(tmp_path / "pkg.zip", _system())
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../processes/evil.json", "{}")
    with pytest.raises(DatasetImportError, match="unsafe member name") as info:
        import_olca_jsonld(path)
    assert "../processes/evil.json" in str(info.value)


def test_zip_member_over_the_size_limit_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_zip(tmp_path / "pkg.zip", _system())
    monkeypatch.setattr(olca_jsonld, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(DatasetImportError, match="refused: larger than 1000 bytes") as info:
        import_olca_jsonld(path)
    assert f"processes/{STEEL}.json" in str(info.value)


def test_key_normalisation_prefers_v2_keys() -> None:
    doc = {"input": False, "isInput": True, "quantitativeReference": True,
           "nested": [{"avoidedProduct": True}]}
    assert olca_jsonld.normalise_keys(doc) == {
        "isInput": True, "isQuantitativeReference": True,
        "nested": [{"isAvoidedProduct": True}]}
