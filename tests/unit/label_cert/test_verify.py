"""Offline label verification built end to end from real keys, labels, status lists and logs."""

from __future__ import annotations

import base64
import copy
import gzip
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from label_cert import status_list as sl
from label_cert import transparency as tl
from label_cert.keys import KeyRing, SoftwareSigner, public_jwk_of
from label_cert.label import LabelCredential, ProductIdentity, StatusEntry, issue_label
from label_cert.status_list import StatusList, sign_status_list
from label_cert.verify import Outcome, Report, Verdict, verify_offline

ISSUER = "did:web:certs.example.cn:bodies:a"
REVOCATION_URL = "https://certs.example.cn/status/revocation/1"
SUSPENSION_URL = "https://certs.example.cn/status/suspension/1"
ISSUED = datetime(2025, 3, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2028, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TTL_MS = 24 * 3600 * 1000


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class World:
    """An issuer, its status lists, a log holding its label, and the matching bundle."""

    signer: SoftwareSigner = field(default_factory=SoftwareSigner.generate)
    log_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    revocation: StatusList = field(default_factory=lambda: StatusList(ISSUER, "revocation"))
    suspension: StatusList = field(default_factory=lambda: StatusList(ISSUER, "suspension"))
    log: tl.MerkleLog = field(default_factory=tl.MerkleLog)
    token: str = ""

    def __post_init__(self) -> None:
        self.rev_index = self.revocation.allocate()
        self.sus_index = self.suspension.allocate()
        credential = LabelCredential(
            label_id="urn:uuid:6f1c9a2e-0000-4000-8000-000000000001",
            issuer=ISSUER,
            valid_from=ISSUED,
            valid_until=VALID_UNTIL,
            product=ProductIdentity(name="Cement P.O 42.5", company="Acme", gtin="06901234567892"),
            declared_unit="kilogram",
            footprint={"pCfExcludingBiogenic": "12.3450"},
            reference_period=(date(2024, 1, 1), date(2024, 12, 31)),
            release_hash="sha256:" + "a" * 64,
            result_hash="sha256:" + "b" * 64,
            grade="B",
            certification_body="Body A",
            status=(
                StatusEntry("revocation", self.rev_index, REVOCATION_URL),
                StatusEntry("suspension", self.sus_index, SUSPENSION_URL),
            ),
        )
        self.token = issue_label(credential, self.signer, ISSUED)
        self.jti = credential.label_id

    def signed_list(
        self, url: str, status_list: StatusList, *, signer: SoftwareSigner | None = None,
        signed_at: datetime = NOW - timedelta(hours=1),
    ) -> str:
        payload = status_list.credential(url, ISSUED, VALID_UNTIL, TTL_MS)
        return sign_status_list(payload, signer or self.signer, signed_at)

    def bundle(
        self, *, in_log: bool = True, fetched_at: datetime = NOW - timedelta(hours=1),
        signed_at: datetime = NOW - timedelta(hours=1),
    ) -> dict[str, Any]:
        for n in range(5):
            self.log.append(f"other label {n}".encode())
        index = self.log.append(self.token.encode()) if in_log else None
        self.log.append(b"a later label")
        cp = tl.checkpoint(self.log, "certs.example.cn/log", int(ISSUED.timestamp() * 1000) + 1)
        signed = tl.sign_checkpoint(cp, self.log_key.sign)
        proofs = {}
        if index is not None:
            proof = self.log.inclusion_proof(index)
            proofs[self.jti] = {"index": index, "size": cp.size, "proof": [p.hex() for p in proof]}
        ring = KeyRing.start(ISSUER, self.signer.issuer_key(date(2025, 1, 1), date(2029, 1, 1)))
        lists = {}
        for url, status_list in ((REVOCATION_URL, self.revocation),
                                 (SUSPENSION_URL, self.suspension)):
            lists[url] = {"token": self.signed_list(url, status_list, signed_at=signed_at),
                          "fetched_at": fetched_at.isoformat()}
        return {
            "jwks": {ISSUER: ring.jwks()},
            "status_lists": lists,
            "checkpoint": {
                "origin": cp.origin,
                "size": cp.size,
                "root": cp.root_hash.hex(),
                "timestamp_ms": cp.timestamp_ms,
                "signature": _b64url(signed.signature),
                "public_key": public_jwk_of(self.log_key),
            },
            "inclusion_proofs": proofs,
        }


def _outcomes(report: Report) -> dict[str, Outcome]:
    return {check.name: check.outcome for check in report.checks}


@pytest.fixture
def world() -> World:
    return World()


def test_a_genuine_label_is_valid(world: World) -> None:
    report = verify_offline(world.token, world.bundle(), NOW)
    assert report.verdict is Verdict.VALID
    assert report.label_id == world.jti
    outcomes = _outcomes(report)
    assert outcomes["signature"] is Outcome.PASSED
    assert outcomes["status (revocation)"] is Outcome.PASSED
    assert outcomes["status (suspension)"] is Outcome.PASSED
    assert outcomes["log inclusion"] is Outcome.PASSED
    assert outcomes["status list signature"] is Outcome.PASSED


def test_a_revoked_label_is_revoked(world: World) -> None:
    world.revocation.set(world.rev_index, True)
    report = verify_offline(world.token, world.bundle(), NOW)
    assert report.verdict is Verdict.REVOKED
    assert _outcomes(report)["status (revocation)"] is Outcome.FAILED


def test_a_suspended_label_is_suspended(world: World) -> None:
    world.suspension.set(world.sus_index, True)
    assert verify_offline(world.token, world.bundle(), NOW).verdict is Verdict.SUSPENDED


def test_revocation_wins_over_suspension(world: World) -> None:
    world.revocation.set(world.rev_index, True)
    world.suspension.set(world.sus_index, True)
    assert verify_offline(world.token, world.bundle(), NOW).verdict is Verdict.REVOKED


def test_a_status_list_past_its_ttl_gives_unknown_never_valid(world: World) -> None:
    bundle = world.bundle(fetched_at=NOW - timedelta(days=2))
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert check.outcome is Outcome.UNKNOWN
    assert "ttl" in check.reason


def test_a_missing_status_list_gives_unknown(world: World) -> None:
    bundle = world.bundle()
    del bundle["status_lists"][SUSPENSION_URL]
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    assert _outcomes(report)["status (suspension)"] is Outcome.UNKNOWN


def test_a_status_list_naming_another_issuer_gives_unknown(world: World) -> None:
    """Signed with the issuer's own key, but the list names another issuer."""
    bundle = world.bundle()
    rogue = StatusList("did:web:evil.example", "revocation")
    bundle["status_lists"][REVOCATION_URL]["token"] = world.signed_list(REVOCATION_URL, rogue)
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    assert _outcomes(report)["status (revocation)"] is Outcome.UNKNOWN
    signature = next(c for c in report.checks if c.name == "status list signature")
    assert signature.outcome is Outcome.FAILED
    assert "did:web:evil.example" in signature.reason


def test_a_status_list_signed_by_another_bodys_key_gives_unknown(world: World) -> None:
    """A clear list, signed by a key the label's issuer does not publish, hides a revocation."""
    world.revocation.set(world.rev_index, True)
    bundle = world.bundle()
    forged = world.signed_list(REVOCATION_URL, StatusList(ISSUER, "revocation"),
                               signer=SoftwareSigner.generate())
    bundle["status_lists"][REVOCATION_URL]["token"] = forged
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    signature = next(c for c in report.checks if c.name == "status list signature")
    assert signature.outcome is Outcome.FAILED
    assert "UnknownSigningKeyError" in signature.reason


def test_an_altered_status_list_gives_unknown(world: World) -> None:
    world.revocation.set(world.rev_index, True)
    bundle = world.bundle()
    header, _payload, signature = bundle["status_lists"][REVOCATION_URL]["token"].split(".")
    clear = world.signed_list(REVOCATION_URL, StatusList(ISSUER, "revocation"))
    spliced = ".".join([header, clear.split(".")[1], signature])
    bundle["status_lists"][REVOCATION_URL]["token"] = spliced
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    assert "BadLabelSignatureError" in report.checks[-2].reason


def test_an_unsigned_status_list_payload_is_not_accepted(world: World) -> None:
    bundle = world.bundle()
    payload = world.revocation.credential(REVOCATION_URL, ISSUED, VALID_UNTIL, TTL_MS)
    bundle["status_lists"][REVOCATION_URL] = {"credential": payload,
                                              "fetched_at": NOW.isoformat()}
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    assert _outcomes(report)["status list signature"] is Outcome.UNKNOWN


def test_a_list_signed_long_ago_is_stale_whatever_its_fetched_at_says(world: World) -> None:
    """Re-dating fetched_at in a bundle does not refresh an old signed list."""
    bundle = world.bundle(fetched_at=NOW, signed_at=NOW - timedelta(days=2))
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert "ttl" in check.reason


def test_an_oversized_compressed_list_gives_unknown(world: World) -> None:
    """A signed list whose encodedList inflates past the verifier's cap (a zip bomb)."""
    bomb = "u" + base64.urlsafe_b64encode(
        gzip.compress(bytes(sl.MAX_LIST_BITS // 8 + 1), mtime=0)).rstrip(b"=").decode()
    payload = world.revocation.credential(REVOCATION_URL, ISSUED, VALID_UNTIL, TTL_MS)
    payload["credentialSubject"]["encodedList"] = bomb
    bundle = world.bundle()
    bundle["status_lists"][REVOCATION_URL]["token"] = sign_status_list(
        payload, world.signer, NOW - timedelta(minutes=1))
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert "expands beyond" in check.reason
    assert _outcomes(report)["status list signature"] is Outcome.PASSED


def test_an_index_beyond_the_list_gives_unknown() -> None:
    """A label pointing past the end of its (signed, genuine) list."""
    world = World()
    world.rev_index = sl.MIN_LENGTH  # the label below points one past the end
    credential = LabelCredential(
        label_id="urn:uuid:6f1c9a2e-0000-4000-8000-000000000002", issuer=ISSUER,
        valid_from=ISSUED, valid_until=VALID_UNTIL,
        product=ProductIdentity(name="Cement", company="Acme", gtin="06901234567892"),
        declared_unit="kilogram", footprint={"pCfExcludingBiogenic": "1"},
        reference_period=(date(2024, 1, 1), date(2024, 12, 31)),
        release_hash="a" * 64, result_hash="b" * 64, grade="B", certification_body="Body A",
        status=(StatusEntry("revocation", sl.MIN_LENGTH, REVOCATION_URL),
                StatusEntry("suspension", world.sus_index, SUSPENSION_URL)))
    world.token = issue_label(credential, world.signer, ISSUED)
    world.jti = credential.label_id
    report = verify_offline(world.token, world.bundle(), NOW)
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert "outside the list" in check.reason


def test_a_label_missing_from_the_log_is_invalid(world: World) -> None:
    report = verify_offline(world.token, world.bundle(in_log=False), NOW)
    assert report.verdict is Verdict.INVALID
    assert _outcomes(report)["log inclusion"] is Outcome.FAILED


def test_a_proof_of_another_leaf_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["inclusion_proofs"][world.jti]["index"] = 0
    assert verify_offline(world.token, bundle, NOW).verdict is Verdict.INVALID


def test_a_label_newer_than_the_checkpoint_without_proof_is_unknown(world: World) -> None:
    bundle = world.bundle(in_log=False)
    bundle["checkpoint"]["timestamp_ms"] = 0
    signed = tl.sign_checkpoint(
        tl.Checkpoint(bundle["checkpoint"]["origin"], bundle["checkpoint"]["size"],
                      bytes.fromhex(bundle["checkpoint"]["root"]), 0),
        world.log_key.sign,
    )
    bundle["checkpoint"]["signature"] = _b64url(signed.signature)
    report = verify_offline(world.token, bundle, NOW)
    assert _outcomes(report)["log inclusion"] is Outcome.UNKNOWN
    assert report.verdict is Verdict.UNKNOWN


def test_a_tampered_token_is_invalid(world: World) -> None:
    bundle = world.bundle()
    header, payload, signature = world.token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = claims.replace(b"12.3450", b"02.3450")
    token = f"{header}.{_b64url(forged)}.{signature}"
    report = verify_offline(token, bundle, NOW)
    assert report.verdict is Verdict.INVALID
    assert _outcomes(report)["signature"] is Outcome.FAILED
    assert _outcomes(report)["log inclusion"] is Outcome.FAILED


def test_a_checkpoint_signed_by_another_key_is_invalid(world: World) -> None:
    bundle = world.bundle()
    cp = bundle["checkpoint"]
    body = tl.Checkpoint(cp["origin"], cp["size"], bytes.fromhex(cp["root"]),
                         cp["timestamp_ms"]).body()
    cp["signature"] = _b64url(Ed25519PrivateKey.generate().sign(body))
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.INVALID
    assert "checkpoint signature" in report.checks[-1].reason


def test_a_checkpoint_with_a_swapped_root_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["checkpoint"]["root"] = "00" * 32
    assert verify_offline(world.token, bundle, NOW).verdict is Verdict.INVALID


def test_an_issuer_absent_from_the_bundle_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["jwks"] = {"did:web:other.example": bundle["jwks"][ISSUER]}
    assert verify_offline(world.token, bundle, NOW).verdict is Verdict.INVALID


def test_an_expired_label_is_expired(world: World) -> None:
    report = verify_offline(world.token, world.bundle(), VALID_UNTIL + timedelta(days=1))
    assert report.verdict is Verdict.EXPIRED
    assert _outcomes(report)["validity period"] is Outcome.FAILED


@pytest.mark.parametrize("broken", [{}, {"jwks": []}, {"checkpoint": "x"}])
def test_a_broken_bundle_never_gives_valid(world: World, broken: dict[str, Any]) -> None:
    bundle = copy.deepcopy(world.bundle())
    bundle.update(broken)
    if not broken:
        bundle = {}
    assert verify_offline(world.token, bundle, NOW).verdict is Verdict.UNKNOWN


def test_garbage_is_invalid(world: World) -> None:
    assert verify_offline("not-a-label", world.bundle(), NOW).verdict is Verdict.INVALID
    assert verify_offline("ä.b.c", world.bundle(), NOW).verdict is Verdict.INVALID


def test_another_list_of_the_issuer_swapped_in_is_refused(world: World) -> None:
    """The suspension list served under the revocation list's URL (both signed by the issuer)."""
    bundle = world.bundle()
    lists = bundle["status_lists"]
    lists[REVOCATION_URL]["token"] = lists[SUSPENSION_URL]["token"]
    report = verify_offline(world.token, bundle, NOW)
    assert report.verdict is Verdict.UNKNOWN
    signature = next(c for c in report.checks if c.name == "status list signature")
    assert signature.outcome is Outcome.FAILED
    assert f"the list's id is {SUSPENSION_URL!r}" in signature.reason
