"""The project's own CSV and XLSX templates, which associations fill in by hand.

One row per exchange of an activity: an input from another activity, an emission to the
environment, or a resource taken from it; activity columns may be repeated on every row or
given on the activity's first row only. An `uptake` row is the resource the footprint counts,
CO2 taken up from the air: a `resource` row of "Carbon dioxide, in air" is the same thing,
and other resources (water, ores) are recorded but not counted. A flow is recognised by its
CAS number first, then by its name. The header row is
bilingual ("activity_id / 活动编号"); a header cell may also hold just the English key or
just the Chinese label. Row numbers in errors are the spreadsheet's own (header = row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from background_db.importers.archive import ArchiveLimits, GiB, MiB
from background_db.importers.common import Issues, check_direction, flow_record, parse_number
from background_db.importers.workbook import SheetLimits, open_workbook, sheet_rows
from background_db.records import (
    ActivityRecord,
    Dataset,
    DatasetRole,
    ElementaryRecord,
    FlowRecord,
    InputRecord,
    Provenance,
)
from lca_engine.model import DataQuality, FlowKind, Origin, Uncertainty
from lca_engine.species import normal_cas, species_table

#: (key, Chinese label, required, meaning) in template order.
COLUMNS: tuple[tuple[str, str, bool, str], ...] = (
    ("activity_id", "活动编号", True, "unique id of the activity, e.g. elec-grid-sx-2022"),
    ("activity_name", "活动名称", False, "name shown to users"),
    ("reference_product", "参考产品", False, "the product the activity makes"),
    ("unit", "单位", False, "unit of the reference product, e.g. kWh, kg, t, MJ, tkm"),
    ("amount", "参考产量", False, "reference output the exchanges refer to (default 1)"),
    ("geography", "地理范围", False, "CN, CN-SX (Shanxi), North China grid, ..."),
    ("period_start", "起始时间", False, "start of the reference period, e.g. 2022-01-01"),
    ("period_end", "截止时间", False, "end of the reference period"),
    ("sector", "行业分类", False, "sector classification (GB/T 4754, ISIC, CPC)"),
    ("replaces", "替代活动编号", False, "extensions: id of the national activity replaced"),
    ("tags", "标签", False, "aircraft, packaging (separated by ;)"),
    ("exchange", "交换类型", False, "input 输入 | emission 排放 | resource 资源 | uptake 吸收 "
     "(CO2 taken up from air); empty: none"),
    ("target", "交换对象", False, "input: provider activity id; emission, resource, uptake: "
     "flow name"),
    ("cas", "CAS号", False, "emission, resource, uptake: CAS number of the substance, e.g. "
     "124-38-9 (recognised before the name)"),
    ("exchange_amount", "交换数量", False, "amount per reference output"),
    ("exchange_unit", "交换单位", False, "unit of the exchange amount"),
    ("compartment", "环境介质", False, "emissions: air (default), water, soil; resources and "
     "uptakes: natural resource (default)"),
    ("gas", "温室气体", False, "CO2, CH4, N2O, SF6, ... (recognised from the name if empty)"),
    ("origin", "碳来源", False, "fossil | biogenic | land_use_change"),
    ("gsd", "几何标准差", False, "optional lognormal uncertainty (geometric std. dev.)"),
    ("dqr_technological", "技术代表性", False, "PACT data quality rating 1-5"),
    ("dqr_temporal", "时间代表性", False, "1-5"),
    ("dqr_geographical", "地理代表性", False, "1-5"),
    ("dqr_completeness", "完整性", False, "1-5"),
    ("dqr_reliability", "可靠性", False, "1-5"),
    ("publisher", "发布机构", False, "who publishes the number"),
    ("source", "数据来源", False, "source document, e.g. the issuing notice"),
    ("licence", "许可", False, "licence of the data"),
    ("note", "备注", False, "'illustrative' for assumptions"),
)
KEYS = tuple(c[0] for c in COLUMNS)
_EXCHANGE_WORDS = {"input": "input", "输入": "input", "emission": "emission", "排放": "emission",
                   "resource": "resource", "资源": "resource", "uptake": "uptake",
                   "吸收": "uptake"}
_FROM_NATURE = ("resource", "uptake")
# A full row of the template is about 1.3 KiB of sheet XML (openpyxl writes it 15:1
# compressed), so 1 GiB holds some 800,000 of them, and a million rows of the template
# (XLSX itself stops at 1,048,576) are more than any association types in; 50 columns past
# the template's own leave room for notes. The importer holds every row's records, so the
# sheet's cells are capped near the rows times the template's width. The archive caps are
# the dataset archives' (see `archive`), for one sheet that may be the whole archive.
WORKBOOK_ARCHIVE = ArchiveLimits(total_bytes=GiB, member_bytes=GiB, members=1_000,
                                 directory_bytes=MiB)
WORKBOOK_SHEETS = SheetLimits(rows=1_000_000, columns=len(COLUMNS) + 50, cells=30_000_000,
                              elements=1_000_000)
_ACTIVITY_FIELDS = ("activity_name", "reference_product", "unit", "amount", "geography",
                    "period_start", "period_end", "sector", "replaces", "tags", "publisher",
                    "source", "licence", "note", *(k for k in KEYS if k.startswith("dqr_")))


def header_cells() -> list[str]:
    """The bilingual header row of the blank template."""
    return [f"{key} / {label}" for key, label, _required, _meaning in COLUMNS]


def _column_key(cell: str) -> str | None:
    text = cell.strip().lstrip("\ufeff")
    for key, label, _required, _meaning in COLUMNS:
        if text in (key, label, f"{key} / {label}", f"{key}/{label}") or text.startswith(
                f"{key} "):
            return key
    return None


@dataclass
class _Activity:
    row: int
    fields: dict[str, str]
    inputs: list[InputRecord] = field(default_factory=list)
    emissions: list[ElementaryRecord] = field(default_factory=list)


def _rows_csv(path: Path, issues: Issues) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        issues.add("", "", "", "the file is neither UTF-8 nor GB18030 text")
        return
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t")
    except csv.Error:  # one column, or nothing to go by: plain commas
        dialect = csv.excel
    number = 0
    try:  # newline="": a line may end in \r alone, and a quoted field hold line breaks
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1):
            yield number, row
    except csv.Error as exc:  # a field past the csv module's limit, a NUL, ...
        issues.add(f"row {number + 1}", "", "", f"cannot read the CSV: {exc}")


def _rows_xlsx(path: Path, issues: Issues) -> Iterator[tuple[int, list[str]]]:
    with open_workbook(path, str(path), WORKBOOK_ARCHIVE, WORKBOOK_SHEETS) as book:
        if not book.worksheets:
            issues.add("", "", "", "the workbook has no sheets")
            return
        sheet = book["data"] if "data" in book.sheetnames else book.worksheets[0]
        with closing(sheet_rows(sheet, str(path))) as rows:
            for number, row in rows:
                yield number, ["" if v is None else str(v) for v in row]


def import_template(path: Path, *, role: DatasetRole = DatasetRole.BASE,
                    name: str | None = None, version: str = "") -> Dataset:
    """Read a filled-in CSV or XLSX template into a Dataset (or raise DatasetImportError)."""
    issues = Issues(str(path))
    rows = _rows_xlsx(path, issues) if path.suffix.lower() in (".xlsx", ".xlsm") else (
        _rows_csv(path, issues))
    columns: list[str | None] | None = None
    activities: dict[str, _Activity] = {}
    flows: dict[str, FlowRecord] = {}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = [_column_key(cell) for cell in row]
            missing = [k for k, _l, required, _m in COLUMNS if required and k not in columns]
            for key in missing:
                issues.add(f"row {number}", key, "", "required column is missing from the "
                           "header row")
            if missing:
                break
            continue
        values = {key: row[i].strip() for i, key in enumerate(columns)
                  if key is not None and i < len(row)}
        _read_row(number, values, activities, flows, issues)
    if columns is None:
        issues.add("", "", "", "the file has no header row")
    result = [_activity(identifier, a, issues) for identifier, a in activities.items()]
    issues.raise_if_any()
    return Dataset(name=name or path.stem, version=version, role=role,
                   flows=tuple(sorted(flows.values(), key=lambda f: f.id)),
                   activities=tuple(a for a in result if a is not None),
                   source_file=path.name, format="template")


def _read_row(number: int, values: dict[str, str], activities: dict[str, _Activity],
              flows: dict[str, FlowRecord], issues: Issues) -> None:
    where = f"row {number}"
    identifier = values.get("activity_id", "")
    if not identifier:
        issues.add(where, "activity_id", "", "every row needs the activity id")
        return
    activity = activities.setdefault(identifier, _Activity(number, {}))
    _merge_fields(activity, identifier, values, where, issues)
    kind_text = values.get("exchange", "")
    if not kind_text:
        return
    kind = _EXCHANGE_WORDS.get(kind_text.lower())
    if kind is None:
        issues.add(where, "exchange", kind_text, "expected input, emission, resource or "
                   "uptake (输入, 排放, 资源, 吸收)")
        return
    target = values.get("target", "")
    if not target:
        issues.add(where, "target", "", "an exchange needs its provider or flow")
        return
    amount = parse_number(values.get("exchange_amount"), issues, where, "exchange_amount")
    unit = values.get("exchange_unit", "")
    if not unit:
        issues.add(where, "exchange_unit", "", "an exchange needs a unit")
    uncertainty = _uncertainty(values.get("gsd", ""), where, issues)
    if amount is None or not unit:
        return
    if kind == "input":
        activity.inputs.append(InputRecord(target, amount, unit, target,
                                           uncertainty=uncertainty))
        return
    flow = _flow(target, unit, kind, values, where, issues)
    if flow is None:
        return
    known_flow = flows.setdefault(flow.id, flow)
    if known_flow != flow:
        issues.add(where, "gas", values.get("gas", ""), f"flow {flow.name!r} is classified "
                   f"differently on an earlier row")
    activity.emissions.append(ElementaryRecord(flow.id, amount, unit, uncertainty))


def _merge_fields(activity: _Activity, identifier: str, values: dict[str, str], where: str,
                  issues: Issues) -> None:
    for key in _ACTIVITY_FIELDS:
        value = values.get(key, "")
        if not value:
            continue
        known = activity.fields.setdefault(key, value)
        if known != value:
            issues.add(where, key, value, f"differs from {known!r} given for activity "
                       f"{identifier!r} on row {activity.row}")


def _uncertainty(text: str, where: str, issues: Issues) -> Uncertainty | None:
    if not text:
        return None
    gsd = parse_number(text, issues, where, "gsd", positive=True)
    if gsd is not None and gsd < 1:
        issues.add(where, "gsd", text, "a geometric standard deviation is >= 1")
        return None
    return None if gsd is None else Uncertainty("lognormal", (("gsd", gsd),))


def _flow(name: str, unit: str, kind: str, values: dict[str, str], where: str,
          issues: Issues) -> FlowRecord | None:
    from_nature = kind in _FROM_NATURE
    compartment = values.get("compartment") or ("natural resource" if from_nature else "air")
    cas = values.get("cas", "")
    if cas and not normal_cas(cas):
        issues.add(where, "cas", cas, "not a CAS number (digits as 124-38-9)")
        return None
    base = flow_record(f"{name}|{compartment}", name, "kg" if unit in ("kg", "g", "t")
                       else unit, compartment, normal_cas(cas))
    if not check_direction(issues, where, "exchange", values.get("exchange", ""), base,
                           from_nature=from_nature):
        return None
    gas = values.get("gas") or base.gas
    if gas and gas not in species_table():
        issues.add(where, "gas", gas, "not a gas key of the species table (CO2, CH4, N2O, "
                   "SF6, HFC134a, ...); leave it empty to recognise the gas from CAS and name")
        return None
    origin_text = values.get("origin", "")
    default = Origin.BIOGENIC if from_nature else Origin.FOSSIL
    try:
        origin = Origin(origin_text) if origin_text else (
            base.origin if base.gas else (default if gas else Origin.NONE))
    except ValueError:
        issues.add(where, "origin", origin_text, "expected fossil, biogenic or "
                   "land_use_change")
        return None
    if kind == "uptake" or (kind == "resource" and gas):
        if gas != "CO2" or origin not in (Origin.BIOGENIC, Origin.NONE):
            what = "an uptake" if kind == "uptake" else "a greenhouse-gas resource"
            issues.add(where, "gas", gas or "", f"only biogenic CO2 can be {what} (CO2 "
                       "taken up from the air)")
            return None
        return FlowRecord(base.id, name, base.unit, compartment, base.cas, "CO2",
                          Origin.BIOGENIC, FlowKind.UPTAKE)
    if kind == "resource":  # water, ores, land: recorded, not a greenhouse-gas flow
        return FlowRecord(base.id, name, base.unit, compartment, base.cas)
    return FlowRecord(base.id, name, base.unit, compartment, base.cas, gas or None, origin,
                      FlowKind.EMISSION)


def _activity(identifier: str, activity: _Activity, issues: Issues) -> ActivityRecord | None:
    f = activity.fields
    where = f"row {activity.row}"
    unit = f.get("unit", "")
    if not unit:
        issues.add(where, "unit", "", f"activity {identifier!r} has no unit")
    amount = parse_number(f.get("amount", "1"), issues, where, "amount", positive=True)
    ratings: dict[str, float] = {}
    for key in ("technological", "temporal", "geographical", "completeness", "reliability"):
        text = f.get(f"dqr_{key}")
        if text:
            value = parse_number(text, issues, where, f"dqr_{key}")
            if value is not None and not 1 <= value <= 5:
                issues.add(where, f"dqr_{key}", text, "a data-quality rating is 1 to 5")
            elif value is not None:
                ratings[key] = value
    if amount is None or not unit:
        return None
    tags = frozenset(t.strip() for t in f.get("tags", "").replace("；", ";").split(";")
                     if t.strip())
    return ActivityRecord(
        id=identifier, name=f.get("activity_name", identifier),
        reference_product=f.get("reference_product", f.get("activity_name", identifier)),
        unit=unit, amount=amount, geography=f.get("geography", ""),
        period_start=f.get("period_start", ""), period_end=f.get("period_end", ""),
        sector=f.get("sector", ""), inputs=tuple(activity.inputs),
        emissions=tuple(activity.emissions), tags=tags,
        provenance=Provenance(f.get("publisher", ""), f.get("source", ""),
                              f.get("licence", ""), f.get("note", "")),
        quality=DataQuality(**ratings) if ratings else None,
        replaces=f.get("replaces") or None,
    )


def write_blank_csv(path: Path) -> None:
    """The blank CSV template: the bilingual header and one example row per exchange kind."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header_cells())


def write_blank_xlsx(path: Path) -> None:
    """The blank XLSX template: a `data` sheet with the header, and a `columns` sheet
    explaining every column in both languages."""
    import openpyxl  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    book = openpyxl.Workbook()
    data = book.active
    data.title = "data"
    data.append(header_cells())
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    guide = book.create_sheet("columns")
    guide.append(["column / 列", "required / 必填", "meaning / 说明"])
    for key, label, required, meaning in COLUMNS:
        guide.append([f"{key} / {label}", "yes / 是" if required else "", meaning])
    book.save(path)
