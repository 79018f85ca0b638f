"""Fixtures the product tests share: the seed background composed into two releases (the
second with a cleaner Shanxi grid), an app that runs jobs inline with those releases READY,
and helpers that log in and post forms. The tests here check the fixtures themselves."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from background_db.importers.template import import_template
from background_db.records import DatasetRole
from background_db.release import BackgroundRelease, compose
from background_db.store import BackgroundStore
from portal import create_app
from portal.db.base import Base
from portal.db.models import (
    OrganisationKind,
    ProductModelVersion,
    ReleaseRecord,
    ReleaseStatus,
    Role,
    User,
)
from portal.services.model_storage import load_document

from .conftest import csrf_token, login, make_user

SEED = Path(__file__).resolve().parents[3] / "background_db" / "seed"
GRID = "electricity-grid-cn"  # the Shanxi grid (the extension replaces the national id)
GREEN = "elec-grid-provincial-yunnan-2022"  # a hydro-heavy grid, the "green" scenario
FIRST, SECOND = "shanxi@1.0.0", "shanxi@1.1.0"


@cache
def seed_releases() -> dict[str, BackgroundRelease]:
    """shanxi@1.0.0 from the seed data, and 1.1.0 with the Shanxi grid 20 % cleaner (its one
    input, the published provincial factor, scaled by 0.8)."""
    base = import_template(SEED / "national-base.csv", role=DatasetRole.BASE,
                           name="cn-national", version="2026.1.0")
    extension = import_template(SEED / "shanxi-demo-extension.csv",
                                role=DatasetRole.EXTENSION, name="sx", version="0.1.0")
    cleaner = dataclasses.replace(extension, version="0.2.0", activities=tuple(
        dataclasses.replace(a, inputs=tuple(dataclasses.replace(i, amount=i.amount * 0.8)
                                            for i in a.inputs))
        if a.replaces == GRID else a for a in extension.activities))
    first = compose("shanxi", "1.0.0", base, [extension])
    second = compose("shanxi", "1.1.0", base, [cleaner])
    assert first.content_hash != second.content_hash
    return {FIRST: first, SECOND: second}


def add_release(app: Flask, release: BackgroundRelease, *, days_ago: int = 0,
                status: ReleaseStatus = ReleaseStatus.READY) -> int:
    """Store *release* in the app's background store and record it (READY by default)."""
    settings = app.extensions["pcf_settings"]
    BackgroundStore(settings.background_store).put_release(release)
    with app.extensions["pcf_db"].unit_of_work() as session:
        record = ReleaseRecord(
            name=release.name, version=release.version, content_hash=release.content_hash,
            base="cn-national@2026.1.0", extensions="[]", status=status,
            published_at=datetime.now(UTC) - timedelta(days=days_ago))
        session.add(record)
        session.flush()
        return record.id


def app_with_releases(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app running jobs inline, with the first seed release READY (each test module
    wraps this in its `products_app` fixture)."""
    app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                      "celery_broker_url": "", "instance_path": tmp_path / "instance",
                      "background_store": tmp_path / "background",
                      "session_cookie_secure": False})
    app.extensions["test_releases"] = {FIRST: add_release(app, seed_releases()[FIRST],
                                                          days_ago=30)}
    yield app
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


def release_id(app: Flask, label: str = FIRST) -> int:
    ids: dict[str, int] = app.extensions["test_releases"]
    return ids[label]


def publish_second_release(app: Flask) -> int:
    ids: dict[str, int] = app.extensions["test_releases"]
    ids[SECOND] = add_release(app, seed_releases()[SECOND])
    return ids[SECOND]


def enterprise_user(app: Flask, email: str, organisation: str,
                    kind: OrganisationKind = OrganisationKind.ENTERPRISE) -> User:
    """A member of *organisation* (created when new), detached from its session."""
    user_id = make_user(app, kind, Role.MEMBER, email, organisation)
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        _ = user.organisation.kind
        session.expunge_all()
        return user


class Browser:
    """A logged-in test client that posts forms with the session's CSRF token."""

    def __init__(self, app: Flask, email: str, organisation: str,
                 kind: OrganisationKind = OrganisationKind.ENTERPRISE) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.user = enterprise_user(app, email, organisation, kind)
        assert login(self.client, email) == 302
        self.token = csrf_token(self.client, "/")

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def page(self, path: str) -> str:
        response = self.client.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        return str(response.get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, *,
             follow: bool = True, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})},
                                follow_redirects=follow, **kwargs)

    def model_version(self, product_id: int) -> int:
        page = self.page(f"/products/{product_id}/model")
        match = re.search(r'name="base_version" value="(\d+)"', page)
        return int(match.group(1)) if match else 0

    def edit(self, product_id: int, action: str, data: dict[str, Any]) -> str:
        """Post one model form (with the current version) and return the page it leads to."""
        version = self.model_version(product_id)
        response = self.post(f"/products/{product_id}/model/{action}",
                             {"base_version": version, **data})
        assert response.status_code == 200
        return str(response.get_data(as_text=True))


def latest_document(app: Flask, product_id: int) -> dict[str, Any]:
    with app.extensions["pcf_db"].unit_of_work() as session:
        version = session.scalars(select(ProductModelVersion).where(
            ProductModelVersion.product_id == product_id).order_by(
            ProductModelVersion.version.desc())).first()
        assert version is not None
        with app.app_context():
            return dict(load_document(version))


def stored_document(app: Flask, version_id: int) -> dict[str, Any]:
    """The (sealed) document of one model version, opened with its organisation's key."""
    with app.extensions["pcf_db"].unit_of_work() as session, app.app_context():
        version = session.get(ProductModelVersion, version_id)
        assert version is not None
        return dict(load_document(version))


def version_count(app: Flask, product_id: int) -> int:
    with app.extensions["pcf_db"].unit_of_work() as session:
        return len(list(session.scalars(select(ProductModelVersion.id).where(
            ProductModelVersion.product_id == product_id))))


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


class TestFixtures:
    def test_the_two_seed_releases_differ_only_in_the_shanxi_grid(self) -> None:
        first, second = seed_releases()[FIRST], seed_releases()[SECOND]
        changed = [a.id for a, b in zip(first.activities, second.activities, strict=True)
                   if a != b]
        assert changed == [GRID]
        assert second.activity(GRID).inputs[0].amount == pytest.approx(
            first.activity(GRID).inputs[0].amount * 0.8)

    def test_the_app_sees_the_first_release_ready_in_its_store(self,
                                                                products_app: Flask) -> None:
        from portal.services import catalogue

        with products_app.app_context(), products_app.extensions[
                "pcf_db"].unit_of_work() as session:
            (record,) = catalogue.ready_releases(session)
            release = catalogue.load_release(record)
            assert release.label == FIRST
            assert catalogue.compiled(record).system.content_hash
