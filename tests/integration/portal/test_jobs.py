"""Jobs in-process (inline and on the background thread) and on a real Celery worker with
the running Redis broker (CI sets CELERY_BROKER_URL; without it those tests are skipped)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from portal import create_app
from portal.db.models import Base, Job, JobStatus
from portal.jobs import submit


def job(app: Flask, job_id: str) -> Job:
    with app.extensions["pcf_db"].unit_of_work() as session:
        found = session.get(Job, job_id)
        assert found is not None
        session.expunge(found)
        return found


def wait(app: Flask, job_id: str, seconds: float = 30) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        current = job(app, job_id)
        if current.status in (JobStatus.DONE, JobStatus.FAILED):
            return current
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job(app, job_id).status} after {seconds} s")


@pytest.fixture
def inline_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                      "instance_path": tmp_path / "i", "celery_broker_url": ""})
    yield app
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


class TestInProcess:
    def test_an_inline_job_runs_to_done_with_its_result(self, inline_app: Flask) -> None:
        done = job(inline_app, submit(inline_app, "selftest", {"steps": 4}, actor=None))
        assert done.status is JobStatus.DONE
        assert done.progress == 100
        assert json.loads(done.result) == {"steps": 4}
        assert done.started_at is not None
        assert done.finished_at is not None

    def test_a_failing_job_records_its_error(self, inline_app: Flask) -> None:
        failed = job(inline_app, submit(inline_app, "selftest", {"fail": True}, actor=None))
        assert failed.status is JobStatus.FAILED
        assert "RuntimeError: asked to fail" in failed.error
        assert failed.message == "step 3 of 3"

    def test_the_background_thread_runs_jobs_without_blocking(self, app: Flask) -> None:
        if app.extensions["pcf_settings"].celery_broker_url:
            pytest.skip("this app is configured for Celery")
        job_id = submit(app, "selftest", {"steps": 2}, actor=None)
        assert wait(app, job_id).status is JobStatus.DONE

    def test_an_unknown_kind_is_refused(self, inline_app: Flask) -> None:
        with pytest.raises(KeyError, match="no job kind"):
            submit(inline_app, "nope", {}, actor=None)


BROKER = os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.skipif(not BROKER, reason="CELERY_BROKER_URL not set (CI runs these on Redis)")
class TestCelery:
    def test_a_celery_worker_runs_the_job_through_redis(self, database_url: str,
                                                        tmp_path: Path) -> None:
        from celery.contrib.testing.worker import start_worker

        from portal.celery_app import celery_for

        app = create_app({"database_url": database_url, "testing": True,
                          "instance_path": tmp_path / "i", "celery_broker_url": BROKER})
        celery = celery_for(app)
        with start_worker(celery, pool="solo", perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=10):
            done = wait(app, submit(app, "selftest", {"steps": 3}, actor=None))
            failed = wait(app, submit(app, "selftest", {"fail": True}, actor=None))
        assert done.status is JobStatus.DONE
        assert json.loads(done.result) == {"steps": 3}
        assert failed.status is JobStatus.FAILED
        with app.extensions["pcf_db"].engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        app.extensions["pcf_db"].engine.dispose()
