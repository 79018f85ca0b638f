"""Edits of a product-model document (the `lca_engine.documents` format, kept as JSON in each
model version). Each edit is a value naming what it does; applying it changes a copy of the
document. Checking the result against a release is the caller's job (`product_models`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from lca_engine import product_model_from_document
from lca_engine.document_schema import MODEL_FORMAT, PLACES
from lca_engine.errors import EngineError
from portal.services.errors import InvalidInput, NotFound
from portal.services.model_specs import (
    ALLOCATION_METHODS,
    DATA_TYPES,
    QUALITY_KEYS,
    TAGS,
    EmissionSpec,
    InputSpec,
    ProductSpec,
    check_id,
)

Document = dict[str, Any]
FORMAT = MODEL_FORMAT


@dataclass(frozen=True)
class EditContext:
    """What an edit may look up: a published supplier footprint by id, as a document entry."""

    supplier: Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class Edit:
    """One change of a model: *action* names it in the audit log, *detail* says what."""

    action: str
    detail: str
    apply: Callable[[Document, EditContext], None]


def empty_document() -> Document:
    return {"format": FORMAT, "release": "", "product": {}, "suppliers": [], "processes": []}


def sync_header(document: Document, *, product_key: str, name: str,
                declared_unit: str) -> None:
    """Write the product's identity into the document (kept when already set)."""
    header = document.setdefault("product", {})
    header.update({"id": product_key, "name": name, "declared_unit": declared_unit})
    header.setdefault("declared_amount", 1)
    processes = document.get("processes") or []
    ids = [p["id"] for p in processes]
    if header.get("reference_process") not in ids:
        header["reference_process"] = ids[0] if ids else ""
        header.pop("reference_product", None)


def prune_suppliers(document: Document) -> None:
    """Drop supplier footprints no input links to any longer."""
    used = {i["from"].get("supplier") for p in document.get("processes", [])
            for i in p.get("inputs", [])}
    document["suppliers"] = [s for s in document.get("suppliers", []) if s["id"] in used]


def process_of(document: Document, process_id: str) -> dict[str, Any]:
    for process in document.get("processes", []):
        if process["id"] == process_id:
            return process  # type: ignore[no-any-return]
    raise InvalidInput({"process": _("The model has no process '%(value)s'.",
                                     value=process_id)})


def _item(items: list[Any], index: int, what: str) -> None:
    if not 0 <= index < len(items):
        raise InvalidInput({what: _("There is no entry %(value)s.", value=index + 1)})


def add_process(*, id: str, name: str, location: str, tags: tuple[str, ...],
                product: ProductSpec) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        identifier = check_id(id, "process_id")
        if any(p["id"] == identifier for p in document["processes"]):
            raise InvalidInput({"process_id": _("The model already has a process "
                                                "'%(value)s'.", value=identifier)})
        process: dict[str, Any] = {
            "id": identifier, "name": name.strip() or identifier,
            "tags": [t for t in TAGS if t in tags], "products": [product.entry()],
            "inputs": [], "emissions": []}
        if location.strip():  # the engine reads an absent location as none, not ""
            process["location"] = location.strip()
        document["processes"].append(process)
    return Edit("add_process", f"process {id}", apply)


def remove_process(process_id: str) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        process_of(document, process_id)
        users = [p["id"] for p in document["processes"] for i in p["inputs"]
                 if i["from"].get("process") == process_id and p["id"] != process_id]
        if users:
            raise InvalidInput({"process": _(
                "Process '%(value)s' provides inputs of %(users)s; remove those inputs first.",
                value=process_id, users=", ".join(sorted(set(users))))})
        if len(document["processes"]) == 1:
            raise InvalidInput({"process": _("A model keeps at least one process.")})
        document["processes"] = [p for p in document["processes"] if p["id"] != process_id]
    return Edit("remove_process", f"process {process_id}", apply)


def add_coproduct(process_id: str, product: ProductSpec, allocation: str) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        process = process_of(document, process_id)
        entry = product.entry()
        if any(p["id"] == entry["id"] for p in process["products"]):
            raise InvalidInput({"product_id": _("Process '%(process)s' already makes "
                                                "'%(value)s'.", process=process_id,
                                                value=entry["id"])})
        process["products"].append(entry)
        if allocation:
            _set_allocation(process, allocation, {})
    return Edit("add_coproduct", f"process {process_id}, product {product.id}", apply)


def remove_product(process_id: str, product_id: str) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        process = process_of(document, process_id)
        if product_id not in [p["id"] for p in process["products"]]:
            raise InvalidInput({"product": _("Process '%(process)s' makes no '%(value)s'.",
                                             process=process_id, value=product_id)})
        if len(process["products"]) == 1:
            raise InvalidInput({"product": _("A process keeps at least one product.")})
        process["products"] = [p for p in process["products"] if p["id"] != product_id]
        allocation_of(process.get("allocation"))[1].pop(product_id, None)
    return Edit("remove_product", f"process {process_id}, product {product_id}", apply)


def allocation_of(rule: Any) -> tuple[str, dict[str, Any]]:
    """(method, factors) of a process's `allocation` in each shape the engine reads: none
    ("", {}), a method's name (`allocation: mass`), or a mapping with `method` (mass when
    absent) and `factors`. The factors are the document's own mapping, not a copy."""
    if rule is None or rule == "":
        return "", {}
    if isinstance(rule, str):
        return rule, {}
    factors = rule.get("factors")
    return str(rule.get("method") or "mass"), factors if isinstance(factors, dict) else {}


def _set_allocation(process: dict[str, Any], method: str, factors: dict[str, float]) -> None:
    if method not in ALLOCATION_METHODS:
        raise InvalidInput({"allocation": _("'%(value)s' is not an allocation method.",
                                            value=method)})
    rule: dict[str, Any] = {"method": method}
    if method == "factors":
        rule["factors"] = dict(factors)
    process["allocation"] = rule


def set_allocation(process_id: str, method: str, factors: dict[str, float]) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        _set_allocation(process_of(document, process_id), method, factors)
    return Edit("set_allocation", f"process {process_id}: {method}", apply)


def input_entry(spec: InputSpec, ctx: EditContext, document: Document) -> dict[str, Any]:
    """The document entry of an input; a supplier link copies the published footprint."""
    if spec.data_type not in DATA_TYPES:
        raise InvalidInput({"data_type": _("'%(value)s' is not primary or secondary.",
                                           value=spec.data_type)})
    source: dict[str, str]
    if spec.kind == "background":
        source = {"background": spec.target.strip()}
    elif spec.kind == "process":
        source = {"process": spec.target.strip()}
        if spec.product.strip():
            source["product"] = spec.product.strip()
    elif spec.kind == "supplier":
        if not spec.target.strip().isdigit():
            raise InvalidInput({"supplier": _("Choose a published footprint.")})
        try:
            supplier = ctx.supplier(int(spec.target))
        except NotFound:
            raise InvalidInput({"supplier": _("No such published footprint.")}) from None
        if all(s["id"] != supplier["id"] for s in document["suppliers"]):
            document["suppliers"].append(supplier)
        source = {"supplier": supplier["id"]}
    else:
        raise InvalidInput({"kind": _("'%(value)s' is not a kind of provider.",
                                      value=spec.kind)})
    if not next(iter(source.values())):
        raise InvalidInput({"target": _("Choose the provider of the input.")})
    entry: dict[str, Any] = {"name": spec.name.strip() or next(iter(source.values())),
                             "amount": spec.amount, "unit": spec.unit.strip(), "from": source,
                             "data_type": spec.data_type, "packaging": spec.packaging}
    quality = {k: v for k, v in spec.quality.items() if k in QUALITY_KEYS}
    if quality:
        entry["quality"] = quality
    return entry


def add_input(process_id: str, spec: InputSpec) -> Edit:
    def apply(document: Document, ctx: EditContext) -> None:
        process = process_of(document, process_id)
        process["inputs"].append(input_entry(spec, ctx, document))
    return Edit("add_input", f"process {process_id}, input {spec.name} from {spec.kind} "
                f"{spec.target}", apply)


def remove_input(process_id: str, index: int) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        inputs = process_of(document, process_id)["inputs"]
        _item(inputs, index, "input")
        del inputs[index]
    return Edit("remove_input", f"process {process_id}, input {index + 1}", apply)


def emission_entry(spec: EmissionSpec) -> dict[str, Any]:
    if spec.data_type not in DATA_TYPES:
        raise InvalidInput({"data_type": _("'%(value)s' is not primary or secondary.",
                                           value=spec.data_type)})
    if not spec.flow.strip():
        raise InvalidInput({"flow": _("Choose an elementary flow.")})
    return {"flow": spec.flow.strip(), "amount": spec.amount, "unit": spec.unit.strip(),
            "data_type": spec.data_type}


def add_emission(process_id: str, spec: EmissionSpec) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        process_of(document, process_id)["emissions"].append(emission_entry(spec))
    return Edit("add_emission", f"process {process_id}, flow {spec.flow}", apply)


def remove_emission(process_id: str, index: int) -> Edit:
    def apply(document: Document, _ctx: EditContext) -> None:
        emissions = process_of(document, process_id)["emissions"]
        _item(emissions, index, "emission")
        del emissions[index]
    return Edit("remove_emission", f"process {process_id}, emission {index + 1}", apply)


def set_settings(*, release: str, reference_process: str, reference_product: str) -> Edit:
    """Choose the release the model is checked against and the declared product."""
    def apply(document: Document, _ctx: EditContext) -> None:
        document["release"] = release
        if reference_process:
            process = process_of(document, reference_process)
            header = document.setdefault("product", {})
            header["reference_process"] = reference_process
            header.pop("reference_product", None)
            if reference_product:
                if reference_product not in [p["id"] for p in process["products"]]:
                    raise InvalidInput({"reference_product": _(
                        "Process '%(process)s' makes no '%(value)s'.",
                        process=reference_process, value=reference_product)})
                header["reference_product"] = reference_product
    return Edit("settings", f"release {release}, reference {reference_process}", apply)


def replace_background(old: str, new: str) -> Edit:
    """Link every input (and substitute) from background activity *old* to *new*."""
    def apply(document: Document, _ctx: EditContext) -> None:
        count = 0
        for process in document["processes"]:
            links = [i["from"] for i in process["inputs"]]
            links += [p["substitutes"] for p in process["products"] if "substitutes" in p]
            for link in links:
                if link.get("background") == old:
                    link["background"] = new.strip()
                    count += 1
        if not count:
            raise InvalidInput({"old": _("No input of the model uses '%(value)s'.",
                                         value=old)})
    return Edit("replace_background", f"{old} -> {new}", apply)


def replace_model(*, processes: list[dict[str, Any]], suppliers: list[dict[str, Any]],
                  reference: tuple[str, str], source: str) -> Edit:
    """Replace all processes (an uploaded template); the header and release stay."""
    def apply(document: Document, _ctx: EditContext) -> None:
        document["processes"] = processes
        document["suppliers"] = suppliers
        header = document.setdefault("product", {})
        header["reference_process"], header["reference_product"] = reference
        if not reference[1]:
            header.pop("reference_product")
    return Edit("upload", source, apply)


#: what a stored document holds: the schema's top-level keys but `pcf footprint`'s background
#: file (a model in the portal is computed with its release)
DOCUMENT_KEYS = tuple(sorted(PLACES["ProductModel"].keys - {"background"}))
#: the most own processes a model may have: a foreground this large already takes seconds
#: to check and save (about 3 s at 10,000 on a 2-core machine); larger upstream systems
#: belong in a background dataset or in suppliers' published footprints
MAX_PROCESSES = 10_000


def check_size(processes: Any) -> None:
    """Refuse a model with more than MAX_PROCESSES processes, before any work on it."""
    count = len(processes) if isinstance(processes, list) else 0
    if count > MAX_PROCESSES:
        limit, found = format(MAX_PROCESSES, ","), format(count, ",")
        raise InvalidInput({"processes": _(
            "A model holds at most %(limit)s processes; this one has %(count)s. Model large "
            "upstream systems as a background dataset or as suppliers' footprints.",
            limit=limit, count=found)})


#: a model document nests six levels deep (processes[].inputs[].uncertainty); JSON may nest
#: a thousand, which copying, comparing or showing it recursively cannot get through
MAX_DEPTH = 16


def _depth(value: Any) -> int:
    """How many mappings and lists deep *value* nests (counted without recursion, and no
    further than one past MAX_DEPTH)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def replace_document(new: Document) -> Edit:
    """Replace the whole document (the JSON API's PUT). The header's id, name and declared
    unit stay the product's own; the release stays unless *new* names one. A document the
    engine cannot read is refused naming the path and value; a key the schema does not name
    there, naming the path and the keys it resembles."""
    def apply(document: Document, _ctx: EditContext) -> None:
        if _depth(new) > MAX_DEPTH:  # before anything copies, compares or shows it
            raise InvalidInput({"document": _(
                "The document nests more than %(limit)s levels deep.", limit=MAX_DEPTH)})
        if "background" in new:
            raise InvalidInput({"document": _(
                "A model in the portal is computed with its release (release: name@version); "
                "background names a file for pcf footprint. Leave it out.")})
        check_size(new.get("processes"))
        header = new.get("product") or {}
        placeholder = {"id": "-", "name": "-", "declared_unit": "-", "reference_process": "-"}
        try:  # the structure first: later steps may then rely on ids and lists
            product_model_from_document({**new, "product": (
                {**header, **placeholder} if isinstance(header, dict) else header)})
        except EngineError as exc:
            raise InvalidInput({"document": _("The document cannot be read: %(error)s",
                                              error=str(exc))}) from None
        release = new.get("release") or document.get("release") or ""
        document.clear()
        document.update(copy.deepcopy({k: v for k, v in new.items() if k in DOCUMENT_KEYS}))
        document.update(format=FORMAT, release=str(release), product=copy.deepcopy(header),
                        suppliers=document.get("suppliers") or [])  # none may be null
        for process in document["processes"]:
            for key in ("tags", "inputs", "emissions"):  # the forms' edits expect the lists
                process[key] = process.get(key) or []
    return Edit("replace_document", "the whole document", apply)
