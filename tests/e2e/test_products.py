"""An enterprise creates a product in the browser, builds its model by the forms (its own
process, a background input found with the activity search, a direct emission) and by the
XLSX template, computes it against a READY release and reads the result with its charts; another
enterprise cannot open it. Screenshots of the pages in Chinese and English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from background_db.importers.template import import_template
from background_db.release import compose
from background_db.store import BackgroundStore
from portal.db.models import ReleaseRecord, ReleaseStatus

from .conftest import LiveServer, log_in, screenshot

if TYPE_CHECKING:
    from openpyxl.cell import Cell
    from playwright.sync_api import Browser, Locator, Page

RELEASE = ("shanxi-products-e2e", "1.0.0")
LABEL = "@".join(RELEASE)
GRID = "elec-grid-provincial-shanxi-2022"  # 0.7096 kg fossil CO2 per kWh, nothing upstream
NATIONAL = "elec-grid-national-china-2022"  # 0.5366 kg fossil CO2 per kWh
CO2 = "Carbon dioxide, fossil|air"
NAME = "镀锌钢支架（浏览器测试）"
HEADLINE = "pcf_excluding_biogenic_uptake"


@dataclass(frozen=True)
class Built:
    """The product the first enterprise built by forms, and its first result."""

    product_id: int
    result_path: str

    @property
    def product_path(self) -> str:
        return f"/products/{self.product_id}"


@pytest.fixture(scope="module")
def ready_release(live_server: LiveServer) -> str:
    """The seed national base composed into a release, stored and recorded READY (as the
    operator's publish job leaves it); returns its label."""
    app = live_server.app
    with resources.as_file(resources.files("background_db") / "seed"
                           / "national-base.csv") as path:
        base = import_template(path, name="cn-national", version="2026.1.0")
    release = compose(*RELEASE, base)
    BackgroundStore(app.extensions["pcf_settings"].background_store).put_release(release)
    with app.extensions["pcf_db"].unit_of_work() as session:
        session.add(ReleaseRecord(
            name=release.name, version=release.version, content_hash=release.content_hash,
            base="cn-national@2026.1.0", extensions="[]", status=ReleaseStatus.READY,
            published_at=datetime.now(UTC)))
    return LABEL


def sign_in(p: Page, server: LiveServer, email: str) -> None:
    log_in(p, server, email)
    p.wait_for_url(lambda url: not url.endswith("/login"))


def submit(p: Page, form: str) -> None:
    """Click the submit button of a form in `main` and wait for the page it leads to."""
    with p.expect_navigation():
        p.click(f"main {form} button[type=submit]")


def attribute(element: Locator, name: str) -> str:
    value = element.get_attribute(name)
    assert value is not None, name
    return value


def errors(p: Page) -> list[str]:
    return list(p.locator("main p.flash.error").all_inner_texts())


def model_form(action: str) -> str:
    return f"form[action$='/model/{action}']"


def edit_model(p: Page, action: str, fields: dict[str, str],
               selects: dict[str, str] | None = None) -> None:
    """Fill one form of the model page, submit it, and check a new version was saved."""
    form = model_form(action)
    before = int(attribute(p.locator(f"main {form} input[name=base_version]"), "value"))
    for name, value in fields.items():
        p.fill(f"main {form} [name={name}]", value)
    for name, value in (selects or {}).items():
        p.select_option(f"main {form} select[name={name}]", value)
    submit(p, form)
    assert not errors(p), (action, errors(p))
    after = p.locator(f"main {model_form('upload')} input[name=base_version]")
    assert after.get_attribute("value") == str(before + 1), action


def compute(p: Page, product_id: int, release: str) -> str:
    """Compute the latest model on the product page; returns the result page's path."""
    p.goto(p.url.split("/products/")[0] + f"/products/{product_id}")
    p.select_option("main form[action$='/compute'] select[name=release]", label=release)
    submit(p, "form[action$='/compute']")
    match = re.search(rf"(/products/{product_id}/results/\d+)$", p.url)
    assert match, (p.url, p.locator("main").inner_text())
    return match.group(1)


def totals(p: Page) -> dict[str, Decimal]:
    cells = p.locator("main table.totals td[data-category]")
    return {attribute(cells.nth(i), "data-category"): Decimal(cells.nth(i).inner_text())
            for i in range(cells.count())}


def primary_share(p: Page) -> Decimal:
    return Decimal(attribute(p.locator("main span.pds"), "title"))


def chart_texts(p: Page, chart: str) -> list[str]:
    return list(p.locator(f"main svg#{chart} text").all_text_contents())


@pytest.fixture(scope="module")
def by_forms(browser: Browser, live_server: LiveServer, ready_release: str) -> Built:
    """Scenario 1 in the browser: create the product by its form, build the model by the
    model page's forms, compute it against the READY release."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        return build_by_forms(context.new_page(), live_server, ready_release)
    finally:
        context.close()


def build_by_forms(p: Page, live_server: LiveServer, ready_release: str) -> Built:
    sign_in(p, live_server, "enterprise@e2e.cn")
    p.goto(f"{live_server.url}/products")
    with p.expect_navigation():
        p.click("main a[href$='/products/new']")
    p.fill("main input[name=name]", NAME)
    p.fill("main input[name=gtin]", "4006381333931")
    p.fill("main input[name=internal_id]", "E2E-BRACKET")
    p.select_option("main select[name=declared_unit]", "kilogram")
    p.fill("main input[name=geography]", "CN-SX")
    submit(p, "form.card")
    assert not errors(p), errors(p)
    match = re.search(r"/products/(\d+)/model$", p.url)
    assert match, p.url
    product_id = int(match.group(1))

    edit_model(p, "add-process", {"process_id": "forming", "process_name": "支架成形",
                                  "location": "CN-SX", "product_id": "bracket",
                                  "product_name": "支架", "amount": "1", "unit": "kg"})
    # the activity search narrows the providers offered to the Shanxi grid
    p.fill("main form[method=get] input[name=q]", "Shanxi")
    p.fill("main form[method=get] input[name=sector]", "electricity")
    submit(p, "form[method=get]")
    assert "q=Shanxi" in p.url
    offered = p.locator(f"main {model_form('add-input')} select[name=provider] "
                        "option[value^='background:']")
    assert offered.count() >= 1
    assert all("Shanxi" in text for text in offered.all_inner_texts()), \
        offered.all_inner_texts()
    assert offered.evaluate_all("os => os.map(o => o.value)").count(f"background:{GRID}") == 1
    edit_model(p, "add-input", {"name": "电力", "amount": "10", "unit": "kWh"},
               {"process_id": "forming", "provider": f"background:{GRID}",
                "data_type": "secondary", "dqr_technological": "2"})
    edit_model(p, "add-emission", {"amount": "0.5", "unit": "kg"},
               {"process_id": "forming", "flow": CO2, "data_type": "primary"})
    edit_model(p, "settings", {}, {"release": ready_release, "reference": "forming/bracket"})

    process = p.locator("main section.process")
    assert process.count() == 1
    text = process.inner_text()
    for shown in ("支架成形", "forming", GRID, "10 kWh", "Carbon dioxide, fossil", "0.5 kg"):
        assert shown in text, (shown, text)
    assert ready_release in p.locator("main > p:not(.flash)").first.inner_text()

    return Built(product_id, compute(p, product_id, ready_release))


def test_a_model_built_by_forms_computes_to_totals_share_and_charts(
        page: Page, live_server: LiveServer, by_forms: Built) -> None:
    p = page
    sign_in(p, live_server, "enterprise@e2e.cn")
    p.goto(live_server.url + by_forms.result_path)
    assert NAME in p.locator("main h1").inner_text()
    values = totals(p)
    # 10 kWh of the Shanxi grid at 0.7096 kg CO2/kWh (secondary) + 0.5 kg CO2 emitted (primary)
    assert values[HEADLINE] == Decimal("7.596"), values
    assert values["pcf_including_biogenic_uptake"] == Decimal("7.596"), values
    assert primary_share(p) == pytest.approx(Decimal("0.5") / Decimal("7.596") * 100,
                                             rel=Decimal("1e-6"))
    charts = p.locator("main figure svg")
    assert charts.count() == 3
    for i in range(3):
        assert charts.nth(i).is_visible()
        box = charts.nth(i).bounding_box()
        assert box is not None
        assert box["width"] > 300, box
        assert box["height"] > 40, box
    process_chart = chart_texts(p, "chart-process")
    assert any("按过程的贡献" in t for t in process_chart), process_chart
    assert "支架成形" in process_chart or "forming" in process_chart, process_chart
    assert any("CO2（化石）" in t for t in chart_texts(p, "chart-gas"))
    inputs = " ".join(chart_texts(p, "chart-input"))
    assert "电力" in inputs or "Shanxi" in inputs, inputs
    assert p.locator("main ul.tree li").count() >= 2
    screenshot(p, "products-result-forms-zh")


def test_the_model_by_the_xlsx_template_replaces_it_and_computes(
        page: Page, live_server: LiveServer, by_forms: Built, tmp_path: Path) -> None:
    p = page
    sign_in(p, live_server, "enterprise@e2e.cn")
    p.goto(f"{live_server.url}{by_forms.product_path}/model")
    with p.expect_download() as info:
        p.click("main a[href$='/model/template.xlsx']")
    download = info.value
    assert download.suggested_filename == f"product-{by_forms.product_id}-model.xlsx"
    path = tmp_path / "model.xlsx"
    download.save_as(path)

    book = load_workbook(path)
    columns = {sheet.title: [str(c.value).split(" / ")[0] for c in sheet[1]]
               for sheet in book.worksheets}
    processes, inputs, emissions = book["processes"], book["inputs"], book["emissions"]
    assert [processes.max_row, inputs.max_row, emissions.max_row] == [2, 2, 2]

    def cell(sheet: str, row: int, key: str) -> Cell:
        return book[sheet].cell(row=row, column=columns[sheet].index(key) + 1)

    assert cell("processes", 2, "process_id").value == "forming"
    assert cell("inputs", 2, "provider").value == GRID
    assert cell("emissions", 2, "flow").value == CO2
    cell("inputs", 2, "amount").value = 20
    cell("inputs", 2, "data_type").value = "primary"
    for key, value in (("process_id", "forming"), ("input_name", "外购电力（全国）"),
                       ("amount", 5), ("unit", "kWh"), ("provider_kind", "background"),
                       ("provider", NATIONAL), ("data_type", "secondary")):
        cell("inputs", 3, key).value = value
    cell("emissions", 2, "amount").value = 1
    book.save(path)

    before = p.locator(f"main {model_form('upload')} input[name=base_version]")
    version = int(attribute(before, "value"))
    p.set_input_files(f"main {model_form('upload')} input[name=file]", str(path))
    submit(p, model_form("upload"))
    assert not errors(p), errors(p)
    assert p.locator("main table.issues").count() == 0
    after = p.locator(f"main {model_form('upload')} input[name=base_version]")
    assert after.get_attribute("value") == str(version + 1)
    text = p.locator("main section.process").inner_text()
    for shown in ("20 kWh", NATIONAL, "外购电力（全国）", "1 kg"):
        assert shown in text, (shown, text)
    screenshot(p, "products-model-after-xlsx-zh")

    result_path = compute(p, by_forms.product_id, LABEL)
    assert result_path != by_forms.result_path
    values = totals(p)
    # 20 kWh x 0.7096 (primary) + 5 kWh x 0.5366 (secondary) + 1 kg CO2 emitted (primary)
    assert values[HEADLINE] == Decimal("17.875"), values
    assert primary_share(p) == pytest.approx(Decimal("15.192") / Decimal("17.875") * 100,
                                             rel=Decimal("1e-6"))
    assert p.locator("main figure svg").count() == 3
    assert "外购电力（全国）" in " ".join(chart_texts(p, "chart-input"))
    screenshot(p, "products-result-xlsx-zh")


def test_another_enterprise_cannot_open_the_product_or_its_result(
        page: Page, live_server: LiveServer, by_forms: Built) -> None:
    p = page
    sign_in(p, live_server, "other@e2e.cn")
    for path in (by_forms.product_path, f"{by_forms.product_path}/model",
                 by_forms.result_path):
        response = p.goto(live_server.url + path)
        assert response is not None
        assert response.status == 404, (path, response.status)
        assert p.locator("main h1").inner_text() == "未找到", path
        assert NAME not in p.content(), path
        assert "E2E-BRACKET" not in p.content(), path
    screenshot(p, "products-other-enterprise-result-404")
    template = p.request.get(f"{live_server.url}{by_forms.product_path}/model/template.xlsx")
    assert template.status == 404
    assert NAME not in template.text()
    p.goto(f"{live_server.url}/products")
    assert NAME not in p.locator("main").inner_text()


def test_screenshots_of_the_product_pages_in_chinese_and_english(
        page: Page, live_server: LiveServer, by_forms: Built) -> None:
    p = page
    sign_in(p, live_server, "enterprise@e2e.cn")
    p.goto(f"{live_server.url}/products")
    row = p.locator("main table tbody tr", has_text=NAME)
    assert row.count() == 1
    assert row.locator("a[href*='/results/']").count() == 1
    screenshot(p, "products-list-zh")

    p.goto(f"{live_server.url}{by_forms.product_path}/model")
    assert p.locator("main section.process").count() == 1
    screenshot(p, "products-model-zh")

    p.goto(live_server.url + by_forms.result_path)
    assert p.locator("main figure svg").first.is_visible()
    assert p.evaluate("document.documentElement.lang") == "zh-CN"
    screenshot(p, "products-result-charts-zh")

    with p.expect_navigation():
        p.click("header form[action$='/language/en'] button")
    assert p.url.endswith(by_forms.result_path)
    assert p.evaluate("document.documentElement.lang") == "en"
    assert p.locator("main h1").inner_text().startswith("Footprint of")
    texts = chart_texts(p, "chart-process")
    assert any("Contribution by process" in t for t in texts), texts
    assert not any("按过程的贡献" in t for t in texts), texts
    assert any("CO2 (fossil)" in t for t in chart_texts(p, "chart-gas"))
    assert p.locator("main figure svg").first.is_visible()
    screenshot(p, "products-result-charts-en")
