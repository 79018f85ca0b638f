"""Offline verification of a carbon label against a cached verification bundle.

A bundle is one JSON object (the portal serves one per label at
``/01/{GTIN}/21/{serial}/bundle.json``)::

    {"jwks": {issuer id: JWKS},
     "status_lists": {status list credential URL: {"token": signed status list (vc+jwt),
                                                    "fetched_at": ISO 8601 time with zone}},
     "checkpoint": {"origin": str, "size": int, "root": hex SHA-256, "timestamp_ms": int,
                    "signature": base64url Ed25519 over the checkpoint body,
                    "public_key": the log's Ed25519 public JWK},
     "inclusion_proofs": {label jti: {"index": int, "size": int, "proof": [hex, ...]}}}

The JWKS and the log's key are trusted as given (take the bundle from a portal you trust, or
compare them with the published ones); everything else is checked against them. Each status
list must be signed by a key the label's issuer publishes (not retired before it signed) and
name that issuer. Its age counts from the earlier of ``fetched_at`` and its signing time, so
past its ``ttl`` the status is unknown however the bundle dates it. The log leaf of a label
is its compact token (ASCII bytes).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from label_cert import errors as err
from label_cert import status_list as sl
from label_cert import transparency as tl
from label_cert.label import VerifiedLabel, verify_label
from label_cert.vc_jwt import KeySource


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
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    """One named check, its outcome and the reason in words."""

    name: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Report:
    """Every check that ran, in order, and the verdict drawn from them."""

    checks: tuple[Check, ...]
    verdict: Verdict
    label_id: str | None = None


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
) -> tuple[Check, VerifiedLabel | None]:
    """Signature, algorithm, typ, kid, key retirement and validity period (verify_label)."""
    name = "signature"
    try:
        verified = verify_label(token, lambda issuer: _keys_of(bundle, issuer), now)
    except _BundleError as exc:
        return Check(name, Outcome.UNKNOWN, str(exc)), None
    except err.LabelExpiredError as exc:
        return Check("validity period", Outcome.FAILED, f"expired: {exc}"), None
    except err.LabelVerificationError as exc:
        return Check(name, Outcome.FAILED, f"{type(exc).__name__}: {exc}"), None
    except (err.LabelError, ValueError, TypeError, AttributeError) as exc:
        return Check(name, Outcome.UNKNOWN, f"the bundle's key set is malformed: {exc}"), None
    reason = (
        f"EdDSA vc+jwt signed by {verified.issuer} (kid {verified.kid}); "
        f"valid {verified.not_before:%Y-%m-%d} to {verified.expires:%Y-%m-%d}"
    )
    return Check(name, Outcome.PASSED, reason), verified


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
            raise sl.MalformedStatusListError(
                f"the list's id is {err.shown(signed.payload.get('id'))}"
            )
    except sl.StatusListError as exc:
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
    except (sl.StatusListError, _BundleError, ValueError, TypeError, OverflowError) as exc:
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


def _check_status(
    verified: VerifiedLabel | None,
    bundle: Mapping[str, Any],
    keys: KeySource | None,
    now: datetime,
) -> tuple[list[Check], Verdict | None]:
    """Return the status checks and REVOKED / SUSPENDED / VALID, or None when unknown."""
    if verified is None:
        return [Check("status", Outcome.UNKNOWN, "not checked: the label did not verify")], None
    entries = verified.credential.get("credentialStatus")
    if not isinstance(entries, list) or not entries:
        return [Check("status", Outcome.UNKNOWN, "the label has no credentialStatus entry")], None
    try:
        lists = _section(bundle, "status_lists")
    except _BundleError as exc:
        return [Check("status", Outcome.UNKNOWN, str(exc))], None
    results = [_check_entry(entry, lists, keys, verified.issuer, now) for entry in entries]
    checks = [r.check for r in results]
    checks.append(_signature_check(results, verified.issuer))
    set_purposes = {
        str(entry.get("statusPurpose"))
        for entry, r in zip(entries, results, strict=True)
        if r.bit
    }
    if "revocation" in set_purposes:
        return checks, Verdict.REVOKED
    if "suspension" in set_purposes:
        return checks, Verdict.SUSPENDED
    unknown = any(r.bit is None for r in results)
    return checks, None if unknown else Verdict.VALID


def _log_key(jwk: Any) -> Ed25519PublicKey:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise _BundleError("the checkpoint's public_key must be an Ed25519 OKP JWK")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise _BundleError("the checkpoint's public_key has no x")
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise _BundleError(f"the log's public key is malformed: {exc}") from exc


def _b64url_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _BundleError("the checkpoint signature must be a base64url string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _BundleError(f"the checkpoint signature is not base64url: {exc}") from exc


def _signed_checkpoint(bundle: Mapping[str, Any]) -> tuple[tl.SignedCheckpoint, Ed25519PublicKey]:
    raw = _section(bundle, "checkpoint")
    try:
        if not isinstance(raw.get("origin"), str):
            raise TypeError("origin must be a string")
        cp = tl.Checkpoint(
            raw["origin"], int(raw["size"]), bytes.fromhex(raw["root"]),
            int(raw["timestamp_ms"]),
        )
    except (KeyError, TypeError, ValueError, OverflowError, tl.CheckpointError) as exc:
        raise _BundleError(f"the bundle's checkpoint is malformed: {exc}") from exc
    return tl.SignedCheckpoint(cp, _b64url_bytes(raw.get("signature"))), _log_key(
        raw.get("public_key")
    )


def _check_inclusion(
    token: str, jti: Any, verified: VerifiedLabel | None, bundle: Mapping[str, Any]
) -> Check:
    name = "log inclusion"
    try:
        signed, key = _signed_checkpoint(bundle)
    except _BundleError as exc:
        return Check(name, Outcome.UNKNOWN, str(exc))

    def verify(signature: bytes, body: bytes) -> bool:
        try:
            key.verify(signature, body)
        except InvalidSignature:
            return False
        return True

    try:
        cp = tl.verify_checkpoint(signed, verify)
    except tl.CheckpointSignatureError as exc:
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
        path = [bytes.fromhex(item) for item in proof["proof"]]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        return Check(name, Outcome.UNKNOWN, f"the inclusion proof is malformed: {exc}")
    if size != cp.size:
        return Check(name, Outcome.UNKNOWN,
                     f"the proof is for tree size {size}, the checkpoint for {cp.size}")
    try:
        tl.verify_inclusion(tl.leaf_hash(token.encode("ascii")), index, size, path, cp.root_hash)
    except tl.InclusionProofError as exc:
        return Check(name, Outcome.FAILED, str(exc))
    return Check(name, Outcome.PASSED,
                 f"leaf {index} of {cp.origin} at signed checkpoint size {cp.size}")


def verify_offline(token: str, bundle: Mapping[str, Any], now: datetime) -> Report:
    """Run every check of `token` against `bundle` at `now` and draw the verdict."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    token = token.strip()
    if not token.isascii():
        check = Check("signature", Outcome.FAILED, "a label token is ASCII only")
        return Report((check,), Verdict.INVALID)
    claims = _unverified_claims(token)
    jti = claims.get("jti")
    signature, verified = _check_signature(token, bundle, now)
    keys = _keys_of(bundle, verified.issuer) if verified is not None else None
    status_checks, status = _check_status(verified, bundle, keys, now)
    inclusion = _check_inclusion(token, jti, verified, bundle)
    checks = (signature, *status_checks, inclusion)
    expired = signature.name == "validity period"
    if inclusion.outcome is Outcome.FAILED or (
        signature.outcome is Outcome.FAILED and not expired
    ):
        verdict = Verdict.INVALID
    elif expired:
        verdict = Verdict.EXPIRED
    elif status in (Verdict.REVOKED, Verdict.SUSPENDED):
        verdict = status
    elif (
        signature.outcome is Outcome.PASSED
        and status is Verdict.VALID
        and inclusion.outcome is Outcome.PASSED
    ):
        verdict = Verdict.VALID
    else:
        verdict = Verdict.UNKNOWN
    return Report(checks, verdict, jti if isinstance(jti, str) else None)
