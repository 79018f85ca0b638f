"""Jobs in-process (inline and on the background thread) and on a real Celery worker with
the running Redis broker (CI sets CELERY_BROKER_URL; without it those tests are skipped)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def celery_worker(database_url: str, instance: Path, log: Path) -> Iterator[Any]:
    """A real `celery worker` process (prefork, one child) on the test database and broker;
    stopped when the block ends (unless the test killed it)."""
    import subprocess
    import sys

    environment = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": BROKER,
                   "PCF_INSTANCE_PATH": str(instance), "PCF_JOB_STALE_SECONDS": "3"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal.celery_app", "worker", "--pool",
             "prefork", "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            env=environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)


def running_on(app: Flask, job_id: str, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        current = job(app, job_id)
        if current.status is JobStatus.RUNNING and current.worker and current.progress > 0:
            return current
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never ran: {job(app, job_id).status}")


@pytest.mark.skipif(not BROKER, reason="CELERY_BROKER_URL not set (CI runs these on Redis)")
class TestCeleryWorkerKilled:
    def test_a_job_whose_worker_process_is_killed_is_retried_to_done(
            self, database_url: str, tmp_path: Path) -> None:
        import signal

        app = create_app({"database_url": database_url, "testing": True,
                          "instance_path": tmp_path / "i", "celery_broker_url": BROKER,
                          "job_stale_seconds": 3})
        with celery_worker(database_url, tmp_path / "i", tmp_path / "worker.log"):
            job_id = submit(app, "selftest", {"steps": 4, "seconds_per_step": 0.5},
                            actor=None)
            victim = running_on(app, job_id)
            os.kill(int(victim.worker.rsplit(":", 1)[1]), signal.SIGKILL)  # the pool child
            done = wait(app, job_id, seconds=90)
        assert done.status is JobStatus.DONE, (done.error, (tmp_path / "worker.log").read_text())
        assert done.attempts == 2
        assert done.worker != victim.worker
        assert json.loads(done.result) == {"steps": 4}
        _clean(app)

    def test_a_job_left_running_by_a_dead_worker_is_recovered_by_the_next(
            self, database_url: str, tmp_path: Path) -> None:
        import signal

        app = create_app({"database_url": database_url, "testing": True,
                          "instance_path": tmp_path / "i", "celery_broker_url": BROKER,
                          "job_stale_seconds": 3})
        with celery_worker(database_url, tmp_path / "i", tmp_path / "first.log") as first:
            job_id = submit(app, "selftest", {"steps": 4, "seconds_per_step": 0.5},
                            actor=None)
            victim = running_on(app, job_id)
            for pid in (int(victim.worker.rsplit(":", 1)[1]), first.pid):  # child, parent
                os.kill(pid, signal.SIGKILL)
            first.wait(timeout=30)
        time.sleep(1)
        assert job(app, job_id).status is JobStatus.RUNNING  # nobody is left to finish it
        with celery_worker(database_url, tmp_path / "i", tmp_path / "second.log"):
            done = wait(app, job_id, seconds=90)
        assert done.status is JobStatus.DONE, (done.error, (tmp_path / "second.log").read_text())
        assert done.attempts == 2
        _clean(app)


def _clean(app: Flask) -> None:
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


def stalled(app: Flask, *, attempts: int, worker: str, heartbeat_age: float) -> str:
    """A selftest job left RUNNING by *worker*, last heard of *heartbeat_age* seconds ago."""
    from datetime import UTC, datetime, timedelta

    job_id = f"00000000-0000-0000-0000-{attempts:06d}{int(heartbeat_age):06d}"
    now = datetime.now(UTC)
    with app.extensions["pcf_db"].unit_of_work() as session:
        session.add(Job(id=job_id, kind="selftest", parameters='{"steps": 2}',
                        status=JobStatus.RUNNING, created_at=now, started_at=now,
                        heartbeat_at=now - timedelta(seconds=heartbeat_age), worker=worker,
                        attempts=attempts))
    return job_id


def dead_pid() -> int:
    """The id of a process that has just exited."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class TestStalledJobs:
    def test_a_job_whose_runner_died_is_taken_over_and_finished(self, inline_app: Flask
                                                                ) -> None:
        from portal.jobs import Claim, run_job, this_worker

        host = this_worker().rsplit(":", 1)[0]
        job_id = stalled(inline_app, attempts=1, worker=f"{host}:{dead_pid()}",
                         heartbeat_age=1)
        assert run_job(inline_app, job_id) is Claim.RAN
        finished = job(inline_app, job_id)
        assert finished.status is JobStatus.DONE
        assert finished.attempts == 2
        assert json.loads(finished.result) == {"steps": 2}

    def test_a_job_with_a_live_runner_is_left_to_it(self, inline_app: Flask) -> None:
        from portal.jobs import Claim, run_job

        job_id = stalled(inline_app, attempts=1, worker="elsewhere:1", heartbeat_age=1)
        assert run_job(inline_app, job_id) is Claim.BUSY
        assert job(inline_app, job_id).status is JobStatus.RUNNING

    def test_a_silent_runner_elsewhere_is_presumed_dead_after_the_stale_time(
            self, inline_app: Flask) -> None:
        from portal.jobs import recover_stalled

        stale = inline_app.extensions["pcf_settings"].job_stale_seconds
        job_id = stalled(inline_app, attempts=1, worker="elsewhere:1", heartbeat_age=stale + 5)
        assert recover_stalled(inline_app) == [job_id]  # requeued, and run inline here
        finished = job(inline_app, job_id)
        assert finished.status is JobStatus.DONE
        assert finished.attempts == 2

    def test_a_job_that_stopped_its_runner_every_time_fails_with_the_reason(
            self, inline_app: Flask) -> None:
        from portal.jobs import recover_stalled

        attempts = inline_app.extensions["pcf_settings"].job_max_attempts
        job_id = stalled(inline_app, attempts=attempts, worker="elsewhere:77",
                         heartbeat_age=3600)
        assert recover_stalled(inline_app) == [job_id]
        failed = job(inline_app, job_id)
        assert failed.status is JobStatus.FAILED
        assert failed.error.startswith(f"the runner stopped during the job {attempts} time(s)"
                                       f" (last: elsewhere:77")
        assert failed.finished_at is not None

    def test_a_running_job_beats_a_heartbeat(self, database_url: str, tmp_path: Path) -> None:
        app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                          "instance_path": tmp_path / "i", "celery_broker_url": "",
                          "job_stale_seconds": 1})
        job_id = submit(app, "selftest", {"steps": 1, "seconds_per_step": 0.6}, actor=None)
        done = job(app, job_id)
        assert done.status is JobStatus.DONE
        assert done.heartbeat_at is not None
        assert done.started_at is not None
        # beats every sixth of the stale time: later than the start, during the sleep
        assert (done.heartbeat_at - done.started_at).total_seconds() > 0.1
        with app.extensions["pcf_db"].engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        app.extensions["pcf_db"].engine.dispose()
