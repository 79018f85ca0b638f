"""Certification submissions: freezing, scoping to the enterprise and the addressed body,
reproduction by the body, and the workflow rules enforced through the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from label_cert.workflow import Action, State
from portal.db.models import FootprintRecord, OrganisationKind, Role, User
from portal.services import certification, footprints, product_models, products
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.model_document import replace_document

from .conftest import make_user
from .test_api_products import bracket_document
from .test_products_fixtures import app_with_releases, release_id


@pytest.fixture
def cert_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def user(app: Flask, kind: OrganisationKind, role: Role, email: str, org: str) -> int:
    return make_user(app, kind, role, email, org)


def computed_footprint(app: Flask) -> tuple[int, int]:
    """An enterprise user and a computed footprint of the worked example."""
    member = user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "e@ent.cn", "Ent")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        product = products.create_product(session, actor=actor, fields=products.ProductFields(
            name="bracket", declared_unit="kilogram", internal_id="B-1",
            gtin="06901234567892"))
        product_models.edit_model(session, actor=actor, product_id=product.id,
                                  base_version=0, edit=replace_document(bracket_document()))
        product_id = product.id
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        footprints.start_compute(app, session, actor=actor, product_id=product_id,
                                 release_id=release_id(app))
    with app.extensions["pcf_db"].unit_of_work() as session:
        footprint = session.scalars(select(FootprintRecord)).one()
        return member, footprint.id


def test_the_review_path_to_verification(cert_app: Flask) -> None:
    app = cert_app
    member, footprint_id = computed_footprint(app)
    certifier = user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "c@cb.cn", "CB")
    other_body = user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "o@ob.cn", "OB")
    stranger = user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "s@other.cn", "Other")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        get = session.get
        body_id = get(User, certifier).organisation_id  # type: ignore[union-attr]
        row = certification.submit(session, actor=get(User, member),  # type: ignore[arg-type]
                                   footprint_id=footprint_id, body_id=body_id)
        assert row.state == State.SUBMITTED
        assert len(row.result_hash) == len(row.release_hash) == len(row.model_hash) == 64
        submission_id = row.id
        for outsider in (other_body, stranger):
            with pytest.raises(NotFound):
                certification.visible(session, get(User, outsider),  # type: ignore[arg-type]
                                      submission_id)
        assert certification.for_organisation(
            session, get(User, other_body)) == []  # type: ignore[arg-type]
        cert = get(User, certifier)
        assert cert is not None
        certification.act(session, actor=cert, submission_id=submission_id,
                          action=Action.START_REVIEW)
        with pytest.raises(Conflict, match="reproduce the calculation first"):
            certification.act(session, actor=cert, submission_id=submission_id,
                              action=Action.VERIFY)
        with pytest.raises(Forbidden):
            certification.reproduce(session, actor=get(User, member),  # type: ignore[arg-type]
                                    submission_id=submission_id)
        reproduction = certification.reproduce(session, actor=cert,
                                               submission_id=submission_id)
        assert reproduction.matches
        assert reproduction.differences == ()
        certification.comment(session, actor=cert, submission_id=submission_id,
                              body="请补充锌锭供应商的数据来源", target="galvanising")
        done = certification.act(session, actor=cert, submission_id=submission_id,
                                 action=Action.VERIFY)
        assert done.state == State.VERIFIED
        with pytest.raises(Forbidden, match="signer"):
            certification.act(session, actor=cert, submission_id=submission_id,
                              action=Action.ISSUE)


def test_a_submission_to_something_that_is_not_a_body_is_refused(cert_app: Flask) -> None:
    from portal.services.errors import InvalidInput

    member, footprint_id = computed_footprint(cert_app)
    with cert_app.app_context(), cert_app.extensions["pcf_db"].unit_of_work() as session:
        actor = session.get(User, member)
        assert actor is not None
        with pytest.raises(InvalidInput):
            certification.submit(session, actor=actor, footprint_id=footprint_id,
                                 body_id=actor.organisation_id)


def verified_submission(app: Flask) -> tuple[int, int, int, int]:
    """(signer, second approver, enterprise member, submission id) of a verified submission."""
    member, footprint_id = computed_footprint(app)
    certifier = user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER, "c@cb.cn", "CB")
    signer = user(app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER, "s@cb.cn", "CB")
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        cert = session.get(User, certifier)
        assert cert is not None
        row = certification.submit(session, actor=session.get(User, member),  # type: ignore[arg-type]
                                   footprint_id=footprint_id, body_id=cert.organisation_id)
        certification.act(session, actor=cert, submission_id=row.id,
                          action=Action.START_REVIEW)
        certification.reproduce(session, actor=cert, submission_id=row.id)
        certification.act(session, actor=cert, submission_id=row.id, action=Action.VERIFY)
        return signer, certifier, member, row.id


def test_issuing_signs_allocates_status_bits_and_logs(cert_app: Flask) -> None:
    import base64
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from label_cert import transparency
    from label_cert.label import verify_label
    from label_cert.status_list import decode_list
    from portal.db.models import LogCheckpoint, StatusListRecord
    from portal.services import issuer_keys, labels, transparency_log

    app = cert_app
    signer, certifier, _member, submission_id = verified_submission(app)
    host = app.extensions["pcf_settings"].public_host
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        sign_user, approver = session.get(User, signer), session.get(User, certifier)
        assert sign_user is not None
        assert approver is not None
        with pytest.raises(Conflict, match="second approver"):
            labels.issue(session, signer=sign_user, approver=sign_user,
                         submission_id=submission_id)
        label = labels.issue(session, signer=sign_user, approver=approver,
                             submission_id=submission_id)
        ring = issuer_keys.key_ring(session, body_id=label.body_id, host=host)
        token, jti, log_index = label.token, label.jti, label.log_index
        label_id = label.id
        checkpoint = session.scalars(select(LogCheckpoint).order_by(
            LogCheckpoint.size.desc())).first()
        assert checkpoint is not None
        leaves = [leaf.event.encode() for leaf in session.scalars(
            select(transparency_leaf_table()).order_by(transparency_leaf_table().index))]
        # suspend, reinstate, revoke: the bits follow, each a new log event
        labels.change_status(session, signer=sign_user, label_id=label_id,
                             action=Action.SUSPEND)
        suspended = {r.purpose: r.encoded for r in session.scalars(select(StatusListRecord))}
        labels.change_status(session, signer=sign_user, label_id=label_id,
                             action=Action.REINSTATE)
        labels.change_status(session, signer=sign_user, label_id=label_id,
                             action=Action.REVOKE)
        final = {r.purpose: r.encoded for r in session.scalars(select(StatusListRecord))}
        revocation_index, suspension_index = label.revocation_index, label.suspension_index
        size = session.scalars(select(LogCheckpoint.size).order_by(
            LogCheckpoint.size.desc())).first()
    verified = verify_label(token, lambda issuer: ring, datetime.now(UTC))
    assert verified is not None
    assert jti.startswith("urn:uuid:")
    # the issued token is the leaf at its index, provably in the signed checkpoint's tree
    assert leaves[log_index] == token.encode()
    log = transparency.MerkleLog()
    for leaf in leaves:
        log.append(leaf)
    transparency.verify_inclusion(transparency.leaf_hash(token.encode()), log_index,
                                  checkpoint.size, log.inclusion_proof(log_index),
                                  bytes.fromhex(checkpoint.root_hash))
    public = Ed25519PublicKey.from_public_bytes(
        transparency_log.log_key(app.extensions["pcf_settings"].instance_path).public_key()
        .public_bytes_raw())
    body = transparency.Checkpoint(labels_origin(app), checkpoint.size,
                                   bytes.fromhex(checkpoint.root_hash),
                                   checkpoint.timestamp_ms).body()
    public.verify(base64.urlsafe_b64decode(checkpoint.signature), body)
    bit = lambda encoded, i: bool(decode_list(encoded)[i // 8] & (0x80 >> (i % 8)))  # noqa: E731
    assert bit(suspended["suspension"], suspension_index)
    assert not bit(final["suspension"], suspension_index)
    assert bit(final["revocation"], revocation_index)
    assert size == 4  # issue, suspend, reinstate, revoke


def transparency_leaf_table():  # type: ignore[no-untyped-def]
    from portal.db.models import TransparencyLeaf

    return TransparencyLeaf


def labels_origin(app: Flask) -> str:
    return f"{app.extensions['pcf_settings'].public_host}/log"


def test_the_public_page_from_the_qr_code(cert_app: Flask) -> None:
    from portal.db.models import CarbonLabel
    from portal.services import labels

    app = cert_app
    signer, certifier, _member, submission_id = verified_submission(app)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        label = labels.issue(session, signer=session.get(User, signer),  # type: ignore[arg-type]
                             approver=session.get(User, certifier),  # type: ignore[arg-type]
                             submission_id=submission_id)
        label_id, path = label.id, f"/01/{label.gtin}/21/{label.serial}"
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    assert "有效" in page
    assert "✓" in page
    assert "✗" not in page
    assert client.get(f"{path}/qr.svg").data.startswith(b"<?xml")
    assert client.get(f"{path}/label.png").data[:4] == b"\x89PNG"
    assert client.get("/log/checkpoint").get_json()["size"] == 1
    assert client.get("/log/proof/0").get_json()["proof"] == []
    assert "无法确认" in client.get("/01/06901234567892/21/999999").get_data(as_text=True)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        labels.change_status(session, signer=session.get(User, signer),  # type: ignore[arg-type]
                             label_id=label_id, action=Action.REVOKE)
    assert "已撤销" in client.get(path).get_data(as_text=True)
    with app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CarbonLabel, label_id)
        assert row is not None
        header, payload, signature = row.token.split(".")
        row.token = ".".join([header, payload[:-4] + "AAAA", signature])  # altered claims
    assert "无效" in client.get(path).get_data(as_text=True)
