"""The product services the JSON API calls: one product's row, the latest model, replacing the
whole document, computing under AR5, a product's results, a result by id alone, and the paged
activity search."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.db.models import Job
from portal.services import catalogue, footprints, product_models, products
from portal.services import model_document as md
from portal.services.errors import InvalidInput, NotFound

from .test_api_products import bracket_document
from .test_products_fixtures import FIRST, GRID, app_with_releases, enterprise_user, release_id
from .test_products_services import me, new_product, uow


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def put_document(app: Flask, user: Any, product_id: int, document: dict[str, Any],
                 base_version: int = 0) -> int:
    with uow(app) as session:
        return product_models.edit_model(session, actor=me(session, user),
                                         product_id=product_id, base_version=base_version,
                                         edit=md.replace_document(document)).version


def compute(app: Flask, user: Any, product_id: int, gwp_set: str = "AR6") -> int:
    """Compute (inline) and return the footprint id."""
    with uow(app) as session:
        job_id = footprints.start_compute(app, session, actor=me(session, user),
                                          product_id=product_id,
                                          release_id=release_id(app), gwp_set=gwp_set)
    with uow(app) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return int(json.loads(job.result)["footprint_id"])


class TestReplaceDocument:
    def test_keeps_the_products_identity_and_the_lists_the_forms_edit(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user, "bracket")
        document = bracket_document()
        document["product"].update(id="someone-else", declared_unit="liter")
        assert put_document(products_app, user, product_id, document) == 1
        with uow(products_app) as session:
            version, stored = product_models.latest_model(session, me(session, user),
                                                          product_id)
        assert version is not None
        assert version.version == 1
        assert stored["product"]["id"] == "bracket"
        assert stored["product"]["declared_unit"] == "kilogram"
        assert stored["release"] == FIRST
        assert all(p["emissions"] == [] and p["tags"] == [] for p in stored["processes"])

    def test_keeps_the_release_when_the_document_names_none(self,
                                                            products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        put_document(products_app, user, product_id, bracket_document())
        unnamed = {k: v for k, v in bracket_document().items() if k != "release"}
        put_document(products_app, user, product_id, unnamed, base_version=1)
        with uow(products_app) as session:
            _version, stored = product_models.latest_model(session, me(session, user),
                                                           product_id)
        assert stored["release"] == FIRST

    def test_refuses_unknown_keys_and_unreadable_structure(self,
                                                           products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        with pytest.raises(InvalidInput, match="background"):
            put_document(products_app, user, product_id,
                         {**bracket_document(), "background": "x.yaml"})
        with pytest.raises(InvalidInput, match=r"processes\[0\]\.id"):
            put_document(products_app, user, product_id,
                         {**bracket_document(), "processes": [{"name": "no id"}]})


class TestQueries:
    def test_before_the_first_model_the_version_is_zero(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        with uow(products_app) as session:
            row = products.product_row(session, me(session, user), product_id)
            version, document = product_models.latest_model(session, me(session, user),
                                                             product_id)
        assert (row.versions, row.footprint, version) == (0, None, None)
        assert document == md.empty_document()

    def test_results_come_newest_first_with_version_release_and_gwp_set(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        put_document(products_app, user, product_id, bracket_document())
        first = compute(products_app, user, product_id)
        second = compute(products_app, user, product_id, gwp_set="AR5")
        with uow(products_app) as session:
            entries = footprints.results_of(session, me(session, user), product_id)
            row = products.product_row(session, me(session, user), product_id)
            page = footprints.result_by_id(session, me(session, user), first)
        assert [(e.footprint.id, e.version, e.release, e.footprint.gwp_set)
                for e in entries] == [(second, 1, FIRST, "AR5"), (first, 1, FIRST, "AR6")]
        assert row.footprint is not None
        assert row.footprint.id == second
        assert page.data["provenance"]["gwp_set"] == "AR6"
        assert page.product.id == product_id

    def test_an_unknown_gwp_set_is_refused_by_name(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        put_document(products_app, user, product_id, bracket_document())
        with pytest.raises(InvalidInput) as caught:
            compute(products_app, user, product_id, gwp_set="AR4")
        assert "AR4" in caught.value.errors["gwp_set"]

    def test_another_organisations_result_reads_as_a_missing_one(
            self, products_app: Flask) -> None:
        owner = enterprise_user(products_app, "a@one.cn", "One")
        other = enterprise_user(products_app, "b@two.cn", "Two")
        product_id = new_product(products_app, owner)
        put_document(products_app, owner, product_id, bracket_document())
        footprint_id = compute(products_app, owner, product_id)
        messages = []
        with uow(products_app) as session:
            for wanted in (footprint_id, 999999):
                with pytest.raises(NotFound) as caught:
                    footprints.result_by_id(session, me(session, other), wanted)
                messages.append(str(caught.value))
            with pytest.raises(NotFound):
                footprints.results_of(session, me(session, other), product_id)
            with pytest.raises(NotFound):
                products.product_row(session, me(session, other), product_id)
        assert messages[0] == messages[1]


class TestActivityPages:
    def test_pages_cover_the_matches_once_in_order(self, products_app: Flask) -> None:
        with uow(products_app) as session:
            everything, total = catalogue.search_page(session, release_id(products_app),
                                                      sector="electricity", limit=1000)
            pages = [catalogue.search_page(session, release_id(products_app),
                                           sector="electricity", offset=offset, limit=10)
                     for offset in range(0, total, 10)]
            record = catalogue.ready_release(session, release_id(products_app))
            first_hundred = catalogue.search_activities(catalogue.load_release(record),
                                                        sector="electricity")
        assert total == len(everything) == 33
        assert [a for page, _ in pages for a in page] == everything
        assert {count for _, count in pages} == {33}
        assert everything == first_hundred
        assert GRID in [a.id for a in everything]

    def test_a_release_that_is_not_ready_is_not_found(self, products_app: Flask) -> None:
        with uow(products_app) as session, pytest.raises(NotFound):
            catalogue.search_page(session, 999999)
