"""The platform operator's signed trust list: which certification bodies' keys, and which
transparency log key, an offline verifier trusts; signing it, verifying it against pinned
operator keys, and accepting an update only from a listed operator key, never a rollback.

A trust list is a compact JWS (EdDSA, header ``{alg, typ: trust-list+jwt, kid}``, kid = the
RFC 7638 thumbprint of the operator key that signed it) whose payload is::

    {"iss": operator id, "iat": NumericDate, "sequence": int >= 0,
     "issuers": [{"id": issuer id as labels name it (did:web:...), "name": str,
                  "keys": [{"kid": thumbprint, "jwk": {"kty": "OKP", "crv": "Ed25519",
                            "x": ...}, "retired_at": NumericDate (optional)}]}],
     "log_key": {"kid": thumbprint, "jwk": {...}},
     "operator_keys": [{"kid": thumbprint, "jwk": {...}}]}

Every kid must be the thumbprint of the JWK beside it, and a list must be signed by one of the
operator keys it names (to hand over to a new key, the old key signs a list naming both). A
retired key's ``retired_at`` is the NumericDate from which it signs nothing (label_cert.keys).
An update is accepted only when it is signed by an operator key the pinned list names and its
sequence is higher (or it is the same list again).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from label_cert import errors as err
from label_cert.keys import RETIRED_AT, Signer, jwk_thumbprint
from label_cert.vc_jwt import numeric_date, read_token, sign_compact, verify_compact

TOKEN_TYPE: Final = "trust-list+jwt"
MEDIA_TYPE: Final = "application/trust-list+jwt"
MAX_SEQUENCE: Final = 2**63 - 1


@dataclass(frozen=True)
class TrustedKey:
    """A public Ed25519 key named by its JWK thumbprint; once retired, ``retired_at`` is the
    NumericDate from which it signs nothing."""

    kid: str
    x: str
    retired_at: int | None = None

    @classmethod
    def of(cls, public_jwk: Mapping[str, Any], retired_at: int | None = None) -> TrustedKey:
        """The key of a public JWK, its kid derived (IssuerKeyError for a non-Ed25519 JWK)."""
        return cls(jwk_thumbprint(public_jwk), str(public_jwk["x"]), retired_at)

    @property
    def jwk(self) -> dict[str, str]:
        """The bare public JWK (kty, crv, x)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x}

    def signed_while_active(self, issued_at: int) -> bool:
        """Whether a token issued at `issued_at` (NumericDate) precedes the key's retirement."""
        return self.retired_at is None or issued_at < self.retired_at

    def to_json(self) -> dict[str, Any]:
        """The key as the trust list's payload writes it."""
        entry: dict[str, Any] = {"kid": self.kid, "jwk": self.jwk}
        if self.retired_at is not None:
            entry[RETIRED_AT] = self.retired_at
        return entry


@dataclass(frozen=True)
class TrustedIssuer:
    """A certification body the operator lists: its issuer id, its name and its keys."""

    id: str
    name: str
    keys: tuple[TrustedKey, ...] = ()

    def key(self, kid: str) -> TrustedKey | None:
        """The listed key with this kid, or None."""
        return next((key for key in self.keys if key.kid == kid), None)

    def to_json(self) -> dict[str, Any]:
        """The issuer as the trust list's payload writes it."""
        return {"id": self.id, "name": self.name, "keys": [k.to_json() for k in self.keys]}


@dataclass(frozen=True)
class TrustList:
    """What the operator vouches for at one sequence number (the content, unsigned)."""

    operator: str
    sequence: int
    issued_at: datetime
    issuers: tuple[TrustedIssuer, ...]
    log_key: TrustedKey
    operator_keys: tuple[TrustedKey, ...]

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise err.MalformedTrustListError("a trust list's issued_at must be timezone-aware")
        if not 0 <= self.sequence <= MAX_SEQUENCE:
            raise err.MalformedTrustListError(f"sequence {self.sequence} is out of range")
        if not self.operator_keys:
            raise err.MalformedTrustListError("a trust list names at least one operator key")
        ids = [issuer.id for issuer in self.issuers]
        if len(set(ids)) != len(ids):
            raise err.MalformedTrustListError("a trust list names each issuer once")
        for issuer in self.issuers:
            kids = [key.kid for key in issuer.keys]
            if len(set(kids)) != len(kids):
                raise err.MalformedTrustListError(f"issuer {issuer.id} lists a key twice")

    def issuer(self, issuer_id: str) -> TrustedIssuer | None:
        """The listed issuer with this id, or None."""
        return next((issuer for issuer in self.issuers if issuer.id == issuer_id), None)

    def operator_key(self, kid: str) -> TrustedKey | None:
        """The operator key with this kid, or None."""
        return next((key for key in self.operator_keys if key.kid == kid), None)

    def claims(self) -> dict[str, Any]:
        """The JWS payload of this list."""
        return {
            "iss": self.operator,
            "iat": int(self.issued_at.timestamp()),
            "sequence": self.sequence,
            "issuers": [issuer.to_json() for issuer in self.issuers],
            "log_key": self.log_key.to_json(),
            "operator_keys": [key.to_json() for key in self.operator_keys],
        }


@dataclass(frozen=True)
class SignedTrustList:
    """A trust list whose signature checked out under the operator key `signed_by`."""

    token: str = field(repr=False)
    signed_by: str
    trust_list: TrustList

    def describe(self) -> str:
        """One line naming the list: sequence, operator, date and signing key."""
        tl = self.trust_list
        return (
            f"trust list #{tl.sequence} of {tl.operator}, issued "
            f"{tl.issued_at:%Y-%m-%dT%H:%M:%SZ}, signed by operator key {self.signed_by}"
        )


def sign_trust_list(trust_list: TrustList, signer: Signer) -> SignedTrustList:
    """Sign the list with an operator key it names (header typ trust-list+jwt, kid)."""
    if trust_list.operator_key(signer.kid) is None:
        raise err.UntrustedTrustListSignerError(
            f"key {signer.kid} is not one of the list's operator keys; name it to sign with it"
        )
    claims = trust_list.claims()
    token = sign_compact(claims, signer, TOKEN_TYPE)
    return SignedTrustList(token, signer.kid, parse_claims(claims))  # whole seconds, as read


def _field(payload: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = payload.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise err.MalformedTrustListError(
            f"{where} lacks {name!r} of type {kind.__name__}, got {err.shown(value)}"
        )
    return value


def _key(entry: Any, where: str, *, retirable: bool) -> TrustedKey:
    if not isinstance(entry, Mapping):
        raise err.MalformedTrustListError(f"{where} must be an object, got {err.shown(entry)}")
    kid = _field(entry, "kid", str, where)
    jwk = _field(entry, "jwk", Mapping, where)
    retired_at = None
    if retirable and entry.get(RETIRED_AT) is not None:
        try:
            retired_at = numeric_date(entry, RETIRED_AT, where)
        except err.LabelVerificationError as exc:
            raise err.MalformedTrustListError(str(exc)) from exc
    try:
        key = TrustedKey.of(jwk, retired_at)
    except err.IssuerKeyError as exc:
        raise err.MalformedTrustListError(f"{where}: {exc}") from exc
    if key.kid != kid:
        raise err.MalformedTrustListError(
            f"{where} names kid {err.shown(kid)}, but its JWK's thumbprint is {key.kid}"
        )
    return key


def _list(payload: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value: list[Any] = _field(payload, name, list, where)
    return value


def _issuer(entry: Any, index: int) -> TrustedIssuer:
    where = f"issuers[{index}]"
    if not isinstance(entry, Mapping):
        raise err.MalformedTrustListError(f"{where} must be an object, got {err.shown(entry)}")
    issuer_id = _field(entry, "id", str, where)
    keys = tuple(
        _key(key, f"{where}.keys[{n}]", retirable=True)
        for n, key in enumerate(_list(entry, "keys", where))
    )
    return TrustedIssuer(issuer_id, _field(entry, "name", str, where), keys)


def parse_claims(payload: Mapping[str, Any]) -> TrustList:
    """The trust list a (verified) payload describes; MalformedTrustListError if it is not one."""
    try:
        issued_at = numeric_date(payload, "iat", "trust list")
    except err.LabelVerificationError as exc:
        raise err.MalformedTrustListError(str(exc)) from exc
    operator = _field(payload, "iss", str, "trust list")
    sequence = _field(payload, "sequence", int, "trust list")
    if not operator or not 0 <= sequence <= MAX_SEQUENCE:
        raise err.MalformedTrustListError("trust list needs an iss and a sequence of 0 or more")
    return TrustList(
        operator=operator,
        sequence=sequence,
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        issuers=tuple(_issuer(e, n) for n, e in enumerate(_list(payload, "issuers", "trust list"))),
        log_key=_key(payload.get("log_key"), "log_key", retirable=False),
        operator_keys=tuple(
            _key(e, f"operator_keys[{n}]", retirable=False)
            for n, e in enumerate(_list(payload, "operator_keys", "trust list"))
        ),
    )


def verify_trust_list(token: str, operator_kids: Collection[str]) -> SignedTrustList:
    """Verify a trust list signed by one of the pinned operator keys `operator_kids` (JWK
    thumbprints) and return it. The public key comes from the list's own operator keys: its
    thumbprint, and so the key itself, is what was pinned."""
    try:
        unverified = read_token(token.strip(), "trust list", TOKEN_TYPE)
    except err.LabelVerificationError as exc:
        raise err.MalformedTrustListError(str(exc)) from exc
    if unverified.kid not in operator_kids:
        pinned = ", ".join(sorted(operator_kids)) or "none"
        raise err.UntrustedTrustListSignerError(
            f"the trust list is signed by key {err.shown(unverified.kid)}, which is not a "
            f"pinned operator key (pinned: {pinned})"
        )
    # Read the signer's JWK from the unverified payload: its thumbprint must be the pinned kid.
    own = parse_claims(unverified.claims).operator_key(unverified.kid)
    if own is None:
        raise err.UntrustedTrustListSignerError(
            f"the trust list is signed by key {unverified.kid} but does not name it among its "
            "operator keys"
        )
    try:
        claims = verify_compact(token.strip(), {**own.jwk}, "trust list")
    except err.BadLabelSignatureError as exc:
        raise err.BadTrustListSignatureError(str(exc)) from exc
    except err.LabelVerificationError as exc:
        raise err.MalformedTrustListError(str(exc)) from exc
    return SignedTrustList(token.strip(), unverified.kid, parse_claims(claims))


def load_trust_list(token: str) -> SignedTrustList:
    """A list the caller trusts as it is (a file chosen on the command line, the list stored
    when it was pinned, the list shipped with the command): checked to be intact and signed by
    one of the operator keys it names, as every list must be. Its authority comes from where
    it was obtained, not from this check."""
    try:
        unverified = read_token(token.strip(), "trust list", TOKEN_TYPE)
    except err.LabelVerificationError as exc:
        raise err.MalformedTrustListError(str(exc)) from exc
    own = parse_claims(unverified.claims).operator_keys
    return verify_trust_list(token, {key.kid for key in own})


def check_update(current: SignedTrustList, token: str) -> SignedTrustList:
    """Accept `token` as the successor of the pinned list `current`: signed by an operator key
    `current` names, with a higher sequence number (or the very same list). Raise
    UntrustedTrustListSignerError or TrustListRollbackError (and the verification errors)."""
    pinned = {key.kid for key in current.trust_list.operator_keys}
    new = verify_trust_list(token, pinned)
    old_sequence, new_sequence = current.trust_list.sequence, new.trust_list.sequence
    if new_sequence < old_sequence:
        raise err.TrustListRollbackError(
            f"the new trust list has sequence {new_sequence}, lower than the pinned "
            f"{old_sequence}: an old list replayed"
        )
    if new_sequence == old_sequence and new.trust_list != current.trust_list:
        raise err.TrustListRollbackError(
            f"the new trust list has the pinned sequence {old_sequence} but other content"
        )
    return new
