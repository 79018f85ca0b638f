"""Certification bodies' keys in the portal: sealed private keys, rotation with overlap, the
public JWKS and did:web document, and labels signed with them verifying against them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from label_cert.label import LabelCredential, ProductIdentity, issue_label, verify_label
from portal.db.models import IssuerKeyRecord, OrganisationKind, Role, User
from portal.services import issuer_keys

from .conftest import make_user

HOST = "pcf.localhost"


def body_of(app: Flask, email: str = "signer@cb.cn") -> tuple[int, int]:
    user_id = make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER, email, "CB")
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user_id, user.organisation_id


def credential(issuer: str) -> LabelCredential:
    now = datetime.now(UTC)
    return LabelCredential(
        label_id="urn:uuid:1", issuer=issuer, valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=365),
        product=ProductIdentity("镀锌钢支架", "太原支架", gtin="06901234567892"),
        declared_unit="kilogram", footprint={"pcf_excluding_biogenic_uptake": "2.6495"},
        reference_period=(date(2025, 1, 1), date(2025, 12, 31)), release_hash="a" * 64,
        result_hash="b" * 64, grade="B", certification_body="CB")


def test_keys_are_sealed_rotated_published_and_verify_labels(app: Flask,
                                                             client: FlaskClient) -> None:
    user_id, body = body_of(app)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        first = issuer_keys.ensure_key(session, body_id=body)
        assert issuer_keys.ensure_key(session, body_id=body).kid == first.kid
        signer = issuer_keys.signer_for(session, first)
        issuer = issuer_keys.issuer_id(HOST, body)
        token = issue_label(credential(issuer), signer, datetime.now(UTC))
        actor = session.get(User, user_id)
        assert actor is not None
        second = issuer_keys.rotate(session, actor=actor, body_id=body)
        ring = issuer_keys.key_ring(session, body_id=body, host=HOST)
        stored = session.scalars(select(IssuerKeyRecord.private_key_sealed)).all()
    assert second.kid != first.kid
    assert all(s.startswith("v1:") for s in stored)
    assert ring is not None
    assert {k.kid for k in ring.keys} == {first.kid, second.kid}
    # the label signed before the rotation still verifies with the published (retired) key
    verified = verify_label(token, lambda iss: ring if iss == issuer else None,
                            datetime.now(UTC))
    assert verified is not None
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert {k["kid"] for k in jwks["keys"]} == {first.kid, second.kid}
    assert all("d" not in k for k in jwks["keys"])
    did = client.get(f"/bodies/{body}/did.json").get_json()
    assert did["id"] == issuer
    assert client.get("/bodies/999999/did.json").status_code == 404


def test_only_the_bodys_signer_rotates(app: Flask) -> None:
    _user_id, body = body_of(app)
    other = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "e@x.cn")
    import pytest

    from portal.services.errors import Forbidden

    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        issuer_keys.ensure_key(session, body_id=body)
        actor = session.get(User, other)
        assert actor is not None
        with pytest.raises(Forbidden):
            issuer_keys.rotate(session, actor=actor, body_id=body)
