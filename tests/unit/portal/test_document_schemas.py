"""The portal's use of the document schemas (portal.blueprints.schemas): the demo product's
model is valid under them, the portal's variant differs from the shipped schema only where
the portal fills in the header or refuses a background file, and the translation to OpenAPI
3.0.3 keeps each rule in 3.0's words."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from lca_engine.document_schema import DECIMAL_PATTERN, PRODUCT_MODEL_SCHEMA
from portal.blueprints.schemas import NULL, openapi, portal_model_schema
from portal.services.demo_product import demo_document


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(
        schema).iter_errors(document)]


class TestDemoProduct:
    def test_the_demo_model_is_valid_under_both_schemas(self) -> None:
        document = demo_document()
        assert errors(PRODUCT_MODEL_SCHEMA, document) == []
        assert errors(portal_model_schema(), document) == []


class TestPortalVariant:
    def test_it_is_a_valid_schema(self) -> None:
        jsonschema.Draft202012Validator.check_schema(portal_model_schema())

    def test_the_header_may_be_partial_or_absent_and_a_background_file_is_refused(
            self) -> None:
        portal = portal_model_schema()
        assert errors(portal, {"processes": [], "product": {"reference_process": "a"}}) == []
        assert errors(portal, {"processes": [], "product": None}) == []
        assert errors(PRODUCT_MODEL_SCHEMA, {"processes": [], "product": {}}) != []
        assert errors(portal, {"processes": [], "background": "bg.yaml"}) == [
            "$: Additional properties are not allowed ('background' was unexpected)"]

    def test_the_shipped_schema_is_left_as_it_was(self) -> None:
        portal_model_schema()
        assert "background" in PRODUCT_MODEL_SCHEMA["properties"]
        assert "required" in PRODUCT_MODEL_SCHEMA["$defs"]["Header"]


class TestOpenApiTranslation:
    @pytest.mark.parametrize(("schema", "translated"), [
        ({"type": ["string", "null"], "enum": ["mass", None]},
         {"type": "string", "nullable": True, "enum": ["mass", None]}),
        ({"type": "null"}, NULL),
        ({"anyOf": [{"$ref": "#/$defs/Quality"}, {"type": "null"}]},
         {"anyOf": [{"$ref": "#/components/schemas/ProductModelQuality"}, NULL]}),
        ({"type": ["number", "string"], "pattern": DECIMAL_PATTERN, "minimum": 1,
          "description": "1 to 5"},
         {"description": "1 to 5", "anyOf": [{"type": "number", "minimum": 1},
                                             {"type": "string", "pattern": DECIMAL_PATTERN}]}),
        ({"type": ["number", "string", "null"], "pattern": DECIMAL_PATTERN},
         {"anyOf": [{"type": "number"}, {"type": "string", "pattern": DECIMAL_PATTERN},
                    NULL]}),
        ({"type": "object", "propertyNames": {"pattern": r"\S"},
          "additionalProperties": {"type": ["number", "null"]}},
         {"type": "object", "additionalProperties": {"type": "number", "nullable": True}}),
        ({"not": {"type": "null"}}, {"not": NULL}),
    ])
    def test_a_rule_in_3_0s_words(self, schema: dict[str, Any],
                                  translated: dict[str, Any]) -> None:
        assert openapi(schema) == translated

    def test_a_keyword_that_fits_none_of_the_types_is_an_error_not_dropped(self) -> None:
        with pytest.raises(ValueError, match="items"):
            openapi({"type": ["number", "string"], "items": {}})
