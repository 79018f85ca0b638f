"""Tests of the signed carbon label: round trip and every forgery the verifier must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from label_cert import errors as err
from label_cert.keys import KeyRing, SoftwareSigner
from label_cert.label import (
    LabelCredential,
    ProductIdentity,
    StatusEntry,
    issue_label,
    verify_label,
)

BODY_A = "did:web:certs.example.cn:bodies:a"
BODY_B = "did:web:certs.example.cn:bodies:b"
VALID_FROM = datetime(2025, 3, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2028, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
FOOTPRINT = {"pCfExcludingBiogenic": "12.3450", "pCfIncludingBiogenic": "0.000100"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _credential(issuer: str = BODY_A) -> LabelCredential:
    return LabelCredential(
        label_id="urn:uuid:6f1c9a2e-0000-4000-8000-000000000001",
        issuer=issuer,
        valid_from=VALID_FROM,
        valid_until=VALID_UNTIL,
        product=ProductIdentity(name="Cement P.O 42.5", company="Acme", gtin="06901234567892"),
        declared_unit="kilogram",
        footprint=FOOTPRINT,
        reference_period=(date(2024, 1, 1), date(2024, 12, 31)),
        release_hash="sha256:" + "a" * 64,
        result_hash="sha256:" + "b" * 64,
        grade="B",
        certification_body="Body A",
        status=(StatusEntry("revocation", 42, "https://certs.example.cn/status/1"),),
    )


class _Bodies:
    """Two certification bodies, each with its own signer and published ring."""

    def __init__(self) -> None:
        self.signer_a = SoftwareSigner.generate()
        self.signer_b = SoftwareSigner.generate()
        self.rings = {
            BODY_A: KeyRing.start(
                BODY_A, self.signer_a.issuer_key(date(2025, 1, 1), date(2029, 1, 1))
            ),
            BODY_B: KeyRing.start(
                BODY_B, self.signer_b.issuer_key(date(2025, 1, 1), date(2029, 1, 1))
            ),
        }

    def resolver(self) -> Callable[[str], KeyRing | None]:
        return self.rings.get

    def verify(self, token: str, now: datetime = NOW) -> Any:
        return verify_label(token, self.resolver(), now)


@pytest.fixture
def bodies() -> _Bodies:
    return _Bodies()


@pytest.fixture
def token(bodies: _Bodies) -> str:
    return issue_label(_credential(), bodies.signer_a, issued_at=VALID_FROM)


def _forge(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = sign(signing_input.encode())
    return signing_input + "." + (_b64(signature) if signature else "")


class TestRoundTrip:
    def test_a_label_verifies_with_its_issuers_published_key(
        self, bodies: _Bodies, token: str
    ) -> None:
        result = bodies.verify(token)
        assert result.issuer == BODY_A
        assert result.kid == bodies.signer_a.kid
        subject = result.credential["credentialSubject"]
        assert subject["grade"] == "B"
        assert result.credential["credentialStatus"][0]["statusListIndex"] == "42"
        assert _unb64(token.split(".", maxsplit=1)[0]) == {
            "alg": "EdDSA",
            "typ": "vc+jwt",
            "kid": bodies.signer_a.kid,
        }

    def test_claims_mirror_the_credential_fields(self, bodies: _Bodies, token: str) -> None:
        claims = _unb64(token.split(".")[1])
        assert claims["iss"] == claims["issuer"] == BODY_A
        assert claims["jti"] == claims["id"]
        assert claims["nbf"] == int(VALID_FROM.timestamp())
        assert claims["validUntil"] == "2028-03-01T00:00:00Z"
        assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2"]

    def test_decimal_strings_survive_unchanged(self, bodies: _Bodies, token: str) -> None:
        assert bodies.verify(token).credential["credentialSubject"]["footprint"] == FOOTPRINT

    def test_a_float_footprint_is_refused_at_issue(self) -> None:
        with pytest.raises(ValueError, match="decimal string"):
            replace(_credential(), footprint={"pCf": 1.5})  # type: ignore[dict-item]  # the point

    def test_a_label_verifies_against_a_plain_jwks(self, bodies: _Bodies, token: str) -> None:
        jwks = bodies.rings[BODY_A].jwks()
        assert verify_label(token, lambda _iss: jwks, NOW).issuer == BODY_A


class TestRefusedHeaders:
    def test_rejects_alg_none(self, bodies: _Bodies, token: str) -> None:
        header = {"alg": "none", "typ": "vc+jwt", "kid": bodies.signer_a.kid}
        forged = _forge(header, _unb64(token.split(".")[1]), lambda _m: b"")
        with pytest.raises(err.LabelVerificationError):
            bodies.verify(forged)
        with pytest.raises(err.DisallowedAlgorithmError):
            bodies.verify(forged + "AA")  # a non-empty third segment reaches the alg check

    def test_rejects_hs256_signed_with_the_public_key_as_secret(
        self, bodies: _Bodies, token: str
    ) -> None:
        header = {"alg": "HS256", "typ": "vc+jwt", "kid": bodies.signer_a.kid}
        secret = base64.urlsafe_b64decode(bodies.signer_a.public_jwk["x"] + "=")
        claims = {**_unb64(token.split(".")[1]), "credentialSubject": {"grade": "A"}}
        forged = _forge(header, claims, lambda m: hmac.new(secret, m, hashlib.sha256).digest())
        with pytest.raises(err.DisallowedAlgorithmError):
            bodies.verify(forged)

    def test_rejects_a_wrong_typ(self, bodies: _Bodies, token: str) -> None:
        header = {"alg": "EdDSA", "typ": "JWT", "kid": bodies.signer_a.kid}
        forged = _forge(header, _unb64(token.split(".")[1]), bodies.signer_a.sign)
        with pytest.raises(err.WrongTokenTypeError):
            bodies.verify(forged)

    @pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c"])
    def test_rejects_a_header_smuggling_its_own_key(
        self, bodies: _Bodies, token: str, name: str
    ) -> None:
        attacker = SoftwareSigner.generate()
        value: Any = {"jwk": attacker.public_jwk, "x5c": ["MIIB"]}.get(
            name, "https://evil.example/k"
        )
        header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": bodies.signer_a.kid, name: value}
        forged = _forge(header, _unb64(token.split(".")[1]), attacker.sign)
        with pytest.raises(err.KeySmugglingError):
            bodies.verify(forged)

    def test_rejects_the_attackers_own_key_named_by_its_kid(
        self, bodies: _Bodies, token: str
    ) -> None:
        attacker = SoftwareSigner.generate()
        header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": attacker.kid, "jwk": attacker.public_jwk}
        forged = _forge(header, _unb64(token.split(".")[1]), attacker.sign)
        with pytest.raises(err.KeySmugglingError):
            bodies.verify(forged)
        del header["jwk"]
        with pytest.raises(err.UnknownSigningKeyError):
            bodies.verify(_forge(header, _unb64(token.split(".")[1]), attacker.sign))

    def test_rejects_a_crit_header(self, bodies: _Bodies, token: str) -> None:
        header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": bodies.signer_a.kid, "b64": False}
        forged = _forge(header, _unb64(token.split(".")[1]), bodies.signer_a.sign)
        with pytest.raises(err.UnexpectedHeaderError):
            bodies.verify(forged)


class TestRefusedKeysAndSignatures:
    def test_rejects_a_label_signed_by_another_bodys_key(self, bodies: _Bodies) -> None:
        # Body A signs with its own key but names body B as issuer: A's kid is not in B's set.
        forged = issue_label(_credential(issuer=BODY_B), bodies.signer_a, issued_at=VALID_FROM)
        with pytest.raises(err.UnknownSigningKeyError, match=BODY_B):
            bodies.verify(forged)

    def test_rejects_another_bodys_kid_over_a_foreign_signature(
        self, bodies: _Bodies, token: str
    ) -> None:
        header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": bodies.signer_b.kid}
        claims = {**_unb64(token.split(".")[1]), "iss": BODY_B, "issuer": BODY_B}
        with pytest.raises(err.BadLabelSignatureError):
            bodies.verify(_forge(header, claims, bodies.signer_a.sign))

    def test_rejects_an_unknown_issuer(self, bodies: _Bodies) -> None:
        forged = issue_label(_credential(issuer="did:web:nobody"), bodies.signer_a, VALID_FROM)
        with pytest.raises(err.UnknownIssuerError):
            bodies.verify(forged)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            (("credentialSubject", "footprint", "pCfExcludingBiogenic"), "1.2345"),
            (("credentialSubject", "declaredUnit"), "ton"),
            (("credentialSubject", "grade"), "A"),
            (("credentialSubject", "certificationBody"), "Body B"),
            (("credentialSubject", "product", "gtin"), "06901234567809"),
        ],
    )
    def test_rejects_any_change_to_the_signed_payload(
        self, bodies: _Bodies, token: str, path: tuple[str, ...], value: str
    ) -> None:
        header, payload, signature = token.split(".")
        claims = _unb64(payload)
        target = claims
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        swapped = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        with pytest.raises(err.BadLabelSignatureError):
            bodies.verify(swapped)

    def test_rejects_a_payload_swapped_from_another_label(
        self, bodies: _Bodies, token: str
    ) -> None:
        cheaper = replace(_credential(), grade="A", footprint={"pCfExcludingBiogenic": "1.0"})
        other = issue_label(cheaper, bodies.signer_a, VALID_FROM)
        header, _, signature = token.split(".")
        with pytest.raises(err.BadLabelSignatureError):
            bodies.verify(f"{header}.{other.split('.')[1]}.{signature}")


class TestRefusedClaims:
    def _resign(self, bodies: _Bodies, token: str, **changes: Any) -> str:
        claims = {**_unb64(token.split(".")[1]), **changes}
        claims = {k: v for k, v in claims.items() if v is not None}
        return _forge(_unb64(token.split(".", maxsplit=1)[0]), claims, bodies.signer_a.sign)

    def test_rejects_iss_differing_from_the_vc_issuer(self, bodies: _Bodies, token: str) -> None:
        with pytest.raises(err.IssuerMismatchError):
            bodies.verify(self._resign(bodies, token, issuer=BODY_B))

    def test_rejects_exp_differing_from_valid_until(self, bodies: _Bodies, token: str) -> None:
        with pytest.raises(err.ClaimMismatchError):
            bodies.verify(self._resign(bodies, token, exp=int(VALID_UNTIL.timestamp()) + 86400))

    @pytest.mark.parametrize("name", ["exp", "nbf", "iat", "jti", "credentialSubject"])
    def test_rejects_a_missing_required_field(self, bodies: _Bodies, token: str, name: str) -> None:
        with pytest.raises(err.MissingLabelFieldError):
            bodies.verify(self._resign(bodies, token, **{name: None}))

    def test_rejects_a_subject_without_grade(self, bodies: _Bodies, token: str) -> None:
        subject = {**_unb64(token.split(".")[1])["credentialSubject"]}
        del subject["grade"]
        with pytest.raises(err.MissingLabelFieldError, match="grade"):
            bodies.verify(self._resign(bodies, token, credentialSubject=subject))


class TestValidityWindow:
    def test_expiry_boundary_is_exclusive_of_exp_plus_leeway(
        self, bodies: _Bodies, token: str
    ) -> None:
        edge = VALID_UNTIL + timedelta(seconds=60)
        assert bodies.verify(token, now=edge - timedelta(seconds=1)).issuer == BODY_A
        with pytest.raises(err.LabelExpiredError):
            bodies.verify(token, now=edge)

    def test_not_before_boundary_allows_exactly_nbf_minus_leeway(
        self, bodies: _Bodies, token: str
    ) -> None:
        edge = VALID_FROM - timedelta(seconds=60)
        assert bodies.verify(token, now=edge).issuer == BODY_A
        with pytest.raises(err.LabelNotYetValidError):
            bodies.verify(token, now=edge - timedelta(seconds=1))


class TestRotation:
    def test_a_label_signed_by_a_retired_key_verifies_until_the_key_is_removed(
        self, bodies: _Bodies, token: str
    ) -> None:
        successor = SoftwareSigner.generate()
        rotated = bodies.rings[BODY_A].rotate(
            successor.issuer_key(date(2026, 1, 1), date(2030, 1, 1)), on=date(2026, 1, 1)
        )
        bodies.rings[BODY_A] = rotated
        assert bodies.verify(token).kid == bodies.signer_a.kid
        fresh = issue_label(_credential(), successor, issued_at=NOW)
        assert bodies.verify(fresh).kid == successor.kid
        bodies.rings[BODY_A] = rotated.without(bodies.signer_a.kid)
        with pytest.raises(err.UnknownSigningKeyError):
            bodies.verify(token)
        assert bodies.verify(fresh).kid == successor.kid


class TestRetirement:
    """A retired key stays published only to verify what it signed while it was active."""

    RETIRED = datetime(2026, 1, 1, 12, 0, 0, 500_000, tzinfo=UTC)

    def _rotated(self, bodies: _Bodies) -> SoftwareSigner:
        successor = SoftwareSigner.generate()
        bodies.rings[BODY_A] = bodies.rings[BODY_A].rotate(
            successor.issuer_key(date(2026, 1, 1), date(2030, 1, 1)), on=self.RETIRED
        )
        return successor

    def test_refuses_a_label_issued_after_its_key_was_retired(self, bodies: _Bodies) -> None:
        self._rotated(bodies)
        late = issue_label(_credential(), bodies.signer_a, issued_at=self.RETIRED + timedelta(1))
        with pytest.raises(err.KeyRetiredError):
            bodies.verify(late)

    def test_a_label_issued_in_the_second_before_retirement_still_verifies(
        self, bodies: _Bodies
    ) -> None:
        self._rotated(bodies)
        # iat is truncated to 12:00:00, the key retired at 12:00:00.5
        before = issue_label(_credential(), bodies.signer_a, issued_at=self.RETIRED)
        assert bodies.verify(before).kid == bodies.signer_a.kid
        at_cutoff = self.RETIRED.replace(microsecond=0) + timedelta(seconds=1)
        with pytest.raises(err.KeyRetiredError):
            bodies.verify(issue_label(_credential(), bodies.signer_a, issued_at=at_cutoff))

    def test_the_published_jwks_carries_the_retirement_to_outside_verifiers(
        self, bodies: _Bodies
    ) -> None:
        self._rotated(bodies)
        jwks = json.loads(json.dumps(bodies.rings[BODY_A].jwks()))  # as served
        late = issue_label(_credential(), bodies.signer_a, issued_at=self.RETIRED + timedelta(1))
        early = issue_label(_credential(), bodies.signer_a, issued_at=VALID_FROM)
        assert verify_label(early, lambda _iss: jwks, NOW + timedelta(days=2)).issuer == BODY_A
        with pytest.raises(err.KeyRetiredError):
            verify_label(late, lambda _iss: jwks, NOW + timedelta(days=2))

    def test_a_retirement_day_without_an_instant_covers_that_whole_day(
        self, bodies: _Bodies
    ) -> None:
        successor = SoftwareSigner.generate()
        bodies.rings[BODY_A] = bodies.rings[BODY_A].rotate(
            successor.issuer_key(date(2026, 1, 1), date(2030, 1, 1)), on=date(2026, 1, 1)
        )
        evening = datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC)
        later = NOW + timedelta(days=3)
        assert bodies.verify(issue_label(_credential(), bodies.signer_a, evening), later)
        with pytest.raises(err.KeyRetiredError):
            bodies.verify(
                issue_label(_credential(), bodies.signer_a, evening + timedelta(0, 1)), later
            )
