"""W3C Bitstring Status List v1.0: issuer-side lists and verifier-side status checks.

Owns random index allocation, the GZIP + multibase encoding, the status list credential
payload, its signing as a vc+jwt compact JWS (`sign_status_list`, the label's header and key
rules) and verification against the issuer's keys (`verify_status_list`), and a
zip-bomb-safe, staleness-aware `check_status`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import secrets
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from label_cert.errors import (
    LabelError,
    MalformedStatusListError,
    OversizedStatusListError,
    PurposeMismatchError,
    StatusIndexError,
    StatusListError,
    StatusListFullError,
    StatusListIssuerError,
    StatusListSignatureError,
    StatusUnknownError,
    shown,
)
from label_cert.keys import Signer
from label_cert.vc_jwt import KeySource, read_token, sign_compact, verify_signed

Purpose = Literal["revocation", "suspension"]
PURPOSES: Final[frozenset[str]] = frozenset({"revocation", "suspension"})
MIN_LENGTH: Final = 131_072  # the spec's herd-privacy minimum, in entries (16 KiB)
MAX_LIST_BITS: Final = 16 * 1024 * 1024  # verifier cap on a decompressed list, in bits
VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def _check_index(index: int, length: int) -> None:
    if not 0 <= index < length:
        raise StatusIndexError(f"status index {index} is outside the list (0..{length - 1})")


class StatusList:
    """A mutable bitstring for one issuer and one purpose; bit 0 is the MSB of byte 0."""

    def __init__(self, issuer: str, purpose: Purpose, length: int = MIN_LENGTH) -> None:
        if purpose not in PURPOSES:
            raise PurposeMismatchError(f"unknown status purpose {purpose!r}")
        if length < MIN_LENGTH or length % 8:
            raise StatusListError(
                f"list length {length} must be a multiple of 8 and at least {MIN_LENGTH}"
            )
        self.issuer = issuer
        self.purpose: Purpose = purpose
        self.length = length
        self._bits = bytearray(length // 8)
        self._allocated: set[int] = set()

    @classmethod
    def from_encoded(
        cls, issuer: str, purpose: Purpose, encoded_list: str, *, allocated: set[int] | None = None
    ) -> StatusList:
        """Rebuild a list from its `encodedList`, with the indexes already handed out."""
        bits = decode_list(encoded_list)
        status_list = cls(issuer, purpose, len(bits) * 8)
        status_list._bits[:] = bits
        for index in allocated or set():
            _check_index(index, status_list.length)
        status_list._allocated = set(allocated or set())
        return status_list

    @property
    def allocated(self) -> frozenset[int]:
        """The indexes handed out so far."""
        return frozenset(self._allocated)

    def allocate(self, rng: Callable[[int], int] = secrets.randbelow) -> int:
        """Hand out a random unused index; `rng(n)` returns an integer in [0, n)."""
        if len(self._allocated) >= self.length:
            raise StatusListFullError(f"all {self.length} indexes of the list are allocated")
        while True:
            index = rng(self.length)
            _check_index(index, self.length)
            if index not in self._allocated:
                self._allocated.add(index)
                return index

    def set(self, index: int, value: bool) -> None:
        """Set (True) or clear (False) the status bit at `index`."""
        _check_index(index, self.length)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def get(self, index: int) -> bool:
        """Return the status bit at `index`."""
        _check_index(index, self.length)
        return _bit(bytes(self._bits[index // 8 : index // 8 + 1]), index % 8)

    def encoded(self) -> str:
        """Return the multibase base64url (prefix "u") of the GZIP-compressed bitstring."""
        compressed = gzip.compress(bytes(self._bits), mtime=0)  # mtime 0: deterministic output
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    def entry(self, index: int, list_credential_url: str) -> dict[str, str]:
        """Return the `credentialStatus` entry pointing a label at `index` of this list."""
        _check_index(index, self.length)
        return {
            "id": f"{list_credential_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(index),
            "statusListCredential": list_credential_url,
        }

    def credential(
        self, credential_id: str, valid_from: datetime, valid_until: datetime, ttl_ms: int
    ) -> dict[str, Any]:
        """Return the unsigned BitstringStatusListCredential payload (VC 2.0) for signing."""
        if valid_from.tzinfo is None or valid_until.tzinfo is None:
            raise StatusListError("validFrom and validUntil must be timezone-aware")
        if valid_until <= valid_from or ttl_ms <= 0:
            raise StatusListError("validUntil must follow validFrom and ttl must be positive")
        return {
            "@context": [VC_CONTEXT],
            "id": credential_id,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.issuer,
            "validFrom": _iso(valid_from),
            "validUntil": _iso(valid_until),
            "credentialSubject": {
                "id": f"{credential_id}#list",
                "type": "BitstringStatusList",
                "statusPurpose": self.purpose,
                "encodedList": self.encoded(),
                "ttl": ttl_ms,
            },
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def read_bit(encoded_list: str, index: int, max_bits: int = MAX_LIST_BITS) -> bool:
    """The bit at `index` of an `encodedList` (decoded within `max_bits`)."""
    bits = decode_list(encoded_list, max_bits)
    _check_index(index, len(bits) * 8)
    return _bit(bits, index)


def decode_list(encoded_list: str, max_bits: int = MAX_LIST_BITS) -> bytes:
    """Decode an `encodedList`, refusing lists over `max_bits` while decompressing."""
    if not encoded_list.startswith("u"):
        raise MalformedStatusListError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded_list[1:]
    # Base64 of the capped list takes max_bits // 6 characters; allow GZIP overhead, no more.
    if len(body) > max_bits // 3 + 1024 or not _BASE64URL.fullmatch(body):
        raise MalformedStatusListError("encodedList is too long or not base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedStatusListError(f"encodedList is not valid base64url: {exc}") from exc
    cap = max_bits // 8
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
    out = bytearray()
    pending = compressed
    try:
        while True:
            out += inflater.decompress(pending, cap + 1 - len(out))
            if len(out) > cap:
                raise OversizedStatusListError(
                    f"encodedList expands beyond {max_bits} bits; refusing to decompress"
                )
            pending = inflater.unconsumed_tail
            if inflater.eof or not pending:
                break
    except zlib.error as exc:
        raise MalformedStatusListError(f"encodedList is not valid GZIP: {exc}") from exc
    if not inflater.eof or inflater.unused_data:
        raise MalformedStatusListError("encodedList GZIP stream is truncated or has trailing data")
    if len(out) * 8 < MIN_LENGTH:
        raise MalformedStatusListError(
            f"status list has {len(out) * 8} entries, fewer than the minimum {MIN_LENGTH}"
        )
    return bytes(out)


def _parse_time(payload: Mapping[str, Any], name: str) -> datetime:
    value = payload.get(name)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise MalformedStatusListError(f"{name} must be an ISO 8601 date-time with a timezone")
    return moment


def _issuer_id(payload: Mapping[str, Any]) -> str:
    issuer = payload.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise MalformedStatusListError("status list credential has no issuer")
    return issuer


def check_status(
    credential_payload: Mapping[str, Any],
    issuer_expected: str,
    index: int,
    now: datetime,
    fetched_at: datetime,
    *,
    purpose: Purpose,
    max_bits: int = MAX_LIST_BITS,
) -> bool:
    """Return the status bit at `index` of a verified list credential, or raise why unknown."""
    types = credential_payload.get("type")
    subject = credential_payload.get("credentialSubject")
    if (
        not isinstance(types, list)
        or "BitstringStatusListCredential" not in types
        or not isinstance(subject, Mapping)
        or subject.get("type") != "BitstringStatusList"
    ):
        raise MalformedStatusListError("payload is not a BitstringStatusListCredential")
    issuer = _issuer_id(credential_payload)
    if issuer != issuer_expected:
        raise StatusListIssuerError(f"status list issued by {issuer!r}, expected "
                                    f"{issuer_expected!r}")
    if subject.get("statusPurpose") != purpose:
        raise PurposeMismatchError(
            f"status list purpose is {shown(subject.get('statusPurpose'))}, expected {purpose!r}"
        )
    if subject.get("statusSize", 1) != 1:
        raise MalformedStatusListError("only statusSize 1 (one bit per entry) is supported")
    ttl = subject.get("ttl")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0:
        raise MalformedStatusListError("status list ttl must be a positive integer (ms)")
    if now.tzinfo is None or fetched_at.tzinfo is None:
        raise StatusListError("now and fetched_at must be timezone-aware")
    valid_from = _parse_time(credential_payload, "validFrom")
    valid_until = _parse_time(credential_payload, "validUntil")
    if now < valid_from or now >= valid_until:
        raise StatusUnknownError(
            f"status unknown: list valid {_iso(valid_from)} to {_iso(valid_until)}, "
            f"checked at {_iso(now)}"
        )
    if now - fetched_at > timedelta(milliseconds=ttl) or fetched_at > now:
        raise StatusUnknownError(
            f"status unknown: list fetched at {_iso(fetched_at)} is older than its ttl "
            f"of {ttl} ms; fetch it again"
        )
    encoded_list = subject.get("encodedList")
    if not isinstance(encoded_list, str):
        raise MalformedStatusListError("status list has no encodedList")
    return read_bit(encoded_list, index, max_bits)


def sign_status_list(payload: Mapping[str, Any], signer: Signer, issued_at: datetime) -> str:
    """Sign a status list credential payload as a compact JWS (typ vc+jwt, EdDSA, kid).

    The JWT claims iss, iat, nbf and exp mirror issuer, the signing time, validFrom and
    validUntil, as on labels."""
    claims = {
        "iss": _issuer_id(payload),
        "iat": int(issued_at.astimezone(UTC).timestamp()),
        "nbf": int(_parse_time(payload, "validFrom").timestamp()),
        "exp": int(_parse_time(payload, "validUntil").timestamp()),
        **payload,
    }
    return sign_compact(claims, signer)


@dataclass(frozen=True)
class VerifiedStatusList:
    """A status list credential whose signature, key and issuer checked out."""

    kid: str
    signed_at: datetime
    payload: dict[str, Any] = field(repr=False)


def verify_status_list(
    token: str, keys: KeySource | None, issuer_expected: str
) -> VerifiedStatusList:
    """Verify a signed status list against the expected issuer's published keys.

    Refuses what labels refuse (header, alg, unknown or another issuer's kid, a key retired
    before iat, bad signature) and a list that names another issuer; the caller then reads
    bits with `check_status`, measuring staleness from the earlier of fetch and signing."""
    try:
        unverified = read_token(token, "status list")
        signed = verify_signed(token, unverified, keys, issuer_expected, "status list")
    except LabelError as exc:
        raise StatusListSignatureError(f"{type(exc).__name__}: {exc}") from exc
    payload = signed.claims
    types = payload.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise MalformedStatusListError("the signed payload is not a BitstringStatusListCredential")
    issuer = _issuer_id(payload)
    if issuer != issuer_expected or payload.get("iss") != issuer_expected:
        raise StatusListIssuerError(
            f"status list issued by {issuer!r} (iss {shown(payload.get('iss'))}), "
            f"expected {issuer_expected!r}"
        )
    window = (_parse_time(payload, "validFrom"), _parse_time(payload, "validUntil"))
    if [payload.get("nbf"), payload.get("exp")] != [int(m.timestamp()) for m in window]:
        raise MalformedStatusListError("nbf / exp disagree with validFrom / validUntil")
    return VerifiedStatusList(signed.kid, datetime.fromtimestamp(signed.issued_at, UTC), payload)
