"""Offline verification of a carbon label against a cached verification bundle.

A bundle is one JSON object (the portal serves one per label at
``/01/{GTIN}/21/{serial}/bundle.json``)::

    {"jwks": {issuer id: JWKS},
     "status_lists": {status list credential URL: {"token": signed status list (vc+jwt),
                                                    "fetched_at": ISO 8601 time with zone}},
     "checkpoint": {"origin": str, "size": int, "root": hex SHA-256, "timestamp_ms": int,
                    "signature": base64url Ed25519 over the checkpoint body,
                    "public_key": the log's Ed25519 public JWK},
     "inclusion_proofs": {label jti: {"index": int, "size": int, "proof": [hex, ...]}},
     "trust_list": a copy of the operator's signed trust list (optional; never used here)}

Nothing in the bundle is trusted for itself: the label, its status lists and the checkpoint
are first checked against the bundle's JWKS and log key, then those keys against the pinned
trust list (label_cert.trust): the label's issuer must be listed, the keys that signed the
label and its status lists must be among that issuer's listed keys and not retired before they
signed, and the checkpoint's key must be the listed log key. Otherwise the verdict is
"untrusted", whatever the bundle says; with no trust list, nothing is trusted. A bundle may
carry a ``trust_list`` of its own: it is ignored here (a caller may accept it only as an update
of the pinned list, ``trust.check_update``). Each status list must also name the label's
issuer. Its age counts from the earlier of ``fetched_at`` and its signing time, so past its
``ttl`` the status is unknown however the bundle dates it. The log leaf of a label is its
compact token (ASCII bytes).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from label_cert import errors as err
from label_cert import status_list as sl
from label_cert import transparency as tl
from label_cert.keys import jwk_thumbprint
from label_cert.label import VerifiedLabel, verify_label
from label_cert.trust import SignedTrustList
from label_cert.vc_jwt import KeySource, read_token


class Outcome(StrEnum):
    """The result of one check."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not checked"


class Verdict(StrEnum):
    """The overall answer about a label."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    INVALID = "invalid"
    UNTRUSTED = "untrusted"  # consistent, but its keys are not the ones the trust list names
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    """One named check, its outcome and the reason in words."""

    name: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Report:
    """Every check that ran, in order, the verdict drawn from them, and the trust list the
    verdict rests on (where it came from and which list, in words)."""

    checks: tuple[Check, ...]
    verdict: Verdict
    label_id: str | None = None
    trust: str = "no trust list"


@dataclass(frozen=True)
class _Signed:
    """Who signed a token whose signature verified under the bundle's keys."""

    issuer: str
    kid: str
    issued_at: int  # NumericDate


class _BundleError(Exception):
    """A part of the bundle is missing or malformed."""


def _unverified_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (IndexError, binascii.Error, ValueError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _section(bundle: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = bundle.get(name)
    if not isinstance(value, Mapping):
        raise _BundleError(f"the bundle has no {name!r} object")
    return value


def _keys_of(bundle: Mapping[str, Any], issuer: str) -> KeySource | None:
    """The issuer's JWKS from the bundle (None when absent)."""
    jwks = _section(bundle, "jwks")
    keys = jwks.get(issuer)
    return keys if isinstance(keys, Mapping) else None


def _check_signature(
    token: str, bundle: Mapping[str, Any], now: datetime
) -> tuple[Check, VerifiedLabel | None, _Signed | None]:
    """Signature, algorithm, typ, kid, key retirement and validity period (verify_label), and
    who signed when the signature verified (an expired label's too)."""
    name = "signature"
    try:
        verified = verify_label(token, lambda issuer: _keys_of(bundle, issuer), now)
    except _BundleError as exc:
        return Check(name, Outcome.UNKNOWN, str(exc)), None, None
    except err.LabelExpiredError as exc:
        # verify_label checks expiry after the signature: iss, kid and iat are authentic.
        claims = read_token(token, "label")
        signer = _Signed(claims.claims["iss"], claims.kid, claims.claims["iat"])
        return Check("validity period", Outcome.FAILED, f"expired: {exc}"), None, signer
    except err.LabelVerificationError as exc:
        return Check(name, Outcome.FAILED, f"{type(exc).__name__}: {exc}"), None, None
    except (err.LabelError, ValueError, TypeError, AttributeError) as exc:
        reason = f"the bundle's key set is malformed: {exc}"
        return Check(name, Outcome.UNKNOWN, reason), None, None
    reason = (
        f"EdDSA vc+jwt signed by {verified.issuer} (kid {verified.kid}); "
        f"valid {verified.not_before:%Y-%m-%d} to {verified.expires:%Y-%m-%d}"
    )
    signer = _Signed(verified.issuer, verified.kid, int(verified.issued_at.timestamp()))
    return Check(name, Outcome.PASSED, reason), verified, signer


def _parse_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise _BundleError("fetched_at must be an ISO 8601 time with a timezone")
    return moment


@dataclass(frozen=True)
class _ListResult:
    """What one credentialStatus entry gave: its check, the bit (None: unknown), and the
    signed list's verification (None: not in the bundle; a str: why it was refused)."""

    check: Check
    bit: bool | None
    signed: sl.VerifiedStatusList | str | None


def _check_entry(
    entry: Any, lists: Mapping[str, Any], keys: KeySource | None, issuer: str, now: datetime
) -> _ListResult:
    if not isinstance(entry, Mapping):
        return _ListResult(Check("status", Outcome.UNKNOWN, "malformed credentialStatus entry"),
                           None, None)
    purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
    if not isinstance(purpose, str) or purpose not in sl.PURPOSES:
        return _ListResult(
            Check("status", Outcome.UNKNOWN, f"unsupported status purpose {err.shown(purpose)}"),
            None, None,
        )
    name = f"status ({purpose})"
    cached = lists.get(url) if isinstance(url, str) else None
    if not isinstance(cached, Mapping) or not isinstance(cached.get("token"), str):
        return _ListResult(
            Check(name, Outcome.UNKNOWN, f"status list {url} is not in the bundle"), None, None
        )
    try:
        signed = sl.verify_status_list(cached["token"], keys, issuer)
        if signed.payload.get("id") != url:  # another list of the issuer, swapped in
            raise err.MalformedStatusListError(
                f"the list's id is {err.shown(signed.payload.get('id'))}"
            )
    except err.StatusListError as exc:
        refused = f"{url}: {exc}"
        return _ListResult(
            Check(name, Outcome.UNKNOWN, "status unknown: the status list was refused"),
            None, refused,
        )
    try:
        index = int(entry.get("statusListIndex", ""))
        fetched_at = min(_parse_time(cached.get("fetched_at")), signed.signed_at)
        bit = sl.check_status(signed.payload, issuer, index, now, fetched_at,
                              purpose=cast(sl.Purpose, purpose))  # one of sl.PURPOSES
    except (err.StatusListError, _BundleError, ValueError, TypeError, OverflowError) as exc:
        return _ListResult(Check(name, Outcome.UNKNOWN, f"status unknown: {exc}"), None, signed)
    if bit:
        word = "revoked" if purpose == "revocation" else "suspended"
        return _ListResult(
            Check(name, Outcome.FAILED, f"{word} (bit {index} of {url} is set)"), True, signed
        )
    return _ListResult(
        Check(name, Outcome.PASSED, f"valid (bit {index} of {url} is clear)"), False, signed
    )


def _signature_check(results: list[_ListResult], issuer: str) -> Check:
    name = "status list signature"
    refused = [r.signed for r in results if isinstance(r.signed, str)]
    if refused:
        return Check(name, Outcome.FAILED, "; ".join(refused))
    signed = [r.signed for r in results if isinstance(r.signed, sl.VerifiedStatusList)]
    if not signed or len(signed) < len(results):
        return Check(name, Outcome.UNKNOWN, "not every status list is in the bundle")
    kids = sorted({s.kid for s in signed})
    oldest = min(s.signed_at for s in signed)
    return Check(name, Outcome.PASSED,
                 f"{len(signed)} list(s) signed by {issuer} (kid {', '.join(kids)}), "
                 f"the oldest at {oldest:%Y-%m-%dT%H:%M:%SZ}")


@dataclass(frozen=True)
class _Status:
    """The status checks, REVOKED / SUSPENDED / VALID (None: unknown), and the lists whose
    signatures verified under the bundle's keys."""

    checks: list[Check]
    verdict: Verdict | None = None
    signed: tuple[sl.VerifiedStatusList, ...] = ()


def _check_status(
    verified: VerifiedLabel | None,
    bundle: Mapping[str, Any],
    keys: KeySource | None,
    now: datetime,
) -> _Status:
    if verified is None:
        return _Status([Check("status", Outcome.UNKNOWN, "not checked: the label did not verify")])
    entries = verified.credential.get("credentialStatus")
    if not isinstance(entries, list) or not entries:
        missing = "the label has no credentialStatus entry"
        return _Status([Check("status", Outcome.UNKNOWN, missing)])
    try:
        lists = _section(bundle, "status_lists")
    except _BundleError as exc:
        return _Status([Check("status", Outcome.UNKNOWN, str(exc))])
    results = [_check_entry(entry, lists, keys, verified.issuer, now) for entry in entries]
    checks = [r.check for r in results]
    checks.append(_signature_check(results, verified.issuer))
    signed = tuple(r.signed for r in results if isinstance(r.signed, sl.VerifiedStatusList))
    set_purposes = {
        str(entry.get("statusPurpose"))
        for entry, r in zip(entries, results, strict=True)
        if r.bit
    }
    if "revocation" in set_purposes:
        return _Status(checks, Verdict.REVOKED, signed)
    if "suspension" in set_purposes:
        return _Status(checks, Verdict.SUSPENDED, signed)
    unknown = any(r.bit is None for r in results)
    return _Status(checks, None if unknown else Verdict.VALID, signed)


def _log_key(jwk: Any) -> tuple[Ed25519PublicKey, str]:
    """The log's public key and its thumbprint."""
    if not isinstance(jwk, Mapping):
        raise _BundleError("the checkpoint's public_key must be an Ed25519 OKP JWK")
    try:
        kid = jwk_thumbprint({"kty": jwk.get("kty"), "crv": jwk.get("crv"), "x": jwk.get("x")})
    except err.IssuerKeyError as exc:
        raise _BundleError(f"the checkpoint's public_key: {exc}") from exc
    x = str(jwk["x"])
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        return Ed25519PublicKey.from_public_bytes(raw), kid
    except (binascii.Error, ValueError) as exc:
        raise _BundleError(f"the log's public key is malformed: {exc}") from exc


def _b64url_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _BundleError("the checkpoint signature must be a base64url string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _BundleError(f"the checkpoint signature is not base64url: {exc}") from exc


def _signed_checkpoint(
    bundle: Mapping[str, Any],
) -> tuple[tl.SignedCheckpoint, tuple[Ed25519PublicKey, str]]:
    raw = _section(bundle, "checkpoint")
    try:
        if not isinstance(raw.get("origin"), str):
            raise TypeError("origin must be a string")
        cp = tl.Checkpoint(
            raw["origin"], int(raw["size"]), bytes.fromhex(raw["root"]),
            int(raw["timestamp_ms"]),
        )
    except (KeyError, TypeError, ValueError, OverflowError, err.CheckpointError) as exc:
        raise _BundleError(f"the bundle's checkpoint is malformed: {exc}") from exc
    return tl.SignedCheckpoint(cp, _b64url_bytes(raw.get("signature"))), _log_key(
        raw.get("public_key")
    )


def _check_inclusion(
    token: str, jti: Any, verified: VerifiedLabel | None, bundle: Mapping[str, Any]
) -> tuple[Check, str | None]:
    """The inclusion check, and the thumbprint of the log key the checkpoint names."""
    try:
        signed, (key, kid) = _signed_checkpoint(bundle)
    except _BundleError as exc:
        return Check("log inclusion", Outcome.UNKNOWN, str(exc)), None
    return _check_proof(token, jti, verified, bundle, signed, key), kid


def _check_proof(
    token: str,
    jti: Any,
    verified: VerifiedLabel | None,
    bundle: Mapping[str, Any],
    signed: tl.SignedCheckpoint,
    key: Ed25519PublicKey,
) -> Check:
    name = "log inclusion"

    def verify(signature: bytes, body: bytes) -> bool:
        try:
            key.verify(signature, body)
        except InvalidSignature:
            return False
        return True

    try:
        cp = tl.verify_checkpoint(signed, verify)
    except err.CheckpointSignatureError as exc:
        return Check(name, Outcome.FAILED, f"checkpoint signature: {exc}")
    proofs = bundle.get("inclusion_proofs")
    proof = proofs.get(jti) if isinstance(proofs, Mapping) and isinstance(jti, str) else None
    if not isinstance(proof, Mapping):
        if verified is not None and verified.issued_at.timestamp() * 1000 <= cp.timestamp_ms:
            return Check(name, Outcome.FAILED,
                         f"issued before checkpoint size {cp.size} but has no inclusion proof")
        return Check(name, Outcome.UNKNOWN,
                     f"no inclusion proof for {jti}; the checkpoint may predate the label")
    try:
        index, size = int(proof["index"]), int(proof["size"])
        if not (0 <= index <= tl.MAX_UINT64 and 0 <= size <= tl.MAX_UINT64):
            raise ValueError("index and size must be tree positions (uint64)")
        path = [bytes.fromhex(item) for item in proof["proof"]]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        return Check(name, Outcome.UNKNOWN, f"the inclusion proof is malformed: {exc}")
    if size != cp.size:
        return Check(name, Outcome.UNKNOWN,
                     f"the proof is for tree size {size}, the checkpoint for {cp.size}")
    try:
        tl.verify_inclusion(tl.leaf_hash(token.encode("ascii")), index, size, path, cp.root_hash)
    except err.InclusionProofError as exc:
        return Check(name, Outcome.FAILED, str(exc))
    return Check(name, Outcome.PASSED,
                 f"leaf {index} of {cp.origin} at signed checkpoint size {cp.size}")


def _key_problem(
    what: str, issuer_id: str, kid: str, issued_at: int, trust: SignedTrustList
) -> str | None:
    """Why the key `kid` that signed `what` is not trusted for `issuer_id` (None: it is)."""
    issuer = trust.trust_list.issuer(issuer_id)
    if issuer is None:
        return f"issuer {issuer_id} is not in the trust list"
    key = issuer.key(kid)
    if key is None:
        return f"the {what}'s key {kid} is not one of {issuer_id}'s keys in the trust list"
    if not key.signed_while_active(issued_at):
        return (
            f"the {what}'s key {kid} is retired in the trust list from "
            f"{datetime.fromtimestamp(key.retired_at or 0, UTC):%Y-%m-%dT%H:%M:%SZ}, "
            f"before it signed at {datetime.fromtimestamp(issued_at, UTC):%Y-%m-%dT%H:%M:%SZ}"
        )
    return None


def _check_trust(
    trust: SignedTrustList | None,
    signer: _Signed | None,
    lists: tuple[sl.VerifiedStatusList, ...],
    log_kid: str | None,
) -> Check:
    """Whether the keys the bundle's checks rested on are the ones the trust list names."""
    name = "trust list"
    if trust is None:
        return Check(name, Outcome.FAILED,
                     "no trust list: no issuer is trusted (pin the operator's list first)")
    if signer is None:
        return Check(name, Outcome.NOT_CHECKED, "not checked: the label's signature did not verify")
    problems = [
        _key_problem(what, signer.issuer, kid, issued_at, trust)
        for what, kid, issued_at in (
            ("label", signer.kid, signer.issued_at),
            *(("status list", s.kid, int(s.signed_at.timestamp())) for s in lists),
        )
    ]
    listed_log = trust.trust_list.log_key.kid
    if log_kid is not None and log_kid != listed_log:
        problems.append(
            f"the checkpoint's log key {log_kid} is not the trust list's log key {listed_log}"
        )
    found = list(dict.fromkeys(p for p in problems if p is not None))  # once each, in order
    if found:
        return Check(name, Outcome.FAILED, "; ".join(found))
    issuer = trust.trust_list.issuer(signer.issuer)
    assert issuer is not None  # no problem was found with it
    log = "the log key" if log_kid is not None else "the log key not checked"
    return Check(name, Outcome.PASSED,
                 f"{issuer.name} ({issuer.id}) is listed with the label's key; "
                 f"{len(lists)} status list(s) signed by its listed keys; {log} is listed")


def verify_offline(
    token: str,
    bundle: Mapping[str, Any],
    now: datetime,
    trust: SignedTrustList | None,
    *,
    trust_source: str = "given by the caller",
) -> Report:
    """Run every check of `token` against `bundle` and the pinned `trust` list at `now` and
    draw the verdict; `trust_source` says in the report where the list came from."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    described = "no trust list" if trust is None else f"{trust_source}: {trust.describe()}"
    token = token.strip()
    if not token.isascii():
        check = Check("signature", Outcome.FAILED, "a label token is ASCII only")
        return Report((check,), Verdict.INVALID, trust=described)
    claims = _unverified_claims(token)
    jti = claims.get("jti")
    signature, verified, signer = _check_signature(token, bundle, now)
    keys = _keys_of(bundle, verified.issuer) if verified is not None else None
    status = _check_status(verified, bundle, keys, now)
    inclusion, log_kid = _check_inclusion(token, jti, verified, bundle)
    trusted = _check_trust(trust, signer, status.signed, log_kid)
    checks = (signature, *status.checks, inclusion, trusted)
    expired = signature.name == "validity period"
    if inclusion.outcome is Outcome.FAILED or (
        signature.outcome is Outcome.FAILED and not expired
    ):
        verdict = Verdict.INVALID
    elif trusted.outcome is Outcome.FAILED:
        verdict = Verdict.UNTRUSTED
    elif expired:
        verdict = Verdict.EXPIRED
    elif status.verdict in (Verdict.REVOKED, Verdict.SUSPENDED):
        verdict = status.verdict
    elif (
        signature.outcome is Outcome.PASSED
        and status.verdict is Verdict.VALID
        and inclusion.outcome is Outcome.PASSED
        and trusted.outcome is Outcome.PASSED
    ):
        verdict = Verdict.VALID
    else:
        verdict = Verdict.UNKNOWN
    return Report(checks, verdict, jti if isinstance(jti, str) else None, described)
