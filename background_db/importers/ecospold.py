"""EcoSpold2 (ecoinvent 3) and EcoSpold1 (ecoinvent 1, US LCI) importers: one XML file or a
folder of them becomes one `Dataset` of single-output activities, or a `DatasetImportError`
that lists every problem found, with file, activity, exchange, field and value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from background_db.errors import DatasetImportError, ImportIssue
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
from lca_engine.model import Uncertainty

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ES2_NS = "http://www.EcoInvent.org/EcoSpold02"
ES1_NS = "http://www.EcoInvent.org/EcoSpold01"
_ES2_DATASETS = ("activityDataset", "childActivityDataset")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ALLOCATION_PROPERTY = "allocation factor"
_LARGEST_LOG = math.log(1.7976931348623157e308)  # math.exp overflows past it
# accessRestrictedTo codes; EcoSpold1 and EcoSpold2 give 1 and 2 different meanings.
_ES2_ACCESS = {"0": "public", "1": "ecoinvent licensees", "2": "results only", "3": "restricted"}
_ES1_ACCESS = {"0": "public", "1": "ETH domain", "2": "ecoinvent clients", "3": "restricted"}

FileReader = Callable[["Element", Issues, "_Flows"], list[ActivityRecord]]
Keyed = tuple[str, InputRecord | ElementaryRecord]  # an exchange's record by its key
Product = tuple[str, str, str, float, "Element"]  # id, name, unit, amount, exchange


class _Flows(dict[str, FlowRecord]):
    """The elementary flows met so far, first definition kept."""

    def add(self, flow: FlowRecord, issues: Issues, where: str) -> None:
        known = self.setdefault(flow.id, flow)
        if known.unit != flow.unit:
            issues.add(where, "unit", flow.unit,
                       f"flow {flow.id!r} was already read in unit {known.unit!r}")


def import_ecospold2(path: Path, *, role: DatasetRole = DatasetRole.BASE,
                     name: str | None = None, version: str = "") -> Dataset:
    """Import an EcoSpold2 file (.spold/.xml) or a folder of them as one dataset."""
    return _import(Path(path), "ecospold2", (".spold", ".xml"), _read_ecospold2,
                   role, name, version)


def import_ecospold1(path: Path, *, role: DatasetRole = DatasetRole.BASE,
                     name: str | None = None, version: str = "") -> Dataset:
    """Import an EcoSpold1 file (.xml) or a folder of them as one dataset."""
    return _import(Path(path), "ecospold1", (".xml",), _read_ecospold1, role, name, version)


def _import(path: Path, fmt: str, suffixes: tuple[str, ...], read: FileReader,
            role: DatasetRole, name: str | None, version: str) -> Dataset:
    problems: list[ImportIssue] = []
    flows = _Flows()
    activities: list[ActivityRecord] = []
    seen: set[str] = set()
    for file in _files(path, suffixes, problems):
        issues = Issues(str(file))
        root = _parse(file, issues)
        for activity in read(root, issues, flows) if root is not None else []:
            if activity.id in seen:
                issues.add(f"activity {activity.name!r}", "id", activity.id,
                           "activity id appears more than once")
            seen.add(activity.id)
            activities.append(activity)
        problems.extend(issues.items)
    if problems:
        raise DatasetImportError(problems)
    provenances = {a.provenance for a in activities}
    return Dataset(
        name=name or (path.name if path.is_dir() else path.stem), version=version, role=role,
        flows=tuple(flows.values()), activities=tuple(activities),
        provenance=provenances.pop() if len(provenances) == 1 else Provenance(),
        source_file=str(path), format=fmt)


def _files(path: Path, suffixes: tuple[str, ...], problems: list[ImportIssue]) -> list[Path]:
    if path.is_file():
        return [path]
    issues = Issues(str(path))
    if not path.is_dir():
        issues.add("", "", "", "no such file or folder")
    else:
        found = sorted(p for p in path.iterdir()
                       if p.is_file() and p.suffix.lower() in suffixes)
        if found:
            return found
        issues.add("", "", "", f"the folder holds no {' or '.join(suffixes)} files")
    problems.extend(issues.items)
    return []


def _parse(file: Path, issues: Issues) -> Element | None:
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.add("", "size", size, f"the file is larger than {MAX_FILE_BYTES} bytes")
            return None
        root: Element | None = parse_xml(file, issues)
    except OSError as exc:
        issues.add("", "", "", f"cannot read the file: {exc.strerror or exc}")
        return None
    return root


# ---------------------------------------------------------------- element helpers

def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _find(element: Element | None, name: str) -> Element | None:
    """The first descendant called *name*, wherever it sits (files break schema order)."""
    if element is None:
        return None
    return next((e for e in element.iter() if local(e.tag) == name and e is not element), None)


def _text(element: Element | None, name: str) -> str:
    """Text of child *name*, preferring English where the child is given per language."""
    found = _children(element, name)
    english = [c for c in found if c.get(_XML_LANG, "en").lower().startswith("en")]
    chosen = english or found
    return (chosen[0].text or "").strip() if chosen else ""


def _attr(element: Element | None, name: str) -> str:
    return "" if element is None else " ".join((element.get(name) or "").split())


def _number(element: Element | None, field: str, issues: Issues, where: str) -> float | None:
    return parse_number(_attr(element, field), issues, where, field)


def _scaled(records: Iterable[Keyed], factors: dict[str, float], default: float = 1.0,
            ) -> tuple[list[InputRecord], list[ElementaryRecord]]:
    """Inputs and emissions, each amount times its key's factor (else *default*)."""
    inputs: list[InputRecord] = []
    emissions: list[ElementaryRecord] = []
    for key, record in records:
        factor = factors.get(key, default)
        kept = record if factor == 1.0 else replace(record, amount=record.amount * factor)
        if isinstance(kept, InputRecord):
            inputs.append(kept)
        else:
            emissions.append(kept)
    return inputs, emissions


def _located(name: str, location: str) -> str:
    return f"{name} {{{location}}}" if location else name


# ---------------------------------------------------------------- EcoSpold2

def _read_ecospold2(root: Element, issues: Issues, flows: _Flows) -> list[ActivityRecord]:
    tag = local(root.tag)
    datasets = ([root] if tag in _ES2_DATASETS
                else [c for c in root if local(c.tag) in _ES2_DATASETS] if tag == "ecoSpold"
                else [])
    if not root.tag.startswith(f"{{{ES2_NS}}}") or not datasets:
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else "no namespace"
        hint = (" (EcoSpold2 master data, not an activity)"
                if namespace == ES2_NS and tag != "ecoSpold" else "")
        issues.add("root element", "", tag,
                   f"expected an EcoSpold2 activity dataset (<activityDataset> or "
                   f"<childActivityDataset> in {ES2_NS}), found <{tag}> in {namespace}{hint}")
        return []
    return [a for ds in datasets for a in _es2_activities(ds, issues, flows)]


def _es2_activities(dataset: Element, issues: Issues, flows: _Flows) -> list[ActivityRecord]:
    description = _child(dataset, "activityDescription")
    activity = _child(description, "activity")
    activity_id = _attr(activity, "id")
    name = _text(activity, "activityName") or activity_id
    where = f"activity {name!r}"
    if not activity_id:
        issues.add(where, "activity id", "", "the activity has no id")
    products: list[Product] = []
    exchanges: list[Keyed] = []
    flow_data = _child(dataset, "flowData")
    for exchange in list(flow_data) if flow_data is not None else []:
        kind = local(exchange.tag)
        if kind == "intermediateExchange":
            _es2_intermediate(exchange, where, issues, products, exchanges)
        elif kind == "elementaryExchange":
            _es2_elementary(exchange, where, issues, flows, exchanges)
    shares = _es2_shares(products, where, issues)
    if shares is None:
        return []
    period = _child(description, "timePeriod")
    sector = next((_text(c, "classificationValue")
                   for c in _children(description, "classification")
                   if _text(c, "classificationSystem").upper().startswith("ISIC")), "")
    common = ActivityRecord(
        id="", name=name, reference_product="", unit="",
        geography=_text(_child(description, "geography"), "shortname"),
        period_start=_attr(period, "startDate"), period_end=_attr(period, "endDate"),
        sector=sector, tags=frozenset(t for t in (
            (e.text or "").strip() for e in _children(activity, "tag")) if t),
        provenance=_es2_provenance(_child(dataset, "administrativeInformation")))
    records = []
    for product_id, product, unit, amount, _ in products:
        inputs, emissions = _scaled(exchanges, {}, shares[product_id])
        records.append(replace(
            common, id=f"{activity_id}_{product_id}", reference_product=product, unit=unit,
            amount=amount, inputs=tuple(inputs), emissions=tuple(emissions)))
    return records


def _es2_exchange(exchange: Element, where: str, issues: Issues,
                  ) -> tuple[str, str, str, float | None, Uncertainty | None]:
    """Name, unit, location (for issues), amount and uncertainty of an exchange."""
    name, unit = _text(exchange, "name"), _text(exchange, "unitName")
    here = f"{where}, exchange {name!r}"
    if not unit:
        issues.add(here, "unitName", "", "the exchange has no unit")
    return (name, unit, here, _number(exchange, "amount", issues, here),
            _es2_uncertainty(_child(exchange, "uncertainty"), here, issues))


def _es2_intermediate(exchange: Element, where: str, issues: Issues,
                      products: list[Product], exchanges: list[Keyed]) -> None:
    name, unit, here, amount, uncertainty = _es2_exchange(exchange, where, issues)
    product_id = _attr(exchange, "intermediateExchangeId")
    if not product_id:
        issues.add(here, "intermediateExchangeId", "", "the exchange names no product id")
    output, input_group = _text(exchange, "outputGroup"), _text(exchange, "inputGroup")
    link = _attr(exchange, "activityLinkId")
    provider = f"{link}_{product_id}" if link else ""
    if amount is None:
        return
    if output == "0" and amount == 0:
        issues.add(here, "amount", _attr(exchange, "amount"),
                   "the reference product amount must not be zero")
    elif output == "0" or (output == "2" and amount > 0):
        products.append((product_id, name, unit, amount, exchange))
    elif input_group in ("1", "2", "3", "5") or (output == "2" and amount < 0):
        # a negative by-product is waste sent to treatment: a demand for that service
        demand = -amount if output == "2" else amount
        exchanges.append((product_id, InputRecord(provider, demand, unit, name, name,
                                                  uncertainty)))
    elif output != "2":
        issues.add(here, "inputGroup/outputGroup", input_group or output,
                   "an intermediate exchange needs inputGroup 1-3 or 5, or outputGroup 0 or 2")


def _es2_elementary(exchange: Element, where: str, issues: Issues, flows: _Flows,
                    exchanges: list[Keyed]) -> None:
    name, unit, here, amount, uncertainty = _es2_exchange(exchange, where, issues)
    flow_id = _attr(exchange, "elementaryExchangeId")
    if not flow_id:
        issues.add(here, "elementaryExchangeId", "", "the exchange names no flow id")
    if amount is None or not flow_id or not unit:
        return
    place = _child(exchange, "compartment")
    compartment = "/".join(p for p in (_text(place, "compartment"),
                                       _text(place, "subcompartment")) if p)
    flow = flow_record(flow_id, name, unit, compartment, _attr(exchange, "casNumber"))
    flows.add(flow, issues, here)
    _check_elementary_direction(flow, _text(exchange, "inputGroup"),
                                _text(exchange, "outputGroup"), here, issues)
    exchanges.append((flow_id, ElementaryRecord(flow_id, amount, unit, uncertainty)))


def _check_elementary_direction(flow: FlowRecord, input_group: str, output_group: str,
                                where: str, issues: Issues) -> None:
    """inputGroup 4 takes the flow from nature, outputGroup 4 emits it; neither: unknown."""
    if "4" in (input_group, output_group):
        field = "inputGroup" if input_group == "4" else "outputGroup"
        check_direction(issues, where, field, "4", flow, from_nature=field == "inputGroup")


def _es2_shares(products: list[Product], where: str, issues: Issues,
                ) -> dict[str, float] | None:
    """Each product's share of the burdens: 1 for a single product; for several, their
    'allocation factor' properties normalised to sum 1. None with an issue otherwise."""
    if not products:
        issues.add(where, "outputGroup", "",
                   "no reference product: no intermediate exchange has outputGroup 0")
        return None
    if len(products) == 1:
        return {products[0][0]: 1.0}
    factors: dict[str, float] = {}
    for product_id, product, _, _, exchange in products:
        value = next((_attr(p, "amount") for p in _children(exchange, "property")
                      if _text(p, "name").lower() == _ALLOCATION_PROPERTY), None)
        if value is None:
            names = ", ".join(p[1] for p in products)
            issues.add(where, "outputGroup", names,
                       f"multi-output activity without allocation: {len(products)} products "
                       f"and no {_ALLOCATION_PROPERTY!r} property on {product!r}")
            return None
        number = parse_number(value, issues, f"{where}, exchange {product!r}",
                              _ALLOCATION_PROPERTY)
        if number is None:
            return None
        factors[product_id] = number
    total = sum(factors.values())
    if total <= 0:
        issues.add(where, _ALLOCATION_PROPERTY, total, "allocation factors must sum above 0")
        return None
    return {key: value / total for key, value in factors.items()}


def _es2_uncertainty(element: Element | None, where: str,
                     issues: Issues) -> Uncertainty | None:
    """Lognormal, normal, triangular or uniform; None for 'undefined' and the rest."""
    known = ("lognormal", "normal", "triangular", "uniform")
    distribution = next((d for d in (element if element is not None else [])
                         if local(d.tag) in known), None)
    if distribution is None:
        return None
    kind = local(distribution.tag)

    def value(*names: str) -> float | None:
        text = next((distribution.get(n) for n in names if distribution.get(n) is not None), "")
        return parse_number(text, issues, where, f"uncertainty {kind} {names[0]}")

    if kind in ("lognormal", "normal"):
        variance = value("varianceWithPedigreeUncertainty", "variance")
        if variance is not None and variance < 0:
            issues.add(where, f"uncertainty {kind} variance", variance, "a variance is >= 0")
        if variance is None or variance < 0:
            return None
        spread = math.sqrt(variance)  # of the underlying normal for a lognormal
        if kind == "normal":
            return Uncertainty("normal", (("sd", spread),))
        if spread > _LARGEST_LOG:
            issues.add(where, f"uncertainty {kind} variance", variance,
                       "too large: the geometric standard deviation exp(sqrt(variance)) "
                       "is not a finite number")
            return None
        return Uncertainty("lognormal", (("gsd", math.exp(spread)),))
    low, high = value("minValue"), value("maxValue")
    if kind == "uniform":
        return None if low is None or high is None else Uncertainty(
            "uniform", (("max", high), ("min", low)))
    mode = value("mostLikelyValue")
    return None if low is None or high is None or mode is None else Uncertainty(
        "triangular", (("max", high), ("min", low), ("mode", mode)))


def _es2_provenance(admin: Element | None) -> Provenance:
    entry, publication = _child(admin, "dataEntryBy"), _child(admin, "dataGeneratorAndPublication")
    author = _attr(publication, "publishedSourceFirstAuthor")
    year = _attr(publication, "publishedSourceYear")
    access = _attr(publication, "accessRestrictedTo")
    return Provenance(
        publisher=_attr(publication, "personName") or _attr(entry, "personName"),
        source=f"{author} ({year})" if author and year else author,
        licence=_ES2_ACCESS.get(access, access))


# ---------------------------------------------------------------- EcoSpold1

def _read_ecospold1(root: Element, issues: Issues, flows: _Flows) -> list[ActivityRecord]:
    if root.tag != f"{{{ES1_NS}}}ecoSpold":
        issues.add("root element", "", local(root.tag),
                   f"expected root element <ecoSpold> in {ES1_NS}, found <{local(root.tag)}>"
                   f"{'' if root.tag.startswith(f'{{{ES1_NS}}}') else ' in another namespace'}")
        return []
    datasets = _children(root, "dataset")
    if not datasets:
        issues.add("root element", "dataset", "", "the file holds no <dataset>")
    return [a for ds in datasets if (a := _es1_activity(ds, issues, flows)) is not None]


def _es1_activity(dataset: Element, issues: Issues, flows: _Flows) -> ActivityRecord | None:
    meta = _child(dataset, "metaInformation")
    function = _find(meta, "referenceFunction")
    exchanges = _children(_find(dataset, "flowData"), "exchange")
    references = [e for e in exchanges if _text(e, "outputGroup") == "0"]
    title = _attr(function, "name") or (_attr(references[0], "name") if references else "")
    where = f"activity {title!r}" if title else f"dataset {_attr(dataset, 'number')!r}"
    if len(references) > 1:
        issues.add(where, "outputGroup", ", ".join(_attr(e, "name") for e in references),
                   f"multi-output activity without allocation: {len(references)} exchanges "
                   "have outputGroup 0")
        return None
    reference = references[0] if references else function
    if reference is None or not title:
        issues.add(where, "referenceFunction", "", "no reference product: neither a "
                   "<referenceFunction> nor an exchange with outputGroup 0")
        return None
    amount_field = "meanValue" if references else "amount"
    amount = _number(reference, amount_field, issues, where)
    unit = _attr(reference, "unit")
    if not unit:
        issues.add(where, "unit", "", "the reference product has no unit")
    fractions = _es1_fractions(dataset, _attr(reference, "number"), where, issues)
    read = [_es1_exchange(e, where, issues, flows) for e in exchanges if e not in references]
    inputs, emissions = _scaled((r for r in read if r is not None), fractions)
    geography = _attr(_find(meta, "geography"), "location") or (
        _attr(references[0], "location") if references else "")
    period = _find(meta, "timePeriod")
    start, end = (next((_text(period, f"{edge}{kind}") for kind in ("Date", "YearMonth", "Year")
                        if _text(period, f"{edge}{kind}")), "") for edge in ("start", "end"))
    if amount == 0:
        issues.add(where, amount_field, _attr(reference, amount_field),
                   "the reference product amount must not be zero")
    if not amount or not unit:
        return None
    return ActivityRecord(
        id=_located(title, geography), name=title, reference_product=title, unit=unit,
        amount=amount, geography=geography, period_start=start, period_end=end,
        sector="/".join(p for p in (_attr(function, "category"),
                                    _attr(function, "subCategory")) if p),
        inputs=tuple(inputs), emissions=tuple(emissions),
        provenance=_es1_provenance(_find(meta, "administrativeInformation"),
                                   _find(meta, "modellingAndValidation")))


def _es1_exchange(exchange: Element, where: str, issues: Issues,
                  flows: _Flows) -> Keyed | None:
    name, unit, key = _attr(exchange, "name"), _attr(exchange, "unit"), _attr(exchange, "number")
    here = f"{where}, exchange {name!r}"
    amount = _number(exchange, "meanValue", issues, here)
    uncertainty = _es1_uncertainty(exchange, here, issues)
    if not unit:
        issues.add(here, "unit", "", "the exchange has no unit")
    output, input_group = _text(exchange, "outputGroup"), _text(exchange, "inputGroup")
    if amount is None or not unit or output == "2":  # allocated by-products carry no burden
        return None
    if "4" in (input_group, output):
        category, sub = _attr(exchange, "category"), _attr(exchange, "subCategory")
        flow_id = f"{name}|{category}|{sub}|{unit}"
        compartment = "/".join(p for p in (category, sub) if p)
        flow = flow_record(flow_id, name, unit, compartment, _attr(exchange, "CASNumber"))
        flows.add(flow, issues, here)
        _check_elementary_direction(flow, input_group, output, here, issues)
        return key, ElementaryRecord(flow_id, amount, unit, uncertainty)
    if input_group in ("1", "2", "3", "5") or output in ("1", "3"):
        sign = -1.0 if output == "1" else 1.0  # an avoided product is a negative input
        provider = _located(name, _attr(exchange, "location"))
        return key, InputRecord("", sign * amount, unit, name, provider, uncertainty)
    issues.add(here, "inputGroup/outputGroup", input_group or output,
               "an exchange needs inputGroup 1-5 or outputGroup 0-4")
    return None


def _es1_fractions(dataset: Element, reference: str, where: str,
                   issues: Issues) -> dict[str, float]:
    """Fractions of each exchange allocated to the reference product (others stay whole)."""
    fractions: dict[str, float] = {}
    for allocation in _children(_find(dataset, "flowData"), "allocation"):
        if _attr(allocation, "referenceToCoProduct") != reference:
            continue
        fraction = _number(allocation, "fraction", issues, f"{where}, allocation")
        for target in _children(allocation, "referenceToInputOutput"):
            if fraction is not None:
                fractions[(target.text or "").strip()] = fraction / 100.0
    return fractions


def _es1_uncertainty(exchange: Element, where: str, issues: Issues) -> Uncertainty | None:
    kind = _attr(exchange, "uncertaintyType")
    if kind not in ("1", "2", "3", "4"):
        return None

    def value(field: str) -> float | None:
        return _number(exchange, field, issues, where)

    if kind in ("1", "2"):
        spread = value("standardDeviation95")
        if spread is None or (kind == "1" and spread < 1) or spread <= 0:
            return None  # 0 is written where no spread is known (US LCI)
        return (Uncertainty("lognormal", (("gsd", math.sqrt(spread)),)) if kind == "1"
                else Uncertainty("normal", (("sd", spread / 2),)))
    low, high = value("minValue"), value("maxValue")
    if low is None or high is None:
        return None
    if kind == "4":
        return Uncertainty("uniform", (("max", high), ("min", low)))
    mode = value("mostLikelyValue" if exchange.get("mostLikelyValue") else "meanValue")
    return None if mode is None else Uncertainty(
        "triangular", (("max", high), ("min", low), ("mode", mode)))


def _es1_provenance(admin: Element | None, validation: Element | None) -> Provenance:
    publication = _child(admin, "dataGeneratorAndPublication")
    person = next((p for p in _children(admin, "person")
                   if _attr(p, "number") == _attr(publication, "person")), None)
    source = next((s for s in _children(validation, "source") if _attr(s, "number")
                   == _attr(publication, "referenceToPublishedSource")), None)
    author, year, title = (_attr(source, k) for k in ("firstAuthor", "year", "title"))
    access = _attr(publication, "accessRestrictedTo")
    return Provenance(
        publisher=_attr(person, "name") or _attr(publication, "companyCode"),
        source=", ".join(p for p in (f"{author} ({year})" if year else author, title) if p),
        licence=_ES1_ACCESS.get(access, access))
