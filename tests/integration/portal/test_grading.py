"""The operator's grade thresholds: who may set them, how bad tables are refused, and that an
issued label takes its grade from the table of its CPC class (peers otherwise)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.db.models import FootprintRecord, GradeThreshold, OrganisationKind, Product, Role, User
from portal.services import grading_tables, labels

from .conftest import csrf_token, login, make_user
from .test_certification import verified_submission
from .test_products_fixtures import app_with_releases


@pytest.fixture
def grading_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def operator_client(app: Flask) -> object:
    make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "op@pcf.cn", "Operator")
    client = app.test_client()
    assert login(client, "op@pcf.cn") == 302
    return client


def test_only_the_operator_sets_tables_and_bad_ones_are_refused(grading_app: Flask) -> None:
    app = grading_app
    client = operator_client(app)
    token = csrf_token(client, "/grading")  # type: ignore[arg-type]
    page = client.post("/grading", data={  # type: ignore[attr-defined]
        "csrf_token": token, "cpc_class": "42999", "declared_unit": "kilogram",
        "bounds": "A <= 2.0\nB <= 1.0"}, follow_redirects=True).get_data(as_text=True)
    assert "must strictly increase" in page
    page = client.post("/grading", data={  # type: ignore[attr-defined]
        "csrf_token": token, "cpc_class": "42999", "declared_unit": "kilogram",
        "bounds": "A <= 2.0\nthree"}, follow_redirects=True).get_data(as_text=True)
    assert "line 2: &#39;three&#39;" in page
    with app.extensions["pcf_db"].unit_of_work() as session:
        assert session.scalars(select(GradeThreshold)).all() == []
    page = client.post("/grading", data={  # type: ignore[attr-defined]
        "csrf_token": token, "cpc_class": "42999", "declared_unit": "kilogram",
        "bounds": "A <= 2.0\nB <= 3.0\nC <= 4.5", "note": "test"},
        follow_redirects=True).get_data(as_text=True)
    assert "A ≤ 2.0; B ≤ 3.0; C ≤ 4.5" in page
    for kind, role in ((OrganisationKind.ENTERPRISE, Role.ADMIN),
                       (OrganisationKind.CERTIFICATION_BODY, Role.SIGNER)):
        make_user(app, kind, role, f"{role.value}@x.cn", f"X {kind.value}")
        other = app.test_client()
        assert login(other, f"{role.value}@x.cn") == 302
        assert other.get("/grading").status_code == 403
    with app.extensions["pcf_db"].unit_of_work() as session:
        member = session.scalar(select(User).where(User.email == "admin@x.cn"))
        assert member is not None
        from portal.services.errors import Forbidden

        with pytest.raises(Forbidden):
            grading_tables.set_table(session, actor=member, cpc_class="1",
                                     declared_unit="kilogram", bounds_text="A <= 1")


def test_an_issued_label_takes_its_grade_from_the_table(grading_app: Flask) -> None:
    app = grading_app
    signer, approver, _member, sid = verified_submission(app)
    operator = make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "op@pcf.cn", "Operator")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        product = session.scalars(select(Product)).one()
        product.cpc_class = "42999"
        headline = float(session.scalars(select(FootprintRecord.headline)).one())
        # Bounds around the product's value: it is above A's bound and within B's.
        grading_tables.set_table(
            session, actor=session.get(User, operator),  # type: ignore[arg-type]
            cpc_class="42999", declared_unit=product.declared_unit,
            bounds_text=f"A <= {headline / 2}\nB <= {headline * 2}")
        label = labels.issue(session, signer=session.get(User, signer),  # type: ignore[arg-type]
                             approver=session.get(User, approver),  # type: ignore[arg-type]
                             submission_id=sid)
        claims = json.loads(base64.urlsafe_b64decode(label.token.split(".")[1] + "=="))
    assert claims["credentialSubject"]["grade"] == "B"
