"""Who may open what on the product pages: anonymous users are sent to log in, the owner
enterprise sees its products, another enterprise gets "not found" (never "forbidden", which
would confirm the product exists), other organisation kinds are forbidden. A buyer linked to
a supplier's published footprint sees the published values and nothing else of it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from portal.db.models import OrganisationKind
from portal.services import footprints, scenarios
from portal.services import model_document as md
from portal.services import model_specs as ms

from .conftest import csrf_token
from .test_products_fixtures import (
    Browser,
    app_with_releases,
    enterprise_user,
    release_id,
)
from .test_products_services import compute, edit, footprint_of, forming, me, new_product, uow


@dataclass
class World:
    product: int
    scenario: int
    footprint: int
    job: str


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def owner_world(app: Flask) -> World:
    owner = enterprise_user(app, "owner@one.cn", "One")
    product = new_product(app, owner, "secret bracket")
    forming(app, owner, product)
    job = compute(app, owner, product)
    with uow(app) as session:
        scenario = scenarios.create_scenario(session, actor=me(session, owner),
                                             product_id=product, name="scenario").id
    compute(app, owner, scenario)
    return World(product, scenario, footprint_of(app, job).id, job.id)


GETS = [
    ("/products", {"owner": 200, "other": 200}),
    ("/products/new", {"owner": 200, "other": 200}),
    ("/products/recompute", {"owner": 200, "other": 200}),
    ("/products/{p}", {}),
    ("/products/{p}/model", {}),
    ("/products/{p}/model/template.xlsx", {}),
    ("/products/{p}/results/{f}", {}),
    ("/products/{p}/jobs/{j}", {"owner": 302}),  # a finished job leads to its result
    ("/products/{p}/compare/{s}", {}),
    ("/products/{s}/compare/{p}", {}),
]
POSTS = [
    ("/products/{p}", {"name": "x", "declared_unit": "kilogram", "internal_id": "x"}),
    ("/products/{p}/compute", {"release": "{r}"}),
    ("/products/{p}/scenario", {"name": "mine now"}),
    ("/products/{p}/model/add-process", {"base_version": "4", "process_id": "x",
                                         "product_id": "x", "amount": "1", "unit": "kg"}),
    ("/products/{p}/model/remove-input", {"base_version": "4", "process_id": "forming",
                                          "index": "0"}),
    ("/products/{p}/results/{f}/publish", {}),
]
DEFAULT = {"anonymous": 302, "owner": 200, "other": 404, "association": 403}


def fill(path: str, world: World, app: Flask) -> str:
    return path.format(p=world.product, s=world.scenario, f=world.footprint, j=world.job,
                       r=release_id(app))


def client_for(app: Flask, who: str) -> tuple[Browser | None, str]:
    if who == "anonymous":
        return None, ""
    kind = OrganisationKind.ASSOCIATION if who == "association" else (
        OrganisationKind.ENTERPRISE)
    organisation = {"owner": "One", "other": "Two", "association": "Assoc"}[who]
    return Browser(app, f"{who}2@{organisation.lower()}.cn", organisation, kind), organisation


@pytest.mark.parametrize("who", ["anonymous", "owner", "other", "association"])
def test_access_table(products_app: Flask, who: str) -> None:
    world = owner_world(products_app)
    browser, _organisation = client_for(products_app, who)
    client = browser.client if browser else products_app.test_client()
    for path, expected in GETS:
        status = client.get(fill(path, world, products_app)).status_code
        assert status == expected.get(who, DEFAULT[who]), (path, who, status)
    token = browser.token if browser else csrf_token(client)
    for path, data in POSTS:
        form = {k: fill(v, world, products_app) for k, v in data.items()}
        status = client.post(fill(path, world, products_app),
                             data={"csrf_token": token, **form}).status_code
        expected = {"owner": 302}.get(who, DEFAULT[who])
        assert status == expected, (path, who, status)


def test_another_enterprise_learns_nothing_of_the_product(products_app: Flask) -> None:
    world = owner_world(products_app)
    other = Browser(products_app, "b@two.cn", "Two")
    pages = [other.get(fill(p, world, products_app)) for p, _e in GETS]
    text = "".join(r.get_data(as_text=True) for r in pages)
    assert "secret bracket" not in text
    assert "hot-rolled coil" not in text
    assert all(r.status_code in (200, 404) for r in pages)
    assert len(other.page("/products").split("<tbody>")) == 1  # no product rows at all


def test_a_buyer_sees_a_suppliers_published_values_and_nothing_else(
        products_app: Flask) -> None:
    supplier = enterprise_user(products_app, "s@zinc.cn", "Zinc Co")
    zinc = new_product(products_app, supplier, "zinc ingot")
    edit(products_app, supplier, zinc, md.add_process(
        id="secret-recipe", name="secret smelting recipe", location="CN-SX", tags=(),
        product=ms.ProductSpec("zinc", "zinc", 1, "kg")))
    edit(products_app, supplier, zinc, md.add_input("secret-recipe", ms.InputSpec(
        "secret flux", 0.7, "kg", "background", "coke-shanxi")))
    published = footprint_of(products_app, compute(products_app, supplier, zinc))
    with uow(products_app) as session:
        footprints.publish(session, actor=me(session, supplier), product_id=zinc,
                           footprint_id=published.id)
    unpublished = new_product(products_app, supplier, "unpublished alloy")
    forming(products_app, supplier, unpublished)
    draft = footprint_of(products_app, compute(products_app, supplier, unpublished))

    buyer = Browser(products_app, "b@bracket.cn", "Bracket")
    product = new_product(products_app, buyer.user, "bracket")
    forming(products_app, buyer.user, product)
    model_page = buyer.page(f"/products/{product}/model")
    options = re.findall(r'value="supplier:(\d+)">([^<]*)<', model_page)
    assert len(options) == 1
    assert "zinc ingot" in options[0][1]
    assert published.headline in options[0][1]
    page = buyer.edit(product, "add-input", {"process_id": "forming", "name": "zinc",
                                             "amount": "0.05", "unit": "kg",
                                             "provider": f"supplier:{options[0][0]}"})
    assert "已保存为模型第 5 版" in page
    result = buyer.post(f"/products/{product}/compute", {"release": release_id(products_app)})
    text = result.get_data(as_text=True) + buyer.page(f"/products/{product}/model")
    assert "Zinc Co" in text
    for secret in ("secret smelting recipe", "secret-recipe", "secret flux",
                   "unpublished alloy"):
        assert secret not in text, secret
    for path in (f"/products/{zinc}", f"/products/{zinc}/model",
                 f"/products/{zinc}/results/{published.id}",
                 f"/products/{unpublished}/results/{draft.id}",
                 f"/products/{zinc}/model/template.xlsx"):
        assert buyer.get(path).status_code == 404, path
    refused = buyer.edit(product, "add-input", {"process_id": "forming", "name": "alloy",
                                                "amount": "1", "unit": "kg",
                                                "provider": f"supplier:{draft.id}"})
    assert "已保存" not in refused
    assert "没有该已发布足迹" in refused
    with uow(products_app) as session:
        stored = json.loads(footprints.owned_footprint(
            session, me(session, buyer.user), product, int(re.findall(
                r"/results/(\d+)", result.request.path)[0]))[1].result)
    assert stored["contributions"]["by_supplier"][0]["label"] == "Zinc Co: zinc ingot"
