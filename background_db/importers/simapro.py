"""SimaPro CSV process exports (SimaPro 8/9, and the older one-line-header layout) read with
bw_simapro_csv and turned into dataset records: multi-output processes split by allocation,
technosphere inputs named by product (SimaPro links by name), elementary flows by compartment.
"""

from __future__ import annotations

import csv
import io
import math
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

from bw_simapro_csv import SimaProCSV
from bw_simapro_csv.blocks import LiteratureReference, Process
from bw_simapro_csv.header import SimaProCSVType, parse_header
from loguru import logger

from background_db.errors import DatasetImportError
from background_db.importers.common import (
    MAX_FILE_BYTES,
    Issues,
    check_direction,
    flow_record,
    parse_number,
)
from background_db.records import (
    ActivityRecord,
    Dataset,
    DatasetRole,
    ElementaryRecord,
    FlowRecord,
    InputRecord,
    Provenance,
)
from lca_engine.model import FlowKind, Origin, Uncertainty

PRODUCTS = ("Products", "Waste treatment", "Waste scenario")
AVOIDED = "Avoided products"
TECHNOSPHERE = ("Materials/fuels", "Electricity/heat", "Waste to treatment", AVOIDED)
BIOSPHERE = ("Resources", "Emissions to air", "Emissions to water", "Emissions to soil",
             "Final waste flows", "Non material emissions", "Social issues", "Economic issues")
_RAW = "as written"  # an exchange's fields before bw_simapro_csv evaluates or drops them
_RAW_KEYS = ("formula", "allocation_formula", "kind", "field1", "field2", "field3")
_LOCK = threading.Lock()  # bw_simapro_csv resets loguru and keeps module-level state
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")
_GEO_TAG = re.compile(r"\{([^{}|]+)\}")  # "Steel {CN}| production"
_OLD_GEO = re.compile(r"/([A-Z]{2,3}(?:-[A-Za-z0-9]+)?)(?:/I)? [US]$")  # "Rice, at farm/IN U"
# Old layout, per section: (amount column, unit column, width, uncertainty-type column).
_LAYOUT: dict[str, tuple[int, int, int, int | None]] = {
    "Products": (1, 2, 7, None), "Waste treatment": (1, 2, 6, None),
    **dict.fromkeys(TECHNOSPHERE, (1, 2, 8, 3)), **dict.fromkeys(BIOSPHERE, (2, 3, 9, 4)),
}


class _BlockError(Exception):
    def __init__(self, first: int, last: int, cause: BaseException) -> None:
        super().__init__(_describe(cause))
        self.first, self.last = first, last


class _Reader(SimaProCSV):  # type: ignore[misc]
    """bw_simapro_csv's reader made to report rather than stop: a block it cannot read raises
    `_BlockError` naming its lines; a process it cannot resolve is left out and kept, with
    the exception, in `failures`."""

    blocks: list[Any]
    header: dict[str, Any]

    def __init__(self, stream: io.StringIO, database_name: str) -> None:
        self.failures: list[tuple[Any, BaseException]] = []
        super().__init__(stream, database_name=database_name, stderr_logs=False,
                         write_logs=False)

    def configure_logs(self, stderr_logs: bool, write_logs: bool) -> None:
        """Logging is arranged by `_read` around the whole read."""

    def get_next_block(self, reader: Any, header: dict[str, Any]) -> Any:
        first = reader.line_no + 1
        try:
            return super().get_next_block(reader, header)
        except Exception as exc:
            raise _BlockError(first, reader.line_no, exc) from exc

    def resolve_parameters(self) -> None:
        for block in (b for b in self.blocks if isinstance(b, Process)):
            for section in block.blocks.values():
                for obj in _objects(section):
                    obj[_RAW] = {k: obj[k] for k in _RAW_KEYS if k in obj}
            for method in ("resolve_local_parameters", "supplement_biosphere_edges",
                           "check_waste_production_model_consistency"):
                setattr(block, method, self._guarded(block, getattr(block, method)))
        super().resolve_parameters()
        failed = {id(block) for block, _exc in self.failures}
        self.blocks = [b for b in self.blocks if id(b) not in failed]

    def _guarded(self, block: Any, method: Callable[..., Any]) -> Callable[..., None]:
        def run(*args: Any, **kwargs: Any) -> None:
            if any(b is block for b, _exc in self.failures):
                return
            try:
                method(*args, **kwargs)
                if _culprit(block) is not None:
                    raise ValueError("not a finite number")
            except Exception as exc:
                self.failures.append((block, exc))
        return run


@dataclass(frozen=True, slots=True)
class _Exchange:
    is_input: bool
    target: str  # provider (product) name, or flow id
    amount: float
    unit: str
    uncertainty: Uncertainty | None


@dataclass
class _Context:
    issues: Issues
    line: Callable[[int], int]
    references: dict[str, str]
    flows: dict[str, FlowRecord] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def where(self, identifier: str, line_no: object = None) -> str:
        line = self.line(line_no) if isinstance(line_no, int) else 0
        return f"line {line}, process '{identifier}'" if line else f"process '{identifier}'"


def import_simapro_csv(path: Path, *, role: DatasetRole = DatasetRole.BASE,
                       name: str | None = None, version: str = "") -> Dataset:
    """Read a SimaPro CSV process export into a Dataset (or raise DatasetImportError)."""
    issues = Issues(str(path))
    text = _read_text(path, issues)
    with _LOCK:
        prepared = _prepare(text, path, issues) if text is not None else None
        line = _line_numbers(prepared[1] if prepared else None)
        reader = _read(prepared[0], line, path, issues) if prepared is not None else None
    if reader is None or prepared is None:
        raise DatasetImportError(issues.items)
    ctx = _Context(issues, line,
                   {str(b.parsed.get("Name", "")): str(b.parsed.get("Documentation link") or "")
                    for b in reader.blocks if isinstance(b, LiteratureReference)})
    for block, exc in reader.failures:
        _report_failure(block, exc, ctx)
    processes = [b for b in reader.blocks if isinstance(b, Process)]
    if not processes and not reader.failures:
        issues.add("", "", "", "the file holds no processes to import")
    activities = [a for block in processes for a in _process_records(block, ctx)]
    issues.raise_if_any()
    return Dataset(name=name or path.stem, version=version, role=role,
                   flows=tuple(sorted(ctx.flows.values(), key=lambda f: f.id)),
                   activities=tuple(activities),
                   provenance=_dataset_provenance(reader.header, prepared[0]),
                   source_file=path.name, format="simapro")


def _line_numbers(lines: list[int] | None) -> Callable[[int], int]:
    """The file's line number of a line as bw_simapro_csv counts them (old layout rewritten)."""
    if lines is None:
        return lambda number: number
    return lambda number: lines[number - 1] if 0 < number <= len(lines) else number


def _read_text(path: Path, issues: Issues) -> str | None:
    if not path.is_file():
        issues.add("", "", "", "no such file")
        return None
    if path.stat().st_size > MAX_FILE_BYTES:
        issues.add("", "", "", f"the file is larger than {MAX_FILE_BYTES} bytes")
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # SimaPro writes Windows-1252 unless told otherwise
        text = raw.decode("sloppy-windows-1252")  # a codec ftfy registers; never fails
    if not text.strip():
        issues.add("", "", "", "the file is empty")
        return None
    return text


def _prepare(text: str, path: Path, issues: Issues) -> tuple[str, list[int] | None] | None:
    """The text bw_simapro_csv is to read and, for the old layout, the map from its line
    numbers to the file's; None (with an issue) for what is no SimaPro process export."""
    first = text.lstrip("\ufeff").lstrip().split("\n", 1)[0].strip()
    if not first.lstrip('"{').lower().startswith("simapro"):
        issues.add("line 1", "", first[:80], "not a SimaPro CSV export: the first line "
                   "should be '{SimaPro <version>}'")
        return None
    if first.lstrip('"').startswith("{"):
        try:
            with _quiet():
                methods = parse_header(io.StringIO(text))[0].kind == SimaProCSVType.methods
        except Exception as exc:
            issues.add("header", "", "", f"cannot read the SimaPro header: {_describe(exc)}")
            return None
        prepared: tuple[str, list[int] | None] = (text, None)
    else:
        delimiter = "\t" if "\t" in first else ";"
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
        try:
            rows = list(reader)
        except csv.Error as exc:  # a field past the csv module's limit, a NUL, ...
            issues.add(f"line {reader.line_num}", "", "", f"cannot read the CSV: {exc}")
            return None
        methods = bool({"method", "methods"} & set(re.findall(r"[a-z]+", first.lower())))
        prepared = _modernise(rows, delimiter, path.stem)
    if methods:
        issues.add("header", "", "methods", "this is an LCIA method export; it holds no "
                   "processes to import")
        return None
    return prepared


def _modernise(rows: list[list[str]], delimiter: str, stem: str) -> tuple[str, list[int]]:
    """Rewrite the old layout (one-line header, 'key<TAB>value' metadata, amount before unit)
    into the layout bw_simapro_csv reads, keeping each line's number in the file."""
    top = next(i for i, row in enumerate(rows) if any(c.strip() for c in row))
    cells, after = [c.strip() for c in rows[top]], rows[top + 1] if len(rows) > top + 1 else []
    has_project = len(after) > 1 and after[0].strip() == "Project"
    version = re.match(r"SimaPro\s+(\d[\d.]*)", cells[0])
    head = [f"{{SimaPro {version.group(1)}}}"] if version else []
    head += ["{processes}", f"{{Project: {after[1].strip() if has_project else stem}}}",
             "{CSV Format version: 7.0.0}", "{Decimal separator: .}",
             f"{{CSV separator: {'Tab' if delimiter == chr(9) else 'Semicolon'}}}"]
    head += [f"{{{k} {cells[i + 1]}}}" for i, k in enumerate(cells[:-1]) if k in ("Date:", "Time:")]
    out = io.StringIO()
    out.write("\n".join([*head, ""]) + "\n")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    line_map = [0] * (len(head) + 1)
    for number, row in _modern_rows(rows, top + (2 if has_project else 1)):
        writer.writerow(row)
        line_map.append(number)
    return out.getvalue(), line_map


def _modern_rows(rows: list[list[str]], start: int) -> Iterator[tuple[int, list[str]]]:
    metadata: list[tuple[int, str, str]] | None = None
    section = ""
    for number, row in enumerate(rows[start:], start=start + 1):
        cells = [c.strip() for c in row]
        first, rest = (cells[0] if cells else ""), [c for c in cells[1:] if c]
        if first == "Process" and not rest:
            metadata, section = [], ""
            yield from ((number, []), (number, [first]))  # the reader needs the blank line
        elif metadata is not None and first not in _LAYOUT and first not in PRODUCTS:
            if first and rest:
                metadata.append((number, first, " ".join(rest)))
            elif rest and metadata:  # a value continued on the next line
                line, key, value = metadata[-1]
                metadata[-1] = (line, key, " ".join([value, *rest]))
        elif first and not rest:  # a section heading, "End", or another block
            for line, key, value in metadata or ():
                yield from ((line, [key]), (line, [value]), (line, []))
            metadata, section = None, first
            yield number, [first]
        elif first and section in _LAYOUT:
            yield number, _reorder(cells, *_LAYOUT[section])
        elif not (rest and section in _LAYOUT):  # drops comments continued on the next line
            yield number, cells if first or rest else []
    for line, key, value in metadata or ():
        yield from ((line, [key]), (line, [value]), (line, []))
    yield len(rows), []  # a section heading must not end the text


def _reorder(cells: list[str], amount: int, unit: int, width: int,
             uncertainty: int | None) -> list[str]:
    cells = cells + [""] * (width - len(cells))
    if not _NUMBER.match(cells[unit]):  # "1;kg" (or "a*2;kg") rather than "kg;1"
        cells[amount], cells[unit] = cells[unit], cells[amount]
    if uncertainty is not None:
        cells[uncertainty] = cells[uncertainty] or "Undefined"
        for i in range(uncertainty + 1, uncertainty + 4):
            cells[i] = cells[i] or "0"
    return cells


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence bw_simapro_csv. It reports through loguru (collected by `_read`), not Python
    warnings; those come from its dependencies (deprecations, unclosed files) and are noise."""
    logger.remove()  # as bw_simapro_csv itself does on every read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _read(text: str, line: Callable[[int], int], path: Path, issues: Issues) -> Any | None:
    messages: list[str] = []

    def collect(message: Any) -> None:  # unit conflicts, division by zero in parameters
        if message.record["name"] in ("bw_simapro_csv.units", "bw_simapro_csv.utils"):
            messages.append(" ".join(message.record["message"].split())[:300])

    reader = None
    with _quiet():
        sink = logger.add(collect, level="CRITICAL")
        try:
            reader = _Reader(io.StringIO(text), database_name=path.stem)
        except _BlockError as exc:
            lines = text.splitlines()
            first = next((n for n in range(exc.first, min(exc.last, len(lines)))
                          if lines[n - 1].strip(" \t;")), exc.last)
            first, last = line(first), line(exc.last)
            issues.add(f"line {last}" if first >= last else f"lines {first}-{last}", "", "",
                       f"cannot read this block: {exc}")
        except Exception as exc:
            issues.add("", "", "", f"cannot read the file: {_describe(exc)}")
        finally:
            logger.remove(sink)
    for message in messages:
        issues.add("", "", "", message)
    return reader


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing or not recognised"
    if isinstance(exc, IndexError):
        return "a line has fewer fields than its section needs"
    text = str(exc) or str(exc.__cause__ or "")
    return " ".join(f"{type(exc).__name__}: {text}".split())[:300]


def _objects(section: Any) -> list[dict[str, Any]]:
    return [o for o in getattr(section, "parsed", None) or () if isinstance(o, dict)]


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)


def _culprit(block: Any) -> tuple[str, dict[str, Any]] | None:
    """The first line of *block* the reader did not (or could not) resolve to numbers."""
    for label, section in block.blocks.items():
        for obj in _objects(section):
            if (not _is_number(obj.get("amount", None if "formula" in obj else 0))
                    or not _is_number(obj.get("allocation",
                                              None if "allocation_formula" in obj else 0))
                    or ("field1" in obj and "uncertainty type" not in obj)):
                return label, obj
    return None


def _report_failure(block: Any, exc: BaseException, ctx: _Context) -> None:
    identifier = str(block.parsed["metadata"].get("Process identifier", "")) or "(no identifier)"
    culprit = _culprit(block)
    if culprit is None:
        ctx.issues.add(ctx.where(identifier), "", "", _describe(exc))
        return
    label, obj = culprit
    raw = obj.get(_RAW) or {}
    if not _is_number(obj.get("amount")):
        key, value = "amount", raw.get("formula", obj.get("amount"))
    elif not _is_number(obj.get("allocation", 0)):
        key, value = "allocation", raw.get("allocation_formula", obj.get("allocation"))
    else:
        key = "uncertainty"
        value = ";".join(str(raw.get(k, "")) for k in ("kind", "field1", "field2", "field3"))
    ctx.issues.add(ctx.where(identifier, obj.get("line_no")), key, value,
                   f"{label} '{obj.get('name', '')}': the {key} is not a number nor an "
                   f"expression the reader can evaluate ({_describe(exc)})")


def _process_records(block: Any, ctx: _Context) -> list[ActivityRecord]:
    meta: dict[str, Any] = block.parsed["metadata"]
    identifier = str(meta.get("Process identifier", "")).strip()
    where = ctx.where(identifier or "(no identifier)")
    products = [(label, obj) for label in PRODUCTS for obj in _objects(block.blocks.get(label))]
    if not identifier:
        ctx.issues.add(where, "Process identifier", "", "a process needs its identifier")
    if not products:
        ctx.issues.add(where, "Products", "", "the process has no products")
    shares = _shares(products, ctx.where(identifier, products[0][1].get("line_no"))
                     if products else where, ctx.issues)
    exchanges = _exchanges(block, identifier, ctx)
    if not identifier or not products or shares is None:
        return []
    references = [str(r.get("reference", "")) for r in meta.get("Literature references") or ()
                  if isinstance(r, dict) and r.get("reference")]
    source = "; ".join(f"{r} ({ctx.references[r]})" if ctx.references.get(r) else r
                       for r in references)
    process_name = _text(meta.get("Process name"))
    years = re.findall(r"\b(1[89]\d\d|2\d\d\d)\b", _text(meta.get("Time period")))
    records = []
    for (_label, product), share in zip(products, shares, strict=True):
        product_name, unit = _text(product.get("name")), _text(product.get("unit"))
        here = f"{ctx.where(identifier, product.get('line_no'))}, product '{product_name}'"
        amount = float(product["amount"])  # a number: the reader resolved this process
        if amount <= 0:  # shown as written, before the reader converted its unit
            written = amount / (float(product.get("unit conversion factor", 1.0)) or 1.0)
            ctx.issues.add(here, "amount", f"{written:g}", "a product amount must be > 0")
        if not unit or not product_name:
            ctx.issues.add(here, "unit" if product_name else "name", "",
                           "a product needs a name and a unit")
        activity_id = identifier if len(products) == 1 else f"{identifier}::{product_name}"
        if activity_id in ctx.ids:
            ctx.issues.add(here, "Process identifier", activity_id, "duplicate activity id")
        ctx.ids.add(activity_id)
        if amount <= 0 or not unit or not product_name:
            continue
        records.append(ActivityRecord(
            id=activity_id, name=process_name if process_name and len(products) == 1
            else product_name, reference_product=product_name, unit=unit, amount=amount,
            geography=_geography(_text(meta.get("Geography")), product_name),
            period_start=years[0] if years else "", period_end=years[-1] if years else "",
            sector=_text(product.get("category")),
            inputs=tuple(InputRecord("", e.amount * share, e.unit, e.target, e.target,
                                     _scaled(e.uncertainty, share))
                         for e in exchanges if e.is_input),
            emissions=tuple(ElementaryRecord(e.target, e.amount * share, e.unit,
                                             _scaled(e.uncertainty, share))
                            for e in exchanges if not e.is_input),
            provenance=Provenance(source=source)))
    return records


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text.lower() in ("unspecified", "not defined") else text


def _geography(geography: str, product: str) -> str:
    tag = None if geography else (_GEO_TAG.search(product) or _OLD_GEO.search(product))
    return tag.group(1).strip() if tag else geography


def _shares(products: list[tuple[str, dict[str, Any]]], where: str,
            issues: Issues) -> list[float] | None:
    """Each product's share of the inputs and emissions: its allocation percentage / 100."""
    if all(label != "Products" for label, _obj in products):
        return [1.0] * len(products)  # a waste treatment has one reference flow
    given = [obj.get("allocation") for _label, obj in products]
    values = [v for v in given if _is_number(v) and v >= 0]
    if len(values) != len(given):
        issues.add(where, "allocation", given, "allocation percentages must be numbers >= 0")
        return None
    total = math.fsum(values)
    if abs(total - 100.0) > 0.01:
        issues.add(where, "allocation", f"{total:g}", f"the allocation percentages of its "
                   f"{len(products)} product(s) sum to {total:g}, not 100")
        return None
    return [v / 100.0 for v in values]


def _exchanges(block: Any, identifier: str, ctx: _Context) -> list[_Exchange]:
    found = []
    for label in (*TECHNOSPHERE, *BIOSPHERE):
        for obj in _objects(block.blocks.get(label)):
            where = ctx.where(identifier, obj.get("line_no"))
            name, unit = _text(obj.get("name")), _text(obj.get("unit"))
            if not name or not unit:
                ctx.issues.add(where, "unit" if name else "name", "", f"{label}: an exchange "
                               "needs a name and a unit")
                continue
            sign = -1.0 if label == AVOIDED else 1.0  # an avoided product is a negative input
            factor = sign * float(obj.get("unit conversion factor", 1.0))
            uncertainty = _uncertainty(obj.get(_RAW) or {}, float(obj["amount"]), factor,
                                       ctx.issues, where)
            target = name
            if label in BIOSPHERE:
                flow = ctx.flows.setdefault(*_flow(obj, name, unit, label))
                target = flow.id
                if label in ("Emissions to air", "Resources"):
                    check_direction(ctx.issues, where, "section", label, flow,
                                    from_nature=label == "Resources")
            found.append(_Exchange(label not in BIOSPHERE, target, sign * float(obj["amount"]),
                                   unit, uncertainty))
    return found


def _flow(obj: dict[str, Any], name: str, unit: str, label: str) -> tuple[str, FlowRecord]:
    context = obj.get("context") or (label, "")
    sub = str(context[1]).strip() if len(context) > 1 else ""
    record = flow_record(f"{name}|{label}|{sub}|{unit}", name, unit,
                         f"{label}/{sub}" if sub else label, str(obj.get("cas_number") or ""))
    if label not in ("Emissions to air", "Resources"):
        # classify_flow takes any compartment naming "emission" for air: not so here
        record = replace(record, gas=None, origin=Origin.NONE, kind=FlowKind.EMISSION)
    return record.id, record


def _uncertainty(raw: dict[str, Any], amount: float, factor: float, issues: Issues,
                 where: str) -> Uncertainty | None:
    """SimaPro's fields: lognormal gives gsd², normal 2·sd, triangle and uniform min and max
    (the amount is the triangle's mode). *factor* is the unit conversion the reader applied to
    *amount*, negative for avoided products."""
    kind = str(raw.get("kind", ""))
    if kind in ("", "Undefined"):
        return None
    spread, low, high = (parse_number(raw.get(k), issues, where, f"uncertainty ({kind})",
                                      required=False) or 0.0
                         for k in ("field1", "field2", "field3"))
    if kind == "Lognormal" and spread != 1.0:
        if spread < 1.0:
            issues.add(where, "uncertainty (Lognormal)", spread, "gsd² must be at least 1")
            return None
        return Uncertainty("lognormal", (("gsd", math.sqrt(spread)),))
    if kind == "Normal" and spread != 0.0:
        return Uncertainty("normal", (("sd", abs(spread * factor) / 2.0),))
    if kind in ("Triangle", "Uniform") and low != high:
        if low > high:
            issues.add(where, f"uncertainty ({kind})", f"{low:g} > {high:g}",
                       "the minimum exceeds the maximum")
            return None
        bounds = sorted((low * factor, high * factor))
        if kind == "Uniform":
            return Uncertainty("uniform", (("max", bounds[1]), ("min", bounds[0])))
        return Uncertainty("triangular", (("max", bounds[1]), ("min", bounds[0]),
                                          ("mode", amount * math.copysign(1.0, factor))))
    return None


def _scaled(uncertainty: Uncertainty | None, share: float) -> Uncertainty | None:
    if uncertainty is None or share == 1.0 or uncertainty.distribution == "lognormal":
        return uncertainty
    return Uncertainty(uncertainty.distribution,
                       tuple((k, v * share) for k, v in uncertainty.parameters))


def _dataset_provenance(header: dict[str, Any], text: str) -> Provenance:
    parts = [f"SimaPro {header.get('simapro_version') or '(version not given)'} export"]
    if header.get("project"):
        parts.append(f"project '{header['project']}'")
    if header.get("created") and re.search(r"^\W*\{Date:", text[:5000], re.MULTILINE):
        parts.append(f"exported {header['created']:%Y-%m-%d}")
    parts += [f"library '{name}'" for name in header.get("libraries") or ()]
    return Provenance(source=", ".join(parts))
