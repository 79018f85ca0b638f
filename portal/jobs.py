"""Jobs: long operations run by Celery workers when CELERY_BROKER_URL is set, in-process
otherwise (a single background thread, or inline when `jobs_inline` is set, as tests do).

A task is a function registered with `@task("kind")` taking a JobContext and keyword
parameters and returning a JSON-ready result; it reports progress through the context, which
pages poll.
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from portal.db.models import Job, JobStatus, User
from portal.db.session import Database

Task = Callable[..., Any]
TASKS: dict[str, Task] = {}


def task(kind: str) -> Callable[[Task], Task]:
    """Register a job function under *kind*."""

    def register(function: Task) -> Task:
        TASKS[kind] = function
        return function

    return register


@dataclass
class JobContext:
    """What a running task sees: its job id, the app, and a progress reporter."""

    job_id: str
    app: Flask

    @property
    def database(self) -> Database:
        db: Database = self.app.extensions["pcf_db"]
        return db

    def progress(self, percent: int, message: str) -> None:
        with self.database.unit_of_work() as session:
            job = session.get(Job, self.job_id)
            assert job is not None
            job.progress = max(0, min(100, percent))
            job.message = message


def submit(app: Flask, kind: str, parameters: dict[str, Any], *, actor: User | None) -> str:
    """Queue a job and return its id; it runs on a Celery worker or in this process."""
    if kind not in TASKS:
        raise KeyError(f"no job kind {kind!r}")
    job_id = str(uuid.uuid4())
    database: Database = app.extensions["pcf_db"]
    with database.unit_of_work() as session:
        session.add(Job(id=job_id, kind=kind, parameters=json.dumps(parameters),
                        status=JobStatus.QUEUED, created_at=datetime.now(UTC),
                        organisation_id=actor.organisation_id if actor else None,
                        created_by_id=actor.id if actor else None))
    settings = app.extensions["pcf_settings"]
    if settings.celery_broker_url:
        from portal.celery_app import celery_for  # noqa: PLC0415

        celery_for(app).send_task("pcf.run_job", args=[job_id])
    elif settings.jobs_inline:
        run_job(app, job_id)
    else:
        _executor(app).submit(run_job, app, job_id)
    return job_id


def _executor(app: Flask) -> ThreadPoolExecutor:
    executor: ThreadPoolExecutor | None = app.extensions.get("pcf_jobs")
    if executor is None:
        executor = app.extensions["pcf_jobs"] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pcf-job")
    return executor


def run_job(app: Flask, job_id: str) -> None:
    """Run one queued job to completion, recording its result or its error."""
    database: Database = app.extensions["pcf_db"]
    with database.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return
        job.status = JobStatus.RUNNING
        job.started_at = datetime.now(UTC)
        kind, parameters = job.kind, json.loads(job.parameters)
    context = JobContext(job_id, app)
    try:
        with app.app_context():
            result = TASKS[kind](context, **parameters)
    except Exception as exc:
        _finish(database, job_id, JobStatus.FAILED, error=(
            f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))
        return
    _finish(database, job_id, JobStatus.DONE, result=json.dumps(result, ensure_ascii=False,
                                                                default=str))


def _finish(database: Database, job_id: str, status: JobStatus, *, result: str = "",
            error: str = "") -> None:
    with database.unit_of_work() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status = status
        job.progress = 100 if status is JobStatus.DONE else job.progress
        job.result = result
        job.error = error
        job.finished_at = datetime.now(UTC)


@task("selftest")
def selftest(context: JobContext, *, steps: int = 3, fail: bool = False) -> dict[str, Any]:
    """A trivial job for health checks and tests: reports progress, optionally fails."""
    for step in range(steps):
        context.progress(int(100 * step / steps), f"step {step + 1} of {steps}")
    if fail:
        raise RuntimeError("asked to fail")
    return {"steps": steps}


def shutdown(app: Flask) -> None:
    """Wait for in-process jobs to finish and stop their thread (tests, orderly exits)."""
    executor: ThreadPoolExecutor | None = app.extensions.pop("pcf_jobs", None)
    if executor is not None:
        executor.shutdown(wait=True)
