"""Request and response bodies of the product endpoints of the JSON API (marshmallow schemas;
flask-smorest puts them into the OpenAPI document). Numbers of results are decimal strings;
times are RFC 3339 with their offset (stored times without one are UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from lca_engine.characterization import DEFAULT_GWP_SET, GWP_SETS
from portal.blueprints.schemas import DOCUMENT_REF
from portal.services.products import FIELD_SCHEMA
from portal.web import MAX_ID


class UtcDateTime(fields.DateTime):
    """An RFC 3339 time with its offset: SQLite hands back stored UTC times without one."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def _rule(name: str, description: str) -> dict[str, object]:
    """The field's description and the JSON Schema keywords the service checks it by."""
    return {"description": description, **FIELD_SCHEMA[name]}


class ProductInSchema(Schema):
    name = fields.String(required=True, metadata=_rule("name", "1 to 200 characters"))
    declared_unit = fields.String(required=True, metadata=_rule(
        "declared_unit", "a PACT declared unit"))
    gtin = fields.String(load_default="", metadata=_rule(
        "gtin", "GTIN-8, -12, -13 or -14 with a valid GS1 check digit"))
    internal_id = fields.String(load_default="", metadata=_rule(
        "internal_id", "required when there is no GTIN (422 otherwise)"))
    cpc_class = fields.String(load_default="", metadata=_rule("cpc_class", "1 to 5 digits"))
    period_start = fields.String(load_default="", metadata=_rule(
        "period_start", "YYYY-MM-DD, a real date"))
    period_end = fields.String(load_default="", metadata=_rule(
        "period_end", "YYYY-MM-DD, a real date, not before period_start"))
    geography = fields.String(load_default="", metadata=_rule("geography", "e.g. CN-SX"))


class LatestResultSchema(Schema):
    id = fields.Integer()
    headline = fields.String(metadata={
        "description": "pcf_excluding_biogenic_uptake in kg CO2e for the declared amount"})
    gwp_set = fields.String()
    release_id = fields.Integer()
    created_at = UtcDateTime()


class ProductSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    declared_unit = fields.String()
    gtin = fields.String()
    internal_id = fields.String()
    cpc_class = fields.String()
    period_start = fields.String()
    period_end = fields.String()
    geography = fields.String()
    scenario_of = fields.Integer(allow_none=True)
    model_version = fields.Integer(metadata={"description": "0 before the first model"})
    latest_result = fields.Nested(LatestResultSchema, allow_none=True)


class ModelSchema(Schema):
    product_id = fields.Integer()
    version = fields.Integer(metadata={"description": "0 before the first model"})
    model_hash = fields.String()
    created_at = UtcDateTime(allow_none=True)
    document = fields.Dict(metadata={
        "allOf": [{"$ref": DOCUMENT_REF}],
        "description": "the product-model document: format, release (name@version), "
                       "product, suppliers, flows, processes (JSON Schema: "
                       "/api/schemas/product-model.json)"})


class ModelPutSchema(Schema):
    document = fields.Dict(required=True, metadata={
        "allOf": [{"$ref": DOCUMENT_REF}],
        "description": "the whole new document; the product's id, name and declared unit "
                       "in its header are the product's own. A key the schema does not name "
                       "is refused (422 naming its path and the nearest allowed keys)"})
    base_version = fields.Integer(
        required=True, validate=validate.Range(min=0, max=MAX_ID),
        metadata={"description": "the version this document was edited from (0 for the first)"})


class ComputeSchema(Schema):
    release_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                                metadata={"description": "a READY background release"})
    gwp_set = fields.String(load_default=DEFAULT_GWP_SET,
                            validate=validate.OneOf(sorted(GWP_SETS)),
                            metadata={"description": "IPCC GWP100 values"})
    parameter_set = fields.String(load_default="", validate=validate.Length(max=100),
                                  metadata={"description": "one of the model's "
                                            "parameter_sets, to compute a scenario of it "
                                            "(422 when the model has no such set)"})


class JobAcceptedSchema(Schema):
    job_id = fields.String()
    status_url = fields.String(metadata={"description": "poll this for the job's status"})


class ResultSummarySchema(LatestResultSchema):
    product_id = fields.Integer()
    model_version = fields.Integer()
    release = fields.String(metadata={"description": "name@version"})
    result_hash = fields.String()


class ResultSchema(ResultSummarySchema):
    published = fields.Boolean()
    result = fields.Dict(metadata={
        "description": "the result document: totals per category, primary data share, "
                       "contributions, supply-chain tree and provenance, as decimal strings"})


class ActivityQuerySchema(Schema):
    q = fields.String(load_default="", metadata={
        "description": "part of the name, id or reference product"})
    sector = fields.String(load_default="")
    geography = fields.String(load_default="")


class ActivitySchema(Schema):
    id = fields.String()
    name = fields.String()
    unit = fields.String()
    sector = fields.String()
    geography = fields.String()


class MeSchema(Schema):
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organisation = fields.String()
    organisation_kind = fields.String()


class ReleaseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    version = fields.String()
    content_hash = fields.String()
    base = fields.String()
    extensions = fields.List(fields.String())
    published_at = UtcDateTime()


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    progress = fields.Integer()
    message = fields.String()
    result = fields.Raw(allow_none=True)
    error = fields.String()
