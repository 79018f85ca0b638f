"""Browser tests: the portal served on a loopback port by a real WSGI server, driven by
Playwright on Debian's chromium (headless, never a downloaded browser). Screenshots go to
test-artefacts/screenshots/."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.db.models import OrganisationKind, Role
from portal.migrate import upgrade
from portal.services import accounts

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots"
PASSWORD = "browser test password"


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'portal.sqlite3'}"
    upgrade(url)
    app = create_app({"database_url": url, "instance_path": folder / "instance",
                      "session_cookie_secure": False, "jobs_inline": True,
                      "login_rate_limit": "100 per minute", "celery_broker_url": ""})
    with app.extensions["pcf_db"].unit_of_work() as session:
        for name, kind, email in (
                ("太原支架有限公司", OrganisationKind.ENTERPRISE, "enterprise@e2e.cn"),
                ("大同钢构有限公司", OrganisationKind.ENTERPRISE, "other@e2e.cn"),
                ("山西省钢铁行业协会", OrganisationKind.ASSOCIATION, "association@e2e.cn"),
                ("平台运营方", OrganisationKind.OPERATOR, "operator@e2e.cn")):
            organisation = accounts.create_organisation(session, name=name, kind=kind,
                                                        actor=None)
            accounts.create_user(session, organisation=organisation, email=email,
                                 name=email.split("@")[0], password=PASSWORD,
                                 role=Role.ADMIN, actor=None)
    seed_background(app)
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


def buffered(app: Flask) -> Any:
    """The app with every response body read and closed before the server sends it.

    werkzeug's development server does not close a response when the browser drops the
    connection (its clean-up read raises first), so a static file stays open until garbage
    collection and its ResourceWarning fails the run (warnings are errors here)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


def seed_background(app: Flask) -> None:
    """The national base dataset in the portal's background store, for releases."""
    from importlib import resources

    from background_db.importers.template import import_template
    from background_db.store import BackgroundStore

    store = BackgroundStore(app.extensions["pcf_settings"].background_store)
    with resources.as_file(resources.files("background_db") / "seed"
                           / "national-base.csv") as path:
        store.put_dataset(import_template(path, name="cn-national", version="2026.1.0"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def log_in(page: object, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=email]", email)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("main button[type=submit]")  # type: ignore[attr-defined]
