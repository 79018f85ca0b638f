"""Portal test fixtures: a migrated database (SQLite file, or PostgreSQL when DATABASE_URL is
set, as CI does), an app per test, and a clean database after every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.db.base import Base
from portal.db.models import Organisation, OrganisationKind, Role, User
from portal.jobs import shutdown
from portal.migrate import upgrade
from portal.services import accounts
from portal.settings import Settings

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        url = Settings(database_url=configured,
                       instance_path=tmp_path_factory.mktemp("instance")).resolved().database_url
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as connection:  # a clean schema for this run
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "testing": True,
                      "instance_path": tmp_path / "instance", "session_cookie_secure": False,
                      "login_rate_limit": "5 per minute"})
    yield app
    shutdown(app)  # a job thread must return its connection before the pool is disposed
    engine = app.extensions["pcf_db"].engine
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_user(app: Flask, kind: OrganisationKind, role: Role, email: str,
              organisation: str | None = None) -> int:
    with app.extensions["pcf_db"].unit_of_work() as session:
        from sqlalchemy import select

        name = organisation or f"{kind.value} org"
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = accounts.create_organisation(session, name=name, kind=kind, actor=None)
        user = accounts.create_user(session, organisation=org, email=email, name=email,
                                    password=PASSWORD, role=role, actor=None)
        return user.id


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, page
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    token = csrf_token(client)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    return response.status_code


def get_user(app: Flask, user_id: int) -> User:
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
        return user
