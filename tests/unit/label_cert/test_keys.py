"""Tests of issuer keys: encrypted storage, rotation with overlap, JWKS and did:web."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from label_cert.errors import KeyDecryptionError, KeyRotationError
from label_cert.keys import KeyRing, KeyStatus, Signer, SoftwareSigner, jwk_thumbprint

ISSUER = "did:web:certs.example.cn:bodies:cqc"


def _ring() -> tuple[KeyRing, SoftwareSigner, SoftwareSigner]:
    old, new = SoftwareSigner.generate(), SoftwareSigner.generate()
    ring = KeyRing.start(ISSUER, old.issuer_key(date(2024, 1, 1), date(2027, 12, 31)))
    ring = ring.rotate(new.issuer_key(date(2025, 1, 1), date(2028, 12, 31)), on=date(2025, 1, 1))
    return ring, old, new


class TestSoftwareSigner:
    def test_is_a_signer_whose_kid_is_the_rfc7638_thumbprint(self) -> None:
        signer = SoftwareSigner.generate()
        assert isinstance(signer, Signer)
        assert signer.kid == jwk_thumbprint(signer.public_jwk)
        assert len(signer.sign(b"x")) == 64

    def test_encrypted_private_key_round_trips_under_its_passphrase(self) -> None:
        signer = SoftwareSigner.generate()
        pem = signer.to_encrypted_pem(b"kek-of-the-body")
        assert b"ENCRYPTED PRIVATE KEY" in pem
        loaded = SoftwareSigner.from_encrypted_pem(pem, b"kek-of-the-body")
        assert loaded.kid == signer.kid
        assert loaded.sign(b"label") == signer.sign(b"label")  # Ed25519 is deterministic

    def test_rejects_a_wrong_passphrase(self) -> None:
        pem = SoftwareSigner.generate().to_encrypted_pem(b"right")
        with pytest.raises(KeyDecryptionError):
            SoftwareSigner.from_encrypted_pem(pem, b"wrong")

    def test_rejects_an_empty_passphrase(self) -> None:
        pem = SoftwareSigner.generate().to_encrypted_pem(b"right")
        with pytest.raises(KeyDecryptionError):
            SoftwareSigner.from_encrypted_pem(pem, b"")


class TestKeyRing:
    def test_rotation_makes_the_new_key_sign_and_keeps_the_old_one_published(self) -> None:
        ring, old, new = _ring()
        assert ring.signing_key.kid == new.kid
        retired = ring.find(old.kid)
        assert retired is not None
        assert retired.status is KeyStatus.RETIRED
        assert retired.retired_on == date(2025, 1, 1)

    def test_removing_the_active_key_is_refused(self) -> None:
        ring, _, new = _ring()
        with pytest.raises(KeyRotationError):
            ring.without(new.kid)

    def test_rotating_to_a_key_already_in_the_ring_is_refused(self) -> None:
        ring, old, _ = _ring()
        with pytest.raises(KeyRotationError):
            ring.rotate(old.issuer_key(date(2025, 1, 1), date(2029, 1, 1)), on=date(2025, 6, 1))

    def test_prune_drops_retired_keys_past_not_after_only(self) -> None:
        ring, old, new = _ring()
        assert ring.prune(date(2027, 12, 31)).find(old.kid) is not None
        pruned = ring.prune(date(2028, 1, 1))
        assert pruned.find(old.kid) is None
        assert pruned.signing_key.kid == new.kid

    def test_jwks_publishes_only_public_parts(self) -> None:
        ring, old, new = _ring()
        keys = {k["kid"]: k for k in ring.jwks()["keys"]}
        assert set(keys) == {old.kid, new.kid}
        assert set(keys[new.kid]) == {"kty", "crv", "x", "kid", "alg", "use"}
        assert set(keys[old.kid]) == {"kty", "crv", "x", "kid", "alg", "use", "retired_at"}
        for key in keys.values():
            assert (key["alg"], key["use"], key["crv"]) == ("EdDSA", "sig", "Ed25519")
            assert "d" not in key

    def test_a_retired_key_publishes_when_it_stopped_signing(self) -> None:
        ring, old, new = _ring()  # retired on the day 2025-01-01: signs until its end
        assert ring.find(new.kid).signing_cutoff() is None  # type: ignore[union-attr]
        end_of_day = int(datetime(2025, 1, 2, tzinfo=UTC).timestamp())
        assert ring.find(old.kid).signing_cutoff() == end_of_day  # type: ignore[union-attr]
        assert ring.jwks()["keys"][0]["retired_at"] == end_of_day

    def test_an_exact_retirement_instant_is_rounded_up_to_the_second(self) -> None:
        old, new = SoftwareSigner.generate(), SoftwareSigner.generate()
        ring = KeyRing.start(ISSUER, old.issuer_key(date(2024, 1, 1), date(2027, 12, 31)))
        instant = datetime(2025, 6, 1, 9, 30, 15, 250_000, tzinfo=UTC)
        ring = ring.rotate(new.issuer_key(date(2025, 6, 1), date(2028, 6, 1)), on=instant)
        retired = ring.find(old.kid)
        assert retired is not None
        assert retired.retired_on == date(2025, 6, 1)
        assert retired.signing_cutoff() == int(instant.timestamp()) + 1

    def test_did_web_document_lists_every_key_as_json_web_key_2020(self) -> None:
        ring, old, new = _ring()
        doc = ring.did_web_document("certs.example.cn:8443", "bodies/cqc")
        did = "did:web:certs.example.cn%3A8443:bodies:cqc"
        assert doc["id"] == did
        assert "https://www.w3.org/ns/did/v1" in doc["@context"]
        methods = doc["verificationMethod"]
        assert [m["id"] for m in methods] == [f"{did}#{old.kid}", f"{did}#{new.kid}"]
        assert all(m["type"] == "JsonWebKey2020" and m["controller"] == did for m in methods)
        assert all("d" not in m["publicKeyJwk"] for m in methods)
        assert doc["assertionMethod"] == [m["id"] for m in methods]
