"""The product-model and background document formats as JSON Schema (draft 2020-12), written
once: `documents` takes the keys allowed at each place from here, `lca_engine/schemas/*.json`
are these schemas as text, and the portal serves them and documents its API by them.

The schemas describe the structure the parser checks: keys, types, enumerations, the one
provider of a link, ratings 1 to 5. What needs the whole model (ids that link, units, a
reference process that exists) is checked when the model is built and computed.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from lca_engine.model import AllocationMethod, DataType, FlowKind, LinkKind, Origin

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: the `format` of a document the portal stores (optional elsewhere)
MODEL_FORMAT = "pcf-portal-model/1"
#: a number written as text, which the parser also accepts: YAML 1.1 reads `1e-3` (an
#: exponent without a point) as text, and decimal strings are how numbers cross boundaries
DECIMAL_PATTERN = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"
NAME_PATTERN = r"\S"  # text with something in it besides white space
CATEGORY_FIELDS = (
    "pcf_excluding_biogenic_uptake", "pcf_including_biogenic_uptake", "fossil_ghg_emissions",
    "biogenic_co2_emissions", "biogenic_co2_uptake", "biogenic_non_co2_emissions",
    "land_use_change_ghg_emissions", "aircraft_ghg_emissions", "packaging_ghg_emissions",
)
QUALITY_FIELDS = ("technological", "temporal", "geographical", "completeness", "reliability")


def _text(description: str) -> Schema:
    return {"type": "string", "pattern": NAME_PATTERN, "description": description}


def _number(description: str, **bounds: float) -> Schema:
    """A number, or a decimal string (*bounds* apply to numbers; the parser checks both)."""
    return {"type": ["number", "string"], "pattern": DECIMAL_PATTERN,
            "description": description, **bounds}


def _amount(description: str) -> Schema:
    """An amount: a number, a decimal string, or a formula over the parameters in scope."""
    return {"type": ["number", "string"], "minLength": 1,
            "description": f"{description}; a number or a formula over the parameters in "
                           f"scope, e.g. \"power_per_kg * 1000\""}


def _choice(values: list[str], description: str) -> Schema:
    return {"type": "string", "enum": values, "description": description}


def _ref(name: str, description: str = "") -> Schema:
    return {"$ref": f"#/$defs/{name}", **({"description": description} if description else {})}


def _list(items: Schema, description: str) -> Schema:
    return {"type": "array", "items": items, "description": description}


def optional(schema: Schema) -> Schema:
    """*schema* or null: the parser reads null as the key left out (YAML writes `key:` with
    nothing after it as null)."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    if "type" not in schema:
        description = schema.get("description")
        inner = {k: v for k, v in schema.items() if k != "description"}
        made: Schema = {"anyOf": [inner, {"type": "null"}]}
        return {**made, "description": description} if description else made
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    made = {**schema, "type": [*kinds, "null"]}
    if "enum" in made:
        made["enum"] = [*made["enum"], None]
    return made


def _record(description: str, required: dict[str, Schema], others: dict[str, Schema],
            extra: Schema | None = None) -> Schema:
    """A mapping of *required* and optional (*others*, null allowed) keys; any other key is
    refused, unless *extra* describes the value every other key may have."""
    made: Schema = {
        "type": "object", "description": description,
        "properties": {**required, **{k: optional(v) for k, v in others.items()}},
        "required": list(required),
        "additionalProperties": False if extra is None else extra,
    }
    if extra is not None:
        made["propertyNames"] = {"pattern": NAME_PATTERN}
    if not required:
        del made["required"]
    return made


def _open_map(description: str, value: Schema) -> Schema:
    return {"type": "object", "description": description,
            "propertyNames": {"pattern": NAME_PATTERN}, "additionalProperties": value}


_DATA_TYPES = [d.value for d in DataType]

UNCERTAINTY = _record(
    "An amount's uncertainty: the distribution's name and its parameters, each a number "
    "under its own name (ILCD / ecoinvent conventions: lognormal takes the geometric "
    "standard deviation `gsd`). The parameters' names are open: they are recorded with the "
    "model (and in its hash) as written, not checked against the distribution.",
    {"distribution": _text("the distribution, e.g. lognormal, normal, triangular, uniform")},
    {}, extra=_number("a parameter of the distribution"))

FLOW = _record(
    "An elementary flow between the technosphere and the environment.",
    {"id": _text("the id emissions name")},
    {"name": _text("default: the id"),
     "unit": _text("default: kg"),
     "gas": _text("the gas's IPCC formula, e.g. CO2, CH4, N2O, SF6, HFC134a; none for a "
                  "flow that is no greenhouse gas"),
     "origin": _choice([o.value for o in Origin], "default: fossil for a gas, else none"),
     "kind": _choice([k.value for k in FlowKind], "default: emission"),
     "compartment": _text("default: air")})

EMISSION = _record(
    "A direct emission (or uptake) of the process, per run of the process.",
    {"flow": _text("the id of an elementary flow (the document's own or the release's)"),
     "amount": _number("amount per run of the process"),
     "unit": _text("unit of the amount, e.g. kg")},
    {"data_type": _choice(_DATA_TYPES, "default: primary"),
     "uncertainty": _ref("Uncertainty")})

PARAMETER = _record(
    "A named value, or a formula over the parameters of its scope and the outer ones "
    "(a process's see the product's, which see the model's). Exactly one of value and "
    "formula.",
    {"name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
              "description": "letters, digits and _, not starting with a digit"}},
    {"value": _number("the value"),
     "formula": _text("arithmetic, comparisons, if-else and abs, min, max, round, sqrt, "
                      "exp, log, log10, pi, e over other parameters"),
     "description": _text("what the parameter is")})

MODEL_EMISSION: Schema = copy.deepcopy(EMISSION)
MODEL_EMISSION["properties"]["amount"] = _amount("amount per run of the process")

PRODUCT_MODEL_DEFS: dict[str, Schema] = {
    "Header": _record(
        "The declared product.",
        {"id": _text("the product's id"), "name": _text("the product's name"),
         "declared_unit": _text("a PACT declared unit (kilogram, liter, cubic meter, "
                                "kilowatt hour, megajoule, ton kilometer, square meter) or "
                                "any unit pint reads"),
         "reference_process": _text("the process whose product is declared")},
        {"declared_amount": _amount("how much of the declared unit; default 1"),
         "reference_product": _text("the declared product of that process; default: its "
                                    "first"),
         "parameters": _list(_ref("Parameter"), "the product's parameters (they see the "
                                                "model's)")}),
    "Parameter": PARAMETER,
    "Exclusion": _record(
        "An input or process left out under a cut-off rule, with its estimated share of the "
        "footprint (ISO 14067 6.3.4), for the accounting rule's cut-off check.",
        {"name": _text("what is left out"),
         "share_percent": _number("its estimated share of the footprint, percent",
                                  minimum=0, maximum=100)},
        {"reason": _text("why it may be left out")}),
    "Waste": _record(
        "A waste the process sends to treatment (openLCA's waste output): an input of the "
        "treatment's service, per run of the process.",
        {"name": _text("the waste"), "amount": _amount("amount per run of the process"),
         "unit": _text("unit of the amount"),
         "to": _ref("Link", "the treatment: a background activity or an own process that "
                            "`treats` it")},
        {"data_type": _choice(_DATA_TYPES, "default: secondary"),
         "quality": _ref("Quality")}),
    "Supplier": {**_record(
        "A supplier's published footprint (PACT) per declared unit, for inputs to link to.",
        {"id": _text("the id inputs link to"), "company": _text("the supplier"),
         "product_name": _text("the supplier's product"),
         "declared_unit": _text("the footprint's declared unit")},
        {**{c: _number("kg CO2e per declared unit") for c in CATEGORY_FIELDS},
         "primary_data_share": _number("percent, 0 to 100", minimum=0, maximum=100),
         "gwp_set": _text("IPCC GWP100 values of the footprint; default AR6 (a mismatch "
                          "with the calculation is noted on the result)"),
         "source": _text("where the footprint comes from"),
         "published_footprint": {"type": "integer", "minimum": 1, "description":
                                 "the number of the published footprint on the portal "
                                 "(written by the portal)"}}),
        "anyOf": [{"required": [c], "properties": {c: {"not": {"type": "null"}}}}
                  for c in CATEGORY_FIELDS]},
    "Flow": FLOW,
    "Process": _record(
        "One of the enterprise's own processes, per run of the process: it makes `products`, "
        "or it is a waste treatment that `treats` a waste (exactly one of the two). A "
        "treatment may also be written as ecoinvent writes it: a product of negative amount, "
        "which the processes sending it waste take as a negative input.",
        {"id": _text("the id that inputs (`from: {process: ...}`) and the header's "
                     "reference_process name")},
        {"products": _list(_ref("Output"), "what one run makes; the first is the "
                                           "reference product"),
         "treats": _ref("Output", "the waste one run takes in (openLCA's waste input as "
                                  "quantitative reference)"),
         "parameters": _list(_ref("Parameter"), "the process's parameters"),
         "wastes": _list(_ref("Waste"), "wastes one run sends to treatment"),
         "avoided_products": _list(_ref("Input"), "products one run displaces (openLCA's "
                                                  "avoided products), credited at their "
                                                  "provider's value; the amount is "
                                                  "positive"),
         "name": _text("default: the id"),
         "location": _text("where it runs, e.g. CN-SX"),
         "tags": _list({"type": "string"}, "aircraft and packaging mark reporting "
                                           "categories"),
         "inputs": _list(_ref("Input"), "what one run consumes"),
         "emissions": _list(_ref("Emission"), "what one run emits directly"),
         "allocation": {"anyOf": [
             _choice([m.value for m in AllocationMethod], "the method's name alone"),
             _ref("Allocation")],
             "description": "how a multi-output process shares its burdens"}}),
    "Output": _record(
        "A product or co-product of a process.",
        {"id": _text("the id inputs name as `product`"),
         "amount": _amount("output per run of the process (negative: a treatment, as "
                           "ecoinvent writes it)"),
         "unit": _text("unit of the amount")},
        {"name": _text("default: the id"),
         "properties": _open_map(
             "per unit of the product: mass (kg), energy (MJ) and price are what mass, "
             "energy and economic allocation read; other names are kept as written",
             _number("a property per unit of the product")),
         "substitutes": _ref("Link", "what the co-product displaces under system "
                                     "expansion")}),
    "Link": {
        "type": "object",
        "description": "The provider of an input: exactly one of background, process or "
                       "supplier.",
        "properties": {
            LinkKind.BACKGROUND.value: _text("an activity of the background release"),
            LinkKind.PROCESS.value: _text("one of the model's own processes"),
            LinkKind.SUPPLIER.value: _text("a supplier footprint of the document"),
            "product": optional({"type": "string", "description": "the provider's product, "
                                 "for an own process with several"})},
        "oneOf": [{"required": [k.value]} for k in LinkKind],
        "additionalProperties": False},
    "Input": _record(
        "A technosphere input of a process, per run of the process. A negative amount is a "
        "product the process displaces (credited at its provider's value), or, from a "
        "treatment written with a negative product, the waste sent to it.",
        {"name": _text("what the input is"),
         "amount": _amount("amount per run of the process"),
         "unit": _text("unit of the amount; converted to the provider's, a mismatch of "
                       "dimensions is an error"),
         "from": _ref("Link", "the provider")},
        {"data_type": _choice(_DATA_TYPES, "default: secondary"),
         "packaging": {"type": "boolean", "description": "default: false"},
         "uncertainty": _ref("Uncertainty"),
         "quality": _ref("Quality")}),
    "Emission": MODEL_EMISSION,
    "Allocation": _record(
        "An allocation rule: a method, and factors per product id when the method is "
        "factors.",
        {},
        {"method": _choice([m.value for m in AllocationMethod], "default: mass"),
         "factors": _open_map("the share of each product (by its id); needed by the factors "
                              "method", _amount("a product's share"))}),
    "Quality": _record(
        "PACT data-quality ratings of the input, 1 (best) to 5.",
        {}, {key: _number("1 to 5", minimum=1, maximum=5) for key in QUALITY_FIELDS}),
    "Uncertainty": UNCERTAINTY,
}

PRODUCT_MODEL_SCHEMA: Schema = {
    "$schema": DRAFT,
    "$id": "urn:pcf-portal:schema:product-model",
    "title": "Product model document",
    **_record(
        "An enterprise's product model: the declared product, its own processes with their "
        "inputs, emissions and allocation, and the supplier footprints and extra elementary "
        "flows they use. Every mapping refuses keys it does not name; null is the same as "
        "leaving an optional key out.",
        {"product": _ref("Header"),
         "processes": _list(_ref("Process"), "the enterprise's own processes")},
        {"format": _choice([MODEL_FORMAT], "the format the portal stores"),
         "release": {"type": "string", "description": "the background release the portal "
                                                      "computes the model with, name@version"},
         "background": _text("for `pcf footprint`: the background document's path, relative "
                             "to the model file"),
         "suppliers": _list(_ref("Supplier"), "supplier footprints inputs link to"),
         "flows": _list(_ref("Flow"), "elementary flows besides the background's"),
         "parameters": _list(_ref("Parameter"), "the model's (global) parameters"),
         "parameter_sets": _open_map(
             "named sets of values for the model's and the product's parameters: a scenario "
             "without a copy of the model (`pcf footprint --parameter-set NAME`)",
             _open_map("parameter name to value", _number("the parameter's value"))),
         "exclusions": _list(_ref("Exclusion"), "what the model leaves out under cut-off")}),
    "$defs": PRODUCT_MODEL_DEFS,
}

BACKGROUND_DEFS: dict[str, Schema] = {
    "Flow": FLOW,
    "Activity": _record(
        "A background activity making one product, per `amount` of it.",
        {"id": _text("the id inputs name as provider"), "unit": _text("unit of the product")},
        {"name": _text("default: the id"), "product": _text("default: the name"),
         "amount": _number("how much one run makes; default 1"),
         "location": _text("e.g. CN-SX"),
         "tags": _list({"type": "string"}, "aircraft and packaging mark reporting "
                                           "categories"),
         "inputs": _list(_ref("ActivityInput"), "what one run consumes"),
         "emissions": _list(_ref("Emission"), "what one run emits")}),
    "ActivityInput": _record(
        "An input of a background activity from another one.",
        {"provider": _text("the providing activity's id"),
         "amount": _number("amount per run"), "unit": _text("unit of the amount")},
        {"name": _text("default: the provider"), "uncertainty": _ref("Uncertainty")}),
    "Emission": EMISSION,
    "Uncertainty": UNCERTAINTY,
}

BACKGROUND_SCHEMA: Schema = {
    "$schema": DRAFT,
    "$id": "urn:pcf-portal:schema:background",
    "title": "Background document",
    **_record(
        "A small background system for `pcf footprint --background`: elementary flows and "
        "activities. Every mapping refuses keys it does not name; null is the same as "
        "leaving an optional key out.",
        {"flows": _list(_ref("Flow"), "the elementary flows"),
         "activities": _list(_ref("Activity"), "the activities")},
        {"name": _text("the background's name")}),
    "$defs": BACKGROUND_DEFS,
}


@dataclass(frozen=True)
class Place:
    """The keys a mapping of the schema names (*open*: any other key is allowed too)."""

    name: str
    keys: frozenset[str]
    open: bool


def _place(name: str, schema: Schema) -> Place:
    return Place(name, frozenset(schema["properties"]),
                 schema["additionalProperties"] is not False)


#: every mapping of both documents by name: the roots and the definitions
PLACES: dict[str, Place] = {
    "ProductModel": _place("ProductModel", PRODUCT_MODEL_SCHEMA),
    "Background": _place("Background", BACKGROUND_SCHEMA),
    **{name: _place(name, s) for name, s in {**PRODUCT_MODEL_DEFS, **BACKGROUND_DEFS}.items()},
}

SCHEMA_FILES = {"product-model.schema.json": PRODUCT_MODEL_SCHEMA,
                "background.schema.json": BACKGROUND_SCHEMA}


def schema_text(schema: Schema) -> str:
    """*schema* as the shipped file holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def product_model_schema() -> Schema:
    """A copy of the product-model schema (callers may change it)."""
    return copy.deepcopy(PRODUCT_MODEL_SCHEMA)


def background_schema() -> Schema:
    """A copy of the background schema."""
    return copy.deepcopy(BACKGROUND_SCHEMA)
