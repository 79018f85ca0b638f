"""The Celery application (used only when CELERY_BROKER_URL is set). Workers run
`celery -A portal.celery_app worker`; each builds the Flask app once and runs jobs in it."""

from __future__ import annotations

from typing import Any

from celery import Celery
from flask import Flask

_APPS: dict[int, Celery] = {}


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to *app*'s broker (one per Flask app)."""
    existing = _APPS.get(id(app))
    if existing is not None:
        return existing
    broker = app.extensions["pcf_settings"].celery_broker_url
    celery = Celery("pcf", broker=broker)
    celery.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True,
                       worker_hijack_root_logger=False, task_acks_late=True)

    @celery.task(name="pcf.run_job")  # type: ignore[untyped-decorator]
    def run(job_id: str) -> None:
        from portal.jobs import run_job  # noqa: PLC0415

        run_job(app, job_id)

    _APPS[id(app)] = celery
    return celery


def _worker_app() -> Any:
    from portal import create_app  # noqa: PLC0415

    return celery_for(create_app())


def __getattr__(name: str) -> Any:
    # `celery -A portal.celery_app worker` looks up `celery` lazily: no app at import time.
    if name == "celery":
        return _worker_app()
    raise AttributeError(name)
