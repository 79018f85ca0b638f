"""The Celery application (used only when CELERY_BROKER_URL is set). Workers run
`celery -A portal.celery_app worker`; each builds the Flask app once and runs jobs in it.

Tasks are acknowledged after they finish and rejected back to the queue when the worker
process running them is lost (killed, out of memory), so another process takes the job over
(portal/jobs.py decides whether it is stalled). A delivery that finds its job held by a
live runner elsewhere retries after the stale time instead of being dropped.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_ready
from flask import Flask

_APPS: dict[int, Celery] = {}
_WORKER: list[Celery] = []  # the worker's own app, built once on first lookup


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to *app*'s broker (one per Flask app)."""
    existing = _APPS.get(id(app))
    if existing is not None:
        return existing
    settings = app.extensions["pcf_settings"]
    celery = Celery("pcf", broker=settings.celery_broker_url)
    celery.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True,
                       worker_hijack_root_logger=False, task_acks_late=True,
                       task_reject_on_worker_lost=True, worker_prefetch_multiplier=1)

    @celery.task(name="pcf.run_job", bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def run(self: Any, job_id: str) -> None:
        from portal.jobs import Claim, run_job  # noqa: PLC0415

        if run_job(app, job_id) is Claim.BUSY:
            raise self.retry(countdown=settings.job_stale_seconds)

    _APPS[id(app)] = celery
    return celery


def _worker_app() -> Any:
    if _WORKER:
        return _WORKER[0]
    from portal import create_app  # noqa: PLC0415

    app = create_app()
    celery = celery_for(app)

    @worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def _recover(**_kwargs: Any) -> None:
        # jobs left RUNNING by a worker that died are taken over now and every stale period
        from portal.jobs import recover_stalled, start_janitor  # noqa: PLC0415

        recover_stalled(app)
        start_janitor(app)

    _WORKER.append(celery)
    return celery


def __getattr__(name: str) -> Any:
    # `celery -A portal.celery_app worker` looks up `celery` lazily: no app at import time.
    if name == "celery":
        return _worker_app()
    raise AttributeError(name)
