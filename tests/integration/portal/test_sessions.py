"""Sessions end on the server: logout, a password or role change, deactivation, the idle and
absolute limits; a cookie copied before any of those no longer logs in. Failed logins are
throttled per account as well as per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from portal import create_app
from portal.db.models import LoginSession, OrganisationKind, Role, User
from portal.services import accounts
from portal.services.login_throttle import LoginThrottle

from .conftest import PASSWORD, csrf_token, login, make_user


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> int:
    """The status of / for a fresh client that presents a saved session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/").status_code


def logged_in(app: Flask, client: FlaskClient, email: str = "a@x.cn",
              role: Role = Role.MEMBER) -> str:
    make_user(app, OrganisationKind.ENTERPRISE, role, email, "Org")
    assert login(client, email) == 302
    assert client.get("/").status_code == 200
    return saved_cookie(client)


def age_sessions(app: Flask, *, created: timedelta = timedelta(),
                 seen: timedelta = timedelta()) -> None:
    now = datetime.now(UTC)
    with app.extensions["pcf_db"].unit_of_work() as db:
        db.execute(update(LoginSession).values(created_at=now - created,
                                               last_seen_at=now - seen))


class TestLogout:
    def test_a_cookie_saved_before_logout_no_longer_logs_in(self, app: Flask,
                                                             client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        assert replay(app, cookie) == 200
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        assert replay(app, cookie) == 302
        with app.extensions["pcf_db"].unit_of_work() as db:
            ended = db.scalars(select(LoginSession)).one()
            assert ended.end_reason == "logout"

    def test_logout_ends_only_that_session(self, app: Flask, client: FlaskClient) -> None:
        logged_in(app, client)
        phone = app.test_client()
        assert login(phone, "a@x.cn") == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        assert phone.get("/").status_code == 200

    def test_a_cookie_naming_a_user_id_the_old_way_logs_nobody_in(
            self, app: Flask, client: FlaskClient) -> None:
        user_id = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        with client.session_transaction() as forged:
            forged["user_id"] = user_id
        assert client.get("/").status_code == 302


class TestChangesEndSessions:
    def test_a_password_change_ends_every_session_of_the_user(
            self, app: Flask, client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        token = csrf_token(client, "/account/password")
        response = client.post("/account/password", data={
            "current_password": PASSWORD, "new_password": "a brand new passphrase",
            "csrf_token": token})
        assert response.status_code == 302
        assert replay(app, cookie) == 302
        assert client.get("/").status_code == 302
        assert login(client, "a@x.cn", "a brand new passphrase") == 302

    def test_a_wrong_current_password_changes_nothing(self, app: Flask,
                                                      client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        token = csrf_token(client, "/account/password")
        page = client.post("/account/password", data={
            "current_password": "not my password", "new_password": "a brand new passphrase",
            "csrf_token": token}).get_data(as_text=True)
        assert "current password is wrong" in page
        assert replay(app, cookie) == 200

    def test_a_role_change_ends_the_members_sessions(self, app: Flask,
                                                     client: FlaskClient) -> None:
        cookie = logged_in(app, client, "m@x.cn")
        admin = app.test_client()
        make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "boss@x.cn", "Org")
        assert login(admin, "boss@x.cn") == 302
        with app.extensions["pcf_db"].unit_of_work() as db:
            member_id = db.scalar(select(User.id).where(User.email == "m@x.cn"))
        token = csrf_token(admin, "/organisation")
        admin.post(f"/organisation/members/{member_id}",
                   data={"action": "role", "role": "admin", "csrf_token": token})
        assert replay(app, cookie) == 302
        with app.extensions["pcf_db"].unit_of_work() as db:
            assert db.scalar(select(User.role).where(User.id == member_id)) is Role.ADMIN

    def test_deactivation_ends_the_session_and_an_admin_cannot_demote_itself(
            self, app: Flask, client: FlaskClient) -> None:
        cookie = logged_in(app, client, "m@x.cn")
        boss = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "boss@x.cn", "Org")
        with app.extensions["pcf_db"].unit_of_work() as db:
            actor = db.get(User, boss)
            member = db.scalar(select(User).where(User.email == "m@x.cn"))
            assert actor is not None
            assert member is not None
            accounts.set_active(db, actor=actor, user=member, active=False)
            with pytest.raises(accounts.Conflict, match="own role"):
                accounts.change_role(db, actor=actor, user=actor, role=Role.MEMBER)
        assert replay(app, cookie) == 302


class TestLimits:
    def test_a_session_idle_past_the_limit_ends(self, app: Flask, client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        age_sessions(app, created=timedelta(minutes=31), seen=timedelta(minutes=29))
        assert replay(app, cookie) == 200  # active 29 minutes ago: still inside the idle limit
        age_sessions(app, created=timedelta(minutes=31), seen=timedelta(minutes=31))
        assert replay(app, cookie) == 302
        with app.extensions["pcf_db"].unit_of_work() as db:
            assert db.scalars(select(LoginSession)).one().end_reason == "idle"

    def test_an_active_session_ends_at_its_absolute_lifetime(self, app: Flask,
                                                            client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        age_sessions(app, created=timedelta(hours=11, minutes=59), seen=timedelta(minutes=1))
        assert replay(app, cookie) == 200
        age_sessions(app, created=timedelta(hours=12), seen=timedelta(seconds=1))
        assert replay(app, cookie) == 302

    def test_requests_keep_a_session_alive(self, app: Flask, client: FlaskClient) -> None:
        cookie = logged_in(app, client)
        age_sessions(app, created=timedelta(minutes=50), seen=timedelta(minutes=20))
        assert replay(app, cookie) == 200  # touches last_seen_at (older than a minute)
        with app.extensions["pcf_db"].unit_of_work() as db:
            seen = db.scalars(select(LoginSession)).one().last_seen_at
        assert datetime.now(UTC) - seen.replace(tzinfo=seen.tzinfo or UTC) < timedelta(
            seconds=30)

    def test_the_limits_are_settings(self, database_url: str, tmp_path: object) -> None:
        app = create_app({"database_url": database_url, "instance_path": tmp_path,
                          "session_idle_seconds": 120, "session_lifetime_seconds": 600})
        assert app.extensions["pcf_settings"].session_limits.idle == timedelta(minutes=2)
        with pytest.raises(ValueError, match="idle <= lifetime"):
            create_app({"database_url": database_url, "instance_path": tmp_path,
                        "session_idle_seconds": 900, "session_lifetime_seconds": 600})


class TestAccountThrottle:
    def test_failed_logins_from_many_addresses_lock_the_account(self, app: Flask) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        limit = app.extensions["pcf_login_throttle"].item.amount
        for attempt in range(limit):
            client = app.test_client()  # a new address each time escapes the address limit
            environ = {"REMOTE_ADDR": f"10.0.{attempt // 250}.{attempt % 250 + 1}"}
            token = csrf_token(client)
            assert client.post("/login", data={"email": "a@x.cn", "password": "guess guess",
                                               "csrf_token": token},
                               environ_base=environ).status_code == 200
        client = app.test_client()
        token = csrf_token(client)
        locked = client.post("/login", data={"email": "A@x.cn", "password": PASSWORD,
                                             "csrf_token": token},
                             environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert locked.status_code == 429  # even the right password, in any letter case
        assert "UTC" in locked.get_data(as_text=True)
        app.extensions["pcf_login_throttle"].clear("a@x.cn")  # what `pcf accounts unlock` does
        assert login(client, "a@x.cn") == 302

    def test_a_successful_login_forgets_earlier_failures(self) -> None:
        throttle = LoginThrottle("memory://", "2 per hour")
        throttle.failed("a@x.cn")
        throttle.clear("a@x.cn")
        throttle.failed("a@x.cn")
        assert throttle.lockout("a@x.cn") is None
        throttle.failed("A@X.CN ")
        assert throttle.lockout("a@x.cn") is not None
