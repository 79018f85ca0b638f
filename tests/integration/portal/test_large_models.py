"""Big and hostile model documents: a model past the process limit is refused before any
work, a large one pages its processes, and JSON bodies nested too deep or carrying numbers
out of range are refused naming the path (400), never a server error."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.services.model_document import MAX_PROCESSES

from .conftest import login
from .test_api_products import Caller, bracket_document
from .test_products_fixtures import app_with_releases


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def with_copies(count: int) -> dict[str, Any]:
    """The bracket model plus *count* copies of its slitting process (ids p-0, p-1, ...)."""
    document = bracket_document()
    template = document["processes"][0]
    for number in range(count):
        extra = copy.deepcopy(template)
        extra["id"], extra["name"] = f"p-{number}", f"copy {number}"
        document["processes"].append(extra)
    return document


def test_a_model_past_the_process_limit_is_refused_with_the_counts(
        products_app: Flask) -> None:
    me = Caller(products_app, "a@one.cn", "One")
    product_id = me.new_product()
    document = bracket_document()
    document["processes"] += [{"id": f"x{i}"} for i in range(MAX_PROCESSES)]
    response = me.put(f"/api/v1/products/{product_id}/model",
                      {"document": document, "base_version": 0})
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["json"]["processes"]
    assert message == (f"A model holds at most {MAX_PROCESSES:,} processes; this one has "
                       f"{MAX_PROCESSES + 4:,}. Model large upstream systems as a background "
                       f"dataset or as suppliers' footprints.")
    assert me.get(f"/api/v1/products/{product_id}/model").get_json()["version"] == 0


def test_the_model_page_shows_one_page_of_processes_and_finds_any(
        products_app: Flask) -> None:
    me = Caller(products_app, "a@one.cn", "One")
    product_id = me.new_product()
    assert me.put(f"/api/v1/products/{product_id}/model",
                  {"document": with_copies(57), "base_version": 0}).status_code == 200
    browser = products_app.test_client()
    assert login(browser, "a@one.cn") == 302
    first = browser.get(f"/products/{product_id}/model").get_data(as_text=True)
    assert first.count('<section class="process">') == 25
    # processes 1-25 of 61 matching, of 61 in the model (4 of the example + 57 copies)
    assert re.search(r"<span>[^<]*1–25[^<]*61[^<]*61[^<]*</span>", first)
    third = browser.get(f"/products/{product_id}/model?page=3").get_data(as_text=True)
    assert third.count('<section class="process">') == 11
    found = browser.get(f"/products/{product_id}/model?process=p-42").get_data(as_text=True)
    assert found.count('<section class="process">') == 1
    assert "<code>p-42</code>" in found
    select = re.search(r'<select name="process_id">(.*?)</select>', found, re.S)
    assert select is not None
    assert select.group(1).count("<option") == 1
    beyond = browser.get(f"/products/{product_id}/model?page=99999999999999999999")
    assert beyond.status_code == 200


class TestHostileBodies:
    def test_json_nested_thousands_deep_is_a_400_naming_the_path(
            self, products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        body = '{"base_version": 0, "document": {"flows": ' + "[" * 5000 + "]" * 5000 + "}}"
        response = me.client.put(f"/api/v1/products/{product_id}/model", data=body,
                                 headers={**me.headers, "Content-Type": "application/json"})
        assert response.status_code == 400
        errors = response.get_json()["errors"]["json"]
        (path,) = errors
        assert path.startswith("$.document.flows[0][0]")
        assert errors[path] == ["nested deeper than 64 levels"]

    @pytest.mark.parametrize(("literal", "reason"), [
        ("1" * 300, "out of range"), ("-" + "9" * 25, "out of range"),
        ("1e999", "too large to represent"), ("NaN", "not a JSON number")])
    def test_numbers_out_of_range_are_a_400_naming_the_path(
            self, products_app: Flask, literal: str, reason: str) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.new_product()
        body = json.dumps({"document": {"processes": []}, "base_version": 0})
        body = body.replace('"base_version": 0', f'"base_version": {literal}')
        response = me.client.put(f"/api/v1/products/{product_id}/model", data=body,
                                 headers={**me.headers, "Content-Type": "application/json"})
        assert response.status_code == 400
        (message,) = response.get_json()["errors"]["json"]["$.base_version"]
        assert reason in message

    def test_an_id_past_64_bits_is_refused_in_bodies_and_paths(self,
                                                               products_app: Flask) -> None:
        me = Caller(products_app, "a@one.cn", "One")
        product_id = me.modelled_product()
        response = me.post(f"/api/v1/products/{product_id}/compute",
                           {"release_id": 2**63})
        assert response.status_code in (400, 422)
        assert me.get(f"/api/v1/products/{2**64}").status_code == 404
        assert me.get(f"/api/v1/results/{'9' * 5000}").status_code == 404
