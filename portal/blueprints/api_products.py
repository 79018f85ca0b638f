"""Products in the JSON API: an enterprise's products, their model documents, compute jobs and
results, and the search over a release's activities that models link to. Bearer tokens as in
`api`; service errors become JSON: 403, 404 (also for other organisations' objects), 409, and
422 with `errors: {"json": {field: [message]}}` as for malformed requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import Session

from portal.blueprints import api_schemas as s
from portal.blueprints.api import api_blueprint, api_user, authenticate
from portal.blueprints.product_support import this_app
from portal.db.models import FootprintRecord, OrganisationKind, ProductModelVersion, User
from portal.services import catalogue, footprints, product_models, products
from portal.services import model_document as md
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from portal.web import database

blueprint = api_blueprint("api-products",
                          "An enterprise's products, models, computations and results")
blueprint.before_request(authenticate)

_STATUS = ((NotFound, 404), (Forbidden, 403), (Conflict, 409), (InvalidInput, 422))


@blueprint.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[Response, int]:
    code = next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase,
                            "message": str(exc)}
    if isinstance(exc, InvalidInput):
        body["errors"] = {"json": {field: [message] for field, message in exc.errors.items()}}
    return jsonify(body), code


@contextmanager
def enterprise() -> Iterator[tuple[Session, User]]:
    """A unit of work and the caller loaded in it; 403 unless the caller is an enterprise."""
    with database().unit_of_work() as db:
        user = db.get(User, api_user().id)
        assert user is not None
        if user.organisation.kind is not OrganisationKind.ENTERPRISE:
            abort(403, message="Only enterprises have products.")
        yield db, user


def _latest(footprint: FootprintRecord | None) -> dict[str, Any] | None:
    if footprint is None:
        return None
    return {"id": footprint.id, "headline": footprint.headline, "gwp_set": footprint.gwp_set,
            "release_id": footprint.release_id, "created_at": footprint.created_at}


def _product(row: products.ProductRow) -> dict[str, Any]:
    return {"id": row.product.id, **asdict(products.fields_of(row.product)),
            "scenario_of": row.product.scenario_of_id, "model_version": row.versions,
            "latest_result": _latest(row.footprint)}


def _model(product_id: int, version: ProductModelVersion | None,
           document: dict[str, Any]) -> dict[str, Any]:
    return {"product_id": product_id, "version": version.version if version else 0,
            "model_hash": version.model_hash if version else "",
            "created_at": version.created_at if version else None, "document": document}


def _summary(footprint: FootprintRecord, version: int, release: str) -> dict[str, Any]:
    return {**(_latest(footprint) or {}), "product_id": footprint.product_id,
            "model_version": version, "release": release,
            "result_hash": footprint.result_hash}


@blueprint.route("/products")
class Products(MethodView):
    @blueprint.response(200, s.ProductSchema(many=True))
    @blueprint.alt_response(403, response="FORBIDDEN")
    def get(self) -> list[dict[str, Any]]:
        """The products of the caller's enterprise, with their latest version and result."""
        with enterprise() as (db, user):
            return [_product(row) for row in products.list_products(db, user)]

    @blueprint.arguments(s.ProductInSchema)
    @blueprint.response(201, s.ProductSchema)
    @blueprint.alt_response(403, response="FORBIDDEN")
    def post(self, data: dict[str, str]) -> dict[str, Any]:
        """Create a product of the caller's enterprise (422 names each wrong field)."""
        with enterprise() as (db, user):
            product = products.create_product(db, actor=user,
                                              fields=products.ProductFields(**data))
            return _product(products.ProductRow(product, 0, None))


@blueprint.route("/products/<int:product_id>")
class ProductDetail(MethodView):
    @blueprint.response(200, s.ProductSchema)
    @blueprint.alt_response(404, response="NOT_FOUND")
    def get(self, product_id: int) -> dict[str, Any]:
        """One product of the caller's enterprise (404 for any other)."""
        with enterprise() as (db, user):
            return _product(products.product_row(db, user, product_id))


@blueprint.route("/products/<int:product_id>/model")
class Model(MethodView):
    @blueprint.response(200, s.ModelSchema)
    @blueprint.alt_response(404, response="NOT_FOUND")
    def get(self, product_id: int) -> dict[str, Any]:
        """The product's latest model document and its version (0 before the first)."""
        with enterprise() as (db, user):
            version, document = product_models.latest_model(db, user, product_id)
            return _model(product_id, version, document)

    @blueprint.arguments(s.ModelPutSchema)
    @blueprint.response(200, s.ModelSchema)
    @blueprint.alt_response(404, response="NOT_FOUND")
    @blueprint.alt_response(409, response="CONFLICT")
    def put(self, data: dict[str, Any], product_id: int) -> dict[str, Any]:
        """Replace the whole model document, saved as a new version once it computes."""
        with enterprise() as (db, user):
            version = product_models.edit_model(
                db, actor=user, product_id=product_id, base_version=data["base_version"],
                edit=md.replace_document(data["document"]))
            return _model(product_id, version, product_models.document_of(version))


@blueprint.route("/products/<int:product_id>/compute")
class Compute(MethodView):
    @blueprint.arguments(s.ComputeSchema)
    @blueprint.response(202, s.JobAcceptedSchema)
    @blueprint.alt_response(404, response="NOT_FOUND")
    @blueprint.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], product_id: int) -> dict[str, str]:
        """Compute the latest model against a release as a job; poll its status_url."""
        with enterprise() as (db, user):
            job_id = footprints.start_compute(this_app(), db, actor=user,
                                              product_id=product_id,
                                              release_id=data["release_id"],
                                              gwp_set=data["gwp_set"],
                                              parameter_set=data["parameter_set"])
        return {"job_id": job_id, "status_url": url_for("api.Jobs", job_id=job_id)}


@blueprint.route("/products/<int:product_id>/results")
class ProductResults(MethodView):
    @blueprint.response(200, s.ResultSummarySchema(many=True))
    @blueprint.alt_response(404, response="NOT_FOUND")
    def get(self, product_id: int) -> list[dict[str, Any]]:
        """The product's computed results, newest first."""
        with enterprise() as (db, user):
            return [_summary(e.footprint, e.version, e.release)
                    for e in footprints.results_of(db, user, product_id)]


@blueprint.route("/results/<int:footprint_id>")
class Result(MethodView):
    @blueprint.response(200, s.ResultSchema)
    @blueprint.alt_response(404, response="NOT_FOUND")
    def get(self, footprint_id: int) -> dict[str, Any]:
        """A stored result document (decimal strings) and what produced it."""
        with enterprise() as (db, user):
            page = footprints.result_by_id(db, user, footprint_id)
            return {**_summary(page.footprint, page.version, page.release),
                    "published": page.published, "result": page.data}


@blueprint.route("/releases/<int:release_id>/activities")
class Activities(MethodView):
    @blueprint.arguments(s.ActivityQuerySchema, location="query")
    @blueprint.response(200, s.ActivitySchema(many=True))
    @blueprint.alt_response(404, response="NOT_FOUND")
    @blueprint.paginate(page_size=50, max_page_size=200)
    def get(self, query: dict[str, str], release_id: int,
            pagination_parameters: Any) -> list[dict[str, str]]:
        """Search a published release's activities by name or id, sector and geography."""
        with database().unit_of_work() as db:
            found, total = catalogue.search_page(
                db, release_id, name=query["q"], sector=query["sector"],
                geography=query["geography"], offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [asdict(choice) for choice in found]
