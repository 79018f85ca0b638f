"""A certification body, its status lists and a transparency log holding its label: the
world the offline verification tests (label_cert.verify, label_cert.trust, `pcf verify`)
build their bundles from. A helper module, not a test module."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from label_cert import transparency as tl
from label_cert.keys import KeyRing, SoftwareSigner, public_jwk_of
from label_cert.label import LabelCredential, ProductIdentity, StatusEntry, issue_label
from label_cert.status_list import StatusList, sign_status_list
from label_cert.trust import SignedTrustList, TrustedIssuer, TrustedKey, TrustList, sign_trust_list

ISSUER = "did:web:certs.example.cn:bodies:a"
REVOCATION_URL = "https://certs.example.cn/status/revocation/1"
SUSPENSION_URL = "https://certs.example.cn/status/suspension/1"
ISSUED = datetime(2025, 3, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2028, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TTL_MS = 24 * 3600 * 1000
OPERATOR = "did:web:pcf.example.cn"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def log_trusted_key(log_key: Ed25519PrivateKey) -> TrustedKey:
    return TrustedKey.of(public_jwk_of(log_key))


def make_trust_list(
    operator: SoftwareSigner,
    issuers: tuple[TrustedIssuer, ...],
    log_key: Ed25519PrivateKey,
    *,
    sequence: int = 1,
    issued_at: datetime = NOW - timedelta(days=1),
    operator_keys: tuple[TrustedKey, ...] | None = None,
) -> SignedTrustList:
    """A trust list signed by `operator`, naming `operator` alone unless told otherwise."""
    names = operator_keys if operator_keys is not None else (TrustedKey.of(operator.public_jwk),)
    content = TrustList(OPERATOR, sequence, issued_at, issuers, log_trusted_key(log_key), names)
    return sign_trust_list(content, operator)


@dataclass
class World:
    """An issuer, its status lists, a log holding its label, and the matching bundle."""

    signer: SoftwareSigner = field(default_factory=SoftwareSigner.generate)
    log_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    revocation: StatusList = field(default_factory=lambda: StatusList(ISSUER, "revocation"))
    suspension: StatusList = field(default_factory=lambda: StatusList(ISSUER, "suspension"))
    log: tl.MerkleLog = field(default_factory=tl.MerkleLog)
    operator: SoftwareSigner = field(default_factory=SoftwareSigner.generate)
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
                "signature": b64url(signed.signature),
                "public_key": public_jwk_of(self.log_key),
            },
            "inclusion_proofs": proofs,
        }

    def trusted_issuer(self, retired_at: int | None = None) -> TrustedIssuer:
        """The issuer as the operator lists it: its id, name and this world's key."""
        return TrustedIssuer(ISSUER, "Body A", (TrustedKey.of(self.signer.public_jwk, retired_at),))

    def trust(self, **options: Any) -> SignedTrustList:
        """The operator's trust list naming this world's issuer key and log key."""
        return make_trust_list(self.operator, (self.trusted_issuer(),), self.log_key, **options)
