"""Certification in the browser: the demo enterprise computes and submits its demo product with
a supporting document; the demo body's certifier starts the review, reproduces the calculation,
comments on a process and requests a change; the enterprise resubmits; the certifier verifies
and approves; the signer issues the label; the public page behind the label's QR code says
"valid", and "revoked" after the signer revokes it. Screenshots of each stage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from background_db.store import BackgroundStore
from label_cert import qr
from portal.db.models import CarbonLabel, User
from portal.services import accounts
from portal.services.demo import ensure_demo
from portal.services.demo_product import ensure_demo_product

from .conftest import PASSWORD, LiveServer, log_in, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ENTERPRISE, CERTIFIER, SIGNER = "enterprise@demo.pcf", "certifier@demo.pcf", "signer@demo.pcf"


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> int:
    """The demo organisations, seed release and demo product; known passwords. Returns the
    demo product's id."""
    app = live_server.app
    store = BackgroundStore(app.extensions["pcf_settings"].background_store)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        ensure_demo(session, store=store)
        product = ensure_demo_product(session)
        assert product is not None
        for email in (ENTERPRISE, CERTIFIER, SIGNER):
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            accounts.set_password(session, user=user, password=PASSWORD, actor=None)
        return product.id


@pytest.fixture
def as_user(browser: Browser, live_server: LiveServer) -> Iterator[object]:
    """Open a logged-in page for one user; each user in a browser context of its own."""
    contexts = []

    def open_as(email: str) -> Page:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        log_in(page, live_server, email)
        return page

    yield open_as
    for context in contexts:
        context.close()


def state(p: Page) -> str:
    return p.locator("main #submission-state").get_attribute("data-state") or ""


def decide(p: Page, action: str, note: str = "") -> None:
    form = f"main form[data-action={action}]"
    if note:
        p.fill(f"{form} textarea[name=note]", note)
    p.click(f"{form} button")
    p.wait_for_load_state()


def click(p: Page, selector: str) -> None:
    p.click(selector)
    p.wait_for_load_state()


def test_submit_review_change_resubmit_issue_verify_revoke(
        live_server: LiveServer, demo: int, as_user: object, browser: Browser,
        tmp_path: Path) -> None:
    url = live_server.url
    open_as = as_user  # a callable: email -> logged-in page

    # The enterprise computes its demo product and submits the result with a document.
    enterprise: Page = open_as(ENTERPRISE)  # type: ignore[operator]
    enterprise.goto(f"{url}/products/{demo}")
    enterprise.select_option("main form[action$='/compute'] select[name=release]",
                             label="shanxi-demo@1.0.0")
    click(enterprise, "main form[action$='/compute'] button[type=submit]")
    assert re.search(rf"/products/{demo}/results/\d+$", enterprise.url), enterprise.url
    click(enterprise, "main #submit-for-certification")
    enterprise.select_option("main select[name=body]",
                             label="Shanxi Certification Centre (demo) / 山西认证中心（演示）")
    evidence = tmp_path / "电表读数 2025.csv"
    evidence.write_text("meter,kWh\nline 1,35\n", encoding="utf-8")
    enterprise.set_input_files("main input[name=documents]", str(evidence))
    click(enterprise, "main form button[type=submit]")
    assert state(enterprise) == "submitted", enterprise.locator("main").inner_text()
    detail = enterprise.url
    assert "电表读数 2025.csv" in enterprise.locator("main ul.documents").inner_text()
    screenshot(enterprise, "certification-1-submitted")

    # The certifier reviews: reproduce (same hash), comment on a process, request a change.
    certifier: Page = open_as(CERTIFIER)  # type: ignore[operator]
    certifier.goto(f"{url}/certification")
    click(certifier, f"main a[href='{urlsplit(detail).path}']")
    decide(certifier, "start_review")
    assert state(certifier) == "under_review"
    click(certifier, "main #reproduce")
    assert certifier.locator("main #reproduction").get_attribute("data-matches") == "true"
    certifier.select_option("main #comment-form select[name=target]", "galvanising")
    certifier.fill("main #comment-form textarea[name=body]", "请补充锌锭供应商的数据来源。")
    click(certifier, "main #comment-form button")
    decide(certifier, "request_changes", "见审核意见")
    assert state(certifier) == "changes_requested"
    screenshot(certifier, "certification-2-changes-requested")

    # The enterprise reads the comment and resubmits.
    enterprise.goto(detail)
    assert "请补充锌锭供应商的数据来源。" in enterprise.locator("main ul.comments").inner_text()
    enterprise.fill("main #resubmit-form textarea[name=note]", "已补充供应商 PACT 数据来源")
    click(enterprise, "main #resubmit-form button")
    assert state(enterprise) == "resubmitted"

    # The certifier reviews again, reproduces, verifies and approves for issuing.
    certifier.goto(detail)
    decide(certifier, "start_review")
    click(certifier, "main #reproduce")
    decide(certifier, "verify")
    assert state(certifier) == "verified"
    click(certifier, "main #approve")
    assert CERTIFIER in certifier.locator("main #approval").inner_text()

    # The signer issues; the label's QR code resolves to the public page, which says valid.
    signer: Page = open_as(SIGNER)  # type: ignore[operator]
    signer.goto(detail)
    click(signer, "main #issue")
    assert state(signer) == "label_issued", signer.locator("main").inner_text()
    screenshot(signer, "certification-3-issued")
    with live_server.app.extensions["pcf_db"].unit_of_work() as session:
        label = session.scalars(select(CarbonLabel)).one()
        uri = qr.digital_link("https://pcf.localhost", label.gtin, label.serial)
    link = signer.locator("main table.labels a.verify-link").get_attribute("href")
    assert link == urlsplit(uri).path
    anyone = browser.new_context(locale="zh-CN")  # not logged in: the page is public
    public = anyone.new_page()
    public.goto(url + urlsplit(uri).path)
    assert public.locator("main [data-verdict]").get_attribute("data-verdict") == "valid"
    screenshot(public, "certification-4-public-valid")

    # After revocation the same URI says revoked.
    signer.goto(detail)
    click(signer, "main button[data-label-action=revoke]")
    assert state(signer) == "revoked"
    public.goto(url + urlsplit(uri).path)
    assert public.locator("main [data-verdict]").get_attribute("data-verdict") == "revoked"
    screenshot(public, "certification-5-public-revoked")
    anyone.close()
