"""The JSON API: bearer tokens, the OpenAPI document, and scoping."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from portal.db.models import OrganisationKind, Role, User
from portal.jobs import submit
from portal.services import api_tokens

from .conftest import make_user


def token_for(app: Flask, user_id: int, name: str = "erp") -> str:
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        return api_tokens.create_token(session, user=user, name=name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestTokens:
    def test_a_token_identifies_its_user(self, app: Flask, client: FlaskClient) -> None:
        token = token_for(app, make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER,
                                         "a@x.cn", "Acme"))
        body = client.get("/api/v1/me", headers=bearer(token)).get_json()
        assert body["email"] == "a@x.cn"
        assert body["organisation"] == "Acme"

    def test_no_wrong_or_revoked_token_is_401(self, app: Flask, client: FlaskClient) -> None:
        user_id = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = token_for(app, user_id)
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/me", headers=bearer("pcf_forged")).status_code == 401
        with app.extensions["pcf_db"].unit_of_work() as session:
            user = session.get(User, user_id)
            assert user is not None
            api_tokens.revoke(session, user=user, token_id=api_tokens.tokens_of(
                session, user)[0].id)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401

    def test_only_the_hash_is_stored(self, app: Flask) -> None:
        user_id = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = token_for(app, user_id)
        with app.extensions["pcf_db"].unit_of_work() as session:
            user = session.get(User, user_id)
            assert user is not None
            stored = api_tokens.tokens_of(session, user)[0].token_hash
        assert token not in stored

    def test_a_session_cookie_is_not_enough(self, app: Flask, client: FlaskClient) -> None:
        from .conftest import login

        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        login(client, "a@x.cn")
        assert client.get("/api/v1/me").status_code == 401


class TestOpenApi:
    def test_the_document_lists_the_endpoints_and_bearer_security(self,
                                                                  client: FlaskClient) -> None:
        spec = client.get("/api/openapi.json").get_json()
        assert spec["info"]["title"] == "PCF portal API"
        assert "/api/v1/me" in spec["paths"]
        assert "/api/v1/jobs/{job_id}" in spec["paths"]
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


class TestJobs:
    def test_jobs_of_other_organisations_are_not_found(self, app: Flask,
                                                       client: FlaskClient) -> None:
        mine = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn", "A")
        theirs = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "b@x.cn", "B")
        with app.extensions["pcf_db"].unit_of_work() as session:
            owner = session.get(User, theirs)
            assert owner is not None
            session.expunge(owner)
        app.extensions["pcf_settings"] = app.extensions["pcf_settings"].__class__(
            **{**app.extensions["pcf_settings"].__dict__, "jobs_inline": True})
        job_id = submit(app, "selftest", {"steps": 1}, actor=owner)
        assert client.get(f"/api/v1/jobs/{job_id}",
                          headers=bearer(token_for(app, mine))).status_code == 404
        body = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(token_for(app, theirs)))
        assert body.get_json()["status"] == "done"

    def test_the_operator_cannot_read_an_enterprises_job_as_the_document_says(
            self, app: Flask, client: FlaskClient) -> None:
        operator = make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "op@x.cn", "Op")
        theirs = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "b@x.cn", "B")
        with app.extensions["pcf_db"].unit_of_work() as session:
            owner, platform = session.get(User, theirs), session.get(User, operator)
            assert owner is not None
            assert platform is not None
            session.expunge_all()
        app.extensions["pcf_settings"] = app.extensions["pcf_settings"].__class__(
            **{**app.extensions["pcf_settings"].__dict__, "jobs_inline": True})
        enterprise_job = submit(app, "selftest", {"steps": 1}, actor=owner)
        own_job = submit(app, "selftest", {"steps": 1}, actor=platform)
        system_job = submit(app, "selftest", {"steps": 1}, actor=None)
        headers = bearer(token_for(app, operator))
        assert client.get(f"/api/v1/jobs/{enterprise_job}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/jobs/{own_job}", headers=headers).status_code == 200
        assert client.get(f"/api/v1/jobs/{system_job}", headers=headers).status_code == 200
        spec = client.get("/api/openapi.json").get_json()
        assert "caller's organisation only" in json.dumps(spec["paths"]["/api/v1/jobs/{job_id}"])


def test_a_user_makes_and_revokes_a_token_in_the_page(app: Flask, client: FlaskClient) -> None:
    from .conftest import csrf_token, login

    make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
    login(client, "a@x.cn")
    page = client.post("/account/tokens", data={
        "name": "ERP", "csrf_token": csrf_token(client, "/account/tokens")}).get_data(
        as_text=True)
    token = page.split("<code>")[1].split("</code>")[0]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    token_id = page.split('name="revoke" value="')[1].split('"')[0]
    client.post("/account/tokens", data={"revoke": token_id,
                                         "csrf_token": csrf_token(client, "/account/tokens")})
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
