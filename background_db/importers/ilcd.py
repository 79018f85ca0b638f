"""Import ILCD process data sets (one XML file, an archive folder or a zip) into a `Dataset`.

The archive's flow, flow-property and unit-group data sets give each exchange its kind, name,
CAS number, compartment and unit; without them the exchange's short description is used.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import cast
from xml.etree.ElementTree import Element

from background_db.errors import DatasetImportError
from background_db.importers.archive import DATASET_ARCHIVE, Budget, check_members, open_archive
from background_db.importers.common import (
    MAX_FILE_BYTES,
    Issues,
    check_direction,
    flow_record,
    local,
    parse_number,
    parse_xml,
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
from lca_engine.model import DataQuality, Uncertainty

MAX_MEMBER_BYTES = 100 * 1024 * 1024
_FOLDERS = ("processes", "flows", "flowproperties", "unitgroups")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# ELCD short descriptions carry an elementary flow's top category: "phosphate (Emissions to water)"
_CATEGORY_NOTE = re.compile(r"^(.*\S)\s*\(((?:emissions|resources|land use)[^()]*)\)$", re.I)
_QUALITY = {"technological representativeness": "technological",
            "time representativeness": "temporal",
            "geographical representativeness": "geographical",
            "completeness": "completeness", "precision": "reliability"}
_RATINGS = {"very good": 1.0, "good": 2.0, "fair": 3.0, "poor": 4.0, "very poor": 5.0}
_READ_ERRORS = (OSError, zipfile.BadZipFile, RuntimeError, EOFError, zlib.error)


def import_ilcd(path: Path, *, role: DatasetRole = DatasetRole.BASE, name: str | None = None,
                version: str = "") -> Dataset:
    """Import *path*: one process data set, an ILCD archive folder (`processes/`, `flows/`,
    `flowproperties/`, `unitgroups/`, possibly under `ILCD/`) or a zip of one.

    Choices where ILCD leaves room:
    - an amount is `resultingAmount` (mean amount times its variable) where present, else
      `meanAmount`, in the reference unit of the flow's reference flow property;
    - a flow without its data set is elementary when its short description ends in an
      elementary category ("(Emissions to air)", "(Resources from ground)"), or is an output
      named after a greenhouse gas (an emission to air); otherwise (an input named after a
      gas is a purchase: propane, a refrigerant) a technosphere exchange of unknown type;
    - an elementary flow whose name or compartment contradicts its `exchangeDirection`
      (CO2 taken up from air as an Output, an emitted gas as an Input) is refused;
    - a waste output, or an output of unknown type that no allocation names, is read as an
      input of the service that treats it (amount as given, linked by name); a product
      output besides the reference flow is a co-product, and a process with several
      co-products is split by its allocation fractions into activities `uuid::exchange id`;
      a reference flow that is an input (a treatment service) is the product, as given;
    - log-normal `relativeStandardDeviation95In` is read as the 95 % factor gsd² (ecoinvent
      convention), so gsd = sqrt(value); normal takes it as 2 sd in percent of the amount;
      triangular and uniform take `minimumAmount` and `maximumAmount`.
    Every problem found is raised at the end in one `DatasetImportError`; nothing is kept.
    """
    path = Path(path)
    top = Issues(str(path))
    files: list[Issues] = []
    result: tuple[list[ActivityRecord], list[FlowRecord]] = ([], [])
    try:
        if path.is_dir():
            root = next((p for p in (path, path / "ILCD") if (p / "processes").is_dir()), None)
            result = _read_all(_folder_source(root, None, files), top)
        elif not path.is_file():
            top.add("", "", "", "no such file or folder")
        elif path.stat().st_size > MAX_FILE_BYTES:
            top.add("", "", path.stat().st_size, f"larger than {MAX_FILE_BYTES} bytes")
        elif path.suffix.lower() == ".zip":
            limits = dataclasses.replace(DATASET_ARCHIVE, member_bytes=MAX_MEMBER_BYTES)
            with open_archive(path, str(path), limits) as archive:
                check_members(archive, str(path), limits,
                              wanted=lambda name: name.lower().endswith(".xml"))
                source = _zip_source(path, Budget(archive, str(path), limits), top, files)
                result = _read_all(source, top) if not top else result
        else:
            root = path.parent.parent if path.parent.name == "processes" else None
            result = _read_all(_folder_source(root, path, files), top)
    except _READ_ERRORS as exc:
        top.add("", "", "", f"cannot read: {type(exc).__name__}: {exc}")
    items = top.items + [item for issues in files for item in issues.items]
    if items:
        raise DatasetImportError(items)
    activities, flows = result
    provenances = {a.provenance for a in activities}
    single = len(activities) == 1 and path.is_file() and path.suffix.lower() != ".zip"
    return Dataset(name or (activities[0].name if single else path.stem), version, role,
                   tuple(flows), tuple(activities),
                   provenances.pop() if len(provenances) == 1 else Provenance(),
                   str(path), "ilcd")


@dataclass
class _Source:
    """The data sets of one archive by folder, parsed on demand; one `Issues` per file read."""

    files: dict[str, list[str]]
    label: Callable[[str], str]
    read: Callable[[str, Issues], Element | None]
    issues: list[Issues]
    _index: dict[tuple[str, str], str] = field(default_factory=dict)
    _scanned: set[str] = field(default_factory=set)
    _parsed: dict[str, tuple[Element | None, Issues]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder, keys in self.files.items():
            for key in keys:
                if match := _UUID.match(PurePosixPath(key.replace("\\", "/")).name):
                    self._index[folder, match.group().lower()] = key  # the last version

    def load(self, key: str) -> tuple[Element | None, Issues]:
        if key not in self._parsed:
            issues = Issues(self.label(key))
            self.issues.append(issues)
            try:
                self._parsed[key] = (self.read(key, issues), issues)
            except _READ_ERRORS as exc:
                issues.add("", "", "", f"cannot read: {type(exc).__name__}: {exc}")
                self._parsed[key] = (None, issues)
        return self._parsed[key]

    def find(self, folder: str, uuid: str) -> Element | None:
        """The data set *uuid* of *folder*: by file name, else by reading the others' UUIDs."""
        uuid = uuid.strip().lower()
        if (folder, uuid) not in self._index and folder not in self._scanned:
            self._scanned.add(folder)
            named = set(self._index.values())
            for other in (k for k in self.files.get(folder, []) if k not in named):
                element = self.load(other)[0]
                found = [e for e in ([] if element is None else element.iter())
                         if local(str(e.tag)) == "UUID"]
                if found and _text(found[0]):
                    self._index.setdefault((folder, _text(found[0]).lower()), other)
        key = self._index.get((folder, uuid))
        return None if key is None else self.load(key)[0]


def _folder_source(root: Path | None, process: Path | None, issues: list[Issues]) -> _Source:
    files = {f: sorted(str(p) for p in (root / f).glob("*.xml")) if root else [] for f in _FOLDERS}
    if process is not None:
        files["processes"] = [str(process)]
    return _Source(files, str, _read_file, issues)


def _read_file(key: str, issues: Issues) -> Element | None:
    if Path(key).stat().st_size > MAX_FILE_BYTES:
        issues.add("", "", "", f"refused: larger than {MAX_FILE_BYTES} bytes")
        return None
    return cast(Element | None, parse_xml(Path(key), issues))


def _zip_source(path: Path, budget: Budget, top: Issues, issues: list[Issues]) -> _Source:
    """The archive's data sets, read through *budget* (their declared sizes were checked)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in budget.archive.infolist():
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
            top.add(f"member {name}", "", name, "refused: path outside the archive")
        elif not info.is_dir():
            members[name] = info
    prefix = min((m.group(1) for n in members
                  if (m := re.match(r"^((?:.*/)?)processes/[^/]+\.xml$", n, re.I))), key=len,
                 default=None)
    files = {f: sorted(n for n in members if prefix is not None and re.fullmatch(
        re.escape(prefix + f) + r"/[^/]+\.xml", n, re.I)) for f in _FOLDERS}

    def read(key: str, found: Issues) -> Element | None:
        # parse_xml hands its argument to defusedxml's parse, which reads file objects too
        return cast(Element | None, parse_xml(io.BytesIO(budget.read(members[key])), found))

    return _Source(files, lambda key: f"{path}:{key}", read, issues)


def _children(element: Element | None, name: str) -> list[Element]:
    """Children named *name* in any namespace: archives mix default and prefixed ones."""
    return [] if element is None else [c for c in element if local(str(c.tag)) == name]


def _child(element: Element | None, *names: str) -> Element | None:
    for name in names:
        found = _children(element, name)
        element = found[0] if found else None
    return element


def _text(element: Element | None, *path: str) -> str:
    """Whitespace-normalised text at *path*, the English one among same-named siblings."""
    if path:
        found = _children(_child(element, *path[:-1]), path[-1])
        element = next((e for e in found if e.get(_LANG) == "en"), found[0] if found else None)
    return "" if element is None else " ".join("".join(element.itertext()).split())


def _name(element: Element | None) -> str:
    parts = ("baseName", "treatmentStandardsRoutes", "mixAndLocationTypes")
    return ", ".join(t for t in (_text(element, p) for p in parts) if t)


@dataclass(frozen=True, slots=True)
class _Flow:
    name: str
    kind: str  # elementary | product | waste | unknown | guessed (see _read_exchanges)
    unit: str = ""
    compartment: str = ""
    cas: str = ""


class _Flows:
    """Flows by UUID, from the archive's flow data sets or the exchanges' short descriptions."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.cache: dict[str, _Flow] = {}
        self.units: dict[str, str] = {}

    def get(self, uuid: str, short: str) -> _Flow:
        key = uuid.lower()
        if key not in self.cache:
            self.cache[key] = self._read(uuid, short)
        return self.cache[key]

    def _read(self, uuid: str, short: str) -> _Flow:
        root = self.source.find("flows", uuid)
        if root is None or local(str(root.tag)) != "flowDataSet":
            match = _CATEGORY_NOTE.match(short)
            if match:
                return _Flow(match.group(1), "elementary", compartment=match.group(2))
            return _Flow(short, "guessed" if flow_record("", short, "").gas else "unknown")
        info = _child(root, "flowInformation", "dataSetInformation")
        category = _child(info, "classificationInformation", "elementaryFlowCategorization")
        kind = _text(root, "modellingAndValidation", "LCIMethod", "typeOfDataSet").lower()
        if not kind:
            kind = "elementary" if category is not None else "product"
        kind = next((k for k in ("elementary", "waste") if kind.startswith(k)), "product")
        compartment = "/".join(_text(c) for c in _children(category, "category"))
        return _Flow(_name(_child(info, "name")) or short, kind, self._unit(root), compartment,
                     _text(info, "CASNumber").lstrip("0"))

    def _unit(self, flow: Element) -> str:
        """Reference unit of the unit group of the flow's reference flow property."""
        wanted = _text(flow, "flowInformation", "quantitativeReference",
                       "referenceToReferenceFlowProperty")
        properties = _children(_child(flow, "flowProperties"), "flowProperty")
        chosen = next((p for p in properties
                       if p.get("dataSetInternalID", "").strip() == wanted), None)
        ref = _child(chosen, "referenceToFlowPropertyDataSet")
        uuid = "" if ref is None else ref.get("refObjectId", "").strip()
        if uuid and uuid not in self.units:
            ref = _child(self.source.find("flowproperties", uuid), "flowPropertiesInformation",
                         "quantitativeReference", "referenceToReferenceUnitGroup")
            group = None if ref is None else self.source.find(
                "unitgroups", ref.get("refObjectId", ""))
            unit_id = _text(group, "unitGroupInformation", "quantitativeReference",
                            "referenceToReferenceUnit")
            units = _children(_child(group, "units"), "unit")
            self.units[uuid] = next((_text(u, "name") for u in units
                                     if u.get("dataSetInternalID", "").strip() == unit_id), "")
        return self.units.get(uuid, "")


@dataclass(frozen=True, slots=True)
class _Exchange:
    id: str
    where: str
    flow_id: str
    flow: _Flow
    output: bool
    amount: float
    raw: tuple[str, str]  # the amount's field and text, for issues
    uncertainty: Uncertainty | None
    allocations: dict[str, float]


def _read_all(source: _Source, top: Issues) -> tuple[list[ActivityRecord], list[FlowRecord]]:
    flows = _Flows(source)
    activities: list[ActivityRecord] = []
    seen: set[str] = set()
    records: dict[str, FlowRecord] = {}
    if not source.files["processes"]:
        top.add("", "processes", "", "no process data sets found (no processes/ folder)")
    for key in source.files["processes"]:
        root, issues = source.load(key)
        if root is None:
            continue
        if local(str(root.tag)) != "processDataSet":
            issues.add("root element", "", local(str(root.tag)),
                       "not an ILCD process data set (expected <processDataSet>)")
            continue
        for activity in _read_process(root, flows, issues):
            if activity.id in seen:
                issues.add(f"process {activity.id}", "UUID", activity.id, "appears twice")
            seen.add(activity.id)
            activities.append(activity)
            for record in activity.emissions:
                flow = flows.cache[record.flow.lower()]
                records.setdefault(record.flow, flow_record(
                    record.flow, flow.name, flow.unit, flow.compartment, flow.cas))
    return activities, list(records.values())


def _read_process(root: Element, flows: _Flows, issues: Issues) -> list[ActivityRecord]:
    info = _child(root, "processInformation")
    uuid = _text(info, "dataSetInformation", "UUID")
    if not uuid:
        issues.add("process", "UUID", "", "the process data set has no UUID")
        return []
    where = f"process {uuid}"
    template = _template(root, uuid, issues)
    refs = [t for t in map(_text, _children(_child(info, "quantitativeReference"),
                                            "referenceToReferenceFlow")) if t]
    if not refs:
        issues.add(where, "referenceToReferenceFlow", "",
                   "no quantitative reference: the process names no reference flow")
    exchanges, ids = _read_exchanges(root, where, flows, issues)
    by_id = {e.id: e for e in exchanges}
    for ref in refs:
        if ref not in ids:
            issues.add(where, "referenceToReferenceFlow", ref, "no exchange has this internal id")
        elif ref in by_id and by_id[ref].amount <= 0:
            issues.add(by_id[ref].where, *by_id[ref].raw, "the reference amount must be > 0")
    targets = {t for e in exchanges for t in e.allocations if e.id not in refs}
    products = [*dict.fromkeys(r for r in refs if r in by_id)] + [
        e.id for e in exchanges if e.id not in refs and e.output and (
            e.flow.kind == "product" or (e.id in targets and e.flow.kind != "elementary"))]
    for target in sorted(targets - set(products) - set(refs)):
        issues.add(where, "internalReferenceToCoProduct", target,
                   "an allocation names an exchange that is not a product output")
    for exchange in exchanges:
        if not exchange.flow.name:
            issues.add(exchange.where, "referenceToFlowDataSet", exchange.flow_id,
                       "the flow has no name (no flow data set, no short description)")
    others = [e for e in exchanges if e.id not in products]
    if len(products) > 1 and not any(e.allocations for e in others):
        issues.add(where, "exchanges", "; ".join(by_id[p].flow.name for p in products),
                   "multi-output process without allocation")
        return []
    if len(products) > 1:
        _check_allocations(others, products, issues)
    return [_activity(template, uuid if len(products) == 1 else f"{uuid}::{p}", by_id[p],
                      others, len(products) > 1) for p in products]


def _template(root: Element, uuid: str, issues: Issues) -> ActivityRecord:
    """The process's metadata as an activity without product or exchanges."""
    info = _child(root, "processInformation")
    name = _name(_child(info, "dataSetInformation", "name"))
    if not name:
        issues.add(f"process {uuid}", "baseName", "", "the process has no name")
    classes = _children(_child(info, "dataSetInformation", "classificationInformation",
                               "classification"), "class")
    publication = _child(root, "administrativeInformation", "publicationAndOwnership")
    sources = _children(_child(root, "modellingAndValidation", "dataSources"
                               "TreatmentAndRepresentativeness"), "referenceToDataSource")
    provenance = Provenance(
        publisher=_text(publication, "referenceToOwnershipOfDataSet", "shortDescription"),
        source="; ".join(t for t in (_text(s, "shortDescription") for s in sources) if t),
        licence=_text(publication, "licenseType"))
    quality: dict[str, float] = {}
    for review in _children(_child(root, "modellingAndValidation", "validation"), "review"):
        for indicator in _children(_child(review, "dataQualityIndicators"),
                                   "dataQualityIndicator"):
            key = _QUALITY.get(indicator.get("name", "").strip().lower(), "")
            rating = _RATINGS.get(indicator.get("value", "").strip().lower())
            if key and rating is not None:
                quality.setdefault(key, rating)
    location = _child(info, "geography", "locationOfOperationSupplyOrProduction")
    return ActivityRecord(
        uuid, name, "", "", geography="" if location is None else location.get("location", ""),
        period_start=_text(info, "time", "referenceYear"),
        period_end=_text(info, "time", "dataSetValidUntil"),
        sector="/".join(_text(c) for c in classes), provenance=provenance,
        quality=DataQuality(**quality) if quality else None)


def _read_exchanges(root: Element, process: str, flows: _Flows,
                    issues: Issues) -> tuple[list[_Exchange], set[str]]:
    exchanges: list[_Exchange] = []
    ids: set[str] = set()
    for number, element in enumerate(_children(_child(root, "exchanges"), "exchange"), 1):
        ex_id = element.get("dataSetInternalID", "").strip() or f"#{number}"
        where = f"{process}, exchange {ex_id}"
        if ex_id in ids:
            issues.add(where, "dataSetInternalID", ex_id, "appears twice")
            continue
        ids.add(ex_id)
        ref = _child(element, "referenceToFlowDataSet")
        flow_id = "" if ref is None else ref.get("refObjectId", "").strip()
        direction = _text(element, "exchangeDirection")
        if not flow_id:
            issues.add(where, "referenceToFlowDataSet", "", "the exchange names no flow")
        if direction not in ("Input", "Output"):
            issues.add(where, "exchangeDirection", direction, "expected 'Input' or 'Output'")
        field_name = "meanAmount"
        if _child(element, "resultingAmount") is not None:
            field_name = "resultingAmount"
            parse_number(_text(element, "meanAmount"), issues, where, "meanAmount", required=False)
        raw = _text(element, field_name)
        amount = parse_number(raw, issues, where, field_name)
        if amount is None or not flow_id or direction not in ("Input", "Output"):
            continue
        flow = flows.get(flow_id, _text(ref, "shortDescription"))
        if flow.kind == "guessed":  # no flow data set: only an output is read as an emission
            flow = replace(flow, kind="elementary" if direction == "Output" else "unknown")
        if flow.kind == "elementary":
            check_direction(issues, where, "exchangeDirection", direction, flow_record(
                flow_id, flow.name, flow.unit, flow.compartment, flow.cas),
                from_nature=direction == "Input")
        exchanges.append(_Exchange(
            ex_id, where, flow_id, flow, direction == "Output", amount, (field_name, raw),
            _uncertainty(element, amount, issues, where), _allocations(element, issues, where)))
    return exchanges, ids


def _allocations(element: Element, issues: Issues, where: str) -> dict[str, float]:
    fractions: dict[str, float] = {}
    for allocation in _children(_child(element, "allocations"), "allocation"):
        target = allocation.get("internalReferenceToCoProduct", "").strip()
        fraction = parse_number(allocation.get("allocatedFraction"), issues, where,
                                "allocatedFraction")
        if fraction is not None and not 0 <= fraction <= 100:
            issues.add(where, "allocatedFraction", fraction, "must be between 0 and 100 (%)")
        elif fraction is not None and target:
            fractions[target] = fraction
    return fractions


def _check_allocations(others: list[_Exchange], products: list[str], issues: Issues) -> None:
    for exchange in others:
        total = sum(exchange.allocations.get(p, 0.0) for p in products)
        if not exchange.allocations:
            issues.add(exchange.where, "allocations", "",
                       "no allocation fractions, though the process is split by allocation")
        elif abs(total - 100.0) > 0.01:
            issues.add(exchange.where, "allocatedFraction", f"{total:g}",
                       "the allocation fractions over the co-products must sum to 100 %")


def _uncertainty(element: Element, amount: float, issues: Issues,
                 where: str) -> Uncertainty | None:
    kind = _text(element, "uncertaintyDistributionType").lower()
    if kind in ("", "undefined"):
        return None
    if kind in ("log-normal", "normal"):
        spread = parse_number(_text(element, "relativeStandardDeviation95In"), issues, where,
                              "relativeStandardDeviation95In", positive=True)
        if spread is None:
            return None
        if kind == "normal":
            return Uncertainty("normal", (("sd", abs(amount) * spread / 200.0),))
        if spread <= 1.0:
            issues.add(where, "relativeStandardDeviation95In", spread,
                       "a log-normal spread is the factor gsd² and must be greater than 1")
            return None
        return Uncertainty("lognormal", (("gsd", math.sqrt(spread)),))
    if kind not in ("triangular", "uniform"):
        issues.add(where, "uncertaintyDistributionType", kind, "unknown distribution")
        return None
    low, high = (parse_number(_text(element, f), issues, where, f)
                 for f in ("minimumAmount", "maximumAmount"))
    if low is not None and high is not None and not low <= amount <= high:
        issues.add(where, "minimumAmount", f"{low:g}..{high:g}",
                   f"the range does not contain the amount {amount:g}")
    elif low is not None and high is not None:
        mode = (("mode", amount),) if kind == "triangular" else ()
        return Uncertainty(kind, (("maximum", high), ("minimum", low), *mode))
    return None


def _scaled(uncertainty: Uncertainty | None, factor: float) -> Uncertainty | None:
    if uncertainty is None or factor == 1.0:
        return uncertainty
    return Uncertainty(uncertainty.distribution, tuple(
        (k, v if k == "gsd" else v * factor) for k, v in uncertainty.parameters))


def _activity(template: ActivityRecord, activity_id: str, product: _Exchange,
              others: list[_Exchange], split: bool) -> ActivityRecord:
    inputs: list[InputRecord] = []
    emissions: list[ElementaryRecord] = []
    for exchange in others:
        factor = exchange.allocations.get(product.id, 0.0) / 100.0 if split else 1.0
        if split and factor == 0.0:
            continue
        amount, uncertainty = exchange.amount * factor, _scaled(exchange.uncertainty, factor)
        flow = exchange.flow
        if flow.kind == "elementary":
            emissions.append(ElementaryRecord(exchange.flow_id, amount, flow.unit, uncertainty))
        else:
            inputs.append(InputRecord("", amount, flow.unit, flow.name, flow.name, uncertainty))
    return replace(template, id=activity_id, reference_product=product.flow.name,
                   unit=product.flow.unit, amount=product.amount, inputs=tuple(inputs),
                   emissions=tuple(emissions))
