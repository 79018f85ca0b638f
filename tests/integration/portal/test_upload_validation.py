"""Uploaded datasets are read by a job in a sandboxed child process, never in the web
request: the upload page answers at once (VALIDATING, refreshing), the report follows, and a
file that needs more memory or time than the sandbox allows is refused with a reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import background_db.importers
from background_db.records import DatasetRole
from background_db.sandbox import SandboxLimits, import_isolated
from portal import create_app
from portal.db.base import Base
from portal.db.models import DatasetUpload, Job, JobStatus, OrganisationKind, Role, UploadStatus
from portal.jobs import shutdown

from .conftest import login, make_user
from .test_publishing import BROKEN_ROWS, GOOD_ROWS, template_csv, upload_through_page


@pytest.fixture
def threaded_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Jobs on the in-process background thread, as the portal runs by default."""
    app = create_app({"database_url": database_url, "testing": True, "celery_broker_url": "",
                      "instance_path": tmp_path / "instance", "session_cookie_secure": False,
                      "login_rate_limit": "100 per minute"})
    yield app
    shutdown(app)
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


def upload_row(app: Flask, upload_id: int) -> DatasetUpload:
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(DatasetUpload, upload_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_upload_page_answers_before_the_file_is_read_and_the_report_follows(
        threaded_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def never_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the web process parsed the upload")

    monkeypatch.setattr(background_db.importers, "import_file", never_here)
    make_user(threaded_app, OrganisationKind.ASSOCIATION, Role.MEMBER, "a@one.cn", "One")
    client: FlaskClient = threaded_app.test_client()
    login(client, "a@one.cn")
    upload_id, _page = upload_through_page(client, template_csv(GOOD_ROWS))
    assert upload_id
    first = upload_row(threaded_app, upload_id)
    assert first.job_id is not None
    deadline = time.monotonic() + 60
    while upload_row(threaded_app, upload_id).status is UploadStatus.VALIDATING:
        assert time.monotonic() < deadline, "validation did not finish"
        response = client.get(f"/background/uploads/{upload_id}")
        assert response.headers.get("Refresh") == "3"
        time.sleep(0.1)
    shutdown(threaded_app)
    done = upload_row(threaded_app, upload_id)
    assert done.status is UploadStatus.VALIDATED, done.issues
    with threaded_app.extensions["pcf_db"].unit_of_work() as session:
        job = session.get(Job, done.job_id)
        assert job is not None
        assert job.status is JobStatus.DONE
        assert '"status": "validated"' in job.result
    report = client.get(f"/background/uploads/{upload_id}")
    assert "Refresh" not in report.headers
    assert "/submit" in report.get_data(as_text=True)


class TestSandbox:
    def test_a_file_that_needs_more_memory_than_allowed_is_refused_with_the_limit(
            self, tmp_path: Path) -> None:
        source = tmp_path / "data.csv"
        source.write_bytes(template_csv(GOOD_ROWS))
        ok = import_isolated(source, store_root=tmp_path / "store", role=DatasetRole.BASE,
                             name="ok", version="1.0.0")
        assert ok.summary is not None
        assert ok.summary["activities"] == 3
        assert 0 < ok.peak_rss_kb < 512 * 1024
        starved = import_isolated(source, store_root=tmp_path / "store2",
                                  role=DatasetRole.BASE, name="ok", version="1.0.0",
                                  limits=SandboxLimits(memory_bytes=64 * 1024**2))
        assert starved.summary is None
        assert starved.issues == ("data.csv: reading the file needed more than 64 MB of "
                                  "memory and was stopped (is it a compressed archive that "
                                  "expands enormously?)",)
        assert not (tmp_path / "store2" / "datasets").exists()

    def test_a_file_that_takes_too_long_is_stopped(self, tmp_path: Path) -> None:
        source = tmp_path / "data.csv"
        source.write_bytes(template_csv(GOOD_ROWS))
        slow = import_isolated(source, store_root=tmp_path / "store", role=DatasetRole.BASE,
                               name="ok", version="1.0.0",
                               limits=SandboxLimits(wall_seconds=0.05))
        assert slow.issues == ("data.csv: reading the file took longer than 0.05 s and was "
                               "stopped",)

    def test_importer_issues_come_back_from_the_child(self, tmp_path: Path) -> None:
        source = tmp_path / "broken.csv"
        source.write_bytes(template_csv(BROKEN_ROWS))
        outcome = import_isolated(source, store_root=tmp_path / "store",
                                  role=DatasetRole.BASE, name="b", version="1.0.0")
        assert outcome.summary is None
        assert len(outcome.issues) == 3
        assert outcome.issues[0].startswith(f"{source}, row 2: field 'exchange_amount'")
