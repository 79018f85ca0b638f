"""An association uploads a dataset in the browser, submits it, and the operator publishes
a release that compiles; an enterprise then sees it."""

from __future__ import annotations

import csv
from pathlib import Path

from background_db.importers.template import KEYS, header_cells

from .conftest import LiveServer, log_in, screenshot


def extension_csv(path: Path) -> Path:
    row = dict.fromkeys(KEYS, "")
    row.update(activity_id="electricity-grid-sx-e2e", activity_name="电力，山西电网（测试）",
               unit="kWh", replaces="electricity-grid-cn", geography="CN-SX",
               exchange="emission", target="Carbon dioxide, fossil", exchange_amount="0.7096",
               exchange_unit="kg", publisher="e2e", source="MEE/NBS 2022")
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header_cells())
        writer.writerow([row[k] for k in KEYS])
    return path


def test_association_uploads_and_operator_publishes(page: object, live_server: LiveServer,
                                                    tmp_path: Path) -> None:
    p = page
    log_in(p, live_server, "association@e2e.cn")
    p.goto(f"{live_server.url}/background/uploads")  # type: ignore[attr-defined]
    p.set_input_files("input[name=file]", str(extension_csv(tmp_path / "sx.csv")))  # type: ignore[attr-defined]
    p.fill("input[name=name]", "sx-e2e")  # type: ignore[attr-defined]
    p.fill("input[name=version]", "0.1.0")  # type: ignore[attr-defined]
    p.select_option("select[name=role]", "extension")  # type: ignore[attr-defined]
    p.click("main form.card button[type=submit]")  # type: ignore[attr-defined]
    screenshot(p, "upload-validated")
    p.click("main form[action$='/submit'] button")  # type: ignore[attr-defined]
    p.click("header button[type=submit] >> nth=0")  # log out  # type: ignore[attr-defined]

    log_in(p, live_server, "operator@e2e.cn")
    p.goto(f"{live_server.url}/background/review")  # type: ignore[attr-defined]
    assert "sx-e2e" in p.locator("main").inner_text()  # type: ignore[attr-defined]
    options = p.locator("select[name=base] option").all_inner_texts()  # type: ignore[attr-defined]
    assert any("cn-national" in text for text in options), options
    base = next(i for i, text in enumerate(options) if "cn-national" in text)
    p.select_option("select[name=base]", index=base)  # type: ignore[attr-defined]
    screenshot(p, "review")
    p.check("input[name=extensions]")  # the one extension: sx-e2e  # type: ignore[attr-defined]
    p.fill("main form.card input[name=name]", "shanxi-e2e")  # type: ignore[attr-defined]
    p.fill("main form.card input[name=version]", "1.0.0")  # type: ignore[attr-defined]
    p.click("main form.card button[type=submit]")  # type: ignore[attr-defined]
    p.goto(f"{live_server.url}/background/releases")  # type: ignore[attr-defined]
    assert "shanxi-e2e" in p.locator("main").inner_text()  # type: ignore[attr-defined]
    screenshot(p, "releases")
    p.click("text=shanxi-e2e")  # type: ignore[attr-defined]
    detail = p.locator("main").inner_text()  # type: ignore[attr-defined]
    assert "electricity-grid-cn" in detail
    screenshot(p, "release-detail")
