"""openLCA JSON-LD importer: a .zip package, an exported folder or one process .json (schema
1.x or 2.x keys) becomes one `Dataset`. Owns the 1.x -> 2.x key normalisation, the allocation
of multi-output processes and the zip limits. Parameters and formulas are not evaluated.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from background_db.importers.archive import DATASET_ARCHIVE, Budget, check_members, open_archive
from background_db.importers.common import Issues, check_direction, flow_record, parse_number
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
FOLDERS = ("processes", "flows", "locations", "categories", "flow_properties", "unit_groups")
PRODUCT, WASTE, ELEMENTARY = "PRODUCT_FLOW", "WASTE_FLOW", "ELEMENTARY_FLOW"
ALLOCATION = {"PHYSICAL_ALLOCATION", "ECONOMIC_ALLOCATION", "CAUSAL_ALLOCATION"}
#: openLCA 1.x key -> 2.x key; everything after `normalise_keys` reads 2.x keys only.
V1_KEYS = {
    "input": "isInput", "quantitativeReference": "isQuantitativeReference",
    "avoidedProduct": "isAvoidedProduct", "referenceFlowProperty": "isRefFlowProperty",
    "referenceUnit": "isRefUnit", "infrastructureFlow": "isInfrastructureFlow",
    "infrastructureProcess": "isInfrastructureProcess", "copyright": "isCopyrightProtected",
}
#: openLCA distribution -> (our name, ((our parameter, openLCA field), ...))
DISTRIBUTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "LOG_NORMAL_DISTRIBUTION": ("lognormal", (("gsd", "geomSd"),)),
    "NORMAL_DISTRIBUTION": ("normal", (("sd", "sd"),)),
    "TRIANGLE_DISTRIBUTION": ("triangular",
                              (("min", "minimum"), ("mode", "mode"), ("max", "maximum"))),
    "UNIFORM_DISTRIBUTION": ("uniform", (("min", "minimum"), ("max", "maximum"))),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DQ_ENTRY = re.compile(r"^\(([^;()]+(?:;[^;()]+){4})\)$")
_READ_ERRORS = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
                zlib.error)


class _TooLargeError(Exception):
    pass


def normalise_keys(node: Any) -> Any:
    """*node* with openLCA 1.x keys renamed to their 2.x names (2.x keys win when both occur)."""
    if isinstance(node, dict):
        return {V1_KEYS.get(key, key): normalise_keys(value) for key, value in node.items()
                if V1_KEYS.get(key, key) == key or V1_KEYS[key] not in node}
    if isinstance(node, list):
        return [normalise_keys(item) for item in node]
    return node


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


class _Package:
    """The JSON documents of one package by (folder, @id), parsed on demand and cached."""

    def __init__(self, index: dict[tuple[str, str], str], read: Callable[[str], bytes],
                 issues: Issues) -> None:
        self.index, self.read, self.issues = index, read, issues
        self.cache: dict[str, dict[str, Any] | None] = {}

    def get(self, folder: str, uid: object) -> dict[str, Any] | None:
        member = self.index.get((folder, str(uid)))
        return self.load(member) if member else None

    def load(self, member: str) -> dict[str, Any] | None:
        if member not in self.cache:
            self.cache[member] = self._parse(member)
        return self.cache[member]

    def _parse(self, member: str) -> dict[str, Any] | None:
        try:
            document = normalise_keys(json.loads(self.read(member).decode("utf-8-sig")))
        except _TooLargeError:
            self.issues.add(member, "", "", f"refused: larger than {MAX_MEMBER_BYTES} bytes")
        except json.JSONDecodeError as exc:
            line = [*exc.doc.splitlines()[exc.lineno - 1:exc.lineno], ""][0]
            self.issues.add(f"{member}, line {exc.lineno}, column {exc.colno}", "",
                            line.strip()[:80], f"invalid JSON: {exc.msg}")
        except UnicodeDecodeError as exc:
            self.issues.add(f"{member}, byte {exc.start}", "", "", "invalid JSON: not UTF-8")
        except ValueError as exc:  # an integer of more digits than Python converts
            self.issues.add(member, "", "", f"invalid JSON: {exc}")
        except RecursionError:
            self.issues.add(member, "", "", "invalid JSON: nested too deeply")
        except _READ_ERRORS as exc:
            self.issues.add(member, "", "", f"cannot read: {exc}")
        else:
            if isinstance(document, dict):
                return document
            self.issues.add(member, "", type(document).__name__, "expected a JSON object")
        return None


def _read_file(path: Path) -> bytes:
    if path.stat().st_size > MAX_MEMBER_BYTES:
        raise _TooLargeError
    return path.read_bytes()


def _member_folder(name: str) -> str | None:
    """The package folder of a member that is one of its documents ("" when unsafe)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if len(parts) < 2 or not name.endswith(".json"):
        return None
    if ".." in parts or parts[0] == "/" or ":" in parts[0]:
        return ""
    return parts[-2] if parts[-2] in FOLDERS else None


def _zip_package(budget: Budget, issues: Issues) -> _Package:
    """Members are read into memory only, through *budget*, whatever they declare."""
    index: dict[tuple[str, str], str] = {}
    members: dict[str, zipfile.ZipInfo] = {}
    for info in budget.archive.infolist():
        folder = _member_folder(info.filename)
        if info.is_dir() or folder is None:
            continue
        if not folder:
            issues.add(info.filename, "", "", "refused: unsafe member name")
        else:
            stem = PurePosixPath(info.filename.replace("\\", "/")).name[:-5]
            index[(folder, stem)] = info.filename
            members[info.filename] = info
    return _Package(index, lambda member: budget.read(members[member]), issues)


def import_olca_jsonld(path: Path, *, role: DatasetRole = DatasetRole.BASE,
                       name: str | None = None, version: str = "") -> Dataset:
    """Import an openLCA JSON-LD package (zip or folder) or one process file; raises
    `DatasetImportError` listing every problem found."""
    path = Path(path)
    issues = Issues(str(path))
    activities: list[ActivityRecord] = []
    flows: dict[str, FlowRecord] = {}
    if path.is_dir():
        index = {(folder, file.stem): f"{folder}/{file.name}" for folder in FOLDERS
                 if (path / folder).is_dir() for file in sorted((path / folder).glob("*.json"))}
        _import(_Package(index, lambda m: _read_file(path / m), issues), activities, flows)
    elif not path.is_file():
        issues.add("", "", "", "no such file or folder")
    elif path.suffix.lower() == ".json":
        package = _Package({}, lambda _m: _read_file(path), issues)
        if (document := package.load(path.name)) is not None:
            package.index[("processes", str(document.get("@id", "")))] = path.name
            _import(package, activities, flows)
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        limits = dataclasses.replace(DATASET_ARCHIVE, member_bytes=MAX_MEMBER_BYTES)
        try:
            with open_archive(path, str(path), limits) as archive:
                check_members(archive, str(path), limits,
                              wanted=lambda name: bool(_member_folder(name)))
                _import(_zip_package(Budget(archive, str(path), limits), issues), activities,
                        flows)
        except _READ_ERRORS as exc:
            issues.add("", "", "", f"not a readable zip archive: {exc}")
    else:
        issues.add("", "", path.suffix, "not a zip archive, a folder or a .json process file")
    if not activities and not issues:
        issues.add("", "processes", "", "the package holds no processes")
    issues.raise_if_any()
    return Dataset(name or (path.name if path.is_dir() else path.stem), version, role,
                   tuple(flows.values()), tuple(activities), source_file=str(path),
                   format="olca-jsonld")


def _import(package: _Package, activities: list[ActivityRecord],
            flows: dict[str, FlowRecord]) -> None:
    split: dict[tuple[str, str], str] = {}  # (process id, co-product name) -> activity id
    seen: dict[str, str] = {}
    for (folder, _uid), member in sorted(package.index.items(), key=lambda kv: kv[1]):
        if folder == "processes" and (process := package.load(member)) is not None:
            uid = str(process.get("@id") or "")
            if uid in seen:
                package.issues.add(member, "@id", uid, f"the same @id as {seen[uid]}")
            seen[uid] = member
            activities.extend(_Process(package, member, process, flows, split).activities())
    for i, act in enumerate(activities):  # a provider that was split: link the co-product
        inputs = tuple(dataclasses.replace(rec, provider=split[(rec.provider, rec.name)])
                       if (rec.provider, rec.name) in split else rec for rec in act.inputs)
        if inputs != act.inputs:
            activities[i] = dataclasses.replace(act, inputs=inputs)


@dataclasses.dataclass
class _Exchange:
    where: str
    flow_id: str
    flow_name: str
    flow_type: str
    flags: tuple[bool, bool, bool]  # input, quantitative reference, avoided product
    internal_id: str
    amount: float
    unit: str
    uncertainty: Uncertainty | None
    provider: str

    @property
    def provides(self) -> bool:
        """A product output or a waste input (a treatment service): one of the functions."""
        is_input, _ref, avoided = self.flags
        return not avoided and (self.flow_type, is_input) in ((PRODUCT, False), (WASTE, True))


class _Process:
    def __init__(self, package: _Package, member: str, doc: dict[str, Any],
                 flows: dict[str, FlowRecord], split: dict[tuple[str, str], str]) -> None:
        self.package, self.member, self.doc, self.flows, self.split = (
            package, member, doc, flows, split)
        self.issues = package.issues
        self.id = str(doc.get("@id") or "")
        self.name = str(doc.get("name") or self.id)
        self.where = f"{member}, process {self.name!r}"

    def activities(self) -> list[ActivityRecord]:
        before = len(self.issues.items)
        if not self.id:
            self.issues.add(self.member, "@id", "", "the process has no @id")
        if self.doc.get("@type", "Process") != "Process":
            self.issues.add(self.member, "@type", self.doc.get("@type"), "not a Process")
            return []
        raw = self.doc.get("exchanges")
        if not isinstance(raw, list):
            self.issues.add(self.where, "exchanges", type(raw).__name__, "expected a list")
            return []
        exchanges = [x for i, e in enumerate(raw, 1) if (x := self._exchange(i, e))]
        ref = self._reference(exchanges)
        if ref is None:
            return []
        products = [ref, *(e for e in exchanges if e.provides and e is not ref)]
        table = self._factors(products, exchanges) if len(products) > 1 else None
        meta = self._metadata()
        if len(self.issues.items) > before:
            return []
        result = []
        for product in products:
            aid = self.id if product is ref else f"{self.id}::{product.flow_id}"
            if product is not ref:
                self.split[(self.id, product.flow_name)] = aid
            inputs, emissions = [], []
            for e in exchanges:
                if e.provides or e is ref:
                    continue
                k = 1.0 if table is None else self._factor(table, product, e) or 0.0
                if e.flow_type == ELEMENTARY:
                    emissions.append(ElementaryRecord(e.flow_id, e.amount * k, e.unit,
                                                      _scale(e.uncertainty, k)))
                    continue
                k = -k if e.flags[2] else k  # an avoided product: a negative input
                inputs.append(InputRecord(e.provider, e.amount * k, e.unit, e.flow_name,
                                          "" if e.provider else e.flow_name,
                                          _scale(e.uncertainty, k)))
            result.append(ActivityRecord(
                aid, self.name, product.flow_name, product.unit, product.amount,
                inputs=tuple(inputs), emissions=tuple(emissions), **meta))
        return result

    def _exchange(self, position: int, raw: object) -> _Exchange | None:
        where = f"{self.where}, exchange {position}"
        if not isinstance(raw, dict) or not isinstance(raw.get("flow"), dict):
            self.issues.add(where, "flow", "", "the exchange names no flow")
            return None
        ref: dict[str, Any] = raw["flow"]
        flow_id = str(ref.get("@id") or "")
        full = self.package.get("flows", flow_id) or {}  # absent from a single process file
        flow_name = str(full.get("name") or ref.get("name") or flow_id)
        where = f"{where} ({flow_name})"
        flow_type = str(ref.get("flowType") or full.get("flowType") or "")
        flags = (self._flag(raw, "isInput", where),
                 self._flag(raw, "isQuantitativeReference", where),
                 self._flag(raw, "isAvoidedProduct", where))
        amount = parse_number(raw.get("amount"), self.issues, where, "amount")
        unit = str(_dict(raw.get("unit")).get("name") or ref.get("refUnit") or "")
        if not flow_id:
            self.issues.add(where, "flow.@id", "", "the flow has no @id")
        if not unit:
            self.issues.add(where, "unit", "", "the exchange has no unit")
        if flow_type not in (PRODUCT, WASTE, ELEMENTARY) and not flags[1]:
            self.issues.add(where, "flowType", flow_type, "unknown flow type")
        uncertainty = self._uncertainty(raw.get("uncertainty"), where)
        if amount is None:
            return None
        if flow_type == ELEMENTARY and flow_id not in self.flows:
            self.flows[flow_id] = flow_record(
                flow_id, flow_name, str(ref.get("refUnit") or self._ref_unit(full) or unit),
                self._category(full or ref), str(full.get("cas") or ref.get("cas") or ""))
        if flow_type == ELEMENTARY:
            check_direction(self.issues, where, "isInput", flags[0], self.flows[flow_id],
                            from_nature=flags[0])
        return _Exchange(where, flow_id, flow_name, flow_type, flags,
                         str(raw.get("internalId", "")), amount, unit, uncertainty,
                         str(_dict(raw.get("defaultProvider")).get("@id") or ""))

    def _flag(self, raw: dict[str, Any], key: str, where: str) -> bool:
        value = raw.get(key, False)
        if isinstance(value, bool):
            return value
        self.issues.add(where, key, value, "expected true or false")
        return False

    def _reference(self, exchanges: list[_Exchange]) -> _Exchange | None:
        refs = [e for e in exchanges if e.flags[1]]
        if len(refs) > 1:
            self.issues.add(self.where, "isQuantitativeReference", len(refs),
                            "more than one quantitative reference")
            return None
        candidates = [e for e in exchanges if e.provides]
        if refs or len(candidates) == 1:  # unflagged: the single product output, as openLCA
            return (refs or candidates)[0]
        self.issues.add(self.where, "isQuantitativeReference", "",
                        f"no quantitative reference (and {len(candidates)} product outputs)")
        return None

    def _factors(self, products: list[_Exchange], exchanges: list[_Exchange]
                 ) -> dict[tuple[str, str, str], float]:
        """(product flow id, exchange internal id, exchange flow id) -> allocation factor of
        the default method; internal and flow ids are "" for physical and economic."""
        method = str(self.doc.get("defaultAllocationMethod") or "")
        raw = [f for f in _list(self.doc.get("allocationFactors"))
               if isinstance(f, dict) and f.get("allocationType") == method]
        if method not in ALLOCATION or not raw:
            names = ", ".join(repr(p.flow_name) for p in products)
            self.issues.add(self.where, "allocationFactors", method,
                            f"multi-output process without allocation factors ({names})")
            return {}
        table: dict[tuple[str, str, str], float] = {}
        internal_ids = method == "CAUSAL_ALLOCATION"
        for n, factor in enumerate(raw, 1):
            where = f"{self.where}, allocation factor {n}"
            value = parse_number(factor.get("value"), self.issues, where, "value")
            if value is not None and value < 0:
                self.issues.add(where, "value", value, "must not be negative")
            exchange = _dict(factor.get("exchange"))
            product = str(_dict(factor.get("product")).get("@id"))
            internal = str(exchange.get("internalId", "")) if internal_ids else ""
            for flow_id in {"", str(_dict(exchange.get("flow")).get("@id") or "")}:
                table.setdefault((product, internal, flow_id if internal else ""), value or 0.)
        for p in products:  # causal: one factor per product and exchange
            for e in [x for x in exchanges if not x.provides] if internal_ids else [p]:
                if self._factor(table, p, e) is None:
                    self.issues.add(e.where, "allocationFactors", p.flow_name,
                                    f"no {method} factor for this product")
        return table

    @staticmethod
    def _factor(table: dict[tuple[str, str, str], float], product: _Exchange, e: _Exchange
                ) -> float | None:
        for key in ((e.internal_id, e.flow_id), (e.internal_id, ""), ("", "")):
            if (product.flow_id, *key) in table:
                return table[(product.flow_id, *key)]
        return None

    def _uncertainty(self, raw: object, where: str) -> Uncertainty | None:
        kind = str(_dict(raw).get("distributionType") or "NO_DISTRIBUTION")
        if kind == "NO_DISTRIBUTION" or not isinstance(raw, dict):
            return None
        if kind not in DISTRIBUTIONS:
            self.issues.add(where, "uncertainty.distributionType", kind, "unknown distribution")
            return None
        name, keys = DISTRIBUTIONS[kind]
        values = [parse_number(raw.get(key), self.issues, where, f"uncertainty.{key}",
                               positive=ours == "gsd") for ours, key in keys]
        params = tuple((ours, v) for (ours, _key), v in zip(keys, values, strict=True)
                       if v is not None)
        return Uncertainty(name, params) if len(params) == len(keys) else None

    def _category(self, entity: dict[str, Any]) -> str:
        """The category path: a 2.x string, a 1.x reference's `categoryPath`, or a 1.x
        category object (its `categoryPath` and name, or its parents looked up)."""
        category = entity.get("category")
        if isinstance(category, str):
            return category
        if category is None and isinstance(entity.get("categoryPath"), list):
            return "/".join(str(p) for p in entity["categoryPath"])
        names: list[str] = []
        for _ in range(32):
            if not isinstance(category, dict):
                break
            if isinstance(category.get("categoryPath"), list) and category.get("name"):
                names += [str(category["name"]), *map(str, reversed(category["categoryPath"]))]
                break
            category = self.package.get("categories", category.get("@id")) or category
            names += [str(category["name"])] if category.get("name") else []
            category = category.get("category")
        return "/".join(reversed(names))

    def _ref_unit(self, flow: dict[str, Any]) -> str:
        """The reference unit of a flow file, through its flow property and unit group."""
        factor = next((f for f in _list(flow.get("flowProperties"))
                       if isinstance(f, dict) and f.get("isRefFlowProperty")), {})
        prop = self.package.get("flow_properties", _dict(factor.get("flowProperty")).get("@id"))
        group = self.package.get("unit_groups", _dict((prop or {}).get("unitGroup")).get("@id"))
        return next((str(u.get("name") or "") for u in _list((group or {}).get("units"))
                     if isinstance(u, dict) and u.get("isRefUnit")), "")

    def _metadata(self) -> dict[str, Any]:
        doc = _dict(self.doc.get("processDocumentation"))
        location = self.doc.get("location")
        geography = location if isinstance(location, str) else ""
        if isinstance(location, dict):
            full = self.package.get("locations", location.get("@id")) or location
            geography = str(full.get("code") or full.get("name") or location.get("name") or "")
        period = []
        for key in ("validFrom", "validUntil"):
            value = str(doc.get(key) or "")
            if value and not _DATE.match(value):
                self.issues.add(self.where, f"processDocumentation.{key}", value,
                                "expected a date YYYY-MM-DD")
            period.append(value[:10])
        sources = [s for s in _list(doc.get("sources")) if isinstance(s, dict)]
        source = _dict(doc.get("publication")) or (sources[0] if sources else {})
        return {
            "geography": geography, "period_start": period[0], "period_end": period[1],
            "sector": self._category(self.doc), "quality": _quality(self.doc.get("dqEntry")),
            "provenance": Provenance(
                publisher=str(_dict(doc.get("dataSetOwner")).get("name") or "").strip(),
                source=str(source.get("name") or "").strip()),
        }


def _quality(entry: object) -> DataQuality | None:
    """openLCA's pedigree entry "(reliability;completeness;temporal;geographical;
    technological)" with scores 1-5 ("n.a." where not rated); None for any other entry."""
    match = _DQ_ENTRY.match(entry.replace(" ", "")) if isinstance(entry, str) else None
    if not match:
        return None
    scores: list[float | None] = []
    for text in match.group(1).split(";"):
        try:
            score: float | None = float(text)
        except ValueError:
            score = None
        if text.lower() not in ("n.a.", "na", "-") and (score is None or not 1 <= score <= 5):
            return None
        scores.append(score)
    reliability, completeness, temporal, geographical, technological = scores
    return DataQuality(technological, temporal, geographical, completeness, reliability)


def _scale(uncertainty: Uncertainty | None, k: float) -> Uncertainty | None:
    """The distribution of an amount multiplied by *k* (a gsd does not change)."""
    if uncertainty is None or k == 1.0:
        return uncertainty
    scaled = {name: v if name == "gsd" else abs(k) * v if name == "sd" else k * v
              for name, v in uncertainty.parameters}
    if k < 0 and "min" in scaled and "max" in scaled:
        scaled["min"], scaled["max"] = scaled["max"], scaled["min"]
    return Uncertainty(uncertainty.distribution, tuple(scaled.items()))
