"""Minimal files in every import format, built from a list of one-exchange activities: each
activity makes 1 kg of its own product and exchanges one elementary flow with nature."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from background_db.importers.template import KEYS, header_cells

NAMESPACE = uuid.UUID("6f1d8a52-3c2e-4b7a-9d8e-0a1b2c3d4e5f")


@dataclass(frozen=True, slots=True)
class Exchange:
    """Activity *activity* emits (or, *from_nature*, takes up) *amount* kg of flow *flow*."""

    activity: str
    flow: str
    cas: str = ""
    amount: float = 1.0
    from_nature: bool = False


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def _flow_key(e: Exchange) -> str:
    return uid("flow", e.flow, e.cas, str(e.from_nature))


# ------------------------------------------------------------------ the project's template

def _template_rows(exchanges: Sequence[Exchange]) -> list[list[str]]:
    rows = [header_cells()]
    for e in exchanges:
        values = {"activity_id": e.activity, "activity_name": e.activity,
                  "reference_product": f"product of {e.activity}", "unit": "kg", "amount": "1",
                  "exchange": "resource" if e.from_nature else "emission", "target": e.flow,
                  "cas": e.cas, "exchange_amount": repr(e.amount), "exchange_unit": "kg",
                  "compartment": "natural resource/in air" if e.from_nature else "air"}
        rows.append([values.get(k, "") for k in KEYS])
    return rows


def template_csv(path: Path, exchanges: Sequence[Exchange]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(_template_rows(exchanges))
    return path


def template_xlsx(path: Path, exchanges: Sequence[Exchange]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    for row in _template_rows(exchanges):
        sheet.append(row)
    book.save(path)
    return path


# ------------------------------------------------------------------ openLCA JSON-LD (v2 folder)

def jsonld_folder(root: Path, exchanges: Sequence[Exchange]) -> Path:
    for folder in ("processes", "flows"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for e in exchanges:
        product, flow = uid("product", e.activity), _flow_key(e)
        category = ("Elementary flows/Resource/in air" if e.from_nature
                    else "Elementary flows/Emission to air/unspecified")
        documents = {
            ("flows", product): {"@type": "Flow", "@id": product, "name": f"product of "
                                 f"{e.activity}", "flowType": "PRODUCT_FLOW"},
            ("flows", flow): {"@type": "Flow", "@id": flow, "name": e.flow,
                              "flowType": "ELEMENTARY_FLOW", "category": category,
                              "cas": e.cas},
            ("processes", e.activity): {"@type": "Process", "@id": e.activity,
                                        "name": e.activity, "exchanges": [
                _jsonld_exchange(1, product, "PRODUCT_FLOW", 1.0, is_input=False, ref=True),
                _jsonld_exchange(2, flow, "ELEMENTARY_FLOW", e.amount,
                                 is_input=e.from_nature)]},
        }
        for (folder, name), document in documents.items():
            (root / folder / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    return root


def _jsonld_exchange(n: int, flow: str, flow_type: str, amount: float, *, is_input: bool,
                     ref: bool = False) -> dict[str, object]:
    return {"@type": "Exchange", "internalId": n, "amount": amount, "isInput": is_input,
            "isQuantitativeReference": ref, "unit": {"@type": "Unit", "name": "kg"},
            "flow": {"@type": "Flow", "@id": flow, "flowType": flow_type, "refUnit": "kg"}}


# ------------------------------------------------------------------ EcoSpold 1 and 2

def ecospold1(path: Path, exchanges: Sequence[Exchange]) -> Path:
    datasets = []
    for n, e in enumerate(exchanges, 1):
        category, sub, group = (("resource", "in air", "inputGroup") if e.from_nature
                                else ("air", "unspecified", "outputGroup"))
        cas = f" CASNumber={quoteattr(e.cas)}" if e.cas else ""
        datasets.append(f"""<dataset number="{n}"><metaInformation><processInformation>
  <referenceFunction name={quoteattr(e.activity)} unit="kg" amount="1"/>
  </processInformation></metaInformation><flowData>
  <exchange number="1" name={quoteattr(e.activity)} unit="kg" meanValue="1">
    <outputGroup>0</outputGroup></exchange>
  <exchange number="2" name={quoteattr(e.flow)} category="{category}" subCategory="{sub}"
    unit="kg" meanValue="{e.amount!r}"{cas}><{group}>4</{group}></exchange>
</flowData></dataset>""")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ecoSpold xmlns="http://www.'
                    f'EcoInvent.org/EcoSpold01">{"".join(datasets)}</ecoSpold>',
                    encoding="utf-8")
    return path


def ecospold2(path: Path, exchanges: Sequence[Exchange]) -> Path:
    datasets = []
    for e in exchanges:
        compartment, sub, group = (("natural resource", "in air", "inputGroup")
                                   if e.from_nature else ("air", "unspecified", "outputGroup"))
        cas = f" casNumber={quoteattr(e.cas)}" if e.cas else ""
        datasets.append(f"""<activityDataset><activityDescription>
  <activity id="{e.activity}"><activityName xml:lang="en">{escape(e.activity)}</activityName>
  </activity></activityDescription><flowData>
  <intermediateExchange id="{uid('x', e.activity)}" amount="1" intermediateExchangeId="p">
    <name xml:lang="en">product of {escape(e.activity)}</name>
    <unitName xml:lang="en">kg</unitName><outputGroup>0</outputGroup></intermediateExchange>
  <elementaryExchange id="{uid('y', e.activity)}" amount="{e.amount!r}"
    elementaryExchangeId="{_flow_key(e)}"{cas}><name xml:lang="en">{escape(e.flow)}</name>
    <unitName xml:lang="en">kg</unitName>
    <compartment><compartment xml:lang="en">{compartment}</compartment>
    <subcompartment xml:lang="en">{sub}</subcompartment></compartment>
    <{group}>4</{group}></elementaryExchange>
</flowData></activityDataset>""")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<ecoSpold xmlns="http://www.'
                    f'EcoInvent.org/EcoSpold02">{"".join(datasets)}</ecoSpold>',
                    encoding="utf-8")
    return path


# ------------------------------------------------------------------ ILCD (archive folder)

ILCD_COMMON = 'xmlns:common="http://lca.jrc.it/ILCD/Common"'
MASS, KG = uid("mass"), uid("kg")


def ilcd_folder(root: Path, exchanges: Sequence[Exchange]) -> Path:
    files = {f"flowproperties/{MASS}.xml": _ILCD_PROPERTY, f"unitgroups/{KG}.xml": _ILCD_UNITS}
    for e in exchanges:
        product, flow = uid("product", e.activity), _flow_key(e)
        files[f"processes/{e.activity}.xml"] = _ilcd_process(e, product, flow)
        files[f"flows/{product}.xml"] = _ilcd_flow(product, f"product of {e.activity}",
                                                   "Product flow", "", "")
        categories = (("Resources", "Resources from air") if e.from_nature
                      else ("Emissions", "Emissions to air"))
        files[f"flows/{flow}.xml"] = _ilcd_flow(flow, e.flow, "Elementary flow", "".join(
            f'<common:category level="{i}">{c}</common:category>'
            for i, c in enumerate(categories)), e.cas)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _ilcd_process(e: Exchange, product: str, flow: str) -> str:
    direction = "Input" if e.from_nature else "Output"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<processDataSet xmlns="http://lca.jrc.it/ILCD/Process" {ILCD_COMMON} version="1.1">
  <processInformation><dataSetInformation><common:UUID>{e.activity}</common:UUID>
    <name><baseName xml:lang="en">{escape(e.activity)}</baseName></name>
  </dataSetInformation><quantitativeReference type="Reference flow(s)">
    <referenceToReferenceFlow>0</referenceToReferenceFlow></quantitativeReference>
  </processInformation>
  <exchanges>
    <exchange dataSetInternalID="0"><referenceToFlowDataSet refObjectId="{product}"/>
      <exchangeDirection>Output</exchangeDirection><meanAmount>1</meanAmount></exchange>
    <exchange dataSetInternalID="1"><referenceToFlowDataSet refObjectId="{flow}"/>
      <exchangeDirection>{direction}</exchangeDirection>
      <meanAmount>{e.amount!r}</meanAmount></exchange>
  </exchanges>
</processDataSet>"""


def _ilcd_flow(flow: str, name: str, kind: str, categories: str, cas: str) -> str:
    classification = (f"<common:elementaryFlowCategorization>{categories}"
                      "</common:elementaryFlowCategorization>" if categories else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<flowDataSet xmlns="http://lca.jrc.it/ILCD/Flow" {ILCD_COMMON} version="1.1">
  <flowInformation><dataSetInformation><common:UUID>{flow}</common:UUID>
    <name><baseName xml:lang="en">{escape(name)}</baseName></name>
    <classificationInformation>{classification}</classificationInformation>
    {f"<CASNumber>{cas}</CASNumber>" if cas else ""}
  </dataSetInformation><quantitativeReference>
    <referenceToReferenceFlowProperty>0</referenceToReferenceFlowProperty>
  </quantitativeReference></flowInformation>
  <modellingAndValidation><LCIMethod><typeOfDataSet>{kind}</typeOfDataSet></LCIMethod>
  </modellingAndValidation>
  <flowProperties><flowProperty dataSetInternalID="0">
    <referenceToFlowPropertyDataSet refObjectId="{MASS}"/><meanValue>1</meanValue>
  </flowProperty></flowProperties>
</flowDataSet>"""


_ILCD_PROPERTY = f"""<?xml version="1.0" encoding="UTF-8"?>
<flowPropertyDataSet xmlns="http://lca.jrc.it/ILCD/FlowProperty" {ILCD_COMMON}>
  <flowPropertiesInformation><dataSetInformation><common:UUID>{MASS}</common:UUID>
  </dataSetInformation><quantitativeReference><referenceToReferenceUnitGroup
    refObjectId="{KG}"/></quantitativeReference></flowPropertiesInformation>
</flowPropertyDataSet>"""

_ILCD_UNITS = f"""<?xml version="1.0" encoding="UTF-8"?>
<unitGroupDataSet xmlns="http://lca.jrc.it/ILCD/UnitGroup" {ILCD_COMMON}>
  <unitGroupInformation><dataSetInformation><common:UUID>{KG}</common:UUID>
  </dataSetInformation><quantitativeReference><referenceToReferenceUnit>0
  </referenceToReferenceUnit></quantitativeReference></unitGroupInformation>
  <units><unit dataSetInternalID="0"><name>kg</name><meanValue>1</meanValue></unit></units>
</unitGroupDataSet>"""


# ------------------------------------------------------------------ SimaPro CSV

_SIMAPRO_HEADER = """\
{SimaPro 9.5.0.2}
{processes}
{Date: 01/03/2024}
{Time: 10:00:00}
{Project: species}
{CSV Format version: 9.0.0}
{CSV separator: Semicolon}
{Decimal separator: .}
{Date separator: /}
{Short date format: dd/MM/yyyy}
"""


def simapro(path: Path, exchanges: Sequence[Exchange]) -> Path:
    blocks = [_SIMAPRO_HEADER]
    substances: dict[str, dict[str, str]] = {"Airborne emissions": {}, "Raw materials": {}}
    for e in exchanges:
        section, sub = ("Resources", "in air") if e.from_nature else ("Emissions to air", "")
        blocks.append(f"""
Process

Category type
material

Process identifier
{e.activity}

Process name
{e.activity}

Products
product of {e.activity};kg;1;100;not defined;Species;

{section}
{e.flow};{sub};kg;{e.amount!r};Undefined;0;0;0;

End
""")
        if e.cas:
            kind = "Raw materials" if e.from_nature else "Airborne emissions"
            substances[kind][e.flow] = e.cas
    for kind, names in substances.items():
        if names:
            lines = "".join(f"{name};kg;{cas};\n" for name, cas in names.items())
            blocks.append(f"\n{kind}\n{lines}\nEnd\n")
    path.write_text("".join(blocks), encoding="utf-8")
    return path


FileBuilder = Callable[[Path, Sequence[Exchange]], Path]
#: format -> (builder, what the path is: a file name or a folder name)
BUILDERS: dict[str, tuple[FileBuilder, str]] = {
    "template-csv": (template_csv, "species.csv"),
    "template-xlsx": (template_xlsx, "species.xlsx"),
    "jsonld": (jsonld_folder, "jsonld"),
    "ecospold1": (ecospold1, "species-es1.xml"),
    "ecospold2": (ecospold2, "species.spold"),
    "ilcd": (ilcd_folder, "ilcd"),
    "simapro": (simapro, "species-simapro.csv"),
}
