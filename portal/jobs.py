"""Jobs: long operations run by Celery workers when CELERY_BROKER_URL is set, in-process
otherwise (a single background thread, or inline when `jobs_inline` is set, as tests do).

A task is a function registered with `@task("kind")` taking a JobContext and keyword
parameters and returning a JSON-ready result; it reports progress through the context, which
pages poll.

A job never stays RUNNING after its runner died. The runner records itself (host:pid) and
beats a heartbeat while the task runs; a job is *stalled* when its runner is a dead process
on this host or its heartbeat is older than `job_stale_seconds`. A stalled job is taken over
(attempt 2, 3, ...) by whoever meets it next: a Celery redelivery (tasks are acknowledged
late and rejected when their worker process is lost), or `recover_stalled`, which Celery
workers and web processes run periodically and `pcf jobs recover` runs on demand; after
`job_max_attempts` starts it is FAILED with the reason. Results are written in one
transaction at the end, and only by the attempt that owns the job, so a stalled attempt
leaves nothing half-written.
"""

from __future__ import annotations

import enum
import json
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.db.models import Job, JobStatus, User
from portal.db.session import Database
from portal.settings import Settings

Task = Callable[..., Any]
SubmitJob = Callable[[str, dict[str, Any]], str]  # (kind, parameters) -> job id
TASKS: dict[str, Task] = {}
_HOST = socket.gethostname()


def task(kind: str) -> Callable[[Task], Task]:
    """Register a job function under *kind*."""

    def register(function: Task) -> Task:
        TASKS[kind] = function
        return function

    return register


def this_worker() -> str:
    """The runner's name as jobs record it: host and process id."""
    return f"{_HOST}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes


def _runner_is_dead(worker: str) -> bool:
    """Whether *worker* (host:pid) is a process of this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != _HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def is_stalled(job: Job, *, now: datetime, stale_after: timedelta) -> bool:
    """Whether a RUNNING job's runner is gone: a dead local process, or a silent heartbeat."""
    if job.status is not JobStatus.RUNNING:
        return False
    heartbeat = _aware(job.heartbeat_at) or _aware(job.started_at) or _aware(job.created_at)
    return _runner_is_dead(job.worker) or heartbeat is None or now - heartbeat > stale_after


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
            job.heartbeat_at = _now()


def _settings(app: Flask) -> Settings:
    found: Settings = app.extensions["pcf_settings"]
    return found


def submit(app: Flask, kind: str, parameters: dict[str, Any], *, actor: User | None) -> str:
    """Queue a job and return its id; it runs on a Celery worker or in this process."""
    if kind not in TASKS:
        raise KeyError(f"no job kind {kind!r}")
    job_id = str(uuid.uuid4())
    database: Database = app.extensions["pcf_db"]
    with database.unit_of_work() as session:
        session.add(Job(id=job_id, kind=kind, parameters=json.dumps(parameters),
                        status=JobStatus.QUEUED, created_at=_now(), worker="", attempts=0,
                        organisation_id=actor.organisation_id if actor else None,
                        created_by_id=actor.id if actor else None))
    dispatch(app, job_id)
    return job_id


def dispatch(app: Flask, job_id: str) -> None:
    """Hand a QUEUED job to its runner: the Celery broker, the inline call or the thread."""
    settings = _settings(app)
    if settings.celery_broker_url:
        from portal.celery_app import celery_for  # noqa: PLC0415

        celery_for(app).send_task("pcf.run_job", args=[job_id])
    elif settings.jobs_inline:
        run_job(app, job_id)
    else:
        _executor(app).submit(run_job, app, job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    executor: ThreadPoolExecutor | None = app.extensions.get("pcf_jobs")
    if executor is None:
        executor = app.extensions["pcf_jobs"] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pcf-job")
    return executor


class Claim(enum.Enum):
    """What `run_job` did with a job."""

    RAN = "ran"  # this call ran the task (to DONE or FAILED)
    BUSY = "busy"  # another live runner holds it; try again after the stale time
    SKIPPED = "skipped"  # finished already, unknown, or failed for too many attempts


def _claim(session: Session, job: Job, settings: Settings) -> Claim:
    """Take *job* for this runner if it is queued or stalled. The change is one conditional
    UPDATE on the status and attempt seen, so of two runners racing only one wins."""
    now = _now()
    stale_after = timedelta(seconds=settings.job_stale_seconds)
    message = job.message
    if job.status is JobStatus.RUNNING:
        if not is_stalled(job, now=now, stale_after=stale_after):
            return Claim.BUSY
        if job.attempts >= settings.job_max_attempts:
            _swap(session, job, status=JobStatus.FAILED, finished_at=now,
                  error=_stalled_reason(job, now))
            return Claim.SKIPPED
        message = (f"retrying: the runner {job.worker} stopped (attempt {job.attempts + 1} "
                   f"of {settings.job_max_attempts})")
    elif job.status is not JobStatus.QUEUED:
        return Claim.SKIPPED
    won = _swap(session, job, status=JobStatus.RUNNING, attempts=job.attempts + 1,
                worker=this_worker(), started_at=now, heartbeat_at=now, message=message)
    return Claim.RAN if won else Claim.BUSY


def _swap(session: Session, job: Job, **values: Any) -> bool:
    """Set *values* on the job if it still has the status and attempt count read."""
    result = session.execute(
        update(Job).where(Job.id == job.id, Job.status == job.status,
                          Job.attempts == job.attempts).values(**values)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def _stalled_reason(job: Job, now: datetime) -> str:
    return (f"the runner stopped during the job {job.attempts} time(s) (last: {job.worker}, "
            f"last heartbeat {(_aware(job.heartbeat_at) or now):%Y-%m-%d %H:%M:%S} UTC); it "
            f"was not retried again. Start it again; if it stops again, it may need more "
            f"memory or time than a worker has.")


def run_job(app: Flask, job_id: str) -> Claim:
    """Run one queued (or stalled) job to completion, recording its result or its error."""
    database: Database = app.extensions["pcf_db"]
    settings = _settings(app)
    with database.unit_of_work() as session:
        job = session.get(Job, job_id)
        if job is None:
            return Claim.SKIPPED
        claim = _claim(session, job, settings)
        kind, parameters, attempt = job.kind, json.loads(job.parameters), job.attempts + 1
    if claim is not Claim.RAN:
        return claim
    heartbeat = _Heartbeat(database, job_id, attempt, settings.job_stale_seconds / 6)
    heartbeat.start()
    context = JobContext(job_id, app)
    try:
        with app.app_context():
            result = TASKS[kind](context, **parameters)
    except Exception as exc:
        heartbeat.stop()
        _finish(database, job_id, attempt, JobStatus.FAILED, error=(
            f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))
        return Claim.RAN
    heartbeat.stop()
    _finish(database, job_id, attempt, JobStatus.DONE, result=json.dumps(
        result, ensure_ascii=False, default=str))
    return Claim.RAN


class _Heartbeat:
    """A thread that stamps the job's heartbeat while its task runs (tasks may spend long
    stretches in one solve without reporting progress)."""

    def __init__(self, database: Database, job_id: str, attempt: int, every: float) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(database, job_id, attempt,
                                                                 every),
                                        name=f"pcf-heartbeat-{job_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self, database: Database, job_id: str, attempt: int, every: float) -> None:
        while not self._stopped.wait(every):
            try:
                with database.unit_of_work() as session:
                    session.execute(update(Job).where(
                        Job.id == job_id, Job.attempts == attempt,
                        Job.status == JobStatus.RUNNING).values(heartbeat_at=_now()))
            except Exception:
                continue


def _finish(database: Database, job_id: str, attempt: int, status: JobStatus, *,
            result: str = "", error: str = "") -> None:
    """Record the outcome, unless another attempt took the job over meanwhile."""
    values: dict[str, Any] = {"status": status, "result": result, "error": error,
                              "finished_at": _now()}
    if status is JobStatus.DONE:
        values["progress"] = 100
    with database.unit_of_work() as session:
        session.execute(update(Job).where(
            Job.id == job_id, Job.attempts == attempt, Job.status == JobStatus.RUNNING)
            .values(**values).execution_options(synchronize_session=False))


def recover_stalled(app: Flask) -> list[str]:
    """Requeue (or, past the attempts allowed, fail) every stalled RUNNING job; returns their
    ids. Safe to run from several processes at once: each job changes hands once."""
    database: Database = app.extensions["pcf_db"]
    settings = _settings(app)
    now = _now()
    stale_after = timedelta(seconds=settings.job_stale_seconds)
    requeued: list[str] = []
    recovered: list[str] = []
    with database.unit_of_work() as session:
        candidates = list(session.scalars(select(Job).where(
            Job.status == JobStatus.RUNNING,
            or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - stale_after,
                Job.worker.like(f"{_HOST}:%")))))
        for job in candidates:
            if not is_stalled(job, now=now, stale_after=stale_after):
                continue
            if job.attempts >= settings.job_max_attempts:
                if _swap(session, job, status=JobStatus.FAILED, finished_at=now,
                         error=_stalled_reason(job, now)):
                    recovered.append(job.id)
            elif _swap(session, job, status=JobStatus.QUEUED,
                       message=f"requeued: the runner {job.worker} stopped"):
                recovered.append(job.id)
                requeued.append(job.id)
    for job_id in requeued:
        dispatch(app, job_id)
    return recovered


def start_janitor(app: Flask) -> threading.Thread:
    """A daemon thread that runs `recover_stalled` every stale period (gunicorn workers and
    Celery workers start one)."""
    every = _settings(app).job_stale_seconds

    def sweep() -> None:
        stop = threading.Event()
        while not stop.wait(every):
            try:
                recover_stalled(app)
            except Exception:
                app.logger.exception("recovering stalled jobs failed")

    thread = threading.Thread(target=sweep, name="pcf-job-janitor", daemon=True)
    thread.start()
    return thread


@task("selftest")
def selftest(context: JobContext, *, steps: int = 3, fail: bool = False,
             seconds_per_step: float = 0.0) -> dict[str, Any]:
    """A trivial job for health checks and tests: reports progress, optionally sleeps per
    step (to be interrupted) and optionally fails."""
    for step in range(steps):
        context.progress(int(100 * step / steps), f"step {step + 1} of {steps}")
        if seconds_per_step:
            threading.Event().wait(min(seconds_per_step, 60.0))
    if fail:
        raise RuntimeError("asked to fail")
    return {"steps": steps}


def shutdown(app: Flask) -> None:
    """Wait for in-process jobs to finish and stop their thread (tests, orderly exits)."""
    executor: ThreadPoolExecutor | None = app.extensions.pop("pcf_jobs", None)
    if executor is not None:
        executor.shutdown(wait=True)
