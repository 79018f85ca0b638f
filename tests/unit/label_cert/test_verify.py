"""Offline label verification built end to end from real keys, labels, status lists and logs."""

from __future__ import annotations

import base64
import copy
import gzip
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from label_cert import status_list as sl
from label_cert import transparency as tl
from label_cert.keys import SoftwareSigner, public_jwk_of
from label_cert.label import LabelCredential, ProductIdentity, StatusEntry, issue_label
from label_cert.status_list import StatusList, sign_status_list
from label_cert.trust import TrustedIssuer, TrustedKey
from label_cert.verify import Outcome, Report, Verdict, verify_offline

from .world import (
    ISSUED,
    ISSUER,
    NOW,
    OPERATOR,
    REVOCATION_URL,
    SUSPENSION_URL,
    TTL_MS,
    VALID_UNTIL,
    World,
    b64url,
    make_trust_list,
)


def _outcomes(report: Report) -> dict[str, Outcome]:
    return {check.name: check.outcome for check in report.checks}


def _reason(report: Report, name: str) -> str:
    return next(check.reason for check in report.checks if check.name == name)


@pytest.fixture
def world() -> World:
    return World()


def test_a_genuine_label_is_valid(world: World) -> None:
    report = verify_offline(world.token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.VALID
    assert report.label_id == world.jti
    outcomes = _outcomes(report)
    assert outcomes["signature"] is Outcome.PASSED
    assert outcomes["status (revocation)"] is Outcome.PASSED
    assert outcomes["status (suspension)"] is Outcome.PASSED
    assert outcomes["log inclusion"] is Outcome.PASSED
    assert outcomes["status list signature"] is Outcome.PASSED
    assert outcomes["trust list"] is Outcome.PASSED


def test_a_revoked_label_is_revoked(world: World) -> None:
    world.revocation.set(world.rev_index, True)
    report = verify_offline(world.token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.REVOKED
    assert _outcomes(report)["status (revocation)"] is Outcome.FAILED


def test_a_suspended_label_is_suspended(world: World) -> None:
    world.suspension.set(world.sus_index, True)
    report = verify_offline(world.token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.SUSPENDED


def test_revocation_wins_over_suspension(world: World) -> None:
    world.revocation.set(world.rev_index, True)
    world.suspension.set(world.sus_index, True)
    report = verify_offline(world.token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.REVOKED


def test_a_status_list_past_its_ttl_gives_unknown_never_valid(world: World) -> None:
    bundle = world.bundle(fetched_at=NOW - timedelta(days=2))
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert check.outcome is Outcome.UNKNOWN
    assert "ttl" in check.reason


def test_a_missing_status_list_gives_unknown(world: World) -> None:
    bundle = world.bundle()
    del bundle["status_lists"][SUSPENSION_URL]
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    assert _outcomes(report)["status (suspension)"] is Outcome.UNKNOWN


def test_a_status_list_naming_another_issuer_gives_unknown(world: World) -> None:
    """Signed with the issuer's own key, but the list names another issuer."""
    bundle = world.bundle()
    rogue = StatusList("did:web:evil.example", "revocation")
    bundle["status_lists"][REVOCATION_URL]["token"] = world.signed_list(REVOCATION_URL, rogue)
    report = verify_offline(world.token, bundle, NOW, world.trust())
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
    report = verify_offline(world.token, bundle, NOW, world.trust())
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
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    assert "BadLabelSignatureError" in _reason(report, "status list signature")


def test_an_unsigned_status_list_payload_is_not_accepted(world: World) -> None:
    bundle = world.bundle()
    payload = world.revocation.credential(REVOCATION_URL, ISSUED, VALID_UNTIL, TTL_MS)
    bundle["status_lists"][REVOCATION_URL] = {"credential": payload,
                                              "fetched_at": NOW.isoformat()}
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    assert _outcomes(report)["status list signature"] is Outcome.UNKNOWN


def test_a_list_signed_long_ago_is_stale_whatever_its_fetched_at_says(world: World) -> None:
    """Re-dating fetched_at in a bundle does not refresh an old signed list."""
    bundle = world.bundle(fetched_at=NOW, signed_at=NOW - timedelta(days=2))
    report = verify_offline(world.token, bundle, NOW, world.trust())
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
    report = verify_offline(world.token, bundle, NOW, world.trust())
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
    report = verify_offline(world.token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    check = next(c for c in report.checks if c.name == "status (revocation)")
    assert "outside the list" in check.reason


def test_a_label_missing_from_the_log_is_invalid(world: World) -> None:
    report = verify_offline(world.token, world.bundle(in_log=False), NOW, world.trust())
    assert report.verdict is Verdict.INVALID
    assert _outcomes(report)["log inclusion"] is Outcome.FAILED


def test_a_proof_of_another_leaf_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["inclusion_proofs"][world.jti]["index"] = 0
    assert verify_offline(world.token, bundle, NOW, world.trust()).verdict is Verdict.INVALID


def test_a_label_newer_than_the_checkpoint_without_proof_is_unknown(world: World) -> None:
    bundle = world.bundle(in_log=False)
    bundle["checkpoint"]["timestamp_ms"] = 0
    signed = tl.sign_checkpoint(
        tl.Checkpoint(bundle["checkpoint"]["origin"], bundle["checkpoint"]["size"],
                      bytes.fromhex(bundle["checkpoint"]["root"]), 0),
        world.log_key.sign,
    )
    bundle["checkpoint"]["signature"] = b64url(signed.signature)
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert _outcomes(report)["log inclusion"] is Outcome.UNKNOWN
    assert report.verdict is Verdict.UNKNOWN


def test_a_tampered_token_is_invalid(world: World) -> None:
    bundle = world.bundle()
    header, payload, signature = world.token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = claims.replace(b"12.3450", b"02.3450")
    token = f"{header}.{b64url(forged)}.{signature}"
    report = verify_offline(token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.INVALID
    assert _outcomes(report)["signature"] is Outcome.FAILED
    assert _outcomes(report)["log inclusion"] is Outcome.FAILED


def test_a_checkpoint_signed_by_another_key_is_invalid(world: World) -> None:
    bundle = world.bundle()
    cp = bundle["checkpoint"]
    body = tl.Checkpoint(cp["origin"], cp["size"], bytes.fromhex(cp["root"]),
                         cp["timestamp_ms"]).body()
    cp["signature"] = b64url(Ed25519PrivateKey.generate().sign(body))
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.INVALID
    assert "checkpoint signature" in _reason(report, "log inclusion")


def test_a_checkpoint_with_a_swapped_root_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["checkpoint"]["root"] = "00" * 32
    assert verify_offline(world.token, bundle, NOW, world.trust()).verdict is Verdict.INVALID


def test_an_issuer_absent_from_the_bundle_is_invalid(world: World) -> None:
    bundle = world.bundle()
    bundle["jwks"] = {"did:web:other.example": bundle["jwks"][ISSUER]}
    assert verify_offline(world.token, bundle, NOW, world.trust()).verdict is Verdict.INVALID


def test_an_expired_label_is_expired(world: World) -> None:
    late = VALID_UNTIL + timedelta(days=1)
    report = verify_offline(world.token, world.bundle(), late, world.trust())
    assert report.verdict is Verdict.EXPIRED
    assert _outcomes(report)["validity period"] is Outcome.FAILED


@pytest.mark.parametrize("broken", [{}, {"jwks": []}, {"checkpoint": "x"}])
def test_a_broken_bundle_never_gives_valid(world: World, broken: dict[str, Any]) -> None:
    bundle = copy.deepcopy(world.bundle())
    bundle.update(broken)
    if not broken:
        bundle = {}
    assert verify_offline(world.token, bundle, NOW, world.trust()).verdict is Verdict.UNKNOWN


def test_garbage_is_invalid(world: World) -> None:
    for garbage in ("not-a-label", "ä.b.c"):
        report = verify_offline(garbage, world.bundle(), NOW, world.trust())
        assert report.verdict is Verdict.INVALID


def test_another_list_of_the_issuer_swapped_in_is_refused(world: World) -> None:
    """The suspension list served under the revocation list's URL (both signed by the issuer)."""
    bundle = world.bundle()
    lists = bundle["status_lists"]
    lists[REVOCATION_URL]["token"] = lists[SUSPENSION_URL]["token"]
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    signature = next(c for c in report.checks if c.name == "status list signature")
    assert signature.outcome is Outcome.FAILED
    assert f"the list's id is {SUSPENSION_URL!r}" in signature.reason


def _nested(depth: int) -> list[Any]:
    """A list nested `depth` deep, built without recursion (json.loads would refuse it)."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _set(bundle: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = bundle
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return bundle


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("jwks", ISSUER, "keys"), _nested(50_000)),
        (("jwks", ISSUER, "keys"), [{"kty": "OKP", "crv": "Ed25519", "x": _nested(50_000)}]),
        (("jwks", ISSUER, "keys"), [{"kty": _nested(50_000), "crv": "Ed25519", "x": "A"}]),
        (("jwks", ISSUER, "keys"), [{"kty": "OKP", "crv": "Ed25519", "x": 10**5000}]),
        (("checkpoint", "size"), 10**5000),
        (("inclusion_proofs", "urn:uuid:6f1c9a2e-0000-4000-8000-000000000001", "size"), 10**5000),
        (("checkpoint", "size"), float("inf")),
        (("checkpoint", "origin"), _nested(50_000)),
        (("checkpoint", "public_key"), {"kty": "OKP", "crv": "Ed25519", "x": _nested(50_000)}),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, tuple) else type(v).__name__,
)
def test_a_bundle_with_wrong_types_gives_a_report_never_an_exception(
    world: World, path: tuple[str, ...], value: Any
) -> None:
    bundle = _set(world.bundle(), path, value)
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is not Verdict.VALID
    assert all(isinstance(check.reason, str) for check in report.checks)


def test_a_published_key_without_x_is_a_malformed_key_set(world: World) -> None:
    bundle = world.bundle()
    del bundle["jwks"][ISSUER]["keys"][0]["x"]
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    signature = report.checks[0]
    assert signature.outcome is Outcome.UNKNOWN
    assert "x must be 32 bytes in base64url, got None" in signature.reason


def test_a_non_canonical_x_is_refused(world: World) -> None:
    """Two spellings of one key would have two thumbprints; only the canonical one counts."""
    bundle = world.bundle()
    x = bundle["jwks"][ISSUER]["keys"][0]["x"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bundle["jwks"][ISSUER]["keys"][0]["x"] = x[:-1] + alphabet[alphabet.index(x[-1]) + 1]
    report = verify_offline(world.token, bundle, NOW, world.trust())
    assert report.verdict is Verdict.UNKNOWN
    assert "x must be 32 bytes in base64url" in report.checks[0].reason


def test_a_label_with_a_date_beyond_the_year_9999_is_invalid(world: World) -> None:
    """Signed by the issuer's own key, so only the date range stops it."""
    header, payload, _ = world.token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    exp = str(int(VALID_UNTIL.timestamp())).encode()
    forged = claims.replace(exp, b"99999999999999999", 1)
    signing_input = f"{header}.{b64url(forged)}"
    token = f"{signing_input}.{b64url(world.signer.sign(signing_input.encode()))}"
    report = verify_offline(token, world.bundle(), NOW, world.trust())
    assert report.verdict is Verdict.INVALID
    assert "'exp' is not a date between 1970 and 9999" in report.checks[0].reason


class TestTrust:
    """The keys a bundle's checks rest on must be the ones the pinned trust list names."""

    def test_an_attackers_own_bundle_under_the_real_issuer_id_is_untrusted(self) -> None:
        """Own key under the real issuer id, self-signed status lists and checkpoint: the
        bundle is consistent, so only the trust list stops it."""
        real, attacker = World(), World()
        bundle = attacker.bundle()
        untrusting = verify_offline(attacker.token, bundle, NOW, real.trust())
        assert untrusting.verdict is Verdict.UNTRUSTED
        assert _outcomes(untrusting)["signature"] is Outcome.PASSED  # under the bundle's key
        reason = _reason(untrusting, "trust list")
        assert f"the label's key {attacker.signer.kid} is not one of {ISSUER}'s keys" in reason
        assert f"the status list's key {attacker.signer.kid}" in reason
        log_kid = TrustedKey.of(bundle["checkpoint"]["public_key"]).kid
        assert f"the checkpoint's log key {log_kid} is not the trust list's log key" in reason
        # the same label and bundle with the attacker's own list is "valid": the list decides
        assert verify_offline(attacker.token, bundle, NOW, attacker.trust()).verdict is (
            Verdict.VALID
        )

    def test_the_real_label_with_the_real_trust_list_is_valid(self, world: World) -> None:
        report = verify_offline(world.token, world.bundle(), NOW, world.trust(),
                                trust_source="--trust-list t.jwt")
        assert report.verdict is Verdict.VALID
        assert report.trust.startswith(f"--trust-list t.jwt: trust list #1 of {OPERATOR}")
        assert "Body A (did:web:certs.example.cn:bodies:a) is listed" in _reason(
            report, "trust list")

    def test_no_trust_list_trusts_no_issuer(self, world: World) -> None:
        report = verify_offline(world.token, world.bundle(), NOW, None)
        assert report.verdict is Verdict.UNTRUSTED
        assert report.trust == "no trust list"
        assert "no trust list: no issuer is trusted" in _reason(report, "trust list")

    def test_an_issuer_absent_from_the_trust_list_is_untrusted(self, world: World) -> None:
        other = TrustedIssuer("did:web:other.example", "Other", world.trusted_issuer().keys)
        trust = make_trust_list(world.operator, (other,), world.log_key)
        report = verify_offline(world.token, world.bundle(), NOW, trust)
        assert report.verdict is Verdict.UNTRUSTED
        assert f"issuer {ISSUER} is not in the trust list" in _reason(report, "trust list")

    def test_a_key_retired_before_the_label_was_signed_is_untrusted(self, world: World) -> None:
        """The bundle's JWKS shows the key active; the trust list retired it before iat."""
        at_issue = int(ISSUED.timestamp())
        retired = make_trust_list(
            world.operator, (world.trusted_issuer(retired_at=at_issue),), world.log_key)
        report = verify_offline(world.token, world.bundle(), NOW, retired)
        assert report.verdict is Verdict.UNTRUSTED
        assert "is retired in the trust list from 2025-03-01T00:00:00Z" in _reason(
            report, "trust list")
        # retired a second after the label was signed: the label is trusted, not the lists
        later = make_trust_list(
            world.operator, (world.trusted_issuer(retired_at=at_issue + 1),), world.log_key)
        report = verify_offline(world.token, world.bundle(), NOW, later)
        assert report.verdict is Verdict.UNTRUSTED  # the status lists were signed after it
        assert "the label's key" not in _reason(report, "trust list")
        assert "the status list's key" in _reason(report, "trust list")

    def test_a_status_list_signed_by_an_unlisted_key_is_untrusted(self, world: World) -> None:
        """The bundle adds a second key for the issuer and signs a clear list with it."""
        world.revocation.set(world.rev_index, True)
        bundle = world.bundle()
        rogue = SoftwareSigner.generate()
        bundle["jwks"][ISSUER]["keys"].append(rogue.public_jwk)
        bundle["status_lists"][REVOCATION_URL]["token"] = world.signed_list(
            REVOCATION_URL, StatusList(ISSUER, "revocation"), signer=rogue)
        report = verify_offline(world.token, bundle, NOW, world.trust())
        assert report.verdict is Verdict.UNTRUSTED
        assert f"the status list's key {rogue.kid} is not one of" in _reason(report, "trust list")

    def test_a_checkpoint_under_another_log_key_is_untrusted(self, world: World) -> None:
        bundle = world.bundle()
        other = Ed25519PrivateKey.generate()
        cp = bundle["checkpoint"]
        body = tl.Checkpoint(cp["origin"], cp["size"], bytes.fromhex(cp["root"]),
                             cp["timestamp_ms"]).body()
        cp["signature"] = b64url(other.sign(body))
        cp["public_key"] = public_jwk_of(other)
        report = verify_offline(world.token, bundle, NOW, world.trust())
        assert _outcomes(report)["log inclusion"] is Outcome.PASSED
        assert report.verdict is Verdict.UNTRUSTED
        assert "the checkpoint's log key" in _reason(report, "trust list")

    def test_a_trust_list_in_the_bundle_is_ignored(self) -> None:
        real, attacker = World(), World()
        bundle = attacker.bundle()
        bundle["trust_list"] = attacker.trust(sequence=99).token
        report = verify_offline(attacker.token, bundle, NOW, real.trust())
        assert report.verdict is Verdict.UNTRUSTED

    def test_an_expired_label_of_an_unlisted_key_is_untrusted_not_expired(self) -> None:
        real, attacker = World(), World()
        late = VALID_UNTIL + timedelta(days=1)
        report = verify_offline(attacker.token, attacker.bundle(), late, real.trust())
        assert _outcomes(report)["validity period"] is Outcome.FAILED
        assert report.verdict is Verdict.UNTRUSTED

    def test_a_tampered_label_stays_invalid_under_any_trust_list(self, world: World) -> None:
        header, payload, signature = world.token.split(".")
        token = f"{header}.{payload[:-2]}AA.{signature}"
        report = verify_offline(token, world.bundle(), NOW, None)
        assert report.verdict is Verdict.INVALID
        assert _outcomes(report)["trust list"] is Outcome.FAILED
