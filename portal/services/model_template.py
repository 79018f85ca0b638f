"""The product-model XLSX template: sheets `processes`, `inputs` and `emissions` with
bilingual headers (`key / 中文`), one row per product, input or emission. Downloading it
writes the current model; `model_upload` reads it back."""

from __future__ import annotations

import difflib
import io
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from background_db.errors import Cap, DatasetImportError, Refusal, UnsafeArchiveError
from background_db.importers.archive import ArchiveLimits, MiB
from background_db.importers.workbook import SheetLimits, open_workbook, sheet_rows
from portal.services.errors import InvalidInput
from portal.services.model_document import Document, allocation_of

# (key, Chinese header, required, explanation)
PROCESS_COLUMNS = (
    ("process_id", "过程编号", True, "id of the own process / 本企业过程的编号"),
    ("process_name", "过程名称", False, "name of the process / 过程名称"),
    ("location", "地点", False, "where it runs, e.g. CN-SX / 所在地，如 CN-SX"),
    ("tags", "标签", False, "packaging; aircraft (optional) / 包装；航空（可选）"),
    ("allocation", "分配方法", False,
     "mass, energy, economic, factors or system_expansion / 质量、能量、经济价值、系数或系统扩展"),
    ("product_id", "产品编号", True, "id of the product or co-product / 产品或联产品编号"),
    ("product_name", "产品名称", False, "name of the product / 产品名称"),
    ("amount", "产量", True, "output per run of the process / 每次运行的产量"),
    ("unit", "单位", True, "unit of the amount, e.g. kg / 单位，如 kg"),
    ("mass", "单位质量", False, "kg per unit, for mass allocation / 质量分配用，千克每单位"),
    ("energy", "单位能量", False, "MJ per unit, for energy allocation / 能量分配用，兆焦每单位"),
    ("price", "单价", False, "price per unit, for economic allocation / 经济分配用单价"),
    ("allocation_factor", "分配系数", False,
     "share 0-1 when allocating by factors / 系数分配的份额"),
    ("substitutes", "替代活动", False,
     "background activity a co-product displaces (system expansion) / 联产品替代的背景活动"),
    ("declared", "声明产品", False, "yes on the declared product's row / 声明产品所在行填 yes"),
)
INPUT_COLUMNS = (
    ("process_id", "过程编号", True, "the process that consumes the input / 消耗该输入的过程"),
    ("input_name", "输入名称", True, "name of the input / 输入名称"),
    ("amount", "数量", True, "amount per run of the process / 每次运行的数量"),
    ("unit", "单位", True, "unit of the amount / 数量单位"),
    ("provider_kind", "来源类型", True,
     "background, process or supplier / 背景数据、本企业过程或供应商"),
    ("provider", "来源", True,
     "background activity id, own process id, or published footprint number / "
     "背景活动编号、本企业过程编号或已发布足迹编号"),
    ("provider_product", "来源产品", False,
     "product of a multi-output own process / 多产品过程的产品"),
    ("data_type", "数据类型", False, "primary or secondary (default) / 初级或次级（默认）"),
    ("packaging", "包装", False, "yes for packaging / 包装填 yes"),
    ("dqr_technological", "技术代表性", False, "PACT data quality 1-5 / PACT 数据质量评分 1-5"),
    ("dqr_temporal", "时间代表性", False, "PACT data quality 1-5 / PACT 数据质量评分 1-5"),
    ("dqr_geographical", "地理代表性", False, "PACT data quality 1-5 / PACT 数据质量评分 1-5"),
    ("dqr_completeness", "完整性", False, "PACT data quality 1-5 / PACT 数据质量评分 1-5"),
    ("dqr_reliability", "可靠性", False, "PACT data quality 1-5 / PACT 数据质量评分 1-5"),
)
EMISSION_COLUMNS = (
    ("process_id", "过程编号", True, "the process that emits / 排放所在过程"),
    ("flow", "基本流", True, "elementary flow id of the release / 发布版本中的基本流编号"),
    ("amount", "数量", True, "amount per run of the process / 每次运行的数量"),
    ("unit", "单位", True, "unit of the amount, e.g. kg / 单位，如 kg"),
    ("data_type", "数据类型", False, "primary (default) or secondary / 初级（默认）或次级"),
)
SHEETS = {"processes": PROCESS_COLUMNS, "inputs": INPUT_COLUMNS,
          "emissions": EMISSION_COLUMNS}
GUIDE = "guide 说明"
MAX_ROWS = 5000
# A model of MAX_ROWS rows on each sheet is a few MB of sheet XML: 64 MiB uncompressed (the
# upload limit) leaves a tenfold margin. Rows past MAX_ROWS are refused as they are read;
# the row cap only bounds the empty rows before them, and the cell cap is three full sheets.
WORKBOOK_ARCHIVE = ArchiveLimits(total_bytes=64 * MiB, member_bytes=64 * MiB, members=1_000,
                                 directory_bytes=MiB)
WORKBOOK_SHEETS = SheetLimits(rows=10 * MAX_ROWS, columns=max(map(len, SHEETS.values())) + 50,
                              cells=1_000_000, elements=200_000)
Row = dict[str, Any]


@dataclass(frozen=True)
class Issue:
    """One problem: where (sheet, row, field), the value found, and what to fix."""

    sheet: str
    row: int
    field: str
    value: str
    message: str


class TemplateRejected(InvalidInput):
    """The uploaded template has problems; `issues` lists every one. Nothing was saved."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__({f"{i.sheet}:{i.row}:{i.field}:{n}": i.message
                          for n, i in enumerate(issues)})


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _refusal(refusal: Refusal) -> Issue:
    """The Issue of a workbook refused before it was read (see background_db.errors.Cap)."""
    limit = refusal.limit
    match refusal.cap:
        case Cap.MEMBERS:
            message = _("The workbook has more than %(limit)s parts.", limit=limit)
        case Cap.DIRECTORY:
            message = _("The workbook's table of contents is larger than %(limit)s bytes.",
                        limit=limit)
        case Cap.TOTAL | Cap.FILE_SIZE:
            message = _("The workbook expands to more than %(limit)s bytes; a model template "
                        "is far smaller.", limit=limit)
        case Cap.RATIO:
            message = _("The workbook expands more than %(limit)s times its compressed size, "
                        "as only a decompression bomb does.", limit=round(limit or 0))
        case Cap.COMPRESSION | Cap.ENCRYPTED:
            message = _("The workbook is encrypted or compressed in a way XLSX files are not.")
        case Cap.CRC:
            message = _("The workbook is damaged: a part does not match its stated size.")
        case Cap.DOCTYPE:
            message = _("The workbook's XML declares a document type (DTD); such workbooks "
                        "are refused.")
        case Cap.ENCODING:
            message = _("The workbook's XML is neither UTF-8 nor UTF-16.")
        case Cap.ROWS:
            message = _("A sheet may use rows 1 to %(limit)s.", limit=limit)
        case Cap.COLUMNS:
            message = _("A sheet may use columns 1 to %(limit)s.", limit=limit)
        case Cap.CELLS | Cap.STRINGS:
            message = _("The workbook holds more than %(limit)s cells.", limit=limit)
        case Cap.ELEMENTS:
            message = _("The workbook's XML holds more than %(limit)s elements in one place.",
                        limit=limit)
    return Issue(refusal.member, refusal.row, refusal.cap.value, refusal.issue("").value,
                 message)


def read_sheets(data: bytes, issues: list[Issue]) -> dict[str, list[tuple[int, Row]]]:
    """The rows of each sheet by column key; problems with the workbook go to *issues*.
    The workbook is checked before it is read (archive, XML and size caps above)."""
    found: dict[str, list[tuple[int, Row]]] = {}
    try:
        with open_workbook(data, "", WORKBOOK_ARCHIVE, WORKBOOK_SHEETS) as book:
            for name, columns in SHEETS.items():
                if name not in book.sheetnames:
                    issues.append(Issue(name, 0, "", "", _("The sheet is missing.")))
                    continue
                found[name] = _rows(name, columns, book[name], issues)
    except UnsafeArchiveError as exc:
        issues.extend(_refusal(r) for r in exc.refusals)
        return {}
    except DatasetImportError:  # not a workbook: _rows reports a sheet that breaks off
        issues.append(Issue("", 0, "", "", _("The file is not an XLSX workbook.")))
        return {}
    return found


Columns = tuple[tuple[str, str, bool, str], ...]


def _suggested(text: str, columns: Columns) -> list[str]:
    """The keys of the columns whose names are nearest to *text* or to one of its parts: the
    nearest, and a second only as near (none for a text longer than any header, which is no
    misspelling of one)."""
    if len(text) > 100:
        return []
    parts = [text.lower(), *(p.strip().lower() for p in text.split("/") if p.strip())]
    scored = sorted(((max(difflib.SequenceMatcher(None, part, name.lower()).ratio()
                          for part in parts for name in (k, zh, header(k, zh))), k)
                     for k, zh, *_r in columns), reverse=True)
    best = scored[0][0]
    return [k for score, k in scored[:2] if score >= max(0.6, best - 0.05)]


def _header(name: str, columns: Columns, number: int, cells: tuple[Any, ...],
            issues: list[Issue]) -> list[str | None]:
    """The column key of each header cell: a header names its column by its key, its Chinese
    name or both (`key / 中文`). A header naming no column (with the nearest ones suggested),
    two columns, or a column already named is an issue naming sheet, row and column."""
    names = {k: k for k, *_r in columns} | {zh: k for k, zh, *_r in columns}
    headers = {k: header(k, zh) for k, zh, *_r in columns}
    keys: list[str | None] = []
    suggested: list[str] = []
    for i, cell in enumerate(cells):
        text, column = text_of(cell), get_column_letter(i + 1)
        found = [names.get(part.strip()) or names.get(part.strip().lower())
                 for part in text.split(" / ")] if text else []
        key = found[0] if found and len(set(found)) == 1 else None
        if text and None in found:
            nearest = _suggested(text, columns)
            suggested += nearest
            issues.append(Issue(name, number, column, text, _(
                "Unknown column; did you mean %(suggestion)s?", suggestion=_(" or ").join(
                    f"'{headers[k]}'" for k in nearest)) if nearest else _(
                "Unknown column; the guide sheet lists the columns of each sheet.")))
        elif text and key is None:
            named = [headers[k] for k in dict.fromkeys(found) if k]  # two or more
            issues.append(Issue(name, number, column, text, _(
                "The header names two columns: %(first)s and %(second)s.",
                first=named[0], second=named[1])))
        elif key is not None and key in keys:
            issues.append(Issue(name, number, column, text, _(
                "The column appears twice in the header row.")))
            key = None
        keys.append(key)
    for key, _zh, required, _e in columns:
        if required and key not in keys and key not in suggested:  # else said just above
            issues.append(Issue(name, number, key, "", _(
                "The required column is missing from the header row.")))
    return keys


def _rows(name: str, columns: Columns, sheet: Any, issues: list[Issue]
          ) -> list[tuple[int, Row]]:
    keys: list[str | None] | None = None
    headed: set[int] = set()
    unnamed: set[int] = set()  # columns without a header holding a value (reported once)
    rows: list[tuple[int, Row]] = []
    number = 0
    try:
        with closing(sheet_rows(sheet, name)) as found:
            for number, cells in found:
                if all(text_of(c) == "" for c in cells):
                    continue
                if keys is None:
                    keys = _header(name, columns, number, cells, issues)
                    headed = {i for i, c in enumerate(cells) if text_of(c)}
                    continue
                for i, cell in enumerate(cells):
                    if i not in headed and i not in unnamed and text_of(cell):
                        unnamed.add(i)
                        issues.append(Issue(name, number, get_column_letter(i + 1),
                                            text_of(cell), _(
                            "A value in a column without a header.")))
                if len(rows) >= MAX_ROWS:
                    issues.append(Issue(name, number, "", "", _(
                        "At most %(count)s rows per sheet.", count=MAX_ROWS)))
                    break
                rows.append((number, {k: c for k, c in zip(keys, cells, strict=False) if k}))
    except DatasetImportError:
        issues.append(Issue(name, number + 1, "", "", _(
            "The sheet cannot be read from this row on.")))
    return rows


def header(key: str, chinese: str) -> str:
    return f"{key} / {chinese}"


def _number(value: Any) -> Any:
    return "" if value is None else value


def _process_rows(document: Document) -> list[list[Any]]:
    header_ = document.get("product", {})
    rows = []
    for process in document.get("processes", []):
        method, factors = allocation_of(process.get("allocation"))
        for i, product in enumerate(process["products"]):
            properties = product.get("properties") or {}
            declared = (process["id"] == header_.get("reference_process") and (
                product["id"] == header_.get("reference_product")
                or (not header_.get("reference_product") and i == 0)))
            rows.append([
                process["id"], process.get("name", ""), process.get("location", ""),
                "; ".join(process.get("tags", [])), method,
                product["id"], product.get("name", ""), product["amount"], product["unit"],
                _number(properties.get("mass")), _number(properties.get("energy")),
                _number(properties.get("price")), _number(factors.get(product["id"])),
                (product.get("substitutes") or {}).get("background", ""),
                "yes" if declared else ""])
    return rows


def _input_rows(document: Document) -> list[list[Any]]:
    published = {s["id"]: s.get("published_footprint", "") for s in document.get("suppliers",
                                                                                 [])}
    rows = []
    for process in document.get("processes", []):
        for entry in process.get("inputs", []):
            source = entry["from"]
            kind = next(k for k in ("background", "process", "supplier") if k in source)
            target = published.get(source[kind], "") if kind == "supplier" else source[kind]
            quality = entry.get("quality") or {}
            rows.append([
                process["id"], entry["name"], entry["amount"], entry["unit"], kind, target,
                source.get("product", ""), entry.get("data_type", "secondary"),
                "yes" if entry.get("packaging") else "",
                *(_number(quality.get(k)) for k in ("technological", "temporal",
                                                   "geographical", "completeness",
                                                   "reliability"))])
    return rows


def _emission_rows(document: Document) -> list[list[Any]]:
    return [[process["id"], e["flow"], e["amount"], e["unit"], e.get("data_type", "primary")]
            for process in document.get("processes", []) for e in process.get("emissions", [])]


def write_template(document: Document) -> bytes:
    """The template as XLSX bytes, filled with the model in *document* (empty if none)."""
    book = Workbook()
    bold = Font(bold=True)
    fillers = {"processes": _process_rows, "inputs": _input_rows, "emissions": _emission_rows}
    first = True
    for name, columns in SHEETS.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = name
        sheet.append([header(key, chinese) for key, chinese, _r, _e in columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in fillers[name](document):
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text as typed: never a formula in a spreadsheet
        for i, (key, chinese, _r, _e) in enumerate(columns):
            letter = sheet.cell(row=1, column=i + 1).column_letter
            sheet.column_dimensions[letter].width = max(14, len(header(key, chinese)) + 4)
    guide = book.create_sheet(GUIDE)
    guide.append(["sheet / 工作表", "column / 列", "required / 必填", "meaning / 说明"])
    for cell in guide[1]:
        cell.font = bold
    for name, columns in SHEETS.items():
        for key, chinese, required, explanation in columns:
            guide.append([name, header(key, chinese), "yes / 是" if required else "",
                          explanation])
    guide.append([])
    guide.append(["", "", "", "Numbers use '.' as the decimal point; '1,500' is refused. "
                  "/ 数字以“.”为小数点，“1,500”会被拒绝。"])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
