"""The signed carbon label: a W3C VC 2.0 credential secured as a compact JWS (vc+jwt, EdDSA).

Issuing signs through a ``Signer``; verifying refuses anything but EdDSA under a published kid
that was not yet retired at the label's iat (the JWS checks of ``vc_jwt``, shared with signed
status lists), then checks the credential's claims and validity window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from label_cert import errors as err
from label_cert.keys import Signer
from label_cert.vc_jwt import KeySource, numeric_date, read_token, sign_compact, verify_signed

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
LABEL_TYPE = "ProductCarbonFootprintLabel"
DEFAULT_STANDARD = "ISO 14067:2018 / GB/T 24067-2024"


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
    claims = {
        "iss": credential.issuer,
        "jti": credential.label_id,
        "iat": _epoch(issued_at),
        "nbf": _epoch(credential.valid_from),
        "exp": _epoch(credential.valid_until),
        **credential.to_vc(),
    }
    return sign_compact(claims, signer)


def _claim(claims: Mapping[str, Any], name: str, kind: type) -> Any:
    value = claims.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise err.MissingLabelFieldError(f"label lacks {name!r} of type {kind.__name__}")
    return value


def _check_credential(claims: Mapping[str, Any]) -> None:
    for name in ("@context", "type", "credentialSubject", "credentialStatus"):
        if name not in claims:
            raise err.MissingLabelFieldError(f"label lacks the credential field {name!r}")
    context, types = claims["@context"], claims["type"]
    if (
        not isinstance(context, list) or VC_CONTEXT not in context
        or not isinstance(types, list) or LABEL_TYPE not in types
    ):
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
    """Verify a label against its issuer's published keys; raise LabelVerificationError if not.

    Besides signature, header and validity window, the label's iat must precede its key's
    retirement (KeyRing, or ``retired_at`` in a published JWK)."""
    unverified = read_token(token, "label")
    issuer = unverified.claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise err.MissingLabelFieldError("label lacks the 'iss' claim")
    signed = verify_signed(token, unverified, jwks_of_issuer(issuer), issuer, "label")
    claims, iat = signed.claims, signed.issued_at
    nbf = numeric_date(claims, "nbf", "label")
    exp = numeric_date(claims, "exp", "label")
    jti = _claim(claims, "jti", str)
    _check_credential(claims)
    instant = now.timestamp()
    if instant >= exp + leeway_seconds:
        raise err.LabelExpiredError(f"label expired at {datetime.fromtimestamp(exp, UTC)}")
    if nbf - leeway_seconds > instant:
        raise err.LabelNotYetValidError(f"label valid from {datetime.fromtimestamp(nbf, UTC)}")
    if claims.get("issuer") != issuer:
        raise err.IssuerMismatchError(
            f"iss {err.shown(issuer)} != issuer {err.shown(claims.get('issuer'))}"
        )
    not_before = datetime.fromtimestamp(nbf, UTC)
    expires = datetime.fromtimestamp(exp, UTC)
    if (
        claims.get("validFrom") != _instant(not_before)
        or claims.get("validUntil") != _instant(expires)
        or claims.get("id") != jti
    ):
        raise err.ClaimMismatchError("nbf / exp / jti disagree with validFrom / validUntil / id")
    return VerifiedLabel(
        signed.kid, issuer, datetime.fromtimestamp(iat, UTC), not_before, expires, claims
    )
