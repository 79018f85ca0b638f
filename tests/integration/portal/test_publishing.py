"""Background publishing over HTTP: upload, validation report, submission, review, release
publication compiled by a job (run inline), release pages, diffs, and who may see what."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from background_db.importers.template import KEYS, header_cells
from background_db.store import BackgroundStore
from portal import create_app
from portal.db.base import Base
from portal.db.models import (
    AuditEvent,
    DatasetUpload,
    Job,
    JobStatus,
    OrganisationKind,
    ReleaseRecord,
    ReleaseStatus,
    Role,
    UploadStatus,
    User,
)
from portal.jobs import run_job, submit
from portal.services import audit, publishing, releases
from portal.services.demo import ensure_demo, ensure_seed_release
from portal.services.errors import Forbidden

from .conftest import csrf_token, login, make_user

SEED_BASE = "cn-national@2026.1.0"
EXTENSION = "sx-steel-test@0.2.0"
# Hand-checkable intensities (kg CO2e per kg, AR6 Table 7.15: CH4-fossil 29.8): the billet
# emits 1.5 kg CO2 and 0.01 kg CH4 -> 1.798; the sheet is 1.1 kg of billet -> 1.9778.
GOOD_ROWS = [
    {"activity_id": "steel-billet-sx-test", "activity_name": "steel billet, Shanxi (test)",
     "reference_product": "steel billet", "unit": "kg", "geography": "CN-SX",
     "sector": "GB/T 4754 C312 steel making", "exchange": "emission",
     "target": "Carbon dioxide, fossil", "exchange_amount": "1.5", "exchange_unit": "kg",
     "gas": "CO2", "origin": "fossil", "publisher": "Test steel association",
     "source": "test survey 2024", "note": "illustrative"},
    {"activity_id": "steel-billet-sx-test", "exchange": "emission", "target": "Methane, fossil",
     "exchange_amount": "0.01", "exchange_unit": "kg", "gas": "CH4", "origin": "fossil"},
    {"activity_id": "steel-sheet-sx-test", "activity_name": "steel sheet, Shanxi (test)",
     "reference_product": "steel sheet", "unit": "kg", "geography": "CN-SX",
     "sector": "GB/T 4754 C313 steel rolling", "exchange": "input",
     "target": "steel-billet-sx-test", "exchange_amount": "1.1", "exchange_unit": "kg"},
    # replaces the national default grid, with 5 % losses on the Shanxi provincial factor
    {"activity_id": "electricity-grid-sx-test", "activity_name": "electricity, Shanxi (test)",
     "reference_product": "electricity", "unit": "kWh", "geography": "CN-SX",
     "replaces": "electricity-grid-cn", "exchange": "input",
     "target": "elec-grid-provincial-shanxi-2022", "exchange_amount": "1.05",
     "exchange_unit": "kWh"},
]
BROKEN_ROWS = [
    {"activity_id": "steel-billet-sx-test", "reference_product": "steel billet", "unit": "kg",
     "exchange": "emission", "target": "Carbon dioxide, fossil", "exchange_amount": "1,5",
     "exchange_unit": "kg"},
    {"activity_id": "", "activity_name": "nameless", "exchange": "input",
     "target": "steel-billet-sx-test", "exchange_amount": "1", "exchange_unit": "kg"},
    {"activity_id": "steel-sheet-sx-test", "unit": "kg", "exchange": "explode",
     "target": "steel-billet-sx-test", "exchange_amount": "1", "exchange_unit": "kg"},
]


def template_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header_cells())
    for row in rows:
        writer.writerow([row.get(key, "") for key in KEYS])
    return buffer.getvalue().encode()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The portal with jobs run inline, so a release compiles within the request."""
    app = create_app({"database_url": database_url, "testing": True, "jobs_inline": True,
                      "celery_broker_url": "", "instance_path": tmp_path / "instance",
                      "session_cookie_secure": False, "login_rate_limit": "100 per minute"})
    yield app
    with app.extensions["pcf_db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["pcf_db"].engine.dispose()


def get_user(app: Flask, user_id: int) -> User:
    """A detached user with its organisation loaded, to call services with."""
    with uow(app) as session:
        user = session.scalar(select(User).where(User.id == user_id).options(
            selectinload(User.organisation)))
        assert user is not None
        session.expunge_all()
        return user


def store_of(app: Flask) -> BackgroundStore:
    return BackgroundStore(app.extensions["pcf_settings"].background_store)


def uow(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["pcf_db"].unit_of_work()


def seed(app: Flask) -> int:
    """The seed release shanxi-demo@1.0.0 (base cn-national@2026.1.0), READY."""
    with uow(app) as session:
        return ensure_seed_release(session, store_of(app)).id


def users(app: Flask) -> dict[str, int]:
    return {
        "enterprise": make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "e@x.cn"),
        "association": make_user(app, OrganisationKind.ASSOCIATION, Role.MEMBER, "a@one.cn",
                                 "Association One"),
        "other_association": make_user(app, OrganisationKind.ASSOCIATION, Role.MEMBER,
                                       "b@two.cn", "Association Two"),
        "operator": make_user(app, OrganisationKind.OPERATOR, Role.MEMBER, "op@x.cn"),
    }


EMAILS = {"enterprise": "e@x.cn", "association": "a@one.cn", "other_association": "b@two.cn",
          "operator": "op@x.cn"}


def upload_through_page(client: FlaskClient, data: bytes, filename: str = "sx-steel.csv",
                        name: str = "sx-steel-test", version: str = "0.2.0"
                        ) -> tuple[int, str]:
    token = csrf_token(client, "/background/uploads")
    response = client.post("/background/uploads", content_type="multipart/form-data", data={
        "file": (io.BytesIO(data), filename), "name": name, "version": version,
        "role": "extension", "format": "", "csrf_token": token})
    if response.status_code != 302:
        return 0, response.get_data(as_text=True)
    location = response.headers["Location"]
    upload_id = int(location.rsplit("/", 1)[1])
    return upload_id, client.get(location).get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict[str, object], page: str) -> int:
    data = {**data, "csrf_token": csrf_token(client, page)}
    return client.post(path, data=data).status_code


def logout(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def publish(client: FlaskClient, name: str, version: str, extensions: list[str]
            ) -> tuple[int, str]:
    token = csrf_token(client, "/background/review")
    response = client.post("/background/review", data={
        "name": name, "version": version, "base": SEED_BASE, "extensions": extensions,
        "csrf_token": token})
    return response.status_code, response.headers.get("Location", "") or (
        response.get_data(as_text=True))


class TestTheWholeFlow:
    def test_an_uploaded_extension_is_published_compiled_and_seen_by_an_enterprise(
            self, app: Flask, client: FlaskClient) -> None:
        seed_id = seed(app)
        users(app)
        login(client, "a@one.cn")
        upload_id, report = upload_through_page(client, template_csv(GOOD_ROWS))
        assert upload_id, report
        assert "活动: 3" in report  # the summary: 3 activities
        assert post(client, f"/background/uploads/{upload_id}/submit", {},
                    f"/background/uploads/{upload_id}") == 302
        logout(client)

        login(client, "op@x.cn")
        review = client.get("/background/review").get_data(as_text=True)
        assert "sx-steel.csv" in review
        assert f'value="{EXTENSION}"' in review
        status, location = publish(client, "shanxi-test", "1.1.0", [EXTENSION])
        assert status == 302, location
        release_id = int(location.rsplit("/", 1)[1])
        with uow(app) as session:
            record = session.get(ReleaseRecord, release_id)
            assert record is not None
            assert record.status is ReleaseStatus.READY
            assert record.job_id is not None
            job_id = record.job_id
            upload = session.get(DatasetUpload, upload_id)
            assert upload is not None
            assert upload.status is UploadStatus.PUBLISHED
            assert audit.verify_chain(session) is None
            actions = set(session.scalars(select(AuditEvent.action)))
        assert {"upload.create", "upload.submit", "release.publish", "upload.publish",
                "release.ready"} <= actions
        progress = client.get(f"/background/jobs/{job_id}").get_json()
        assert progress["status"] == "done"
        assert progress["progress"] == 100
        logout(client)

        login(client, "e@x.cn")
        listing = client.get("/background/releases").get_data(as_text=True)
        assert "shanxi-test@1.1.0" in listing
        assert "shanxi-demo@1.0.0" in listing
        page = client.get(f"/background/releases/{release_id}?q=steel-").get_data(as_text=True)
        assert "1.798 kg CO2e / kg" in page
        assert "1.9778 kg CO2e / kg" in page
        assert "Association One · sx-steel.csv" in page  # provenance of the extension
        assert "electricity-grid-sx-test" in page  # the replacement it made
        geography = client.get(f"/background/releases/{release_id}?geography=CN-SX"
                               ).get_data(as_text=True)
        assert "steel-sheet-sx-test" in geography
        assert "elec-grid-national-china-2021" not in geography
        assert client.get(f"/background/jobs/{job_id}").status_code == 404
        diff = client.get(f"/background/releases/{release_id}/diff?against={seed_id}"
                          ).get_data(as_text=True)
        changed = diff.split('class="changed"')[1].split("</table>")[0]
        assert "electricity-grid-cn" in changed
        added = diff.split('class="added"')[1].split("</ul>")[0]
        assert "steel-billet-sx-test" in added
        assert "+5.000 %" in diff.split('class="moved"')[1]  # the grid with 5 % losses


class TestValidationReport:
    def test_a_broken_file_shows_every_issue_and_stores_no_dataset(
            self, app: Flask, client: FlaskClient) -> None:
        users(app)
        login(client, "a@one.cn")
        upload_id, report = upload_through_page(client, template_csv(BROKEN_ROWS),
                                                filename="broken.csv")
        assert upload_id
        issues = re.findall(r"<li><code>(.*?)</code></li>", report)
        assert issues == [
            "broken.csv, row 2: field &#39;exchange_amount&#39; value &#39;1,5&#39;: use "
            "&#39;.&#39; as the decimal separator and no thousands separator (is "
            "&#39;1,500&#39; one and a half or fifteen hundred?)",
            "broken.csv, row 3: field &#39;activity_id&#39;: every row needs the activity id",
            "broken.csv, row 4: field &#39;exchange&#39; value &#39;explode&#39;: expected "
            "input, emission, resource or uptake (输入, 排放, 资源, 吸收)",
        ]
        assert str(app.instance_path) not in report
        assert "/submit" not in report  # nothing to submit
        assert store_of(app).datasets() == []
        with uow(app) as session:
            upload = session.get(DatasetUpload, upload_id)
            assert upload is not None
            assert upload.status is UploadStatus.INVALID
            assert len(json.loads(upload.issues)) == 3
        assert post(client, f"/background/uploads/{upload_id}/submit", {},
                    f"/background/uploads/{upload_id}") == 302
        with uow(app) as session:
            assert session.get(DatasetUpload, upload_id).status is (  # type: ignore[union-attr]
                UploadStatus.INVALID)

    def test_other_file_types_are_refused_with_a_clear_message(
            self, app: Flask, client: FlaskClient) -> None:
        users(app)
        login(client, "a@one.cn")
        upload_id, page = upload_through_page(client, b"MZ\x90\x00", filename="tool.exe")
        assert upload_id == 0
        assert "不接受此类型的文件" in page
        with uow(app) as session:
            assert session.scalars(select(DatasetUpload)).first() is None

    def test_a_dataset_version_is_uploaded_once(self, app: Flask, client: FlaskClient) -> None:
        users(app)
        login(client, "a@one.cn")
        first, _report = upload_through_page(client, template_csv(GOOD_ROWS))
        logout(client)
        login(client, "b@two.cn")
        second, report = upload_through_page(client, template_csv(GOOD_ROWS))
        assert "sx-steel.csv: dataset sx-steel-test 0.2.0 is already in the background store; " \
               "give this upload a new version" in report
        with uow(app) as session:
            statuses = [session.get(DatasetUpload, i).status  # type: ignore[union-attr]
                        for i in (first, second)]
        assert statuses == [UploadStatus.VALIDATED, UploadStatus.INVALID]

    def test_a_release_that_does_not_validate_lists_every_problem(
            self, app: Flask, client: FlaskClient) -> None:
        seed(app)
        users(app)
        rows = [dict(GOOD_ROWS[2], target="no-such-billet"),
                dict(GOOD_ROWS[3], replaces="no-such-national-activity")]
        login(client, "a@one.cn")
        upload_id, _report = upload_through_page(client, template_csv(rows))
        post(client, f"/background/uploads/{upload_id}/submit", {},
             f"/background/uploads/{upload_id}")
        logout(client)
        login(client, "op@x.cn")
        status, page = publish(client, "shanxi-test", "1.1.0", [EXTENSION])
        assert status == 200
        issues = re.findall(r"<li><code>(.*?)</code></li>", page)
        assert len(issues) == 2
        assert any("no-such-billet" in issue for issue in issues)
        assert any("no-such-national-activity" in issue for issue in issues)
        with uow(app) as session:
            assert session.scalar(select(ReleaseRecord).where(
                ReleaseRecord.name == "shanxi-test")) is None
            assert session.get(DatasetUpload, upload_id).status is (  # type: ignore[union-attr]
                UploadStatus.SUBMITTED)


class TestReview:
    def test_the_operator_rejects_with_a_note_the_uploader_reads(
            self, app: Flask, client: FlaskClient) -> None:
        seed(app)
        users(app)
        login(client, "a@one.cn")
        upload_id, _report = upload_through_page(client, template_csv(GOOD_ROWS))
        post(client, f"/background/uploads/{upload_id}/submit", {},
             f"/background/uploads/{upload_id}")
        logout(client)
        login(client, "op@x.cn")
        assert post(client, f"/background/uploads/{upload_id}/reject",
                    {"note": "cite the survey"}, "/background/review") == 302
        review = client.get("/background/review").get_data(as_text=True)
        assert f'value="{EXTENSION}"' not in review  # a rejected dataset is not publishable
        logout(client)
        login(client, "a@one.cn")
        report = client.get(f"/background/uploads/{upload_id}").get_data(as_text=True)
        assert "cite the survey" in report
        assert "已退回" in report

    def test_an_association_cannot_publish(self, app: Flask, client: FlaskClient) -> None:
        seed(app)
        ids = users(app)
        login(client, "a@one.cn")
        response = client.post("/background/review", data={
            "name": "x", "version": "1.0.0", "base": SEED_BASE,
            "csrf_token": csrf_token(client, "/background/uploads")})
        assert response.status_code == 403
        with pytest.raises(Forbidden):
            releases.publish_release(app.extensions["pcf_db"], store_of(app),
                                     lambda _kind, _parameters: "", actor=get_user(
                                         app, ids["association"]), name="x", version="1.0.0",
                                     base=SEED_BASE, extensions=[])

    def test_one_association_cannot_see_or_submit_anothers_upload(
            self, app: Flask, client: FlaskClient) -> None:
        users(app)
        login(client, "a@one.cn")
        upload_id, _report = upload_through_page(client, template_csv(GOOD_ROWS))
        logout(client)
        login(client, "b@two.cn")
        assert client.get(f"/background/uploads/{upload_id}").status_code == 404
        response = client.post(f"/background/uploads/{upload_id}/submit",
                               data={"csrf_token": csrf_token(client, "/background/uploads")})
        assert response.status_code == 404
        assert "sx-steel.csv" not in client.get("/background/uploads").get_data(as_text=True)


class TestCompilingRelease:
    def test_the_page_refreshes_and_shows_the_jobs_progress(
            self, app: Flask, client: FlaskClient) -> None:
        seed(app)
        ids = users(app)
        job_id = "00000000-0000-0000-0000-000000000001"
        with uow(app) as session:
            session.add(Job(id=job_id, kind="compile_release", status=JobStatus.RUNNING,
                            progress=40, message="factorising and solving",
                            created_at=datetime.now(UTC)))
        record = releases.publish_release(
            app.extensions["pcf_db"], store_of(app), lambda _kind, _parameters: job_id,
            actor=get_user(app, ids["operator"]), name="shanxi-test", version="2.0.0",
            base=SEED_BASE, extensions=[])
        assert record.status is ReleaseStatus.COMPILING
        login(client, "op@x.cn")
        response = client.get(f"/background/releases/{record.id}")
        assert response.headers["Refresh"] == "3"
        page = response.get_data(as_text=True)
        assert '<progress value="40" max="100">' in page
        assert "factorising and solving" in page
        logout(client)
        login(client, "e@x.cn")
        assert client.get(f"/background/releases/{record.id}").status_code == 404
        assert "shanxi-test" not in client.get("/background/releases").get_data(as_text=True)


    def test_a_release_that_cannot_be_compiled_is_marked_failed(self, app: Flask) -> None:
        seed(app)
        ids = users(app)
        operator = get_user(app, ids["operator"])

        def queue(kind: str, parameters: dict[str, object]) -> str:
            """Queue the job without running it, as a busy Celery queue would."""
            with uow(app) as session:
                session.add(Job(id="00000000-0000-0000-0000-000000000002", kind=kind,
                                parameters=json.dumps(parameters), status=JobStatus.QUEUED,
                                created_at=datetime.now(UTC)))
            return "00000000-0000-0000-0000-000000000002"

        record = releases.publish_release(
            app.extensions["pcf_db"], store_of(app), queue, actor=operator,
            name="shanxi-test", version="2.0.0", base=SEED_BASE, extensions=[])
        (store_of(app).root / "releases" / "shanxi-test" / "2.0.0.json.gz").unlink()
        assert record.job_id is not None
        job_id = record.job_id
        run_job(app, job_id)
        with uow(app) as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert job.status is JobStatus.FAILED
            assert "StoreError" in job.error
            failed = session.get(ReleaseRecord, record.id)
            assert failed is not None
            assert failed.status is ReleaseStatus.FAILED


class TestDemo:
    def test_demo_data_includes_a_ready_seed_release_once(self, app: Flask) -> None:
        for _ in range(2):
            with uow(app) as session:
                ensure_demo(session, store=store_of(app))
        with uow(app) as session:
            records = list(session.scalars(select(ReleaseRecord)))
        assert [(r.name, r.version, r.status) for r in records] == [
            ("shanxi-demo", "1.0.0", ReleaseStatus.READY)]
        assert store_of(app).get_release("shanxi-demo@1.0.0").content_hash == (
            records[0].content_hash)


def access_objects(app: Flask) -> dict[str, object]:
    """A READY release, a submitted upload of Association One, and an operator's job."""
    release_id = seed(app)
    ids = users(app)
    with uow(app) as session:
        association = get_user(app, ids["association"])
        upload = publishing.receive_upload(
            session, actor=association, store=store_of(app),
            upload_root=Path(app.instance_path) / "uploads", filename="sx.csv",
            data=template_csv(GOOD_ROWS), role="extension", name="sx-steel-test",
            version="0.2.0")
        upload.status = UploadStatus.SUBMITTED
        upload_id = upload.id
    job_id = submit(app, "selftest", {"steps": 1}, actor=get_user(app, ids["operator"]))
    return {"release": release_id, "upload": upload_id, "job": job_id}


EVERYONE = {"anonymous": 302, "enterprise": 200, "association": 200, "operator": 200}
ROUTES = {
    "/background/releases": EVERYONE,
    "/background/releases/{release}": EVERYONE,
    "/background/releases/{release}/diff?against={release}": EVERYONE,
    "/background/releases/999999": {"anonymous": 302, "enterprise": 404, "operator": 404},
    "/background/uploads": {"anonymous": 302, "enterprise": 403, "association": 200,
                            "operator": 200},
    "/background/uploads/{upload}": {"anonymous": 302, "enterprise": 403, "association": 200,
                                     "other_association": 404, "operator": 200},
    "/background/review": {"anonymous": 302, "enterprise": 403, "association": 403,
                           "operator": 200},
    "/background/jobs/{job}": {"anonymous": 302, "enterprise": 404, "association": 404,
                               "operator": 200},
}
ACCESS = [(path, who, status) for path, table in ROUTES.items()
          for who, status in table.items()]


@pytest.mark.parametrize(("path", "who", "status"), ACCESS)
def test_access_table(app: Flask, client: FlaskClient, path: str, who: str,
                      status: int) -> None:
    objects = access_objects(app)
    if who != "anonymous":
        login(client, EMAILS[who])
    assert client.get(path.format(**objects)).status_code == status
