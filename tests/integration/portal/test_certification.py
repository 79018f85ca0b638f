"""Certification submissions: freezing, scoping to the enterprise and the addressed body,
reproduction by the body, and the workflow rules enforced through the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from label_cert.workflow import Action, State
from portal.db.models import FootprintRecord, OrganisationKind, Role, User
from portal.services import certification, footprints, product_models, products
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.model_document import replace_document

from .conftest import make_user
from .test_api_products import bracket_document
from .test_products_fixtures import app_with_releases, release_id


@pytest.fixture
def cert_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def user(app: Flask, kind: OrganisationKind, role: Role, email: str, org: str) -> int:
    return make_user(app, kind, role, email, org)


def computed_footprint(app: Flask) -> tuple[int, int]:
    """An enterprise user and a computed footprint of the worked example."""
    member = user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "e@ent.cn", "Ent")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        product = products.create_product(session, actor=actor, fields=products.ProductFields(
            name="bracket", declared_unit="kilogram", internal_id="B-1"))
        product_models.edit_model(session, actor=actor, product_id=product.id,
                                  base_version=0, edit=replace_document(bracket_document()))
        product_id = product.id
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        footprints.start_compute(app, session, actor=actor, product_id=product_id,
                                 release_id=release_id(app))
    with app.extensions["pcf_db"].unit_of_work() as session:
        footprint = session.scalars(select(FootprintRecord)).one()
        return member, footprint.id


def test_the_review_path_to_verification(cert_app: Flask) -> None:
    app = cert_app
    member, footprint_id = computed_footprint(app)
    certifier = user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "c@cb.cn", "CB")
    other_body = user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "o@ob.cn", "OB")
    stranger = user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "s@other.cn", "Other")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        get = session.get
        body_id = get(User, certifier).organisation_id  # type: ignore[union-attr]
        row = certification.submit(session, actor=get(User, member),  # type: ignore[arg-type]
                                   footprint_id=footprint_id, body_id=body_id)
        assert row.state == State.SUBMITTED
        assert len(row.result_hash) == len(row.release_hash) == len(row.model_hash) == 64
        submission_id = row.id
        for outsider in (other_body, stranger):
            with pytest.raises(NotFound):
                certification.visible(session, get(User, outsider),  # type: ignore[arg-type]
                                      submission_id)
        assert certification.for_organisation(
            session, get(User, other_body)) == []  # type: ignore[arg-type]
        cert = get(User, certifier)
        assert cert is not None
        certification.act(session, actor=cert, submission_id=submission_id,
                          action=Action.START_REVIEW)
        with pytest.raises(Conflict, match="reproduce the calculation first"):
            certification.act(session, actor=cert, submission_id=submission_id,
                              action=Action.VERIFY)
        with pytest.raises(Forbidden):
            certification.reproduce(session, actor=get(User, member),  # type: ignore[arg-type]
                                    submission_id=submission_id)
        reproduction = certification.reproduce(session, actor=cert,
                                               submission_id=submission_id)
        assert reproduction.matches
        assert reproduction.differences == ()
        certification.comment(session, actor=cert, submission_id=submission_id,
                              body="请补充锌锭供应商的数据来源", target="galvanising")
        done = certification.act(session, actor=cert, submission_id=submission_id,
                                 action=Action.VERIFY)
        assert done.state == State.VERIFIED
        with pytest.raises(Forbidden, match="signer"):
            certification.act(session, actor=cert, submission_id=submission_id,
                              action=Action.ISSUE)


def test_a_submission_to_something_that_is_not_a_body_is_refused(cert_app: Flask) -> None:
    from portal.services.errors import InvalidInput

    member, footprint_id = computed_footprint(cert_app)
    with cert_app.app_context(), cert_app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        with pytest.raises(InvalidInput):
            certification.submit(session, actor=actor, footprint_id=footprint_id,
                                 body_id=actor.organisation_id)
