"""Compact JWS under EdDSA: what labels and status list credentials (``typ: vc+jwt``) and the
operator's trust list (its own typ, see ``trust``) share.

Signing goes through a ``Signer``. Verifying refuses any header beyond alg / typ / kid, any alg
but EdDSA, a kid the issuer does not publish, and a token whose ``iat`` is at or after its
key's retirement (a retired key stays published only for what it signed while active).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from label_cert import errors as err
from label_cert.keys import RETIRED_AT, SIGNING_ALGORITHM, KeyRing, Signer, jwk_thumbprint

TOKEN_TYPE = "vc+jwt"
MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z: later times are not dates
_SMUGGLING_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})
_ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})

KeySource = KeyRing | Mapping[str, Any]
Jwk = dict[str, str | list[str]]  # what joserfc imports


class _EdDSAOnlyRegistry(JWSRegistry):
    """A joserfc registry that hands out EdDSA and nothing else, whatever the token says."""

    def get_alg(self, name: str) -> JWSAlgModel:
        """Return EdDSA; refuse any other name."""
        if name != SIGNING_ALGORITHM:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        # joserfc warns that RFC 9864 deprecates "EdDSA"; the decision table fixes it for now.
        return self.algorithms[SIGNING_ALGORITHM]


_REGISTRY = _EdDSAOnlyRegistry(algorithms=[SIGNING_ALGORITHM])


def b64url(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise err.MalformedLabelError(f"{what} segment is not base64url-encoded JSON") from exc
    if not isinstance(value, dict):
        raise err.MalformedLabelError(f"{what} header and payload must be JSON objects")
    return value


def sign_compact(claims: Mapping[str, Any], signer: Signer, typ: str = TOKEN_TYPE) -> str:
    """Sign claims as a compact JWS with the header {alg: EdDSA, typ (vc+jwt), kid}."""
    header = {"alg": SIGNING_ALGORITHM, "typ": typ, "kid": signer.kid}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    )
    return signing_input + "." + b64url(signer.sign(signing_input.encode("ascii")))


def _check_header(header: Mapping[str, Any], what: str, typ: str) -> str:
    smuggled = _SMUGGLING_HEADERS & header.keys()
    if smuggled:
        raise err.KeySmugglingError(f"{what} header carries key material: {sorted(smuggled)}")
    if header.get("alg") != SIGNING_ALGORITHM:
        raise err.DisallowedAlgorithmError(
            f"alg {err.shown(header.get('alg'))} is not allowed; use EdDSA"
        )
    if header.get("typ") != typ:
        raise err.WrongTokenTypeError(f"typ {err.shown(header.get('typ'))} is not {typ}")
    extra = header.keys() - _ALLOWED_HEADERS
    if extra:
        names = ", ".join(err.shown(name) for name in sorted(extra)[:5])
        raise err.UnexpectedHeaderError(f"{what} header has unexpected parameters {names}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise err.UnknownSigningKeyError(f"{what} header has no kid")
    return kid


@dataclass(frozen=True)
class UnverifiedToken:
    """A token whose header passed the checks; its payload is not trusted yet."""

    kid: str
    claims: dict[str, Any] = field(repr=False)


def read_token(token: str, what: str = "token", typ: str = TOKEN_TYPE) -> UnverifiedToken:
    """Split a compact JWS, check its header (typ: vc+jwt unless told) and decode (not
    verify) its payload."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise err.MalformedLabelError(f"a {what} is a compact JWS of three non-empty segments")
    kid = _check_header(_b64url_json(parts[0], what), what, typ)
    return UnverifiedToken(kid, _b64url_json(parts[1], what))


@dataclass(frozen=True)
class PublishedKey:
    """A key as its issuer publishes it: the bare public JWK and, once the key is retired,
    the NumericDate from which it signs nothing."""

    jwk: Jwk
    retired_at: int | None = None


def published_keys(source: KeySource | None, issuer: str) -> dict[str, PublishedKey]:
    """The issuer's published keys by kid, from its key ring or a plain JWKS."""
    if source is None:
        raise err.UnknownIssuerError(f"no published keys for issuer {issuer!r}")
    if isinstance(source, KeyRing):
        if source.issuer != issuer:
            raise err.UnknownIssuerError(f"key ring of {source.issuer!r} served for {issuer!r}")
        return {
            key.kid: PublishedKey({**key.public_jwk}, key.signing_cutoff()) for key in source.keys
        }
    published: dict[str, PublishedKey] = {}
    keys = source.get("keys", [])
    if not isinstance(keys, list):
        raise err.IssuerKeyError(f"a JWKS's keys must be a list, got {err.shown(keys)}")
    for jwk in keys:
        if not isinstance(jwk, Mapping):
            raise err.IssuerKeyError(f"a published key must be a JSON object, got {err.shown(jwk)}")
        bare: dict[str, Any] = {"kty": jwk.get("kty"), "crv": jwk.get("crv"), "x": jwk.get("x")}
        retired = jwk.get(RETIRED_AT)
        if retired is not None and (not isinstance(retired, int) or isinstance(retired, bool)):
            raise err.IssuerKeyError(f"{RETIRED_AT} of a published key must be a NumericDate")
        # Trust the thumbprint, not the kid a JWKS claims for it.
        published[jwk_thumbprint(bare)] = PublishedKey(bare, retired)
    return published


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature checked out under a published key that was active at iat."""

    kid: str
    issued_at: int
    claims: dict[str, Any] = field(repr=False)


def verify_compact(token: str, jwk: Jwk, what: str) -> dict[str, Any]:
    """The JSON object payload of a compact JWS whose EdDSA signature verifies under `jwk`
    (its header is checked by `read_token` first); raise LabelVerificationError otherwise."""
    try:
        verified = jws.deserialize_compact(
            token, OKPKey.import_key(jwk), [SIGNING_ALGORITHM], _REGISTRY
        )
    except BadSignatureError as exc:
        raise err.BadLabelSignatureError(f"{what} signature does not match its content") from exc
    except UnsupportedAlgorithmError as exc:
        raise err.DisallowedAlgorithmError(str(exc)) from exc
    except (JoseError, ValueError, RecursionError) as exc:
        raise err.MalformedLabelError(f"{what} is not a valid JWS: {exc}") from exc
    try:
        claims = json.loads(verified.payload)
    except (ValueError, RecursionError) as exc:
        raise err.MalformedLabelError(f"{what} payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise err.MalformedLabelError(f"{what} payload must be a JSON object")
    return claims


def numeric_date(claims: Mapping[str, Any], name: str, what: str) -> int:
    """The claim `name` as a NumericDate (whole seconds from 1970 to the year 9999)."""
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise err.MissingLabelFieldError(f"{what} lacks {name!r} of type int")
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise err.MalformedLabelError(f"{what} {name!r} is not a date between 1970 and 9999")
    return value


def verify_signed(
    token: str, unverified: UnverifiedToken, source: KeySource | None, issuer: str, what: str
) -> VerifiedToken:
    """Verify the signature under the issuer's key named by kid, and the key's retirement."""
    key = published_keys(source, issuer).get(unverified.kid)
    if key is None:
        raise err.UnknownSigningKeyError(
            f"kid {err.shown(unverified.kid)} is not published by issuer {err.shown(issuer)}"
        )
    claims = verify_compact(token, key.jwk, what)
    iat = numeric_date(claims, "iat", what)
    if key.retired_at is not None and iat >= key.retired_at:
        raise err.KeyRetiredError(
            f"{what} issued at {iat} by key {unverified.kid}, retired at {key.retired_at}"
        )
    return VerifiedToken(unverified.kid, iat, claims)
