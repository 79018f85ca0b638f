"""Bitstring Status List: encoding, allocation, status transitions and verifier refusals."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import itertools
import json
import time
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from label_cert import errors as err
from label_cert.errors import (
    MalformedStatusListError,
    OversizedStatusListError,
    PurposeMismatchError,
    StatusIndexError,
    StatusListError,
    StatusListFullError,
    StatusListIssuerError,
    StatusListSignatureError,
    StatusUnknownError,
)
from label_cert.keys import KeyRing, SoftwareSigner
from label_cert.label import LabelCredential, ProductIdentity, issue_label
from label_cert.status_list import (
    MIN_LENGTH,
    StatusList,
    check_status,
    decode_list,
    sign_status_list,
    verify_status_list,
)

ISSUER = "did:web:cb.example.cn"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _credential(status_list: StatusList, ttl_ms: int = 300_000) -> dict[str, Any]:
    return status_list.credential(
        "https://labels.example.cn/status/1", T0, T0 + timedelta(days=1), ttl_ms
    )


def _encode(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _check(payload: dict[str, Any], index: int, **overrides: Any) -> bool:
    arguments: dict[str, Any] = {
        "issuer_expected": ISSUER,
        "index": index,
        "now": T0 + timedelta(minutes=1),
        "fetched_at": T0,
        "purpose": "revocation",
    }
    arguments.update(overrides)
    return check_status(payload, **arguments)


class TestEncoding:
    def test_round_trips_through_the_encoded_list(self) -> None:
        status_list = StatusList(ISSUER, "revocation")
        for index in (0, 7, 8, 1000, MIN_LENGTH - 1):
            status_list.set(index, True)
        encoded = status_list.encoded()
        assert encoded.startswith("u")
        assert "=" not in encoded
        rebuilt = StatusList.from_encoded(ISSUER, "revocation", encoded)
        assert rebuilt.length == MIN_LENGTH
        assert [i for i in range(MIN_LENGTH) if rebuilt.get(i)] == [0, 7, 8, 1000, MIN_LENGTH - 1]

    def test_first_index_is_the_most_significant_bit_of_the_first_byte(self) -> None:
        status_list = StatusList(ISSUER, "revocation")
        status_list.set(0, True)
        status_list.set(9, True)
        status_list.set(15, True)
        bits = decode_list(status_list.encoded())
        # index 0 -> 0b1000_0000; indexes 9 and 15 -> 0b0100_0001
        assert bits[:3] == bytes([0x80, 0x41, 0x00])

    def test_encoded_list_is_gzip_of_the_bitstring(self) -> None:
        status_list = StatusList(ISSUER, "suspension")
        status_list.set(3, True)
        raw = base64.urlsafe_b64decode(status_list.encoded()[1:] + "==")
        assert gzip.decompress(raw)[:1] == bytes([0x10])

    def test_rejects_a_length_below_the_minimum_or_not_a_multiple_of_8(self) -> None:
        with pytest.raises(StatusListError):
            StatusList(ISSUER, "revocation", MIN_LENGTH - 8)
        with pytest.raises(StatusListError):
            StatusList(ISSUER, "revocation", MIN_LENGTH + 3)

    def test_credential_has_the_vc_2_shape(self) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"), ttl_ms=60_000)
        assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert payload["issuer"] == ISSUER
        assert payload["validFrom"] == "2025-03-01T08:00:00Z"
        assert payload["credentialSubject"]["type"] == "BitstringStatusList"
        assert payload["credentialSubject"]["statusPurpose"] == "revocation"
        assert payload["credentialSubject"]["ttl"] == 60_000


class TestAllocation:
    def test_allocates_distinct_non_sequential_indexes(self) -> None:
        status_list = StatusList(ISSUER, "revocation")
        indexes = [status_list.allocate() for _ in range(2000)]
        assert len(set(indexes)) == 2000
        steps = sum(1 for a, b in itertools.pairwise(indexes) if b == a + 1)
        assert steps < 5
        assert indexes != sorted(indexes)

    def test_retries_when_the_rng_repeats_an_index(self) -> None:
        status_list = StatusList(ISSUER, "revocation")
        draws = iter([5, 5, 5, 9])
        assert status_list.allocate(lambda _n: next(draws)) == 5
        assert status_list.allocate(lambda _n: next(draws)) == 9
        assert status_list.allocated == frozenset({5, 9})

    def test_refuses_to_allocate_from_a_full_list(self) -> None:
        status_list = StatusList.from_encoded(
            ISSUER,
            "revocation",
            StatusList(ISSUER, "revocation").encoded(),
            allocated=set(range(MIN_LENGTH)),
        )
        with pytest.raises(StatusListFullError):
            status_list.allocate()


class TestStatusTransitions:
    def test_suspend_reinstate_then_revoke_across_two_lists(self) -> None:
        revocation = StatusList(ISSUER, "revocation")
        suspension = StatusList(ISSUER, "suspension")
        r_index, s_index = revocation.allocate(), suspension.allocate()

        def status() -> tuple[bool, bool]:
            return (
                _check(_credential(revocation), r_index),
                _check(_credential(suspension), s_index, purpose="suspension"),
            )

        assert status() == (False, False)
        suspension.set(s_index, True)
        assert status() == (False, True)
        suspension.set(s_index, False)
        assert status() == (False, False)
        revocation.set(r_index, True)
        assert status() == (True, False)


class TestCheckStatusRefusals:
    def test_rejects_an_index_out_of_range(self) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"))
        with pytest.raises(StatusIndexError):
            _check(payload, MIN_LENGTH)
        with pytest.raises(StatusIndexError):
            _check(payload, -1)

    def test_rejects_a_list_from_another_issuer(self) -> None:
        payload = _credential(StatusList("did:web:rogue.example", "revocation"))
        with pytest.raises(StatusListIssuerError):
            _check(payload, 0)

    def test_reports_status_unknown_when_the_list_is_older_than_its_ttl(self) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"), ttl_ms=60_000)
        assert _check(payload, 0, now=T0 + timedelta(seconds=60)) is False
        with pytest.raises(StatusUnknownError, match="status unknown"):
            _check(payload, 0, now=T0 + timedelta(seconds=61))

    def test_reports_status_unknown_outside_the_validity_window(self) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"))
        late = T0 + timedelta(days=1, seconds=1)
        with pytest.raises(StatusUnknownError):
            _check(payload, 0, now=late, fetched_at=late)

    def test_rejects_a_purpose_mismatch(self) -> None:
        payload = _credential(StatusList(ISSUER, "suspension"))
        with pytest.raises(PurposeMismatchError):
            _check(payload, 0, purpose="revocation")

    def test_rejects_a_payload_that_is_not_a_status_list_credential(self) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"))
        payload["type"] = ["VerifiableCredential"]
        with pytest.raises(MalformedStatusListError):
            _check(payload, 0)

    @pytest.mark.parametrize(
        "encoded",
        [
            "zABC",  # wrong multibase prefix
            "u!!!!",  # not base64url
            _encode(b"not gzip at all"),
            _encode(gzip.compress(bytes(MIN_LENGTH // 8))[:-6]),  # truncated
            _encode(gzip.compress(bytes(MIN_LENGTH // 8)) + b"junk"),  # trailing data
            _encode(gzip.compress(bytes(16))),  # shorter than the minimum
        ],
    )
    def test_rejects_a_malformed_encoded_list(self, encoded: str) -> None:
        payload = _credential(StatusList(ISSUER, "revocation"))
        payload["credentialSubject"]["encodedList"] = encoded
        with pytest.raises(MalformedStatusListError):
            _check(payload, 0)

    def test_refuses_a_zip_bomb_quickly(self) -> None:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        chunk = bytes(1024 * 1024)
        bomb = b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()
        assert len(bomb) < 300_000  # 256 MiB of zeros, 128 times the verifier's cap
        payload = _credential(StatusList(ISSUER, "revocation"))
        payload["credentialSubject"]["encodedList"] = _encode(bomb)
        started = time.monotonic()
        with pytest.raises(OversizedStatusListError):
            _check(payload, 0)
        assert time.monotonic() - started < 2.0


OTHER = "did:web:cb.example.cn:other"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _reheader(token: str, header: dict[str, Any], signer: SoftwareSigner | None) -> str:
    """The token's payload under another header, signed by *signer* (or unsigned)."""
    signing_input = _b64(json.dumps(header).encode()) + "." + token.split(".")[1]
    signature = signer.sign(signing_input.encode()) if signer else b""
    return signing_input + "." + (_b64(signature) or "AA")


class _Issuers:
    """Two issuers with their own keys; ISSUER's list signed at T0."""

    def __init__(self) -> None:
        self.signer = SoftwareSigner.generate()
        self.other = SoftwareSigner.generate()
        self.ring = KeyRing.start(
            ISSUER, self.signer.issuer_key(date(2025, 1, 1), date(2028, 1, 1))
        )
        self.status_list = StatusList(ISSUER, "revocation")
        self.status_list.set(7, True)
        self.token = sign_status_list(_credential(self.status_list), self.signer, T0)

    def refusal(self, token: str, keys: Any = None) -> BaseException | None:
        with pytest.raises(StatusListError) as caught:
            verify_status_list(token, self.ring if keys is None else keys, ISSUER)
        return caught.value


@pytest.fixture
def issuers() -> _Issuers:
    return _Issuers()


class TestSignedStatusList:
    def test_a_signed_list_verifies_against_the_issuers_ring_and_jwks(
        self, issuers: _Issuers
    ) -> None:
        for keys in (issuers.ring, json.loads(json.dumps(issuers.ring.jwks()))):
            verified = verify_status_list(issuers.token, keys, ISSUER)
            assert verified.kid == issuers.signer.kid
            assert verified.signed_at == T0
            assert _check(verified.payload, 7) is True
            assert _check(verified.payload, 8) is False

    def test_header_and_claims_follow_the_label_rules(self, issuers: _Issuers) -> None:
        header, payload = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in issuers.token.split(".")[:2]
        )
        assert header == {"alg": "EdDSA", "typ": "vc+jwt", "kid": issuers.signer.kid}
        assert payload["iss"] == payload["issuer"] == ISSUER
        assert payload["nbf"] == int(T0.timestamp())
        assert payload["exp"] == int((T0 + timedelta(days=1)).timestamp())
        assert payload["credentialSubject"]["ttl"] == 300_000

    def test_rejects_a_list_signed_by_another_issuers_key(self, issuers: _Issuers) -> None:
        forged = sign_status_list(_credential(StatusList(ISSUER, "revocation")), issuers.other, T0)
        refusal = issuers.refusal(forged)
        assert isinstance(refusal, StatusListSignatureError)
        assert isinstance(refusal.__cause__, err.UnknownSigningKeyError)

    def test_rejects_a_list_naming_another_issuer(self, issuers: _Issuers) -> None:
        foreign = sign_status_list(_credential(StatusList(OTHER, "revocation")), issuers.signer, T0)
        assert isinstance(issuers.refusal(foreign), StatusListIssuerError)

    def test_rejects_an_altered_list(self, issuers: _Issuers) -> None:
        clear = sign_status_list(_credential(StatusList(ISSUER, "revocation")), issuers.other, T0)
        header, _payload, signature = issuers.token.split(".")
        spliced = ".".join([header, clear.split(".")[1], signature])
        assert isinstance(issuers.refusal(spliced).__cause__, err.BadLabelSignatureError)

    def test_rejects_a_wrong_typ(self, issuers: _Issuers) -> None:
        header = {"alg": "EdDSA", "typ": "JWT", "kid": issuers.signer.kid}
        forged = _reheader(issuers.token, header, issuers.signer)
        assert isinstance(issuers.refusal(forged).__cause__, err.WrongTokenTypeError)

    def test_rejects_alg_none_and_hs256(self, issuers: _Issuers) -> None:
        none = _reheader(
            issuers.token, {"alg": "none", "typ": "vc+jwt", "kid": issuers.signer.kid}, None
        )
        assert isinstance(issuers.refusal(none).__cause__, err.DisallowedAlgorithmError)
        header = {"alg": "HS256", "typ": "vc+jwt", "kid": issuers.signer.kid}
        secret = base64.urlsafe_b64decode(issuers.signer.public_jwk["x"] + "=")
        signing_input = _b64(json.dumps(header).encode()) + "." + issuers.token.split(".")[1]
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        hs256 = signing_input + "." + _b64(mac)
        assert isinstance(issuers.refusal(hs256).__cause__, err.DisallowedAlgorithmError)

    def test_rejects_a_header_smuggling_the_signing_key(self, issuers: _Issuers) -> None:
        header = {
            "alg": "EdDSA",
            "typ": "vc+jwt",
            "kid": issuers.other.kid,
            "jwk": issuers.other.public_jwk,
        }
        forged = _reheader(issuers.token, header, issuers.other)
        assert isinstance(issuers.refusal(forged).__cause__, err.KeySmugglingError)

    def test_rejects_a_list_signed_by_a_retired_key_after_its_retirement(
        self, issuers: _Issuers
    ) -> None:
        retired = T0 + timedelta(milliseconds=500)  # the list of T0 was signed before
        ring = issuers.ring.rotate(
            issuers.other.issuer_key(date(2025, 3, 1), date(2028, 3, 1)), on=retired
        )
        late = sign_status_list(
            _credential(issuers.status_list), issuers.signer, T0 + timedelta(seconds=1)
        )
        assert isinstance(issuers.refusal(late, ring).__cause__, err.KeyRetiredError)
        assert verify_status_list(issuers.token, ring, ISSUER).kid == issuers.signer.kid

    def test_rejects_a_label_token_passed_off_as_a_status_list(self, issuers: _Issuers) -> None:
        label = issue_label(
            LabelCredential(
                label_id="urn:uuid:1",
                issuer=ISSUER,
                valid_from=T0,
                valid_until=T0 + timedelta(days=1),
                product=ProductIdentity("p", "c", gtin="06901234567892"),
                declared_unit="kilogram",
                footprint={"total": "1"},
                reference_period=(date(2024, 1, 1), date(2024, 12, 31)),
                release_hash="a",
                result_hash="b",
                grade="A",
                certification_body="CB",
            ),
            issuers.signer,
            T0,
        )
        assert isinstance(issuers.refusal(label), MalformedStatusListError)
