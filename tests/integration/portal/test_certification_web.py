"""The certification pages end to end through the Flask test client: submit with documents,
review, reproduce, comment, request changes, resubmit, verify, second approval, issue, revoke,
and who may see what on the way; expiry of labels past their validity."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.db.models import (
    CarbonLabel,
    CertificationSubmission,
    FootprintRecord,
    OrganisationKind,
    Role,
    SubmissionDocument,
    User,
)
from portal.services import labels

from .conftest import csrf_token, login, make_user
from .test_certification import computed_footprint
from .test_products_fixtures import app_with_releases

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def web_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email) == 302
    return client


def post(client: FlaskClient, path: str, page: str, **data: object) -> str:
    """POST a form of *page* (its CSRF token) and return the page it redirects to."""
    response = client.post(path, data={"csrf_token": csrf_token(client, page), **data},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def state(app: Flask, submission_id: int) -> str:
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CertificationSubmission, submission_id)
        assert row is not None
        return row.state


def count(app: Flask, model: type) -> int:
    with app.extensions["pcf_db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def people(app: Flask) -> dict[str, int]:
    return {
        "certifier": make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER,
                               "c@cb.cn", "CB"),
        "signer": make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER,
                            "s@cb.cn", "CB"),
        "other_body": make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER,
                                "o@ob.cn", "OB"),
        "stranger": make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "x@other.cn",
                              "Other"),
    }


def body_id(app: Flask, user_id: int) -> int:
    with app.extensions["pcf_db"].unit_of_work() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.organisation_id


def submit(app: Flask, footprint_id: int, body: int) -> tuple[FlaskClient, int]:
    enterprise = client_for(app, "e@ent.cn")
    page = f"/certification/new/{footprint_id}"
    html = post(enterprise, page, page, body=body,
                documents=[(io.BytesIO(PDF), "电费单 2024.pdf"),
                           (io.BytesIO(b"meter,kWh\nA,120\n"), "meters.csv")])
    match = re.search(r"Submission #(\d+)|提交 #(\d+)|#(\d+)", html)
    assert match, html[:2000]
    with app.extensions["pcf_db"].unit_of_work() as session:
        submission_id = session.scalars(select(CertificationSubmission.id)).one()
    return enterprise, submission_id


def test_a_bad_document_stores_nothing(web_app: Flask) -> None:
    app = web_app
    _member, footprint_id = computed_footprint(app)
    crew = people(app)
    enterprise = client_for(app, "e@ent.cn")
    page = f"/certification/new/{footprint_id}"
    html = post(enterprise, page, page, body=body_id(app, crew["certifier"]),
                documents=[(io.BytesIO(PDF), "ok.pdf"),
                           (io.BytesIO(b"MZ\x90\x00"), "setup.pdf")])
    assert "setup.pdf: the content is not a .pdf file" in html
    html = post(enterprise, page, page, body=body_id(app, crew["certifier"]),
                documents=[(io.BytesIO(b"MZ\x90\x00"), "tool.exe")])
    assert "tool.exe: type .exe is not accepted" in html
    assert count(app, CertificationSubmission) == 0
    assert count(app, SubmissionDocument) == 0


def test_the_whole_review_through_the_pages(web_app: Flask) -> None:
    app = web_app
    _member, footprint_id = computed_footprint(app)
    crew = people(app)
    cb = body_id(app, crew["certifier"])
    enterprise, sid = submit(app, footprint_id, cb)
    detail = f"/certification/{sid}"
    assert state(app, sid) == "submitted"
    assert count(app, SubmissionDocument) == 2
    with app.extensions["pcf_db"].unit_of_work() as session:
        pdf = session.scalars(select(SubmissionDocument.id).where(
            SubmissionDocument.filename == "电费单 2024.pdf")).one()

    # Only the enterprise and the addressed body see the submission and its documents.
    for outsider in ("o@ob.cn", "x@other.cn"):
        other = client_for(app, outsider)
        assert other.get(detail).status_code == 404
        assert other.get(f"{detail}/documents/{pdf}").status_code == 404
        assert f">{sid}<" not in other.get("/certification").get_data(as_text=True)

    for outsider in ("o@ob.cn", "x@other.cn"):
        assert client_for(app, outsider).get(f"{detail}/submission.json").status_code == 404
    certifier = client_for(app, "c@cb.cn")
    download = certifier.get(f"{detail}/documents/{pdf}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"2024.pdf\"; "
        "filename*=UTF-8''%E7%94%B5%E8%B4%B9%E5%8D%95%202024.pdf")
    frozen = certifier.get(f"{detail}/submission.json").get_json()
    assert set(frozen["result"]["totals"]) >= {"pcf_excluding_biogenic_uptake"}
    assert [p["id"] for p in frozen["model"]["processes"]][:2] == ["slitting", "galvanising"]
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CertificationSubmission, sid)
        assert row is not None
        assert (frozen["model_hash"], frozen["release_hash"], frozen["result_hash"]) == (
            row.model_hash, row.release_hash, row.result_hash)
    queue = certifier.get("/certification").get_data(as_text=True)
    assert f'/certification/{sid}"' in queue
    download = certifier.get(f"{detail}/documents/{pdf}")
    assert download.status_code == 200
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    # Verifying before reproducing is refused; the state does not move.
    post(certifier, f"{detail}/decide/start_review", detail)
    html = post(certifier, f"{detail}/decide/verify", detail)
    assert "reproduce the calculation first" in html
    assert state(app, sid) == "under_review"
    html = post(certifier, f"{detail}/reproduce", detail)
    assert 'data-matches="true"' in html
    post(certifier, f"{detail}/comments", detail, target="x" * 301, body="too long a target")
    assert "too long a target" not in certifier.get(detail).get_data(as_text=True)
    html = post(certifier, f"{detail}/comments", detail, target="galvanising",
                body="请说明锌锭供应商数据的来源")
    assert "请说明锌锭供应商数据的来源" in html
    post(certifier, f"{detail}/decide/request_changes", detail, note="see the comment")
    assert state(app, sid) == "changes_requested"

    # The enterprise sees the comment and resubmits; the reproduction no longer counts.
    html = enterprise.get(detail).get_data(as_text=True)
    assert "请说明锌锭供应商数据的来源" in html
    assert "see the comment" in html
    post(enterprise, f"{detail}/resubmit", detail, footprint=footprint_id,
         note="supplier source added")
    assert state(app, sid) == "resubmitted"
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CertificationSubmission, sid)
        assert row is not None
        assert row.round_number == 2
        assert row.reproduced_hash is None

    post(certifier, f"{detail}/decide/start_review", detail)
    post(certifier, f"{detail}/reproduce", detail)
    post(certifier, f"{detail}/decide/verify", detail)
    assert state(app, sid) == "verified"

    # The signer cannot issue alone, nor approve for themself.
    signer = client_for(app, "s@cb.cn")
    html = post(signer, f"{detail}/issue", detail)
    assert "须先由本机构的第二审批人批准" in html  # zh-CN: a second approver must approve first
    post(signer, f"{detail}/approve", detail)
    html = post(signer, f"{detail}/issue", detail)
    assert "second approver" in html
    assert state(app, sid) == "verified"
    assert count(app, CarbonLabel) == 0
    # A certifier cannot issue even with an approval; the signer can after the certifier's.
    post(certifier, f"{detail}/approve", detail)
    assert certifier.post(f"{detail}/issue",
                          data={"csrf_token": csrf_token(certifier, detail)}).status_code == 403
    html = post(signer, f"{detail}/issue", detail)
    assert state(app, sid) == "label_issued"
    with app.extensions["pcf_db"].unit_of_work() as session:
        label = session.scalars(select(CarbonLabel)).one()
        link, label_id = f"/01/{label.gtin}/21/{label.serial}", label.id
    assert link in html
    public = app.test_client()
    assert 'data-verdict="valid"' in public.get(link).get_data(as_text=True)

    post(signer, f"{detail}/labels/{label_id}/suspend", detail)
    assert 'data-verdict="suspended"' in public.get(link).get_data(as_text=True)
    post(signer, f"{detail}/labels/{label_id}/reinstate", detail)
    assert 'data-verdict="valid"' in public.get(link).get_data(as_text=True)
    html = post(signer, f"{detail}/labels/{label_id}/revoke", detail)
    assert state(app, sid) == "revoked"
    assert 'data-verdict="revoked"' in public.get(link).get_data(as_text=True)
    # Every step is in the submission's audit history, and the page lists it.
    assert html.count("<li>", html.index('class="history"')) >= 14
    with app.extensions["pcf_db"].unit_of_work() as session:
        from portal.db.models import AuditEvent

        actions = [e.action for e in session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "submission", AuditEvent.entity_id == str(sid)))]
    for action in ("submission.submit", "submission.document", "submission.start_review",
                   "submission.reproduce", "submission.comment", "submission.request_changes",
                   "submission.resubmit", "submission.refreeze", "submission.verify",
                   "submission.approve", "submission.issue", "submission.suspend",
                   "submission.reinstate", "submission.revoke"):
        assert action in actions, action


def test_a_reproduction_that_differs_blocks_verification_and_is_shown(web_app: Flask) -> None:
    app = web_app
    _member, footprint_id = computed_footprint(app)
    crew = people(app)
    _enterprise, sid = submit(app, footprint_id, body_id(app, crew["certifier"]))
    with app.extensions["pcf_db"].unit_of_work() as session:
        footprint = session.get(FootprintRecord, footprint_id)
        assert footprint is not None
        data = json.loads(footprint.result)
        data["totals"]["fossil_ghg_emissions"] = "1.5"
        footprint.result = json.dumps(data)
        row = session.get(CertificationSubmission, sid)
        assert row is not None
        row.result_hash = "0" * 64  # what an edited result would have claimed
    certifier = client_for(app, "c@cb.cn")
    detail = f"/certification/{sid}"
    post(certifier, f"{detail}/decide/start_review", detail)
    html = post(certifier, f"{detail}/reproduce", detail)
    assert 'data-matches="false"' in html
    assert re.search(r"fossil_ghg_emissions|化石", html)
    assert '<td class="number">1.5</td>' in html
    html = post(certifier, f"{detail}/decide/verify", detail)
    assert "different result hash" in html
    assert state(app, sid) == "under_review"


def test_enterprise_and_body_roles_are_kept_apart(web_app: Flask) -> None:
    app = web_app
    _member, footprint_id = computed_footprint(app)
    crew = people(app)
    enterprise, sid = submit(app, footprint_id, body_id(app, crew["certifier"]))
    detail = f"/certification/{sid}"
    # The enterprise cannot take the body's decisions, and the body cannot submit.
    response = enterprise.post(f"{detail}/decide/verify",
                               data={"csrf_token": csrf_token(enterprise, detail)})
    assert response.status_code == 403
    certifier = client_for(app, "c@cb.cn")
    assert certifier.get(f"/certification/new/{footprint_id}").status_code == 403
    # Another enterprise cannot submit this enterprise's result.
    stranger = client_for(app, "x@other.cn")
    assert stranger.get(f"/certification/new/{footprint_id}").status_code == 404


def test_labels_past_their_validity_expire(web_app: Flask) -> None:
    app = web_app
    from .test_certification import verified_submission

    signer, approver, _member, sid = verified_submission(app)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        label = labels.issue(session, signer=session.get(User, signer),  # type: ignore[arg-type]
                             approver=session.get(User, approver),  # type: ignore[arg-type]
                             submission_id=sid)
        valid_until = label.valid_until
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        assert labels.expire_due(session, valid_until - timedelta(seconds=1)) == []
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        done = labels.expire_due(session, valid_until + timedelta(seconds=1))
        assert [x.state for x in done] == ["expired"]
    assert state(app, sid) == "expired"
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        assert labels.expire_due(session, datetime.now(UTC) + timedelta(days=5000)) == []


def test_the_body_rotates_its_key_and_old_labels_keep_verifying(web_app: Flask) -> None:
    app = web_app
    from .test_certification import verified_submission

    signer, approver, _member, sid = verified_submission(app)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        label = labels.issue(session, signer=session.get(User, signer),  # type: ignore[arg-type]
                             approver=session.get(User, approver),  # type: ignore[arg-type]
                             submission_id=sid)
        link = f"/01/{label.gtin}/21/{label.serial}"
    certifier = client_for(app, "c@cb.cn")
    page = certifier.get("/certification/keys").get_data(as_text=True)
    assert page.count("<code>") == 1
    assert 'id="rotate"' not in page  # a certifier sees the keys but does not rotate them
    assert certifier.post("/certification/keys/rotate", data={
        "csrf_token": csrf_token(certifier, "/certification/keys")}).status_code == 403
    signer_client = client_for(app, "s@cb.cn")
    post(signer_client, "/certification/keys/rotate", "/certification/keys")
    page = signer_client.get("/certification/keys").get_data(as_text=True)
    assert page.count("<code>") == 2
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 2  # the retired key stays published
    assert 'data-verdict="valid"' in app.test_client().get(link).get_data(as_text=True)
    make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "x@other.cn", "Other")
    assert client_for(app, "x@other.cn").get("/certification/keys").status_code == 403
