"""Faults: two certifiers acting on one submission at the same moment (one wins, the other
is told someone else changed it, nothing of the loser is stored), and PostgreSQL restarted
while a footprint is computed (that request fails cleanly with 503, the next succeeds).
The Celery worker killed mid-job is in test_jobs.py, beside the other Celery tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from label_cert import workflow
from label_cert.workflow import Action, State
from portal.db.models import (
    AuditEvent,
    CertificationSubmission,
    FootprintRecord,
    Job,
    JobStatus,
    OrganisationKind,
    Role,
    User,
)
from portal.services import certification, footprints
from portal.services.errors import ConcurrentChange

from .conftest import make_user
from .test_api_products import Caller
from .test_certification import computed_footprint
from .test_products_fixtures import app_with_releases, release_id


@pytest.fixture
def cert_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def in_review(app: Flask) -> tuple[int, int, int]:
    """A submission under review and two certifiers of its body."""
    member, footprint_id = computed_footprint(app)
    first = make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "c1@cb.cn", "CB")
    second = make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "c2@cb.cn",
                       "CB")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        enterprise, reviewer = session.get(User, member), session.get(User, first)
        assert enterprise is not None
        assert reviewer is not None
        row = certification.submit(session, actor=enterprise, footprint_id=footprint_id,
                                   body_id=reviewer.organisation_id)
        certification.act(session, actor=reviewer, submission_id=row.id,
                          action=Action.START_REVIEW)
        return row.id, first, second


def test_two_certifiers_deciding_at_once_one_wins_the_other_is_told(
        cert_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    app = cert_app
    submission_id, first, second = in_review(app)
    both_read = threading.Barrier(2, timeout=20)
    real = workflow.transition

    def after_both_read(*args: Any, **kwargs: Any) -> State:
        both_read.wait()  # each has loaded the submission under review; now both decide
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "transition", after_both_read)
    outcomes: dict[str, object] = {}

    def decide(who: int, action: Action) -> None:
        try:
            with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
                actor = session.get(User, who)
                assert actor is not None
                certification.act(session, actor=actor, submission_id=submission_id,
                                  action=action, note=f"{action.value} by {who}")
            outcomes[action.value] = "saved"
        except Exception as exc:
            outcomes[action.value] = exc

    threads = [threading.Thread(target=decide, args=(first, Action.REQUEST_CHANGES)),
               threading.Thread(target=decide, args=(second, Action.REJECT))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(type, outcomes.values()), key=str) == sorted(
        [str, ConcurrentChange], key=str), outcomes
    (winner,) = [action for action, outcome in outcomes.items() if outcome == "saved"]
    (loser,) = [outcome for outcome in outcomes.values() if outcome != "saved"]
    assert "Someone else changed this at the same moment" in str(loser)
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CertificationSubmission, submission_id)
        assert row is not None
        expected = {"request_changes": State.CHANGES_REQUESTED, "reject": State.REJECTED}
        assert row.state == expected[winner]
        assert row.decision_note.startswith(winner)
        decisions = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(["submission.request_changes", "submission.reject"])))
        assert decisions == 1  # the loser's audit event went with its transaction


def _pg_restart_command() -> list[str] | None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return None
    tool = shutil.which("pg_ctlcluster")
    versions = sorted(Path("/etc/postgresql").glob("*/main")) if tool else []
    if not versions or os.geteuid() != 0:
        return None
    return [tool or "pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].parent.name,
            "main", "restart"]


RESTART = _pg_restart_command()


@pytest.mark.skipif(RESTART is None, reason="needs the local PostgreSQL and root to restart it "
                                            "(CI's PostgreSQL pass runs it)")
def test_postgresql_restarted_during_a_compute_fails_that_request_cleanly(
        cert_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    app = cert_app
    me = Caller(app, "a@one.cn", "One")
    product_id = me.modelled_product()
    real = footprints.compute

    def restart_then_compute(*args: Any, **kwargs: Any) -> Any:
        assert RESTART is not None
        subprocess.run(RESTART, check=True, capture_output=True, timeout=120)
        return real(*args, **kwargs)

    monkeypatch.setattr(footprints, "compute", restart_then_compute)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error is an answer
    failed = me.post(f"/api/v1/products/{product_id}/compute", {"release_id": release_id(app)})
    assert failed.status_code == 503, failed.get_data(as_text=True)
    assert failed.headers["Retry-After"] == "5"
    assert "database is unavailable" in failed.get_json()["message"]
    monkeypatch.setattr(footprints, "compute", real)
    deadline = time.monotonic() + 60
    while True:  # the server is back once it answers
        try:
            with app.extensions["pcf_db"].engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    again = me.post(f"/api/v1/products/{product_id}/compute", {"release_id": release_id(app)})
    assert again.status_code == 202, again.get_data(as_text=True)
    assert me.get(again.get_json()["status_url"]).get_json()["status"] == "done"
    with app.extensions["pcf_db"].unit_of_work() as session:
        results = session.scalars(select(FootprintRecord)).all()
        jobs = session.scalars(select(Job).where(Job.kind == "compute_footprint")).all()
        # every stored result belongs to a finished job: nothing half-written
        done = {job.id for job in jobs if job.status is JobStatus.DONE}
        assert results
        assert all(result.job_id in done for result in results)
        assert not [job for job in jobs if job.status is JobStatus.RUNNING]
