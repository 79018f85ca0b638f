"""The product endpoints of the JSON API: an enterprise creates a product, puts the worked
example's model, computes it as a job and reads the result; other organisations get 404,
callers without a token 401, broken documents 422 naming what to fix."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV30SpecValidator

from background_db.compile import compile_release
from lca_engine import compute_footprint, product_model_from_document
from lca_engine.characterization import HEADLINE
from portal.db.models import OrganisationKind

from .test_api import token_for
from .test_products_fixtures import (
    FIRST,
    GRID,
    app_with_releases,
    enterprise_user,
    release_id,
    seed_releases,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "steel-bracket.yaml"
CO2 = "Carbon dioxide, fossil|air"
#: The example's own background activities and their counterparts in the seed release.
SEED_IDS = {"hot-rolled-coil": "hot-rolled-coil-shanxi", "electricity-grid-shanxi-2022": GRID,
            "natural-gas": "combustion-natural-gas", "lorry-transport": "lorry-transport-cn"}
NEW_PATHS = ["/api/v1/products", "/api/v1/products/{product_id}",
             "/api/v1/products/{product_id}/model", "/api/v1/products/{product_id}/compute",
             "/api/v1/products/{product_id}/results", "/api/v1/results/{footprint_id}",
             "/api/v1/releases/{release_id}/activities"]


@cache
def _example() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return document


def bracket_document() -> dict[str, Any]:
    """examples/steel-bracket.yaml linked to the seed release: background ids replaced by the
    seed's, the carton dropped (the seed has no packaging activity), the galvanising line's
    CO2 left to the seed's natural-gas combustion activity, which carries it."""
    document = copy.deepcopy(_example())
    del document["background"]
    for process in document["processes"]:
        inputs = [i for i in process.get("inputs", [])
                  if i["from"].get("background", "") != "corrugated-box"]
        for item in inputs:
            if "background" in item["from"]:
                item["from"]["background"] = SEED_IDS[item["from"]["background"]]
        process["inputs"] = inputs
        process.pop("emissions", None)
    document["release"] = FIRST
    return document


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


class Caller:
    """A test client that sends one user's bearer token (and asks for English messages)."""

    def __init__(self, app: Flask, email: str, organisation: str,
                 kind: OrganisationKind = OrganisationKind.ENTERPRISE) -> None:
        self.client: FlaskClient = app.test_client()
        user = enterprise_user(app, email, organisation, kind)
        self.headers = {"Authorization": f"Bearer {token_for(app, user.id)}",
                        "Accept-Language": "en"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers=self.headers)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.put(path, json=body, headers=self.headers)

    def new_product(self, name: str = "Bracket GS-40") -> int:
        response = self.post("/api/v1/products", {"name": name, "declared_unit": "kilogram",
                                                  "internal_id": "gs-40"})
        assert response.status_code == 201, response.get_json()
        return int(response.get_json()["id"])

    def modelled_product(self) -> int:
        product_id = self.new_product()
        response = self.put(f"/api/v1/products/{product_id}/model",
                            {"document": bracket_document(), "base_version": 0})
        assert response.status_code == 200, response.get_json()
        return product_id

    def computed_result(self, app: Flask) -> tuple[int, int]:
        """A modelled product and the id of its computed result."""
        product_id = self.modelled_product()
        job = self.post(f"/api/v1/products/{product_id}/compute",
                        {"release_id": release_id(app)}).get_json()
        status = self.get(job["status_url"]).get_json()
        assert status["status"] == "done", status
        return product_id, int(status["result"]["footprint_id"])


class TestTheWorkedExample:
    def test_create_model_compute_poll_and_read_the_result(self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        assert [p["id"] for p in me.get("/api/v1/products").get_json()] == [product_id]
        put = me.put(f"/api/v1/products/{product_id}/model",
                     {"document": bracket_document(), "base_version": 0}).get_json()
        assert put["version"] == 1
        assert put["document"]["product"]["id"] == "gs-40"  # the product's own identity
        assert put["document"]["product"]["reference_process"] == "forming"

        accepted = me.post(f"/api/v1/products/{product_id}/compute",
                           {"release_id": release_id(products_app), "gwp_set": "AR6"})
        assert accepted.status_code == 202
        job = me.get(f"/api/v1/jobs/{accepted.get_json()['job_id']}").get_json()
        assert job["status"] == "done", job
        (listed,) = me.get(f"/api/v1/products/{product_id}/results").get_json()
        assert listed["id"] == job["result"]["footprint_id"]
        assert (listed["model_version"], listed["release"], listed["gwp_set"]) == (
            1, FIRST, "AR6")

        result = me.get(f"/api/v1/results/{listed['id']}").get_json()
        document = me.get(f"/api/v1/products/{product_id}/model").get_json()["document"]
        built = compile_release(seed_releases()[FIRST])
        direct = compute_footprint(product_model_from_document(document), built.system,
                                   built.table)
        headline = result["result"]["totals"][HEADLINE.value]
        assert headline == direct.to_dict()["totals"][HEADLINE.value] == result["headline"]
        assert isinstance(headline, str)
        assert Decimal(headline) > 0
        assert result["result_hash"] == direct.result_hash
        product = me.get(f"/api/v1/products/{product_id}").get_json()
        assert product["model_version"] == 1
        assert product["latest_result"]["id"] == listed["id"]

    def test_ar5_is_computed_when_asked_for(self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.modelled_product()
        for gwp_set in ("AR6", "AR5"):
            me.post(f"/api/v1/products/{product_id}/compute",
                    {"release_id": release_id(products_app), "gwp_set": gwp_set})
        ar5, ar6 = me.get(f"/api/v1/products/{product_id}/results").get_json()
        assert (ar5["gwp_set"], ar6["gwp_set"]) == ("AR5", "AR6")
        assert ar5["headline"] != ar6["headline"]  # the combustion's CH4 and N2O differ
        refused = me.post(f"/api/v1/products/{product_id}/compute",
                          {"release_id": release_id(products_app), "gwp_set": "AR4"})
        assert refused.status_code == 422
        assert "gwp_set" in refused.get_json()["errors"]["json"]

    def test_computing_needs_a_model_and_a_published_release(self,
                                                             products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        bare = me.new_product()
        response = me.post(f"/api/v1/products/{bare}/compute",
                           {"release_id": release_id(products_app)})
        assert response.status_code == 409
        assert "no model" in response.get_json()["message"]
        modelled = me.modelled_product()
        assert me.post(f"/api/v1/products/{modelled}/compute",
                       {"release_id": 999999}).status_code == 404


class TestRefusals:
    def test_wrong_product_fields_are_named_with_their_values(self,
                                                              products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        response = me.post("/api/v1/products", {"name": "x", "declared_unit": "tonne",
                                                "gtin": "4006381333932"})
        assert response.status_code == 422
        errors = response.get_json()["errors"]["json"]
        assert set(errors) == {"declared_unit", "gtin"}
        assert "4006381333932" in errors["gtin"][0]
        missing = me.post("/api/v1/products", {"declared_unit": "kilogram"}).get_json()
        assert "name" in missing["errors"]["json"]

    def test_a_model_that_does_not_compute_names_process_exchange_and_value(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        document = bracket_document()
        document["processes"][0]["inputs"][1]["unit"] = "kg"  # slitting's electricity
        response = me.put(f"/api/v1/products/{product_id}/model",
                          {"document": document, "base_version": 0})
        assert response.status_code == 422
        (message,) = response.get_json()["errors"]["json"]["model"]
        assert "'slitting'" in message
        assert "'electricity'" in message
        assert "'kg'" in message
        assert me.get(f"/api/v1/products/{product_id}/model").get_json()["version"] == 0

    def test_an_unreadable_document_names_the_path_and_value(self,
                                                             products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        document = bracket_document()
        document["processes"][1]["inputs"][0]["amount"] = "lots"
        (message,) = me.put(f"/api/v1/products/{product_id}/model", {
            "document": document, "base_version": 0}).get_json()["errors"]["json"]["document"]
        assert "processes[1].inputs[0].amount" in message
        assert "'lots'" in message
        stray = {**bracket_document(), "background": "background-demo.yaml"}
        response = me.put(f"/api/v1/products/{product_id}/model",
                          {"document": stray, "base_version": 0})
        assert response.status_code == 422
        assert "background" in response.get_json()["errors"]["json"]["document"][0]

    @pytest.mark.parametrize(("mutate", "message"), [
        (lambda d: d.__setitem__("proceses", d.pop("processes")),
         "unknown key 'proceses' at the top level; did you mean 'processes'?"),
        (lambda d: d["product"].__setitem__("reference_prodcut", "bracket"),
         "unknown key 'reference_prodcut' at product; did you mean 'reference_product'?"),
        (lambda d: d["processes"][1].__setitem__("emisions", []),
         "unknown key 'emisions' at processes[1]; did you mean 'emissions'?"),
        (lambda d: d["processes"][1]["inputs"][2]["from"].__setitem__("prodcut", "x"),
         "unknown key 'prodcut' at processes[1].inputs[2].from; did you mean 'product'?"),
        (lambda d: d["processes"][0].__setitem__("emissions", [
            {"flow": CO2, "amount": 1, "unit": "kg", "data_typ": "primary"}]),
         "unknown key 'data_typ' at processes[0].emissions[0]; did you mean 'data_type'?"),
        (lambda d: d["processes"][0].__setitem__("allocation", {"metod": "mass"}),
         "unknown key 'metod' at processes[0].allocation; did you mean 'method'?"),
        (lambda d: d["suppliers"][0].__setitem__("fossil_ghg_emission", 3.1),
         "unknown key 'fossil_ghg_emission' at suppliers[0]; did you mean "
         "'fossil_ghg_emissions'?"),
    ])
    def test_a_misspelt_key_is_refused_naming_its_path_and_the_key_meant(
            self, products_app: Flask, mutate: Any, message: str) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        document = bracket_document()
        mutate(document)
        response = me.put(f"/api/v1/products/{product_id}/model",
                          {"document": document, "base_version": 0})
        assert response.status_code == 422
        assert response.get_json()["errors"]["json"]["document"] == [
            f"The document cannot be read: {message}"]
        assert me.get(f"/api/v1/products/{product_id}/model").get_json()["version"] == 0

    def test_a_document_whose_product_header_is_null_takes_the_products_own(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")  # found by fuzzing: a 500 before
        product_id = me.new_product()
        response = me.put(f"/api/v1/products/{product_id}/model", {
            "document": {**bracket_document(), "product": None}, "base_version": 0})
        assert response.status_code == 200, response.get_json()
        header = response.get_json()["document"]["product"]
        assert (header["id"], header["name"], header["reference_process"]) == (
            "gs-40", "Bracket GS-40", "slitting")

    def test_a_document_nested_too_deep_for_a_model_is_refused_by_its_depth(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")  # found by fuzzing: a 500 before
        product_id = me.new_product()
        document = bracket_document()
        deep: list[Any] = []
        # 40 levels pass the JSON body limit (64, a 400; test_large_models) but not a
        # model's: refused by its depth before anything copies it (the unknown key too)
        for _ in range(40):
            deep = [deep]
        document["processes"][0]["notes"] = deep
        response = me.put(f"/api/v1/products/{product_id}/model",
                          {"document": document, "base_version": 0})
        assert response.status_code == 422
        assert response.get_json()["errors"]["json"]["document"] == [
            "The document nests more than 16 levels deep."]

    def test_a_document_edited_from_an_old_version_is_a_conflict(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.modelled_product()
        stale = me.put(f"/api/v1/products/{product_id}/model",
                       {"document": bracket_document(), "base_version": 0})
        assert stale.status_code == 409
        again = me.put(f"/api/v1/products/{product_id}/model",
                       {"document": bracket_document(), "base_version": 1})
        assert again.get_json()["version"] == 2


class TestScoping:
    def test_other_organisations_objects_are_not_found(self, products_app: Flask) -> None:
        owner = Caller(products_app, "a@one.cn", "One")
        product_id, footprint_id = owner.computed_result(products_app)
        stranger = Caller(products_app, "b@two.cn", "Two")
        for path in (f"/api/v1/products/{product_id}", f"/api/v1/products/{product_id}/model",
                     f"/api/v1/products/{product_id}/results",
                     f"/api/v1/results/{footprint_id}"):
            assert stranger.get(path).status_code == 404, path
        assert stranger.get(f"/api/v1/results/{footprint_id}").get_json()["message"] == (
            stranger.get("/api/v1/results/999999").get_json()["message"])
        assert stranger.put(f"/api/v1/products/{product_id}/model", {
            "document": bracket_document(), "base_version": 1}).status_code == 404
        assert stranger.post(f"/api/v1/products/{product_id}/compute", {
            "release_id": release_id(products_app)}).status_code == 404
        assert stranger.get("/api/v1/products").get_json() == []

    def test_only_enterprises_have_products(self, products_app: Flask) -> None:
        association = Caller(products_app, "s@assoc.cn", "Assoc",
                             OrganisationKind.ASSOCIATION)
        assert association.get("/api/v1/products").status_code == 403
        assert association.post("/api/v1/products", {
            "name": "x", "declared_unit": "kilogram", "internal_id": "x"}).status_code == 403

    @pytest.mark.parametrize(("method", "path"), [
        ("get", "/api/v1/products"), ("post", "/api/v1/products"),
        ("get", "/api/v1/products/1"), ("get", "/api/v1/products/1/model"),
        ("put", "/api/v1/products/1/model"), ("post", "/api/v1/products/1/compute"),
        ("get", "/api/v1/products/1/results"), ("get", "/api/v1/results/1"),
        ("get", "/api/v1/releases/1/activities")])
    def test_no_token_is_401(self, products_app: Flask, method: str, path: str) -> None:
        response = getattr(products_app.test_client(), method)(path, json={})
        assert response.status_code == 401


class TestActivitySearch:
    def test_searches_by_name_sector_and_geography_in_pages(self,
                                                           products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        base = f"/api/v1/releases/{release_id(products_app)}/activities"
        found = me.get(base, query_string={"q": "grid", "geography": "CN-SX"}).get_json()
        assert [a["id"] for a in found] == ["elec-grid-provincial-shanxi-2022", GRID]
        page = me.get(base, query_string={"sector": "electricity", "page": 2,
                                          "page_size": 5})
        assert len(page.get_json()) == 5
        assert '"total": 33' in page.headers["X-Pagination"]
        assert me.get("/api/v1/releases/999999/activities").status_code == 404


def test_the_openapi_document_lists_every_product_path(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for path in NEW_PATHS:
        assert path in spec["paths"], path
        for operation in spec["paths"][path].values():
            if isinstance(operation, dict) and "responses" in operation:
                assert operation["summary"], path
    put = spec["paths"]["/api/v1/products/{product_id}/model"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ModelPut")
    assert "result" in spec["components"]["schemas"]["Result"]["properties"]


class TestDocumentSchema:
    """The product-model schema, served and in the OpenAPI document's model bodies."""

    def test_the_schemas_are_served_to_anyone_as_shipped(self, client: FlaskClient) -> None:
        for name, file in (("product-model", "product-model.schema.json"),
                           ("background", "background.schema.json")):
            response = client.get(f"/api/schemas/{name}.json")
            assert response.status_code == 200
            assert response.mimetype == "application/schema+json"
            shipped = (EXAMPLE.parents[1] / "lca_engine" / "schemas" / file).read_bytes()
            assert response.data == shipped

    def test_the_openapi_document_is_valid_openapi_3_0_3(self, client: FlaskClient) -> None:
        spec = client.get("/api/openapi.json").get_json()
        assert spec["openapi"] == "3.0.3"
        validate(spec, cls=OpenAPIV30SpecValidator)

    def test_the_model_bodies_refer_to_the_document_schema(self,
                                                          client: FlaskClient) -> None:
        components = client.get("/api/openapi.json").get_json()["components"]["schemas"]
        for body in ("Model", "ModelPut"):
            document = components[body]["properties"]["document"]
            assert document["allOf"] == [{"$ref": "#/components/schemas/ProductModelDocument"}]
        root = components["ProductModelDocument"]
        assert root["additionalProperties"] is False
        assert "background" not in root["properties"]
        assert root["required"] == ["processes"]
        process = components["ProductModelProcess"]
        assert set(process["properties"]) == {"id", "name", "location", "tags", "products",
                                              "inputs", "emissions", "allocation",
                                              "parameters", "treats", "wastes",
                                              "avoided_products"}
        assert process["properties"]["inputs"] == {
            "type": "array", "items": {"$ref": "#/components/schemas/ProductModelInput"},
            "description": "what one run consumes", "nullable": True}

    def test_the_stored_demo_model_conforms_to_its_response_schema(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.modelled_product()
        spec = me.client.get("/api/openapi.json").get_json()
        document = me.get(f"/api/v1/products/{product_id}/model").get_json()["document"]
        bare = me.get(f"/api/v1/products/{me.new_product()}/model").get_json()["document"]
        validator = OAS30Validator(
            {"$ref": "#/components/schemas/ProductModelDocument", **spec})
        assert list(validator.iter_errors(document)) == []
        assert list(validator.iter_errors(bare)) == []


class TestParameterSets:
    def test_a_parameter_set_computes_a_scenario_and_a_certifier_reproduces_it(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        document = bracket_document()
        document["parameters"] = [{"name": "coil", "value": 1.049}]
        document["parameter_sets"] = {"lighter": {"coil": 0.9}}
        slitting = document["processes"][0]
        assert slitting["inputs"][0]["from"] == {"background": SEED_IDS["hot-rolled-coil"]}
        slitting["inputs"][0]["amount"] = "coil"
        assert me.put(f"/api/v1/products/{product_id}/model",
                      {"document": document, "base_version": 0}).status_code == 200
        release = release_id(products_app)
        refused = me.post(f"/api/v1/products/{product_id}/compute",
                          {"release_id": release, "parameter_set": "heavier"})
        assert refused.status_code == 422
        assert "lighter" in refused.get_json()["errors"]["json"]["parameter_set"][0]
        for chosen in ("", "lighter"):
            me.post(f"/api/v1/products/{product_id}/compute",
                    {"release_id": release, "parameter_set": chosen})
        listed = me.get(f"/api/v1/products/{product_id}/results").get_json()
        lighter, plain = sorted(listed, key=lambda r: r["id"], reverse=True)  # newest first
        assert Decimal(lighter["headline"]) < Decimal(plain["headline"])
        result = me.get(f"/api/v1/results/{lighter['id']}").get_json()["result"]
        assert result["provenance"]["parameter_set"] == "lighter"
        assert result["provenance"]["parameters"] == {"coil": "0.9"}
        stored = me.get(f"/api/v1/products/{product_id}/model").get_json()["document"]
        built = compile_release(seed_releases()[FIRST])
        direct = compute_footprint(product_model_from_document(stored, parameter_set="lighter"),
                                   built.system, built.table)
        assert lighter["result_hash"] == direct.result_hash
