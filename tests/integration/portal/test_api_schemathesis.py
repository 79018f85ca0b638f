"""schemathesis against /api/openapi.json, in-process over WSGI: every operation of the JSON
API, as an enterprise (which owns the demo product) and as the platform operator, with
generated valid and invalid requests. No answer may be a server error, and every answer must
conform to the document: status codes, content types, headers and bodies.

Where a request the document allows is still refused, the refusal is a rule the document
states only in prose and the expected statuses say so: a product needs a GTIN or an internal
id, and a GTIN's check digit must be right (422); a model document must compute against its
release, and JSON bodies keep integers within 64 bits (400, 422)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from background_db.store import BackgroundStore
from portal import create_app
from portal.db.base import Base
from portal.db.models import User
from portal.jobs import shutdown
from portal.services import api_tokens
from portal.services.demo import ensure_demo
from portal.services.demo_product import DEMO_EMAIL, ensure_demo_product

CONFIG = SchemathesisConfig.from_str("""
[[operations]]
include-name = "POST /api/v1/products"
checks.positive_data_acceptance.expected-statuses = ["2xx", "403", "422"]

[[operations]]
include-name = "PUT /api/v1/products/{product_id}/model"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404", "409", "422"]
""")
CALLERS = (DEMO_EMAIL, "operator@demo.pcf")


@pytest.fixture(scope="module")
def api_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("schemathesis")
    app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                      "celery_broker_url": "", "instance_path": instance,
                      "session_cookie_secure": False, "ratelimit_enabled": False})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is an answer of 500, checked
    store = BackgroundStore(app.extensions["pcf_settings"].background_store)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        ensure_demo(session, store=store)
        ensure_demo_product(session)
        app.extensions["test_tokens"] = {email: api_tokens.create_token(
            session, user=session.scalars(select(User).where(User.email == email)).one(),
            name="schemathesis") for email in CALLERS}
    yield app
    shutdown(app)
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


@pytest.fixture(scope="module")
def api_schema(api_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", api_app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


def call_as(app: Flask, caller: str, case: Any) -> None:
    token = app.extensions["test_tokens"][caller]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@schema.parametrize()
@EXAMPLES
def test_every_operation_answers_an_enterprise_as_documented(case: Any, api_app: Flask
                                                             ) -> None:
    call_as(api_app, DEMO_EMAIL, case)


@schema.parametrize()
@EXAMPLES
def test_every_operation_answers_the_operator_as_documented(case: Any, api_app: Flask
                                                            ) -> None:
    call_as(api_app, "operator@demo.pcf", case)


def test_the_walk_covers_every_operation_of_the_document(api_app: Flask,
                                                         api_schema: Any) -> None:
    document = api_app.test_client().get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "delete", "patch")}
    covered = {(result.ok().method.upper(), result.ok().path)
               for result in api_schema.get_all_operations()}
    assert covered == documented
    assert len(documented) >= 12
