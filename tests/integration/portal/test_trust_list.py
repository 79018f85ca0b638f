"""The portal's trust list: every certification body and its keys, the log key, signed by the
operator key in the instance folder; a new sequence number only when something changed; the
same list from /trust-list.jwt, /trust-list.json, the bundle and `pcf trust export`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from label_cert.keys import public_jwk_of
from label_cert.trust import SignedTrustList, TrustedKey, check_update, verify_trust_list
from portal.cli import main as pcf
from portal.db.models import OrganisationKind, Role, User
from portal.services import issuer_keys, transparency_log, trust_list

from .conftest import make_user

HOST = "pcf.localhost"


def instance(app: Flask) -> Path:
    path: Path = app.extensions["pcf_settings"].instance_path
    return path


def served(app: Flask, client: FlaskClient) -> SignedTrustList:
    """/trust-list.jwt, checked against the operator key the instance holds (the anchor)."""
    response = client.get("/trust-list.jwt")
    assert response.status_code == 200
    assert response.mimetype == "application/trust-list+jwt"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    anchor = trust_list.operator_signer(instance(app)).kid
    return verify_trust_list(response.get_data(as_text=True), {anchor})


def body(app: Flask, email: str, name: str) -> tuple[int, int]:
    """A certification body with a signer: (user id, body id)."""
    user_id = make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER, email, name)
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user_id, user.organisation_id


def test_the_list_names_every_body_its_keys_and_the_log_key(
    app: Flask, client: FlaskClient
) -> None:
    signer, with_key = body(app, "s@a.cn", "Body A")
    _, without_key = body(app, "s@b.cn", "Body B")
    make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "e@x.cn", "Enterprise")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        key = issuer_keys.ensure_key(session, body_id=with_key).kid
    first = served(app, client)
    content = first.trust_list
    assert content.sequence == 1
    assert content.operator == "did:web:pcf.localhost"
    assert [(i.id, i.name) for i in content.issuers] == [
        (issuer_keys.issuer_id(HOST, with_key), "Body A"),
        (issuer_keys.issuer_id(HOST, without_key), "Body B"),
    ]
    assert [k.kid for k in content.issuers[0].keys] == [key]
    assert content.issuers[1].keys == ()
    log = TrustedKey.of(public_jwk_of(transparency_log.log_key(instance(app))))
    assert content.log_key == log
    # unchanged: the same bytes, the same sequence number
    assert served(app, client).token == first.token
    # a rotation retires the old key in a new list, which updates the old one
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, signer)
        assert actor is not None
        new_key = issuer_keys.rotate(session, actor=actor, body_id=with_key).kid
    second = served(app, client)
    assert second.trust_list.sequence == 2
    old, new = second.trust_list.issuers[0].keys
    assert (old.kid, new.kid) == (key, new_key)
    assert old.retired_at is not None
    assert new.retired_at is None
    assert check_update(first, second.token) == second
    readable = client.get("/trust-list.json").get_json()
    assert readable["sequence"] == 2
    assert readable["signed_by"] == second.signed_by
    assert readable["issuers"][0]["keys"][0]["retired_at"] == old.retired_at


def test_the_operator_key_is_made_once_and_readable_by_the_owner_only(app: Flask) -> None:
    folder = instance(app)
    first = trust_list.operator_signer(folder).kid
    assert trust_list.operator_signer(folder).kid == first
    for name in ("trust_list_key", "log_key"):
        transparency_log.log_key(folder)
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_a_damaged_stored_list_is_not_silently_replaced(app: Flask) -> None:
    """A fresh list would restart at sequence 1, which pinned verifiers refuse."""
    folder = instance(app)
    (folder / "trust-list.jwt").write_text("damaged", encoding="ascii")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session, \
            pytest.raises(RuntimeError, match="restore it from a backup"):
        trust_list.current(session, host=HOST, instance=folder)


def test_pcf_trust_export_writes_the_served_list_and_prints_the_anchor(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    body(app, "s@a.cn", "Body A")
    target = tmp_path / "exported.jwt"
    result = CliRunner().invoke(pcf, ["trust", "export", str(target)], env={
        "DATABASE_URL": database_url, "PCF_INSTANCE_PATH": str(instance(app))})
    assert result.exit_code == 0, result.output
    anchor = trust_list.operator_signer(instance(app)).kid
    assert f"Operator key thumbprint (publish it out of band): {anchor}" in result.output
    assert f"--trust-anchor {anchor}" in result.output
    assert "1 certification bod(ies), 0 key(s)" in result.output
    exported = target.read_text(encoding="ascii").strip()
    assert exported == served(app, client).token
