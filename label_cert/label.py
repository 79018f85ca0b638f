"""The signed carbon label: a W3C VC 2.0 credential secured as a compact JWS (vc+jwt, EdDSA).

Issuing signs through a ``Signer``; verifying refuses anything but EdDSA under a published kid.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from label_cert import errors as err
from label_cert.keys import SIGNING_ALGORITHM, KeyRing, Signer, jwk_thumbprint

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
LABEL_TYPE = "ProductCarbonFootprintLabel"
TOKEN_TYPE = "vc+jwt"
DEFAULT_STANDARD = "ISO 14067:2018 / GB/T 24067-2024"
_SMUGGLING_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})
_ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})

KeySource = KeyRing | Mapping[str, Any]
_Jwk = dict[str, str | list[str]]


class _EdDSAOnlyRegistry(JWSRegistry):
    """A joserfc registry that hands out EdDSA and nothing else, whatever the token says."""

    def get_alg(self, name: str) -> JWSAlgModel:
        """Return EdDSA; refuse any other name."""
        if name != SIGNING_ALGORITHM:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        # joserfc warns that RFC 9864 deprecates "EdDSA"; the decision table fixes it for now.
        return self.algorithms[SIGNING_ALGORITHM]


_REGISTRY = _EdDSAOnlyRegistry(algorithms=[SIGNING_ALGORITHM])


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_json(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise err.MalformedLabelError("token segment is not base64url-encoded JSON") from exc
    if not isinstance(value, dict):
        raise err.MalformedLabelError("token header and payload must be JSON objects")
    return value


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).replace(microsecond=0).timestamp())


@dataclass(frozen=True)
class ProductIdentity:
    """The labelled product: a GTIN or another identifier, its name and its company."""

    name: str
    company: str
    gtin: str | None = None
    product_id: str | None = None

    def to_json(self) -> dict[str, str]:
        """Return the credentialSubject.product object."""
        ident = {"gtin": self.gtin} if self.gtin else {"id": self.product_id or ""}
        if not (self.gtin or self.product_id):
            raise ValueError("a labelled product needs a gtin or an id")
        return {**ident, "name": self.name, "company": self.company}


@dataclass(frozen=True)
class StatusEntry:
    """One BitstringStatusListEntry: where the label's revocation or suspension bit lives."""

    purpose: Literal["revocation", "suspension"]
    index: int
    list_credential: str

    def to_json(self) -> dict[str, str]:
        """Return the credentialStatus entry (index as a string, per the spec)."""
        return {
            "id": f"{self.list_credential}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_credential,
        }


@dataclass(frozen=True)
class LabelCredential:
    """What a carbon label asserts; footprint values are decimal strings per PACT category."""

    label_id: str
    issuer: str
    valid_from: datetime
    valid_until: datetime
    product: ProductIdentity
    declared_unit: str
    footprint: Mapping[str, str]
    reference_period: tuple[date, date]
    release_hash: str
    result_hash: str
    grade: str
    certification_body: str
    status: tuple[StatusEntry, ...] = ()
    standard: str = DEFAULT_STANDARD

    def __post_init__(self) -> None:
        for category, value in self.footprint.items():
            try:
                finite = Decimal(value).is_finite()
            except (InvalidOperation, TypeError):
                finite = False
            if not isinstance(value, str) or not finite:
                raise ValueError(f"footprint {category!r} must be a decimal string, got {value!r}")
        if _epoch(self.valid_until) <= _epoch(self.valid_from):
            raise ValueError("validUntil must be after validFrom")

    def to_vc(self) -> dict[str, Any]:
        """Return the VC Data Model 2.0 JSON of this label."""
        return {
            "@context": [VC_CONTEXT],
            "id": self.label_id,
            "type": ["VerifiableCredential", LABEL_TYPE],
            "issuer": self.issuer,
            "validFrom": _instant(self.valid_from),
            "validUntil": _instant(self.valid_until),
            "credentialSubject": {
                "type": "Product",
                "product": self.product.to_json(),
                "declaredUnit": self.declared_unit,
                "footprint": dict(self.footprint),
                "standard": self.standard,
                "referencePeriod": {
                    "start": self.reference_period[0].isoformat(),
                    "end": self.reference_period[1].isoformat(),
                },
                "releaseHash": self.release_hash,
                "resultHash": self.result_hash,
                "grade": self.grade,
                "certificationBody": self.certification_body,
            },
            "credentialStatus": [entry.to_json() for entry in self.status],
        }


@dataclass(frozen=True)
class VerifiedLabel:
    """A label whose signature, key, header and validity window all checked out."""

    kid: str
    issuer: str
    issued_at: datetime
    not_before: datetime
    expires: datetime
    credential: dict[str, Any] = field(repr=False)


def issue_label(credential: LabelCredential, signer: Signer, issued_at: datetime) -> str:
    """Sign the credential as a compact JWS whose JWT claims mirror the VC fields."""
    header = {"alg": SIGNING_ALGORITHM, "typ": TOKEN_TYPE, "kid": signer.kid}
    claims = {
        "iss": credential.issuer,
        "jti": credential.label_id,
        "iat": _epoch(issued_at),
        "nbf": _epoch(credential.valid_from),
        "exp": _epoch(credential.valid_until),
        **credential.to_vc(),
    }
    encode = json.dumps
    signing_input = (
        _b64url(encode(header, separators=(",", ":")).encode())
        + "."
        + _b64url(encode(claims, separators=(",", ":"), ensure_ascii=False).encode())
    )
    return signing_input + "." + _b64url(signer.sign(signing_input.encode("ascii")))


def _check_header(header: Mapping[str, Any]) -> str:
    smuggled = _SMUGGLING_HEADERS & header.keys()
    if smuggled:
        raise err.KeySmugglingError(f"label header carries key material: {sorted(smuggled)}")
    if header.get("alg") != SIGNING_ALGORITHM:
        raise err.DisallowedAlgorithmError(f"alg {header.get('alg')!r} is not allowed; use EdDSA")
    if header.get("typ") != TOKEN_TYPE:
        raise err.WrongTokenTypeError(f"typ {header.get('typ')!r} is not {TOKEN_TYPE}")
    extra = header.keys() - _ALLOWED_HEADERS
    if extra:
        raise err.UnexpectedHeaderError(f"label header has unexpected parameters {sorted(extra)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise err.UnknownSigningKeyError("label header has no kid")
    return kid


def _published_keys(source: KeySource | None, issuer: str) -> dict[str, _Jwk]:
    if source is None:
        raise err.UnknownIssuerError(f"no published keys for issuer {issuer!r}")
    if isinstance(source, KeyRing):
        if source.issuer != issuer:
            raise err.UnknownIssuerError(f"key ring of {source.issuer!r} served for {issuer!r}")
        return {key.kid: dict(key.public_jwk) for key in source.keys}
    published: dict[str, _Jwk] = {}
    for jwk in source.get("keys", []):
        bare = {"kty": jwk.get("kty"), "crv": jwk.get("crv"), "x": jwk.get("x")}
        # Trust the thumbprint, not the kid a JWKS claims for it.
        published[jwk_thumbprint(bare)] = bare
    return published


def _claim(claims: Mapping[str, Any], name: str, kind: type) -> Any:
    value = claims.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise err.MissingLabelFieldError(f"label lacks {name!r} of type {kind.__name__}")
    return value


def _check_credential(claims: Mapping[str, Any]) -> None:
    for name in ("@context", "type", "credentialSubject", "credentialStatus"):
        if name not in claims:
            raise err.MissingLabelFieldError(f"label lacks the credential field {name!r}")
    if VC_CONTEXT not in claims["@context"] or LABEL_TYPE not in claims["type"]:
        raise err.MissingLabelFieldError("label is not a ProductCarbonFootprintLabel VC 2.0")
    subject = claims["credentialSubject"]
    required = ("product", "declaredUnit", "footprint", "grade", "certificationBody",
                "releaseHash", "resultHash", "referencePeriod", "standard")
    missing = [name for name in required if not isinstance(subject, dict) or name not in subject]
    if missing:
        raise err.MissingLabelFieldError(f"credentialSubject lacks {missing}")


def verify_label(
    token: str,
    jwks_of_issuer: Callable[[str], KeySource | None],
    now: datetime,
    leeway_seconds: int = 60,
) -> VerifiedLabel:
    """Verify a label against its issuer's published keys; raise LabelVerificationError if not."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise err.MalformedLabelError("a label is a compact JWS of three non-empty segments")
    kid = _check_header(_b64url_json(parts[0]))
    unverified = _b64url_json(parts[1])
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise err.MissingLabelFieldError("label lacks the 'iss' claim")
    public_jwk = _published_keys(jwks_of_issuer(issuer), issuer).get(kid)
    if public_jwk is None:
        raise err.UnknownSigningKeyError(f"kid {kid!r} is not published by issuer {issuer!r}")
    try:
        verified = jws.deserialize_compact(
            token, OKPKey.import_key(public_jwk), [SIGNING_ALGORITHM], _REGISTRY
        )
    except BadSignatureError as exc:
        raise err.BadLabelSignatureError("label signature does not match its content") from exc
    except UnsupportedAlgorithmError as exc:
        raise err.DisallowedAlgorithmError(str(exc)) from exc
    except JoseError as exc:
        raise err.MalformedLabelError(f"label is not a valid JWS: {exc}") from exc
    claims = json.loads(verified.payload)

    iat = _claim(claims, "iat", int)
    nbf = _claim(claims, "nbf", int)
    exp = _claim(claims, "exp", int)
    jti = _claim(claims, "jti", str)
    _check_credential(claims)
    instant = now.timestamp()
    if instant >= exp + leeway_seconds:
        raise err.LabelExpiredError(f"label expired at {datetime.fromtimestamp(exp, UTC)}")
    if nbf - leeway_seconds > instant:
        raise err.LabelNotYetValidError(f"label valid from {datetime.fromtimestamp(nbf, UTC)}")
    if claims.get("issuer") != issuer:
        raise err.IssuerMismatchError(f"iss {issuer!r} != issuer {claims.get('issuer')!r}")
    not_before = datetime.fromtimestamp(nbf, UTC)
    expires = datetime.fromtimestamp(exp, UTC)
    if (
        claims.get("validFrom") != _instant(not_before)
        or claims.get("validUntil") != _instant(expires)
        or claims.get("id") != jti
    ):
        raise err.ClaimMismatchError("nbf / exp / jti disagree with validFrom / validUntil / id")
    return VerifiedLabel(
        kid, issuer, datetime.fromtimestamp(iat, UTC), not_before, expires, claims
    )
