"""What the portal publishes for verifiers: signed status lists with their ttl, the label and
its offline bundle for `pcf verify`, consistency proofs and leaves of the transparency log,
and the retirement of issuer keys, checked the way an outside verifier checks them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient

from label_cert import errors
from label_cert import transparency as tl
from label_cert.keys import SoftwareSigner
from label_cert.label import LabelCredential, ProductIdentity, issue_label
from label_cert.status_list import MIN_LENGTH, check_status, decode_list, verify_status_list
from label_cert.trust import (
    SignedTrustList,
    TrustedKey,
    TrustList,
    sign_trust_list,
    verify_trust_list,
)
from label_cert.verify import Outcome, Verdict, verify_offline
from label_cert.workflow import Action
from portal.cli import main as pcf
from portal.db.models import CarbonLabel, OrganisationKind, Role, User
from portal.services import issuer_keys, labels, trust_list
from portal.services.labels import LIST_LENGTH

from .conftest import make_user
from .test_certification import verified_submission
from .test_products_fixtures import app_with_releases


@pytest.fixture
def label_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


@pytest.fixture
def issued(label_app: Flask) -> dict[str, Any]:
    """One issued label: its path, ids, token and the body's signer."""
    signer, certifier, _member, submission_id = verified_submission(label_app)
    with label_app.app_context(), label_app.extensions["pcf_db"].unit_of_work() as session:
        label = labels.issue(
            session,
            signer=session.get(User, signer),  # type: ignore[arg-type]
            approver=session.get(User, certifier),  # type: ignore[arg-type]
            submission_id=submission_id,
        )
        return {
            "path": f"/01/{label.gtin}/21/{label.serial}",
            "id": label.id,
            "body": label.body_id,
            "token": label.token,
            "jti": label.jti,
            "signer": signer,
            "revocation": label.revocation_index,
            "issuer": issuer_keys.issuer_id(
                label_app.extensions["pcf_settings"].public_host, label.body_id
            ),
        }


def change(app: Flask, issued: dict[str, Any], action: Action) -> None:
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        labels.change_status(
            session,
            signer=session.get(User, issued["signer"]),  # type: ignore[arg-type]
            label_id=issued["id"],
            action=action,
        )


def pinned(app: Flask, client: FlaskClient) -> SignedTrustList:
    """/trust-list.jwt as a verifier pins it, anchored by the operator key's thumbprint
    (published out of band; here, read from the instance folder)."""
    anchor = trust_list.operator_signer(app.extensions["pcf_settings"].instance_path).kid
    return verify_trust_list(client.get("/trust-list.jwt").get_data(as_text=True), {anchor})


def did_jwks(client: FlaskClient, body: int) -> dict[str, Any]:
    """The body's keys as an outside verifier reads them, from its did:web document."""
    did = client.get(f"/bodies/{body}/did.json").get_json()
    return {"keys": [method["publicKeyJwk"] for method in did["verificationMethod"]]}


def test_status_lists_are_served_signed_with_their_ttl(
    label_app: Flask, issued: dict[str, Any]
) -> None:
    client = label_app.test_client()
    response = client.get(f"/status/{issued['body']}/revocation")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    verified = verify_status_list(
        response.get_data(as_text=True), did_jwks(client, issued["body"]), issued["issuer"]
    )
    payload = verified.payload
    assert payload["id"] == f"https://pcf.localhost/status/{issued['body']}/revocation"
    assert payload["credentialSubject"]["ttl"] == 300_000
    valid_from = datetime.fromisoformat(payload["validFrom"])
    assert datetime.fromisoformat(payload["validUntil"]) - valid_from == timedelta(days=1)
    assert abs(valid_from - datetime.now(UTC)) < timedelta(minutes=1)
    now = datetime.now(UTC)
    assert (
        check_status(
            payload, issued["issuer"], issued["revocation"], now, now, purpose="revocation"
        )
        is False
    )
    change(label_app, issued, Action.REVOKE)
    revoked = verify_status_list(
        client.get(f"/status/{issued['body']}/revocation").get_data(as_text=True),
        did_jwks(client, issued["body"]),
        issued["issuer"],
    ).payload
    assert (
        check_status(
            revoked, issued["issuer"], issued["revocation"], now, now, purpose="revocation"
        )
        is True
    )
    assert len(decode_list(revoked["credentialSubject"]["encodedList"])) * 8 == LIST_LENGTH
    assert LIST_LENGTH >= MIN_LENGTH
    # another body's list, unknown bodies and purposes are not found
    other = make_user(
        label_app, OrganisationKind.CERTIFICATION_BODY, Role.SIGNER, "x@ob.cn", "Other body"
    )
    with label_app.extensions["pcf_db"].unit_of_work() as session:
        other_body = session.get(User, other).organisation_id  # type: ignore[union-attr]
    for path in (
        f"/status/{other_body}/revocation",
        "/status/999999/revocation",
        f"/status/{issued['body']}/expiry",
    ):
        assert client.get(path).status_code == 404, path


def test_suspend_reinstate_revoke_seen_through_the_bundle(
    label_app: Flask, issued: dict[str, Any]
) -> None:
    client = label_app.test_client()

    def verdict() -> Verdict:
        bundle = client.get(f"{issued['path']}/bundle.json").get_json()
        report = verify_offline(issued["token"], bundle, datetime.now(UTC),
                                pinned(label_app, client))
        assert {c.name: c.outcome for c in report.checks}["status list signature"] is (
            Outcome.PASSED
        )
        online = client.get(f"{issued['path']}/verification.json").get_json()
        assert online["verdict"] == report.verdict.value  # the page and the bundle agree
        assert online["credential"]["id"] == report.label_id
        return report.verdict

    assert verdict() is Verdict.VALID
    change(label_app, issued, Action.SUSPEND)
    assert verdict() is Verdict.SUSPENDED
    change(label_app, issued, Action.REINSTATE)
    assert verdict() is Verdict.VALID
    change(label_app, issued, Action.REVOKE)
    assert verdict() is Verdict.REVOKED
    unknown = client.get("/01/06901234567892/21/999999/verification.json").get_json()
    assert unknown["verdict"] == "unknown"
    assert unknown["credential"] is None


def pcf_verify(tmp_path: Path, client: FlaskClient, path: str, *extra: str) -> Result:
    """Download label.jwt, bundle.json and trust-list.jwt as a verifier would, then run
    `pcf verify` with that trust list (unless `extra` names another)."""
    token = client.get(f"{path}/label.jwt")
    bundle = client.get(f"{path}/bundle.json")
    assert token.mimetype == "application/vc+jwt"
    assert bundle.headers["Cache-Control"] == "no-store"
    (tmp_path / "label.jwt").write_bytes(token.data)
    (tmp_path / "bundle.json").write_bytes(bundle.data)
    (tmp_path / "trust-list.jwt").write_bytes(client.get("/trust-list.jwt").data)
    trust = () if "--trust-list" in extra else ("--trust-list", str(tmp_path / "trust-list.jwt"))
    return CliRunner().invoke(
        pcf,
        ["verify", str(tmp_path / "label.jwt"), "--bundle", str(tmp_path / "bundle.json"),
         *trust, *extra],
    )


def test_pcf_verify_on_the_downloaded_label_and_bundle(
    label_app: Flask, issued: dict[str, Any], tmp_path: Path
) -> None:
    client = label_app.test_client()
    valid = pcf_verify(tmp_path, client, issued["path"])
    assert valid.exit_code == 0, valid.output
    assert valid.output.splitlines()[-1] == "Verdict: valid"
    assert "✓ status list signature: 2 list(s) signed by" in valid.output
    assert "✓ log inclusion: leaf 0" in valid.output
    # the same bundle ten minutes later: its lists are past their five-minute ttl
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    stale = CliRunner().invoke(
        pcf,
        [
            "verify",
            str(tmp_path / "label.jwt"),
            "--bundle",
            str(tmp_path / "bundle.json"),
            "--at",
            later,
            "--trust-list",
            str(tmp_path / "trust-list.jwt"),
        ],
    )
    assert stale.exit_code == 2, stale.output
    assert "? status (revocation): status unknown" in stale.output
    change(label_app, issued, Action.REVOKE)
    revoked = pcf_verify(tmp_path, client, issued["path"])
    assert revoked.exit_code == 1, revoked.output
    assert "✗ status (revocation): revoked" in revoked.output
    assert revoked.output.splitlines()[-1] == "Verdict: revoked"
    for suffix in ("label.jwt", "bundle.json"):
        assert client.get(f"/01/06901234567892/21/999999/{suffix}").status_code == 404


def test_pcf_verify_trusts_the_portals_list_and_no_other(
    label_app: Flask, issued: dict[str, Any], tmp_path: Path
) -> None:
    """End to end: issue a label, fetch /trust-list.jwt and bundle.json, verify offline."""
    client = label_app.test_client()
    valid = pcf_verify(tmp_path, client, issued["path"])
    assert valid.exit_code == 0, valid.output
    portal_list = pinned(label_app, client)
    assert portal_list.describe().startswith("trust list #1 of did:web:pcf.localhost, issued ")
    assert valid.output.splitlines()[0] == (
        f"Trust: --trust-list {tmp_path / 'trust-list.jwt'}: {portal_list.describe()}")
    assert f"({issued['issuer']}) is listed with the label's key" in valid.output
    assert valid.output.splitlines()[-1] == "Verdict: valid"
    # the bundle carries the same list: a copy, not a source
    bundle = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["trust_list"] == portal_list.token
    current = portal_list.trust_list
    operator = trust_list.operator_signer(label_app.extensions["pcf_settings"].instance_path)
    # a list of the same operator that names no body: every issuer is untrusted
    empty = sign_trust_list(TrustList(current.operator, 1, current.issued_at, (),
                                      current.log_key, current.operator_keys), operator)
    (tmp_path / "empty.jwt").write_text(empty.token, encoding="ascii")
    untrusted = pcf_verify(tmp_path, client, issued["path"], "--trust-list",
                           str(tmp_path / "empty.jwt"))
    assert untrusted.exit_code == 1, untrusted.output
    assert f"✗ trust list: issuer {issued['issuer']} is not in the trust list" in (
        untrusted.output)
    assert untrusted.output.splitlines()[-1] == "Verdict: untrusted"
    # another operator's list, naming the same bodies under other keys: untrusted too
    other_operator = SoftwareSigner.generate()
    other = sign_trust_list(TrustList(
        "did:web:elsewhere.example", 7, current.issued_at,
        tuple(replace(issuer, keys=(TrustedKey.of(SoftwareSigner.generate().public_jwk),))
              for issuer in current.issuers),
        TrustedKey.of(SoftwareSigner.generate().public_jwk),
        (TrustedKey.of(other_operator.public_jwk),)), other_operator)
    (tmp_path / "other.jwt").write_text(other.token, encoding="ascii")
    foreign = pcf_verify(tmp_path, client, issued["path"], "--trust-list",
                         str(tmp_path / "other.jwt"))
    assert foreign.exit_code == 1, foreign.output
    assert "the label's key" in foreign.output
    assert "the checkpoint's log key" in foreign.output
    assert foreign.output.splitlines()[-1] == "Verdict: untrusted"


def checkpoint(client: FlaskClient) -> tl.Checkpoint:
    """The latest checkpoint, its signature checked with the key it is served with."""
    document = client.get("/log/checkpoint").get_json()
    cp = tl.Checkpoint(
        document["origin"],
        document["size"],
        bytes.fromhex(document["root"]),
        document["timestamp_ms"],
    )
    x = document["public_key"]["x"]
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    signature = document["signature"]
    key.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), cp.body())
    return cp


def test_consistency_proofs_and_leaves_over_http(label_app: Flask, issued: dict[str, Any]) -> None:
    client = label_app.test_client()
    first = checkpoint(client)
    change(label_app, issued, Action.SUSPEND)
    change(label_app, issued, Action.REINSTATE)
    latest = checkpoint(client)
    assert (first.size, latest.size) == (1, 3)
    served = client.get("/log/consistency?from=1").get_json()
    assert (served["from"], served["to"]) == (1, 3)
    proof = [bytes.fromhex(h) for h in served["proof"]]
    tl.verify_consistency(1, 3, first.root_hash, latest.root_hash, proof)
    forged = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    with pytest.raises(errors.ConsistencyProofError):
        tl.verify_consistency(1, 3, first.root_hash, latest.root_hash, forged)
    with pytest.raises(errors.ConsistencyProofError):  # a proof does not fit another old root
        tl.verify_consistency(
            1, 3, tl.leaf_hash(b"a label issued in secret"), latest.root_hash, proof
        )
    explicit = client.get("/log/consistency?from=2&to=3").get_json()
    assert explicit["from"] == 2
    assert explicit["proof"]
    # leaves: the label's token first, then the status events, each with its leaf hash
    leaf = client.get("/log/leaf/0").get_json()
    assert leaf["leaf"] == issued["token"]
    assert leaf["leaf_hash"] == tl.leaf_hash(issued["token"].encode()).hex()
    assert json.loads(client.get("/log/leaf/1").get_json()["leaf"])["type"] == "suspend"
    assert client.get("/log/leaf/3").status_code == 404
    for query, field in (
        ("from=0", "from"),
        ("from=abc", "from"),
        ("from=3&to=2", "from"),
        ("from=1&to=4", "to"),
        ("", "from"),
        ("from=-1", "from"),
    ):
        response = client.get(f"/log/consistency?{query}")
        assert response.status_code == 400, query
        assert field in response.get_json()["errors"], query


def test_a_label_signed_after_its_key_was_retired_does_not_verify(
    label_app: Flask, issued: dict[str, Any], tmp_path: Path
) -> None:
    client = label_app.test_client()
    with label_app.app_context(), label_app.extensions["pcf_db"].unit_of_work() as session:
        old = issuer_keys.ensure_key(session, body_id=issued["body"])
        old_signer = issuer_keys.signer_for(session, old)
        issuer_keys.rotate(
            session,
            actor=session.get(User, issued["signer"]),  # type: ignore[arg-type]
            body_id=issued["body"],
        )
    jwks = client.get("/.well-known/jwks.json").get_json()
    retired = next(k for k in jwks["keys"] if k["kid"] == old_signer.kid)
    assert retired["retired_at"] <= int(datetime.now(UTC).timestamp()) + 1
    # the label signed before the rotation still verifies, with lists signed by the new key
    valid = pcf_verify(tmp_path, client, issued["path"])
    assert valid.exit_code == 0, valid.output
    # one signed with the retired key afterwards (a leaked key, say) is refused
    now = datetime.now(UTC) + timedelta(seconds=2)
    late = issue_label(
        LabelCredential(
            label_id="urn:uuid:00000000-0000-4000-8000-00000000beef",
            issuer=issued["issuer"],
            valid_from=now,
            valid_until=now + timedelta(days=30),
            product=ProductIdentity("bracket", "Ent", gtin="06901234567892"),
            declared_unit="kilogram",
            footprint={"pcf_excluding_biogenic_uptake": "1.0"},
            reference_period=(now.date(), now.date()),
            release_hash="a" * 64,
            result_hash="b" * 64,
            grade="A",
            certification_body="CB",
        ),
        old_signer,
        now,
    )
    bundle = client.get(f"{issued['path']}/bundle.json").get_json()
    report = verify_offline(late, bundle, now + timedelta(seconds=1), pinned(label_app, client))
    assert report.verdict is Verdict.INVALID
    assert "KeyRetiredError" in report.checks[0].reason
    # and the public page, which reads the key ring, refuses it too
    with label_app.extensions["pcf_db"].unit_of_work() as session:
        row = session.get(CarbonLabel, issued["id"])
        assert row is not None
        row.token = late
    page = client.get(issued["path"]).get_data(as_text=True)
    assert "无效" in page
    assert f"by key {old_signer.kid}, retired at" in page


def test_the_status_list_ttl_is_a_setting(label_app: Flask, issued: dict[str, Any]) -> None:
    import dataclasses

    from portal.settings import Settings

    settings = label_app.extensions["pcf_settings"]
    label_app.extensions["pcf_settings"] = dataclasses.replace(
        settings, status_list_ttl_seconds=3 * 24 * 3600)
    try:
        client = label_app.test_client()
        response = client.get(f"/status/{issued['body']}/suspension")
        assert response.headers["Cache-Control"] == f"public, max-age={3 * 24 * 3600}"
        payload = verify_status_list(response.get_data(as_text=True),
                                     did_jwks(client, issued["body"]), issued["issuer"]).payload
        assert payload["credentialSubject"]["ttl"] == 3 * 24 * 3600 * 1000
        valid_from = datetime.fromisoformat(payload["validFrom"])
        # the list stays valid at least as long as its ttl
        assert datetime.fromisoformat(payload["validUntil"]) - valid_from == timedelta(days=3)
    finally:
        label_app.extensions["pcf_settings"] = settings
    for wrong in ("0", "-5", str(8 * 24 * 3600)):
        with pytest.raises(ValueError, match="PCF_STATUS_LIST_TTL_SECONDS"):
            Settings.from_env({"PCF_STATUS_LIST_TTL_SECONDS": wrong})
