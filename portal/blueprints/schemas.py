"""The document schemas (lca_engine.document_schema, JSON Schema 2020-12): served as they are
at /api/schemas/*.json, public like the OpenAPI document; and the product-model document as
the JSON API takes and returns it, translated to OpenAPI 3.0.3 components that the model
bodies of the API refer to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from werkzeug.wrappers import Response

from lca_engine.document_schema import (
    Schema,
    background_schema,
    optional,
    product_model_schema,
    schema_text,
)

blueprint = Blueprint("schemas", __name__, url_prefix="/api/schemas")

#: the OpenAPI component of the product-model document; its definitions are PREFIX + name
PREFIX = "ProductModel"
DOCUMENT = f"{PREFIX}Document"
DOCUMENT_REF = f"#/components/schemas/{DOCUMENT}"
#: null alone in OpenAPI 3.0, which has no "null" type: `nullable` adds null to a type,
#: and the enum leaves nothing else
NULL: Schema = {"type": "string", "nullable": True, "enum": [None]}
#: the keywords that apply to each type, for a value of several types (a number or text)
_KEYWORDS = {"string": {"pattern", "minLength", "maxLength"},
             "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
             "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}}


def _served(schema: Callable[[], Schema]) -> Response:
    response = Response(schema_text(schema()), mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.route("/product-model.json")
def product_model() -> Response:
    """The product-model document's JSON Schema (draft 2020-12)."""
    return _served(product_model_schema)


@blueprint.route("/background.json")
def background() -> Response:
    """The background document's JSON Schema (draft 2020-12), for `pcf footprint`."""
    return _served(background_schema)


def portal_model_schema() -> Schema:
    """The product-model schema as the portal takes and stores documents: the header's id,
    name and declared unit are the product's own and the reference process defaults to the
    first (so none is required, and the header may be left out), and there is no background
    file (a portal model is computed with its release)."""
    schema = product_model_schema()
    del schema["properties"]["background"]
    schema["properties"]["product"] = optional(schema["properties"]["product"])
    schema["required"] = ["processes"]
    header = schema["$defs"]["Header"]
    del header["required"]
    header["description"] = ("The declared product. The portal writes the product's own id, "
                             "name and declared unit here, whatever a document sends; the "
                             "reference process defaults to the first process.")
    schema["description"] += (" The portal refuses `background` (a model in the portal is "
                              "computed with its release) and keys not named here, with 422 "
                              "naming the path and the nearest allowed keys. JSON Schema "
                              "2020-12: /api/schemas/product-model.json.")
    return schema


def openapi(schema: Any) -> Any:
    """*schema* (JSON Schema 2020-12) in OpenAPI 3.0.3's dialect: references to $defs point
    to the components, type lists become `nullable` or `anyOf`, null alone is NULL, and
    keywords 3.0 lacks (propertyNames: keys are still checked by the API) are left out."""
    if isinstance(schema, list):
        return [openapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    made: Schema = {}
    for key, value in schema.items():
        if key in ("$schema", "$id", "$defs", "propertyNames"):
            continue
        if key == "$ref":
            made[key] = value.replace("#/$defs/", f"#/components/schemas/{PREFIX}")
        elif key == "properties":
            made[key] = {name: openapi(item) for name, item in value.items()}
        elif key in ("items", "not", "additionalProperties", "anyOf", "oneOf", "allOf"):
            made[key] = openapi(value)
        else:
            made[key] = value
    kinds = made.get("type")
    if kinds == "null":
        return dict(NULL)
    if not isinstance(kinds, list):
        return made
    nullable, kinds = "null" in kinds, [k for k in kinds if k != "null"]
    if len(kinds) == 1:
        return {**made, "type": kinds[0], **({"nullable": True} if nullable else {})}
    shared = {k: made.pop(k) for k in ("description", "title") if k in made}
    del made["type"]
    branches = [{"type": kind, **{k: v for k, v in made.items() if k in _KEYWORDS[kind]}}
                for kind in kinds]
    unplaced = set(made) - set().union(*(_KEYWORDS[kind] for kind in kinds))
    if unplaced:
        raise ValueError(f"cannot translate {sorted(unplaced)} for types {kinds}")
    return {**shared, "anyOf": branches + ([dict(NULL)] if nullable else [])}


def register_components(spec: Any) -> None:
    """Add the product-model document and its definitions to *spec* (an apispec APISpec)."""
    schema = portal_model_schema()
    for name, definition in schema["$defs"].items():
        spec.components.schema(f"{PREFIX}{name}", component=openapi(definition))
    spec.components.schema(DOCUMENT, component=openapi(schema))
