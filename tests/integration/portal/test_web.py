"""The portal over HTTP: language, login, CSRF, rate limit, headers, and who may open what."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import SECURITY_HEADERS
from portal.db.models import OrganisationKind, Role

from .conftest import PASSWORD, csrf_token, login, make_user


class TestLanguage:
    def test_pages_are_chinese_by_default(self, client: FlaskClient) -> None:
        page = client.get("/login").get_data(as_text=True)
        assert "登录" in page
        assert '<html lang="zh-CN">' in page

    def test_english_can_be_chosen(self, client: FlaskClient) -> None:
        token = csrf_token(client)
        client.post("/language/en", data={"csrf_token": token, "next": "/login"})
        page = client.get("/login").get_data(as_text=True)
        assert "Log in" in page
        assert "登录" not in page.split("<main>")[1]

    def test_every_message_has_a_chinese_translation(self) -> None:
        from portal.i18n import translated, used_messages

        assert used_messages() - set(translated("zh_Hans_CN")) == set()


class TestLogin:
    def test_right_password_logs_in_and_replaces_the_session(self, app: Flask,
                                                             client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        client.get("/login")
        with client.session_transaction() as before:
            before["planted"] = "fixation attempt"
        assert login(client, "a@x.cn") == 302
        with client.session_transaction() as after:
            assert "planted" not in after
            assert after["sid"]  # a server-side session token, not the user id
        assert "a@x.cn" in client.get("/").get_data(as_text=True)

    def test_wrong_password_is_refused_with_one_message(self, app: Flask,
                                                        client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = csrf_token(client)
        page = client.post("/login", data={"email": "a@x.cn", "password": "wrong password",
                                           "csrf_token": token}).get_data(as_text=True)
        assert "邮箱或密码错误" in page
        assert client.get("/").status_code == 302

    def test_a_post_without_csrf_token_is_refused(self, app: Flask,
                                                  client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        response = client.post("/login", data={"email": "a@x.cn", "password": PASSWORD})
        assert response.status_code == 400

    def test_login_attempts_are_rate_limited(self, app: Flask, client: FlaskClient) -> None:
        token = csrf_token(client)
        codes = [client.post("/login", data={"email": "x@x.cn", "password": "nope nope nope",
                                             "csrf_token": token}).status_code
                 for _ in range(7)]
        assert codes[:5] == [200] * 5
        assert codes[-1] == 429

    def test_logout_forgets_the_user(self, app: Flask, client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        login(client, "a@x.cn")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        assert client.get("/").status_code == 302

    def test_next_cannot_redirect_off_site(self, app: Flask, client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = csrf_token(client)
        response = client.post("/login?next=//evil.example/", data={
            "email": "a@x.cn", "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == "/"


HOSTILE_NEXT = ["//evil.example/", "/\t/evil.example", "/%09/evil.example", "/\n/evil.example",
                "/%0a/evil.example", "/\\evil.example", "/%5Cevil.example", "\t//evil.example",
                "https://evil.example/", "/%2F%2Fevil.example", "javascript:alert(1)",
                " //evil.example", "/\x7f/evil.example", "/\u0085/evil.example", "/" + "a" * 3000]


class TestRedirects:
    @pytest.mark.parametrize("target", HOSTILE_NEXT)
    def test_login_never_redirects_off_site(self, app: Flask, client: FlaskClient,
                                            target: str) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = csrf_token(client)
        response = client.post("/login", query_string={"next": target}, data={
            "email": "a@x.cn", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"

    @pytest.mark.parametrize("target", HOSTILE_NEXT)
    def test_the_language_switch_never_redirects_off_site(self, client: FlaskClient,
                                                          target: str) -> None:
        token = csrf_token(client)
        response = client.post("/language/en", data={"csrf_token": token, "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"

    def test_a_local_path_with_its_query_is_kept(self, app: Flask, client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = csrf_token(client)
        response = client.post("/login", query_string={"next": "/products/3?tab=model"},
                               data={"email": "a@x.cn", "password": PASSWORD,
                                     "csrf_token": token})
        assert response.headers["Location"] == "/products/3?tab=model"


class TestHeaders:
    def test_security_headers_on_every_response(self, client: FlaskClient) -> None:
        response = client.get("/login")
        for header in SECURITY_HEADERS:
            assert response.headers[header] == SECURITY_HEADERS[header]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

    def test_the_session_cookie_is_http_only(self, app: Flask, client: FlaskClient) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        token = csrf_token(client)
        response = client.post("/login", data={"email": "a@x.cn", "password": PASSWORD,
                                               "csrf_token": token})
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


# Every route x role -> the status it must answer (302: sent to log in; 403: forbidden).
ACCESS = [
    ("/", "anonymous", 302), ("/", "member", 200), ("/", "admin", 200),
    ("/organisation", "anonymous", 302), ("/organisation", "member", 403),
    ("/organisation", "admin", 200),
    ("/login", "anonymous", 200),
]


@pytest.mark.parametrize(("path", "who", "status"), ACCESS)
def test_access_table(app: Flask, client: FlaskClient, path: str, who: str,
                      status: int) -> None:
    if who != "anonymous":
        role = Role.ADMIN if who == "admin" else Role.MEMBER
        make_user(app, OrganisationKind.ENTERPRISE, role, f"{who}@x.cn")
        login(client, f"{who}@x.cn")
    assert client.get(path).status_code == status


def test_an_admin_sees_only_the_members_of_its_own_organisation(app: Flask,
                                                                client: FlaskClient) -> None:
    make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@one.cn", "One")
    make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "secret@two.cn", "Two")
    login(client, "a@one.cn")
    page = client.get("/organisation").get_data(as_text=True)
    assert "a@one.cn" in page
    assert "secret@two.cn" not in page


def test_an_admin_invites_through_the_page(app: Flask, client: FlaskClient) -> None:
    make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@one.cn", "One")
    login(client, "a@one.cn")
    token = csrf_token(client, "/organisation")
    page = client.post("/organisation", data={"email": "new@one.cn", "role": "member",
                                              "csrf_token": token}).get_data(as_text=True)
    link = page.split("<code>")[1].split("</code>")[0]
    assert "/register/" in link
    path = link.split("localhost", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client, path)
    response = client.post(path, data={"name": "New", "password": PASSWORD,
                                       "csrf_token": token})
    assert response.status_code == 302
    assert login(client, "new@one.cn") == 302


def test_the_operator_onboards_an_organisation_and_its_admin(app: Flask,
                                                            client: FlaskClient) -> None:
    make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "op@x.cn")
    login(client, "op@x.cn")
    page = client.post("/operator/organisations", data={
        "name": "新企业", "kind": "enterprise", "admin_email": "boss@new.cn",
        "csrf_token": csrf_token(client, "/operator/organisations")}).get_data(as_text=True)
    path = page.split("<code>")[1].split("</code>")[0].split("localhost", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    client.post(path, data={"name": "Boss", "password": PASSWORD,
                            "csrf_token": csrf_token(client, path)})
    assert login(client, "boss@new.cn") == 302
    assert "新企业" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("kind", "role", "status"), [
    (OrganisationKind.OPERATOR, Role.MEMBER, 403), (OrganisationKind.ENTERPRISE, Role.ADMIN, 403),
    (OrganisationKind.OPERATOR, Role.ADMIN, 200)])
def test_only_operator_admins_open_the_organisations_page(app: Flask, client: FlaskClient,
                                                          kind: OrganisationKind, role: Role,
                                                          status: int) -> None:
    make_user(app, kind, role, "u@x.cn")
    login(client, "u@x.cn")
    assert client.get("/operator/organisations").status_code == status
