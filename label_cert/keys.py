"""Ed25519 issuer keys of certification bodies: signers, encrypted storage and key rings.

A ``KeyRing`` rotates with overlap and publishes its keys as a JWKS and a did:web document.
A retired key's published JWK carries ``retired_at``: the NumericDate (Unix seconds, as JWT
``iat``) from which the key signs nothing. Verifiers refuse a token whose ``iat`` is at or
after it. The member is private (RFC 7517 §4: members a library does not understand are
ignored), and deliberately not ``exp``, which would say the key itself expires: a retired key
keeps verifying what it signed while active; only its signing ended.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from label_cert.errors import IssuerKeyError, KeyDecryptionError, KeyRotationError, shown

SIGNING_ALGORITHM = "EdDSA"
RETIRED_AT = "retired_at"  # published JWK member: NumericDate from which the key signs nothing
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_ED25519_X_CHARS = 43  # 32 bytes in unpadded base64url


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk_of(private_key: Ed25519PrivateKey) -> dict[str, str]:
    """Return the public OKP JWK (kty, crv, x) of an Ed25519 private key."""
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def _canonical_x(x: str) -> bool:
    """Whether x is 32 bytes in unpadded base64url, spelt the one canonical way (otherwise one
    key would have several thumbprints)."""
    return (
        len(x) == _ED25519_X_CHARS
        and bool(_BASE64URL.fullmatch(x))
        and _b64url(base64.urlsafe_b64decode(x + "=")) == x
    )


def jwk_thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """Return the RFC 7638 SHA-256 thumbprint of an Ed25519 public JWK; IssuerKeyError for
    anything else (another key type, a private part, an ``x`` that is not 32 base64url bytes)."""
    kty, crv, x = public_jwk.get("kty"), public_jwk.get("crv"), public_jwk.get("x")
    if kty != "OKP" or crv != "Ed25519":
        raise IssuerKeyError(
            f"issuer keys must be Ed25519 OKP keys, got kty {shown(kty)}, crv {shown(crv)}"
        )
    if "d" in public_jwk:
        raise IssuerKeyError("a public JWK must not contain the private part 'd'")
    if not isinstance(x, str) or not _canonical_x(x):
        raise IssuerKeyError(f"an Ed25519 JWK's x must be 32 bytes in base64url, got {shown(x)}")
    try:
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x}).thumbprint()
    except (JoseError, ValueError) as exc:
        raise IssuerKeyError(f"the Ed25519 JWK is malformed: {exc}") from exc


class KeyStatus(Enum):
    """Whether a key signs new labels (active) or only verifies old ones (retired)."""

    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True)
class IssuerKey:
    """One published Ed25519 key of a certification body; kid is its JWK thumbprint.

    A retired key has ``retired_on`` (the UTC day) and, when known, ``retired_at`` (the
    instant); without the instant the key counts as signing until the end of that day.
    """

    kid: str
    x: str
    created: date
    not_after: date
    status: KeyStatus = KeyStatus.ACTIVE
    retired_on: date | None = None
    retired_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.retired_at is not None and self.retired_at.tzinfo is None:
            raise IssuerKeyError(f"retired_at {self.retired_at!r} must be timezone-aware")

    @classmethod
    def from_public_jwk(
        cls, public_jwk: dict[str, str], created: date, not_after: date
    ) -> IssuerKey:
        """Build an active key from its public JWK, deriving the kid."""
        if not_after < created:
            raise IssuerKeyError(f"not_after {not_after} is before created {created}")
        return cls(jwk_thumbprint(public_jwk), public_jwk["x"], created, not_after)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The bare public JWK (kty, crv, x)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x}

    def signing_cutoff(self) -> int | None:
        """The NumericDate from which this key signs nothing (None while it is active).

        Rounded up to the second: a token's iat has whole seconds, and a label signed in the
        second of the rotation but before it must still verify."""
        if self.status is KeyStatus.ACTIVE:
            return None
        if self.retired_at is not None:
            return math.ceil(self.retired_at.timestamp())
        if self.retired_on is not None:
            end = datetime.combine(self.retired_on + timedelta(days=1), time(), tzinfo=UTC)
            return int(end.timestamp())
        return None

    def published_jwk(self) -> dict[str, str | int]:
        """The public JWK as published in a JWKS: with kid, alg, use and, once retired,
        ``retired_at``."""
        jwk: dict[str, str | int] = {**self.public_jwk, "kid": self.kid}
        jwk.update(alg=SIGNING_ALGORITHM, use="sig")
        cutoff = self.signing_cutoff()
        if cutoff is not None:
            jwk[RETIRED_AT] = cutoff
        return jwk


@runtime_checkable
class Signer(Protocol):
    """Something that signs with an issuer's Ed25519 key: in software or in a PKCS#11 HSM."""

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK (kty, crv, x)."""

    def sign(self, data: bytes) -> bytes:
        """Return the raw 64-byte Ed25519 signature of data."""


class SoftwareSigner:
    """A ``Signer`` holding the Ed25519 private key in process memory."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._public_jwk = public_jwk_of(private_key)
        self._kid = jwk_thumbprint(self._public_jwk)

    @classmethod
    def generate(cls) -> SoftwareSigner:
        """Create a signer with a fresh random Ed25519 key."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        return self._kid

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK (kty, crv, x)."""
        return dict(self._public_jwk)

    def sign(self, data: bytes) -> bytes:
        """Return the raw Ed25519 signature of data."""
        return self._private_key.sign(data)

    def issuer_key(self, created: date, not_after: date) -> IssuerKey:
        """Describe this signer's public key for publication in a key ring."""
        return IssuerKey.from_public_jwk(self._public_jwk, created, not_after)

    def to_encrypted_pem(self, passphrase: bytes) -> bytes:
        """Serialise the private key as PKCS#8 PEM encrypted under the caller's passphrase."""
        if not passphrase:
            raise IssuerKeyError("an empty passphrase would store the private key in clear")
        return self._private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase)
        )

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, passphrase: bytes) -> SoftwareSigner:
        """Load a signer from encrypted PKCS#8 PEM; refuse a wrong passphrase or key type."""
        if not passphrase:
            raise KeyDecryptionError("a passphrase is required to load an issuer key")
        try:
            key = load_pem_private_key(pem, password=passphrase)
        except (ValueError, TypeError, UnsupportedAlgorithm) as err:
            raise KeyDecryptionError(
                "could not decrypt the issuer key: wrong passphrase or not an encrypted PKCS#8 PEM"
            ) from err
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyDecryptionError(f"issuer keys must be Ed25519, got {type(key).__name__}")
        return cls(key)


@dataclass(frozen=True)
class KeyRing:
    """The published keys of one certification body; exactly one key is active."""

    issuer: str
    keys: tuple[IssuerKey, ...]

    def __post_init__(self) -> None:
        kids = [key.kid for key in self.keys]
        if len(set(kids)) != len(kids):
            raise KeyRotationError(f"duplicate kid in the key ring of {self.issuer}")
        if sum(key.status is KeyStatus.ACTIVE for key in self.keys) != 1:
            raise KeyRotationError(f"the key ring of {self.issuer} needs exactly one active key")

    @classmethod
    def start(cls, issuer: str, first_key: IssuerKey) -> KeyRing:
        """Open a ring with its first (active) key."""
        first = replace(first_key, status=KeyStatus.ACTIVE, retired_on=None, retired_at=None)
        return cls(issuer, (first,))

    @property
    def signing_key(self) -> IssuerKey:
        """The active key, the only one that signs new labels."""
        return next(key for key in self.keys if key.status is KeyStatus.ACTIVE)

    def find(self, kid: str) -> IssuerKey | None:
        """Return the published key with this kid, or None."""
        return next((key for key in self.keys if key.kid == kid), None)

    def rotate(self, new_key: IssuerKey, on: date) -> KeyRing:
        """Make new_key the signing key; the old one stays published, retired on ``on`` (a
        day, or the exact instant when ``on`` is an aware datetime)."""
        if self.find(new_key.kid) is not None:
            raise KeyRotationError(f"key {new_key.kid} is already in the ring of {self.issuer}")
        at = on if isinstance(on, datetime) else None
        day = on.astimezone(UTC).date() if isinstance(on, datetime) else on
        kept = tuple(
            replace(key, status=KeyStatus.RETIRED, retired_on=day, retired_at=at)
            if key.status is KeyStatus.ACTIVE
            else key
            for key in self.keys
        )
        active = replace(new_key, status=KeyStatus.ACTIVE, retired_on=None, retired_at=None)
        return KeyRing(self.issuer, (*kept, active))

    def without(self, kid: str) -> KeyRing:
        """Stop publishing a retired key; labels it signed no longer verify."""
        key = self.find(kid)
        if key is None:
            raise KeyRotationError(f"key {kid} is not in the ring of {self.issuer}")
        if key.status is KeyStatus.ACTIVE:
            raise KeyRotationError(f"rotate before removing the active key {kid}")
        return KeyRing(self.issuer, tuple(k for k in self.keys if k.kid != kid))

    def prune(self, today: date) -> KeyRing:
        """Drop retired keys past their not_after date (no label they signed is still valid)."""
        kept = tuple(
            k for k in self.keys if k.status is KeyStatus.ACTIVE or k.not_after >= today
        )
        return KeyRing(self.issuer, kept)

    def jwks(self) -> dict[str, list[dict[str, str | int]]]:
        """Return the JWKS of every published key: public parts only."""
        return {"keys": [key.published_jwk() for key in self.keys]}

    def did_web_document(self, domain: str, path: str = "") -> dict[str, Any]:
        """Return the did:web DID document publishing these keys as JsonWebKey2020."""
        segments = [quote(domain, safe="")] + [
            quote(part, safe="") for part in path.strip("/").split("/") if part
        ]
        did = "did:web:" + ":".join(segments)
        methods = [
            {
                "id": f"{did}#{key.kid}",
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": key.published_jwk(),
            }
            for key in self.keys
        ]
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/suites/jws-2020/v1",
            ],
            "id": did,
            "verificationMethod": methods,
            "assertionMethod": [method["id"] for method in methods],
        }
