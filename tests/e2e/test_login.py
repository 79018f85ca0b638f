"""A person logs in through the browser; the pages are Chinese by default with real glyphs."""

from __future__ import annotations

from .conftest import LiveServer, log_in, screenshot


def test_login_page_in_chinese_then_english(page: object, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "登录"  # type: ignore[attr-defined]
    screenshot(page, "login-zh")
    page.click("button.lang >> text=English")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Log in"  # type: ignore[attr-defined]
    screenshot(page, "login-en")


def test_enterprise_user_logs_in_and_sees_its_organisation(page: object,
                                                           live_server: LiveServer) -> None:
    log_in(page, live_server, "enterprise@e2e.cn")
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    assert "太原支架有限公司" in body
    assert "欢迎" in body
    screenshot(page, "dashboard-enterprise")


def test_a_wrong_password_shows_the_error(page: object, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=email]", "enterprise@e2e.cn")  # type: ignore[attr-defined]
    page.fill("input[name=password]", "not the password")  # type: ignore[attr-defined]
    page.click("main button[type=submit]")  # type: ignore[attr-defined]
    assert "邮箱或密码错误" in page.locator("main").inner_text()  # type: ignore[attr-defined]
