"""Walk every rule of the URL map, as every role and logged out, with hostile path values
(huge and negative numbers, non-ASCII, 10 kB strings, encoded slashes, NUL and CRLF) and
hostile query and form values: the portal answers each with a client error, a redirect or a
page, never a server error. A route added tomorrow is walked without a line here changing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from background_db.store import BackgroundStore
from portal import IdConverter, create_app
from portal.db.base import Base
from portal.db.models import User
from portal.jobs import shutdown
from portal.services import api_tokens
from portal.services.demo import ensure_demo
from portal.services.demo_product import ensure_demo_product

from .conftest import csrf_token, login

HOSTILE_INTS = ["0", "-1", str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**64),
                "9" * 30, "9" * 5000, "１２", "1e3", "0x10"]
HOSTILE_TEXT = ["ü中文😀", "a" * 10_240, "%2F", "..%2F..%2Fetc%2Fpasswd", "%00", "%0d%0aX-A:%201",
                "<script>alert(1)</script>", "%27%3B%20DROP%20TABLE%20job%3B--", "%25", "%20"]
HOSTILE_QUERY = {"page": "9" * 40, "against": str(2**64), "first": "-1", "second": "9" * 5000,
                 "q": "x" * 10_240, "next": "//evil.example", "process": "\u0000",
                 "from": str(2**70), "to": "-5", "sector": "😀" * 100, "geography": "%"}
HOSTILE_FORM = {"footprint": str(2**31), "release": "9" * 30, "base_version": str(2**63),
                "index": "-1", "revoke": "9" * 400, "body": "1" * 25, "name": "x" * 10_000,
                "note": "\u0000", "action": "role", "role": "root", "email": "a" * 500,
                "next": "/\t/evil.example", "password": "p" * 300}
PLAUSIBLE = {"int": "1", "text": "x"}


@dataclass
class Walk:
    """What the walk requested and every answer of 500 or more."""

    requests: int = 0
    rules: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def demo_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                      "celery_broker_url": "", "instance_path": tmp_path / "instance",
                      "session_cookie_secure": False, "ratelimit_enabled": False})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is an answer of 500, collected
    yield app
    shutdown(app)
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


def callers(app: Flask) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    """A logged-in client and API headers per demo role, and an anonymous one."""
    store = BackgroundStore(app.extensions["pcf_settings"].background_store)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        logins = ensure_demo(session, store=store)
        ensure_demo_product(session)
        tokens = {login.email: api_tokens.create_token(
            session, user=session.scalars(select(User).where(User.email == login.email)).one(),
            name="walker") for login in logins}
    found: dict[str, tuple[FlaskClient, dict[str, str]]] = {
        "anonymous": (app.test_client(), {})}
    for demo in logins:
        client = app.test_client()
        assert demo.password is not None
        assert login(client, demo.email, demo.password) == 302
        found[demo.email] = (client, {"Authorization": f"Bearer {tokens[demo.email]}"})
    return found


def urls(rule: Rule) -> Iterator[str]:
    """The rule with plausible values, then with each hostile value in each parameter."""
    kinds = {name: "int" if isinstance(converter, IdConverter) else "text"
             for name, converter in rule._converters.items()}

    def build(values: dict[str, str]) -> str:
        path = rule.rule
        for name in kinds:
            path = path.replace(f"<{_spec(rule, name)}>", values[name])
        return path

    plausible = {name: PLAUSIBLE[kind] for name, kind in kinds.items()}
    yield build(plausible)
    for name, kind in kinds.items():
        for value in HOSTILE_INTS if kind == "int" else HOSTILE_TEXT:
            yield build({**plausible, name: value if kind == "int" else quote(value, safe="%")})


def _spec(rule: Rule, name: str) -> str:
    """The text between < and > that names *name* in the rule (with its converter)."""
    start = rule.rule.index(f"{name}>")
    return rule.rule[rule.rule.rindex("<", 0, start) + 1:start + len(name)]


def hit(walk: Walk, client: FlaskClient, method: str, url: str, who: str,
        headers: dict[str, str], token: str | None) -> None:
    walk.requests += 1
    if url.startswith("/api/"):
        response = client.open(url, method=method, headers=headers, json={
            "document": {"processes": [{"id": "9" * 30}]}, "base_version": 2**70,
            "release_id": -1, "name": "x" * 300, "declared_unit": "😀"})
    elif method == "GET":
        response = client.get(url, query_string=HOSTILE_QUERY)
    else:
        response = client.open(url, method=method, data={**HOSTILE_FORM,
                                                         "csrf_token": token or ""})
    if response.status_code >= 500:
        walk.failures.append(f"{who} {method} {url[:120]} -> {response.status_code}")


def test_no_route_answers_a_server_error_to_anyone(demo_app: Flask) -> None:
    walk = Walk()
    for who, (client, headers) in callers(demo_app).items():
        token = csrf_token(client, "/") if who != "anonymous" else csrf_token(client)
        rules = sorted(demo_app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout")
        for rule in rules:  # logging out last, so the rest is walked logged in
            walk.rules.add(rule.rule)
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            for url in urls(rule):
                for method in methods:
                    hit(walk, client, method, url, who, headers, token)
    assert walk.failures == []
    assert len(walk.rules) == len(list(demo_app.url_map.iter_rules()))
    assert walk.requests > 4_000  # the walk covered every role, rule and hostile value
