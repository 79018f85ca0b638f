"""Products over HTTP: a steel-bracket model built by forms (own processes, background and
supplier inputs, an emission, co-products with allocation), computed by a job, shown with
SVG charts in both languages; scenarios and comparison; the bulk recompute."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse as Response

from background_db.compile import compile_release
from lca_engine import compute_footprint, product_model_from_document
from portal.db.models import OrganisationKind

from .test_api import token_for
from .test_products_fixtures import (
    FIRST,
    GREEN,
    GRID,
    SECOND,
    Browser,
    app_with_releases,
    latest_document,
    publish_second_release,
    release_id,
    seed_releases,
)

CO2 = "Carbon dioxide, fossil|air"


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def create_product(browser: Browser, name: str, **fields: str) -> int:
    response = browser.post("/products/new", {"name": name, "declared_unit": "kilogram",
                                              **fields}, follow=False)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/products/(\d+)/model", response.headers["Location"])
    assert match
    return int(match.group(1))


def compute(browser: Browser, product_id: int, label: str = FIRST) -> tuple[int, str]:
    """Compute through the page; returns the result id and the result page."""
    response = browser.post(f"/products/{product_id}/compute",
                            {"release": release_id(browser.app, label)})
    assert response.status_code == 200
    match = re.search(rf"/products/{product_id}/results/(\d+)", response.request.path)
    assert match, response.get_data(as_text=True)
    return int(match.group(1)), str(response.get_data(as_text=True))


def headline(page: str) -> str:
    match = re.search(r'data-category="pcf_excluding_biogenic_uptake">([-0-9.]+)<', page)
    assert match, page
    return match.group(1)


def build_zinc_supplier(app: Flask) -> tuple[Browser, int, int]:
    """Another enterprise models zinc ingot, computes and publishes it."""
    zinc = Browser(app, "zinc@zinc.cn", "Zinc Co")
    product = create_product(zinc, "zinc ingot", internal_id="ZN-1")
    zinc.edit(product, "add-process", {"process_id": "smelting", "process_name": "smelting",
                                       "product_id": "zinc", "amount": "1", "unit": "kg"})
    zinc.edit(product, "add-input", {"process_id": "smelting", "name": "electricity",
                                     "amount": "3", "unit": "kWh",
                                     "provider": f"background:{GRID}"})
    zinc.edit(product, "add-emission", {"process_id": "smelting", "flow": CO2, "amount": "0.5",
                                        "unit": "kg"})
    result, _page = compute(zinc, product)
    zinc.post(f"/products/{product}/results/{result}/publish")
    return zinc, product, result


def build_bracket(bracket: Browser) -> int:
    """The steel bracket of examples/steel-bracket.yaml, on the seed release, by forms."""
    product = create_product(bracket, "Galvanised steel bracket / 镀锌钢支架",
                             gtin="4006381333931", cpc_class="42999",
                             period_start="2024-01-01", period_end="2024-12-31",
                             geography="CN-SX")
    steps = [
        ("add-process", {"process_id": "slitting", "process_name": "coil slitting",
                         "location": "CN-SX", "product_id": "strip",
                         "product_name": "steel strip", "amount": "1000", "unit": "kg"}),
        ("add-coproduct", {"process_id": "slitting", "product_id": "edge-trim",
                           "product_name": "edge trim scrap", "amount": "20", "unit": "kg",
                           "allocation": "mass"}),
        ("add-input", {"process_id": "slitting", "name": "hot-rolled coil", "amount": "1020",
                       "unit": "kg", "provider": "background:hot-rolled-coil-shanxi",
                       "dqr_technological": "2", "dqr_temporal": "1"}),
        ("add-input", {"process_id": "slitting", "name": "electricity", "amount": "8",
                       "unit": "kWh", "provider": f"background:{GRID}",
                       "data_type": "primary"}),
        ("add-process", {"process_id": "galvanising", "process_name": "hot-dip galvanising",
                         "product_id": "galvanised-strip", "amount": "1000", "unit": "kg",
                         "price": "5.2"}),
        ("add-coproduct", {"process_id": "galvanising", "product_id": "zinc-dross",
                           "amount": "6", "unit": "kg", "price": "9.0",
                           "allocation": "economic"}),
        ("add-input", {"process_id": "galvanising", "name": "steel strip", "amount": "1000",
                       "unit": "kg", "provider": "process:slitting/strip"}),
        ("add-input", {"process_id": "galvanising", "name": "zinc ingot", "amount": "52",
                       "unit": "kg", "provider": "SUPPLIER"}),
        ("add-input", {"process_id": "galvanising", "name": "natural gas", "amount": "900",
                       "unit": "MJ", "provider": "background:combustion-natural-gas",
                       "data_type": "primary"}),
        ("add-input", {"process_id": "galvanising", "name": "electricity", "amount": "35",
                       "unit": "kWh", "provider": f"background:{GRID}",
                       "data_type": "primary"}),
        ("add-emission", {"process_id": "galvanising", "flow": CO2, "amount": "1.2",
                          "unit": "kg"}),
        ("add-process", {"process_id": "forming", "process_name": "bracket forming",
                         "product_id": "bracket", "amount": "1", "unit": "kg"}),
        ("add-input", {"process_id": "forming", "name": "galvanised strip", "amount": "1.06",
                       "unit": "kg", "provider": "process:galvanising/galvanised-strip"}),
        ("add-input", {"process_id": "forming", "name": "electricity", "amount": "0.35",
                       "unit": "kWh", "provider": f"background:{GRID}",
                       "data_type": "primary"}),
        ("add-input", {"process_id": "forming", "name": "inbound road freight", "amount": "0.25",
                       "unit": "tkm", "provider": "background:lorry-transport-cn",
                       "packaging": "y"}),
        ("settings", {"release": FIRST, "reference": "forming/bracket"}),
    ]
    for action, data in steps:
        if data.get("provider") == "SUPPLIER":
            data["provider"] = supplier_option(bracket, product)
        page = bracket.edit(product, action, data)
        assert "已保存为模型第" in page, (action, re.findall(r'flash error">([^<]*)', page))
    return product


def supplier_option(bracket: Browser, product: int) -> str:
    page = bracket.page(f"/products/{product}/model")
    match = re.search(r'value="(supplier:\d+)"', page)
    assert match, page
    return match.group(1)


class TestSteelBracket:
    def test_the_result_page_shows_what_the_engine_computes_from_the_saved_model(
            self, products_app: Flask) -> None:
        build_zinc_supplier(products_app)
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = build_bracket(bracket)
        result_id, page = compute(bracket, product)

        document = latest_document(products_app, product)
        built = compile_release(seed_releases()[FIRST])
        expected = compute_footprint(product_model_from_document(document), built.system,
                                     built.table)
        assert headline(page) == expected.to_dict()["totals"]["pcf_excluding_biogenic_uptake"]
        assert Decimal(headline(page)) > 0
        assert {p["id"] for p in document["processes"]} == {"slitting", "galvanising",
                                                             "forming"}
        assert document["suppliers"][0]["company"] == "Zinc Co"
        assert page.count("<svg") == 3
        assert "按过程的贡献" in page
        assert "font-family=\"'Noto Sans CJK SC'" in page
        assert "CO2（化石）" in page
        assert "供应链" in page
        assert "<ul class=\"tree\">" in page
        assert f"/products/{product}/results/{result_id}" in bracket.page(
            f"/products/{product}")

    def test_the_result_page_speaks_english_when_chosen(self, products_app: Flask) -> None:
        build_zinc_supplier(products_app)
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = build_bracket(bracket)
        result_id, _page = compute(bracket, product)
        bracket.post("/language/en", {"next": "/"})
        page = bracket.page(f"/products/{product}/results/{result_id}")
        assert "Contribution by process (kg CO2e)" in page
        assert "CO2 (fossil)" in page
        assert "PCF excluding biogenic uptake" in page
        assert "按过程的贡献" not in page
        assert "<svg" in page


def xlsx_rows(data: bytes) -> dict[str, list[list[object]]]:
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(data))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def edited_xlsx(data: bytes, changes: dict[tuple[str, int, str], object]) -> bytes:
    """The workbook with cells changed: (sheet, row, column key) -> value."""
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(data))
    for (sheet, row, key), value in changes.items():
        headers = [str(c.value).split(" / ")[0] for c in book[sheet][1]]
        book[sheet].cell(row=row, column=headers.index(key) + 1, value=value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_parts(data: bytes) -> dict[str, bytes]:
    from io import BytesIO
    from zipfile import ZipFile

    with ZipFile(BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewritten_xlsx(data: bytes, changes: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """The workbook with some parts' XML rewritten, byte for byte."""
    from io import BytesIO
    from zipfile import ZipFile

    out = BytesIO()
    with ZipFile(out, "w") as archive:
        for name, part in xlsx_parts(data).items():
            archive.writestr(name, changes.get(name, lambda xml: xml)(part))
    return out.getvalue()


def upload(browser: Browser, product: int, data: bytes) -> Response:
    from io import BytesIO

    return browser.post(f"/products/{product}/model/upload", {
        "base_version": browser.model_version(product),
        "file": (BytesIO(data), "model.xlsx")}, content_type="multipart/form-data")


class TestTemplate:
    def test_a_downloaded_template_uploads_into_the_same_model(self,
                                                               products_app: Flask) -> None:
        build_zinc_supplier(products_app)
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = build_bracket(bracket)
        response = bracket.get(f"/products/{product}/model/template.xlsx")
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        sheets = xlsx_rows(response.data)
        assert list(sheets)[:3] == ["processes", "inputs", "emissions"]
        assert "process_id / 过程编号" in sheets["processes"][0]
        assert len(sheets["inputs"]) == 1 + 9

        copy = create_product(bracket, "bracket from the template", internal_id="B-2")
        page = upload(bracket, copy, response.data).get_data(as_text=True)
        assert "已保存为模型第 1 版" in page
        original, uploaded = (latest_document(products_app, p) for p in (product, copy))
        assert uploaded["processes"] == original["processes"]
        assert uploaded["suppliers"] == original["suppliers"]
        assert uploaded["product"]["reference_process"] == "forming"
        assert headline(compute(bracket, copy)[1]) == headline(compute(bracket, product)[1])

    def test_a_template_with_errors_is_refused_row_by_row(self, products_app: Flask) -> None:
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(bracket, "bracket", internal_id="B-1")
        bracket.edit(product, "add-process", {"process_id": "forming", "product_id": "bracket",
                                              "amount": "1", "unit": "kg"})
        bracket.edit(product, "add-input", {"process_id": "forming", "name": "power",
                                            "amount": "1", "unit": "kWh",
                                            "provider": f"background:{GRID}"})
        template = bracket.get(f"/products/{product}/model/template.xlsx").data
        bad = edited_xlsx(template, {
            ("processes", 2, "unit"): "kgg",
            ("inputs", 2, "amount"): "1,500",
            ("inputs", 3, "process_id"): "forming",
            ("inputs", 3, "input_name"): "coil",
            ("inputs", 3, "amount"): 1,
            ("inputs", 3, "unit"): "kg",
            ("inputs", 3, "provider_kind"): "background",
            ("inputs", 3, "provider"): "no-such-coil",
            ("emissions", 2, "process_id"): "nowhere",
            ("emissions", 2, "flow"): CO2,
            ("emissions", 2, "amount"): 1,
            ("emissions", 2, "unit"): "kg",
        })
        response = upload(bracket, product, bad)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "模板未保存" in page
        rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>(\w+)</td><td>([^<]*)</td>",
                          page)
        assert rows == [("processes", "2", "unit", "kgg"), ("inputs", "2", "amount", "1,500"),
                        ("inputs", "3", "provider", "no-such-coil"),
                        ("emissions", "2", "process_id", "nowhere")]
        assert bracket.model_version(product) == 2
        garbage = upload(bracket, product, b"not a workbook").get_data(as_text=True)
        assert "该文件不是 XLSX 工作簿" in garbage
        assert bracket.model_version(product) == 2


    @pytest.mark.parametrize(("part", "use"), [
        ("xl/worksheets/sheet1.xml", (b"</sheetData>", b'<row r="2"><c r="A2" t="inlineStr">'
                                      b"<is><t>&lol9;</t></is></c></row></sheetData>")),
        ("xl/workbook.xml", (b'name="processes"', b'name="&lol9;"')),  # a 500 before
    ])
    def test_a_template_whose_xml_declares_entities_is_refused_not_a_server_error(
            self, products_app: Flask, part: str, use: tuple[bytes, bytes]) -> None:
        from bench.bombs import LAUGHS

        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(bracket, "bracket", internal_id="B-1")
        template = bracket.get(f"/products/{product}/model/template.xlsx").data
        # openpyxl writes its parts without an XML declaration: the DTD goes first
        bomb = rewritten_xlsx(template, {part: lambda xml: LAUGHS + xml.replace(*use)})
        response = upload(bracket, product, bomb)
        assert response.status_code == 400
        rows = re.findall(r"<tr><td>([^<]*)</td><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                          r"<td>([^<]*)</td>", response.get_data(as_text=True))
        assert rows == [(part, "", "DOCTYPE", "lolz",
                         "工作簿的 XML 声明了文档类型（DTD），此类工作簿不予接受。")]
        assert bracket.model_version(product) == 0

    def test_a_template_whose_sheet_breaks_off_is_refused_at_that_row(
            self, products_app: Flask) -> None:
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(bracket, "bracket", internal_id="B-1")
        template = bracket.get(f"/products/{product}/model/template.xlsx").data
        broken = rewritten_xlsx(template, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
            b"</sheetData>", b'<row r="2"><c r="A2" t="s"><v>7</v></c></row></sheetData>')})
        response = upload(bracket, product, broken)  # no shared string 7: a 500 before
        assert response.status_code == 400
        assert "<tr><td>processes</td><td>2</td><td></td><td></td><td>从此行起无法读取该工作表。" \
               "</td></tr>" in response.get_data(as_text=True)

    def test_a_template_that_expands_past_64_mib_is_refused_before_it_is_read(
            self, products_app: Flask, tmp_path: Path) -> None:
        from bench.bombs import small, write_zip, zeros

        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(bracket, "bracket", internal_id="B-1")
        template = bracket.get(f"/products/{product}/model/template.xlsx").data
        sheet, gib = "xl/worksheets/sheet1.xml", 1024 ** 3
        members = [small(name, data) for name, data in xlsx_parts(template).items()
                   if name != sheet]
        members.append(dataclasses.replace(zeros(1024 ** 2, sheet), declared=3 * gib))
        response = upload(bracket, product, write_zip(tmp_path / "bomb.xlsx",
                                                      members).read_bytes())
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert f"<td>{sheet}</td><td></td><td>file_size</td><td>{3 * gib}</td><td>" \
               "工作簿解压后超过 67108864 字节；模型模板远小于此。</td>" in page
        assert bracket.model_version(product) == 0

    @pytest.mark.parametrize(("allocation", "method", "factors"), [
        ("mass", "mass", [None, None]),
        ({"method": "economic"}, "economic", [None, None]),
        ({"factors": {"strip": 0.9, "trim": 0.1}}, "mass", [0.9, 0.1]),
        ({"method": "factors", "factors": {"strip": 0.9, "trim": 0.1}}, "factors", [0.9, 0.1]),
    ])
    def test_the_template_downloads_for_every_shape_of_allocation(
            self, products_app: Flask, allocation: object, method: str,
            factors: list[float | None]) -> None:
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(bracket, "strip", internal_id="S-1")
        document = {"release": FIRST, "processes": [{
            "id": "slitting", "allocation": allocation, "products": [
                {"id": "strip", "amount": 1000, "unit": "kg",
                 "properties": {"mass": 1, "price": 5}},
                {"id": "trim", "amount": 20, "unit": "kg",
                 "properties": {"mass": 1, "price": 1}}],
            "inputs": [{"name": "electricity", "amount": 8, "unit": "kWh",
                        "from": {"background": GRID}}]}]}
        put = bracket.client.put(
            f"/api/v1/products/{product}/model",
            json={"document": document, "base_version": bracket.model_version(product)},
            headers={"Authorization": f"Bearer {token_for(products_app, bracket.user.id)}"})
        assert put.status_code == 200, put.get_json()
        response = bracket.get(f"/products/{product}/model/template.xlsx")
        assert response.status_code == 200
        header, *rows = xlsx_rows(response.data)["processes"]
        keys = [str(h).split(" / ")[0] for h in header]
        assert [(r[keys.index("product_id")], r[keys.index("allocation")],
                 r[keys.index("allocation_factor")]) for r in rows] == [
            ("strip", method, factors[0]), ("trim", method, factors[1])]
        label = {"mass": "质量", "economic": "经济价值", "factors": "系数"}[method]
        assert f"分配: {label}" in bracket.page(f"/products/{product}/model")


class TestScenarioAndRecompute:
    def test_a_green_electricity_scenario_is_compared_side_by_side(
            self, products_app: Flask) -> None:
        build_zinc_supplier(products_app)
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = build_bracket(bracket)
        _base_id, base_page = compute(bracket, product)
        response = bracket.post(f"/products/{product}/scenario", {"name": "绿电情景"},
                                follow=False)
        scenario = int(re.findall(r"/products/(\d+)/model", response.headers["Location"])[0])
        assert scenario != product
        page = bracket.edit(scenario, "replace", {"old": GRID, "new": GREEN})
        assert "已保存为模型第 2 版" in page
        _green_id, green_page = compute(bracket, scenario)
        before, after = headline(base_page), headline(green_page)
        assert Decimal(after) < Decimal(before)

        page = bracket.page(f"/products/{product}/compare/{scenario}")
        row = re.search(r"<tr><td>产品碳足迹（不含生物源碳吸收）</td>(.*?)</tr>", page, re.S)
        assert row, page
        cells = re.findall(r'<td class="number">([^<]*)</td>', row.group(1))
        assert cells[:3] == [before, after, str(Decimal(after) - Decimal(before))]
        assert "绿电情景" in page
        assert "electricity, grid, Shanxi (provincial average 2022) → " in page
        assert f"/products/{product}/compare/{scenario}" in bracket.page(
            f"/products/{scenario}")

    def test_recompute_all_shows_old_and_new_values_against_a_new_release(
            self, products_app: Flask) -> None:
        zinc, zinc_product, _result = build_zinc_supplier(products_app)
        bracket = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = build_bracket(bracket)
        before = headline(compute(bracket, product)[1])
        newer = publish_second_release(products_app)
        page = bracket.post("/products/recompute", {"release": newer}).get_data(as_text=True)
        assert f"基于 {SECOND}" in page
        row = re.search(r"Galvanised steel bracket / 镀锌钢支架</a></td>(.*?)</tr>", page, re.S)
        assert row, page
        assert before in row.group(1)
        assert FIRST in row.group(1)
        new = re.search(r'results/\d+">([-0-9.]+)</a>', row.group(1))
        assert new
        assert Decimal(new.group(1)) < Decimal(before)
        assert "zinc ingot" not in page  # another organisation's product
        assert bracket.page("/products/recompute").count("<tbody>") == 1  # the latest job
        assert "zinc ingot" in zinc.page("/products")
        assert zinc_product


class TestPages:
    def test_a_model_error_names_the_process_the_input_and_the_unit(
            self, products_app: Flask) -> None:
        browser = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(browser, "bracket", internal_id="B-1")
        browser.edit(product, "add-process", {"process_id": "forming", "product_id": "bracket",
                                              "amount": "1", "unit": "kg"})
        page = browser.edit(product, "add-input", {"process_id": "forming", "name": "power",
                                                   "amount": "2", "unit": "kg",
                                                   "provider": f"background:{GRID}"})
        (error,) = re.findall(r'flash error">([^<]*)<', page)
        assert "模型无法计算" in error
        assert "&#39;forming&#39;" in error
        assert "&#39;power&#39;" in error
        assert "&#39;kg&#39;" in error
        assert browser.model_version(product) == 1

    def test_a_running_job_page_refreshes_itself(self, products_app: Flask) -> None:
        import json as _json
        from datetime import UTC, datetime

        from portal.db.models import Job, JobStatus

        browser = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(browser, "bracket", internal_id="B-1")
        with products_app.extensions["pcf_db"].unit_of_work() as session:
            session.add(Job(id="job-1", kind="compute_footprint", status=JobStatus.RUNNING,
                            parameters=_json.dumps({"product_id": product}), progress=20,
                            message="Compiling the background release",
                            organisation_id=browser.user.organisation_id,
                            created_at=datetime.now(UTC)))
        response = browser.get(f"/products/{product}/jobs/job-1")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert response.headers["Refresh"] == "2"
        assert '<meta http-equiv="refresh" content="2">' in page
        assert "正在编译背景数据库版本" in page
        assert "20 %" in page

    def test_products_are_in_the_navigation_of_enterprises_only(self,
                                                                products_app: Flask) -> None:
        enterprise = Browser(products_app, "a@bracket.cn", "Bracket Co")
        association = Browser(products_app, "b@assoc.cn", "Assoc",
                              OrganisationKind.ASSOCIATION)
        assert '<a href="/products">产品</a>' in enterprise.page("/")
        assert '<a href="/products">' not in association.page("/")

    def test_the_product_description_can_be_changed(self, products_app: Flask) -> None:
        browser = Browser(products_app, "a@bracket.cn", "Bracket Co")
        product = create_product(browser, "bracket", internal_id="B-1")
        page = browser.post(f"/products/{product}", {
            "name": "bracket GS-40", "declared_unit": "kilogram", "gtin": "4006381333932",
            "internal_id": "B-1"}).get_data(as_text=True)
        assert "4006381333932" in page
        assert "校验位" in page
        page = browser.post(f"/products/{product}", {
            "name": "bracket GS-40", "declared_unit": "kilogram", "gtin": "4006381333931",
            "internal_id": "B-1"}).get_data(as_text=True)
        assert "产品已保存" in page
        assert "bracket GS-40" in browser.page("/products")
