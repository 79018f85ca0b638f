"""Product-model and background documents (parsed JSON or YAML) to engine objects.

The engine reads no files: callers load the text and pass the parsed mapping. Every error
names the field's path and value, e.g. `processes[1].inputs[0].unit: expected text, got 5`.
Each mapping may hold only the keys its schema (`document_schema`) names there; any other is
refused with the nearest allowed ones: `unknown key 'emisions' at processes[2]; did you mean
'emissions'?`. The format is documented in the README ("Product model format").
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import reprlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from lca_engine.document_schema import (
    CATEGORY_FIELDS,
    DECIMAL_PATTERN,
    MODEL_FORMAT,
    PLACES,
    QUALITY_FIELDS,
    Place,
)
from lca_engine.errors import DocumentError, UnknownKeyError
from lca_engine.model import (
    Allocation,
    AllocationMethod,
    BackgroundSystem,
    DataQuality,
    DataType,
    ElementaryFlow,
    Emission,
    Exclusion,
    FlowKind,
    Link,
    LinkKind,
    Origin,
    Process,
    ProductModel,
    ProductOutput,
    SupplierFootprint,
    TechnosphereInput,
    Uncertainty,
)
from lca_engine.parameters import Parameter, ParameterError, Scope

_E = TypeVar("_E", bound=StrEnum)
_NO_PARAMETERS = Scope({})  # background documents have none

_DECIMAL = re.compile(DECIMAL_PATTERN)
#: a key longer than this is shown, not compared with the allowed ones
_SUGGESTED_LENGTH = 100


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlong = 3, 80, 80, 40


def _shown(value: Any) -> str:
    """*value* as a message shows it: bounded in depth and length, so that a list nested a
    thousand deep or a megabyte of text still makes a short message."""
    try:
        return _SHOWN.repr(value)
    except ValueError:  # an integer of more digits than Python converts to text
        return f"an integer of {value.bit_length()} bits" if isinstance(value, int) else (
            type(value).__name__)


def _nearest(key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The allowed keys most like *key*: the nearest, and a second only as near as it."""
    scored = [(difflib.SequenceMatcher(None, key, k).ratio(), k)
              for k in difflib.get_close_matches(key, allowed, n=2)]
    return tuple(k for score, k in scored if score >= scored[0][0] - 0.05)


def _unknown_key(key: Any, path: str, source: str, place: Place) -> UnknownKeyError:
    allowed = tuple(sorted(place.keys))
    suggestions: tuple[str, ...] = ()
    if isinstance(key, str) and len(key) <= _SUGGESTED_LENGTH:
        suggestions = _nearest(key, allowed) or _nearest(key.lower(), allowed)
    hint = (f"did you mean {' or '.join(map(repr, suggestions))}?" if suggestions
            else f"expected one of {', '.join(allowed)}")
    prefix = f"{source}: " if source else ""
    return UnknownKeyError(f"{prefix}unknown key {_shown(key)} at {path or 'the top level'}; "
                           f"{hint}", path=path, key=key, suggestions=suggestions,
                           allowed=allowed)


class _Node:
    """A position in a parsed document, for reading typed fields with path-named errors.
    A node read as a place of the schema (`record`) reads only the keys the schema names."""

    def __init__(self, value: Any, path: str, source: str = "",
                 place: Place | None = None) -> None:
        self.value = value
        self.path = path
        self.source = source
        self.place = place

    def record(self, name: str) -> _Node:
        """This node as the mapping *name* of the schema: a key the schema does not name
        there is an UnknownKeyError suggesting the nearest allowed keys."""
        place = PLACES[name]
        if not place.open:
            for key in self.mapping():
                if key not in place.keys:
                    raise _unknown_key(key, self.path, self.source, place)
        return _Node(self.value, self.path, self.source, place)

    def fail(self, message: str) -> DocumentError:
        prefix = f"{self.source}: " if self.source else ""
        return DocumentError(f"{prefix}{self.path or '(document)'}: {message}")

    def mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, Mapping):
            raise self.fail(f"expected a mapping, got {_shown(self.value)}")
        return self.value

    def names(self) -> list[str]:
        """The mapping's keys, which must be text (YAML also makes numbers of them)."""
        found = list(self.mapping())
        for key in found:
            if not isinstance(key, str) or not key.strip():
                raise self.fail(f"expected names as keys, got {_shown(key)}")
        return found

    def child(self, key: str) -> _Node:
        if self.place is not None and not (self.place.open or key in self.place.keys):
            raise AssertionError(f"the parser reads {key!r}, which the schema does not name "
                                 f"in {self.place.name}")  # a bug here, not in the document
        path = f"{self.path}.{key}" if self.path else key
        return _Node(self.mapping().get(key), path, self.source)

    def has(self, key: str) -> bool:
        return self.child(key).value is not None

    def items(self, key: str, *, required: bool = False) -> list[_Node]:
        node = self.child(key)
        if node.value is None:
            if required:
                raise node.fail("is required")
            return []
        if not isinstance(node.value, list):
            raise node.fail(f"expected a list, got {_shown(node.value)}")
        return [_Node(v, f"{node.path}[{i}]", self.source) for i, v in enumerate(node.value)]

    def text(self, key: str, default: str | None = None) -> str:
        node = self.child(key)
        if node.value is None:
            if default is None:
                raise node.fail("is required")
            return default
        if not isinstance(node.value, str) or not node.value.strip():
            raise node.fail(f"expected non-empty text, got {_shown(node.value)}")
        return node.value.strip()

    def number(self, key: str, default: float | None = None) -> float:
        node = self.child(key)
        value = node.value
        if value is None:
            if default is None:
                raise node.fail("is required")
            return default
        if isinstance(value, bool) or (isinstance(value, str) and not _DECIMAL.fullmatch(value)):
            raise node.fail(f"expected a number, got {_shown(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise node.fail(f"expected a number, got {_shown(value)}") from None
        except OverflowError:  # an integer past the largest float
            raise node.fail(f"expected a finite number, got {_shown(value)}") from None
        if not math.isfinite(number):
            raise node.fail(f"expected a finite number, got {_shown(value)}")
        return number

    def amount(self, key: str, scope: Scope, default: float | None = None) -> float:
        """A number, or a formula over the parameters in *scope* (text that is no decimal
        number is a formula)."""
        node = self.child(key)
        value = node.value
        if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
            if not value.strip():
                raise node.fail("expected a number or a formula, got an empty text")
            try:
                return scope.amount(value, "")
            except ParameterError as exc:
                raise node.fail(str(exc).removeprefix(": ")) from None
        return self.number(key, default)

    def flag(self, key: str, default: bool = False) -> bool:
        node = self.child(key)
        if node.value is None:
            return default
        if not isinstance(node.value, bool):
            raise node.fail(f"expected true or false, got {_shown(node.value)}")
        return node.value

    def choice(self, key: str, enum: type[_E], default: _E) -> _E:
        node = self.child(key)
        if node.value is None:
            return default
        try:
            if not isinstance(node.value, str):  # nor may the enum show it: it may be deep
                raise ValueError
            return enum(node.value)
        except ValueError:
            options = ", ".join(e.value for e in enum)
            raise node.fail(f"expected one of {options}, got {_shown(node.value)}") from None


def _flow(node: _Node) -> ElementaryFlow:
    node = node.record("Flow")
    gas = node.child("gas").value
    if gas is not None and (not isinstance(gas, str) or not gas.strip()):
        raise node.child("gas").fail(f"expected a gas formula such as CO2, got {_shown(gas)}")
    return ElementaryFlow(
        id=node.text("id"),
        name=node.text("name", node.text("id")),
        unit=node.text("unit", "kg"),
        gas=gas.strip() if isinstance(gas, str) else None,
        origin=node.choice("origin", Origin, Origin.NONE if gas is None else Origin.FOSSIL),
        kind=node.choice("kind", FlowKind, FlowKind.EMISSION),
        compartment=node.text("compartment", "air"),
    )


def _link(node: _Node) -> Link:
    node = node.record("Link")
    kinds = [k for k in LinkKind if k.value in node.mapping()]  # null too: it names one
    if len(kinds) != 1:
        raise node.fail("name exactly one provider: background, process or supplier, "
                        f"got {_shown(node.value)}")
    kind = kinds[0]
    product = node.child("product").value
    if product is not None and not isinstance(product, str):
        raise node.child("product").fail(f"expected text, got {_shown(product)}")
    return Link(kind, node.text(kind.value), product)


def _uncertainty(node: _Node) -> Uncertainty | None:
    if node.value is None:
        return None
    node = node.record("Uncertainty")
    distribution = node.text("distribution")
    params = tuple(sorted((k, node.number(k)) for k in node.names() if k != "distribution"))
    return Uncertainty(distribution, params)


def _quality(node: _Node) -> DataQuality | None:
    if node.value is None:
        return None
    node = node.record("Quality")
    ratings = {}
    for key in QUALITY_FIELDS:
        if node.has(key):
            value = node.number(key)
            if not 1 <= value <= 5:
                raise node.child(key).fail(f"a data-quality rating is 1 to 5, got {_shown(value)}")
            ratings[key] = value
    return DataQuality(**ratings)


def _input(node: _Node, scope: Scope, *, avoided_list: bool = False) -> TechnosphereInput:
    node = node.record("Input")
    amount = node.amount("amount", scope)
    if avoided_list:
        if amount < 0:
            raise node.child("amount").fail(f"an avoided product's amount is positive (it is "
                                            f"credited), got {_shown(amount)}")
        amount = -amount
    return TechnosphereInput(
        name=node.text("name"),
        amount=amount,
        unit=node.text("unit"),
        link=_link(node.child("from")),
        packaging=node.flag("packaging"),
        data_type=node.choice("data_type", DataType, DataType.SECONDARY),
        uncertainty=_uncertainty(node.child("uncertainty")),
        quality=_quality(node.child("quality")),
        avoided=amount < 0,
    )


def _waste(node: _Node, scope: Scope) -> TechnosphereInput:
    """A waste sent to treatment: an input of the treatment's service."""
    node = node.record("Waste")
    amount = node.amount("amount", scope)
    if amount < 0:
        raise node.child("amount").fail(f"a waste sent to treatment is a positive amount, got "
                                        f"{_shown(amount)}")
    return TechnosphereInput(
        name=node.text("name"), amount=amount, unit=node.text("unit"),
        link=_link(node.child("to")),
        data_type=node.choice("data_type", DataType, DataType.SECONDARY),
        quality=_quality(node.child("quality")))


def _emission(node: _Node, scope: Scope) -> Emission:
    node = node.record("Emission")
    return Emission(
        flow=node.text("flow"),
        amount=node.amount("amount", scope),
        unit=node.text("unit"),
        data_type=node.choice("data_type", DataType, DataType.PRIMARY),
        uncertainty=_uncertainty(node.child("uncertainty")),
    )


def _product(node: _Node, scope: Scope) -> ProductOutput:
    node = node.record("Output")
    properties = node.child("properties")
    props = () if properties.value is None else tuple(
        sorted((k, properties.number(k)) for k in properties.names()))
    substitutes = node.child("substitutes")
    return ProductOutput(
        id=node.text("id"),
        name=node.text("name", node.text("id")),
        amount=node.amount("amount", scope),
        unit=node.text("unit"),
        properties=props,
        substitutes=None if substitutes.value is None else _link(substitutes),
    )


def _allocation(node: _Node, scope: Scope) -> Allocation | None:
    if node.value is None:
        return None
    if isinstance(node.value, str):
        node = _Node({"method": node.value}, node.path, node.source)
    node = node.record("Allocation")
    method = node.choice("method", AllocationMethod, AllocationMethod.MASS)
    factors = node.child("factors")
    pairs = () if factors.value is None else tuple(
        (k, factors.amount(k, scope)) for k in factors.names())
    if method is AllocationMethod.FACTORS and not pairs:
        raise factors.fail("allocation by factors needs a factors mapping")
    return Allocation(method, pairs)


def _tags(node: _Node) -> frozenset[str]:
    tags = node.child("tags").value or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise node.child("tags").fail(f"expected a list of text, got {_shown(tags)}")
    return frozenset(tags)


def _parameters(node: _Node, outer: Scope | None, overrides: Mapping[str, float] | None = None
                ) -> Scope:
    """The scope of the parameters listed at *node*, over *outer*; a parameter set's values
    (*overrides*) replace the values or formulas of the parameters they name."""
    made = []
    for listed in node.items("parameters"):
        item = listed.record("Parameter")
        name = item.text("name")
        has_value, has_formula = item.has("value"), item.has("formula")
        if overrides is not None and name in overrides:
            made.append(Parameter(name, overrides[name]))
        elif has_value == has_formula:
            raise item.fail(f"parameter {name!r}: give a value or a formula, exactly one")
        else:
            made.append(Parameter(name, item.number("value")) if has_value
                        else Parameter(name, formula=item.text("formula")))
        item.text("description", "-")
    try:
        return Scope.of(tuple(made), outer, "")
    except ParameterError as exc:
        raise node.child("parameters").fail(str(exc)) from None


def _process(node: _Node, outer: Scope) -> tuple[Process, bool]:
    """The process, and whether it is a treatment written with a negative product."""
    node = node.record("Process")
    identifier = node.text("id")
    scope = _parameters(node, outer)
    products, treats = node.child("products"), node.child("treats")
    if (products.value is None) == (treats.value is None):
        raise node.fail("give `products` (what the process makes) or `treats` (the waste a "
                        "treatment takes in), exactly one")
    made = (tuple(_product(p, scope) for p in node.items("products", required=True))
            if products.value is not None else (_product(treats, scope),))
    if not made:
        raise products.fail("a process makes at least one product")
    negative = made[0].amount < 0
    if negative:  # ecoinvent's treatment: the service of taking in what it writes as -1
        made = (dataclasses.replace(made[0], amount=-made[0].amount), *made[1:])
    if any(p.amount < 0 for p in made):
        raise node.fail("only the reference (first) product of a treatment is negative")
    inputs = (*(_input(i, scope) for i in node.items("inputs")),
              *(_waste(w, scope) for w in node.items("wastes")),
              *(_input(a, scope, avoided_list=True) for a in node.items("avoided_products")))
    return Process(
        id=identifier,
        name=node.text("name", identifier),
        products=made,
        inputs=inputs,
        emissions=tuple(_emission(e, scope) for e in node.items("emissions")),
        allocation=_allocation(node.child("allocation"), scope),
        location=node.text("location", ""),
        tags=_tags(node),
    ), negative


def _wastes_to_treatments(processes: list[Process], treatments: set[str],
                          root: _Node) -> tuple[Process, ...]:
    """Inputs from a treatment written with a negative product (ecoinvent's negative input of
    waste) become positive inputs of its service; a positive one is a contradiction."""
    fixed = []
    for i, process in enumerate(processes):
        inputs = []
        for j, given in enumerate(process.inputs):
            item = given
            if item.link.kind is LinkKind.PROCESS and item.link.target in treatments:
                if item.amount > 0:
                    raise root.fail(
                        f"processes[{i}].inputs[{j}]: {item.name!r} comes from the treatment "
                        f"{item.link.target!r}, whose product is negative (ecoinvent's "
                        f"convention): write the waste sent to it as a negative amount, or "
                        f"write the treatment with `treats` and the waste under `wastes`")
                item = dataclasses.replace(item, amount=-item.amount, avoided=False)
            inputs.append(item)
        fixed.append(dataclasses.replace(process, inputs=tuple(inputs)))
    return tuple(fixed)


def _supplier(node: _Node) -> SupplierFootprint:
    node = node.record("Supplier")
    values = tuple((k, node.number(k)) for k in CATEGORY_FIELDS if node.has(k))
    if not values:
        raise node.fail("a supplier footprint needs at least pcf_excluding_biogenic_uptake")
    pds = node.number("primary_data_share") if node.has("primary_data_share") else None
    if pds is not None and not 0 <= pds <= 100:
        raise node.child("primary_data_share").fail(f"a share is 0 to 100, got {_shown(pds)}")
    published = node.child("published_footprint")  # the portal's; the engine only checks it
    number = published.value
    if number is not None and not (
            (isinstance(number, int) and not isinstance(number, bool) and number >= 1)
            or (isinstance(number, float) and number.is_integer() and number >= 1)):
        raise published.fail(f"expected the number of a published footprint, got "
                             f"{_shown(number)}")
    return SupplierFootprint(
        id=node.text("id"),
        company=node.text("company"),
        product_name=node.text("product_name"),
        declared_unit=node.text("declared_unit"),
        values=values,
        primary_data_share=pds,
        gwp_set=node.text("gwp_set", "AR6"),
        source=node.text("source", ""),
    )


def _carried(root: _Node) -> None:
    """Check the keys a product model carries for its readers, which the engine does not
    use: the portal's `format` and `release`, and `pcf footprint`'s `background`."""
    form = root.child("format")
    if form.value is not None and form.value != MODEL_FORMAT:
        raise form.fail(f"expected {MODEL_FORMAT}, got {_shown(form.value)}")
    release = root.child("release")
    if release.value is not None and not isinstance(release.value, str):
        raise release.fail(f"expected text such as name@version, got {_shown(release.value)}")
    root.text("background", "-")


def _exclusion(node: _Node) -> Exclusion:
    node = node.record("Exclusion")
    share = node.number("share_percent")
    if not 0 <= share <= 100:
        raise node.child("share_percent").fail(f"a share is 0 to 100, got {_shown(share)}")
    return Exclusion(node.text("name"), share, node.text("reason", ""))


def _parameter_set(root: _Node, name: str | None) -> dict[str, float] | None:
    """The values of the parameter set *name* (None: the parameters as written)."""
    sets = root.child("parameter_sets")
    if name is None:
        for set_name in ([] if sets.value is None else sets.names()):
            for key in sets.child(set_name).names():
                sets.child(set_name).number(key)  # checked even when not chosen
        return None
    if sets.value is None or name not in sets.mapping():
        known = [] if sets.value is None else sets.names()
        raise sets.fail(f"no parameter set {name!r}; the document has "
                        f"{', '.join(map(repr, known)) or 'none'}")
    chosen = sets.child(name)
    return {key: chosen.number(key) for key in chosen.names()}


def product_model_from_document(document: Any, source: str = "",
                                parameter_set: str | None = None) -> ProductModel:
    """Build a ProductModel from a parsed product-model document (see `document_schema`):
    formulas evaluated with the parameters as written, or with the values of
    *parameter_set*, one of the document's `parameter_sets`."""
    root = _Node(document, "", source).record("ProductModel")
    _carried(root)
    product = root.child("product").record("Header")
    overrides = _parameter_set(root, parameter_set)
    model_scope = _parameters(root, None, overrides)
    product_scope = _parameters(product, model_scope, overrides)
    if overrides:
        listed = {p.value.get("name") for node in (root, product)
                  for p in node.items("parameters") if isinstance(p.value, Mapping)}
        unknown = sorted(set(overrides) - listed)
        if unknown:
            raise root.child("parameter_sets").child(str(parameter_set)).fail(
                f"no model or product parameter named {', '.join(unknown)}")
    built = [_process(p, product_scope) for p in root.items("processes", required=True)]
    processes = _wastes_to_treatments([p for p, _neg in built],
                                      {p.id for p, negative in built if negative}, root)
    return ProductModel(
        id=product.text("id"),
        name=product.text("name"),
        declared_unit=product.text("declared_unit"),
        declared_amount=product.amount("declared_amount", product_scope, 1.0),
        reference_process=product.text("reference_process"),
        reference_product=product.text("reference_product", "") or None,
        processes=processes,
        suppliers=tuple(_supplier(s) for s in root.items("suppliers")),
        flows=tuple(_flow(f) for f in root.items("flows")),
        exclusions=tuple(_exclusion(x) for x in root.items("exclusions")),
        parameter_set=parameter_set or "",
        parameters=tuple(sorted(product_scope.values.items())),
    )


def _activity_input(node: _Node) -> TechnosphereInput:
    node = node.record("ActivityInput")
    provider = node.text("provider")
    return TechnosphereInput(
        name=node.text("name", provider), amount=node.number("amount"),
        unit=node.text("unit"), link=Link(LinkKind.BACKGROUND, provider),
        uncertainty=_uncertainty(node.child("uncertainty")),
    )


def _activity(node: _Node) -> Process:
    node = node.record("Activity")
    inputs = tuple(_activity_input(i) for i in node.items("inputs"))
    identifier = node.text("id")
    return Process(
        id=identifier,
        name=node.text("name", identifier),
        products=(ProductOutput(identifier, node.text("product", node.text("name", identifier)),
                                node.number("amount", 1.0), node.text("unit")),),
        inputs=inputs,
        emissions=tuple(_emission(e, _NO_PARAMETERS) for e in node.items("emissions")),
        location=node.text("location", ""),
        tags=_tags(node),
    )


def background_from_document(document: Any, source: str = "") -> BackgroundSystem:
    """Build a BackgroundSystem from a parsed background document (see `document_schema`)."""
    root = _Node(document, "", source).record("Background")
    return BackgroundSystem(
        flows=tuple(_flow(f) for f in root.items("flows", required=True)),
        activities=tuple(_activity(a) for a in root.items("activities", required=True)),
        name=root.text("name", ""),
    )
