"""The operator's trust list: signing, verifying against pinned operator keys, and updates that
only a listed operator key can make and that never roll back."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from label_cert import errors as err
from label_cert.keys import SoftwareSigner
from label_cert.trust import (
    TOKEN_TYPE,
    TrustedIssuer,
    TrustedKey,
    TrustList,
    check_update,
    load_trust_list,
    sign_trust_list,
    verify_trust_list,
)
from label_cert.vc_jwt import sign_compact

from .mutations import JSON_VALUES, mutated
from .world import NOW, OPERATOR, World, b64url, make_trust_list

FUZZ_WORLD = World()
FUZZ_CLAIMS = FUZZ_WORLD.trust(sequence=2).trust_list.claims()


def _segments(token: str) -> list[dict[str, Any]]:
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in token.split(".")[:2]]


def _resigned(token: str, signer: SoftwareSigner, **changes: Any) -> str:
    """The list's payload with `changes`, signed by `signer` (its kid in the header)."""
    claims = {**_segments(token)[1], **changes}
    return sign_compact(claims, signer, TOKEN_TYPE)


@pytest.fixture
def world() -> World:
    return World()


class TestSigning:
    def test_a_signed_list_reads_back_as_signed(self, world: World) -> None:
        signed = world.trust(sequence=3)
        header, payload = _segments(signed.token)
        assert header == {"alg": "EdDSA", "typ": "trust-list+jwt", "kid": world.operator.kid}
        assert payload["sequence"] == 3
        assert payload["iss"] == OPERATOR
        assert payload["issuers"][0]["keys"][0]["kid"] == world.signer.kid
        assert payload["operator_keys"] == [
            {"kid": world.operator.kid, "jwk": world.operator.public_jwk}]
        read = verify_trust_list(signed.token, {world.operator.kid})
        assert read == signed
        assert read.describe() == (
            f"trust list #3 of {OPERATOR}, issued 2025-12-31T00:00:00Z, "
            f"signed by operator key {world.operator.kid}")

    def test_only_a_listed_operator_key_signs(self, world: World) -> None:
        content = world.trust().trust_list
        with pytest.raises(err.UntrustedTrustListSignerError, match="not one of the list's"):
            sign_trust_list(content, SoftwareSigner.generate())

    def test_a_retired_key_is_written_with_its_retirement(self, world: World) -> None:
        issuer = world.trusted_issuer(retired_at=1_700_000_000)
        signed = make_trust_list(world.operator, (issuer,), world.log_key)
        entry = _segments(signed.token)[1]["issuers"][0]["keys"][0]
        assert entry["retired_at"] == 1_700_000_000
        key = verify_trust_list(signed.token, {world.operator.kid}).trust_list.issuers[0].keys[0]
        assert key.signed_while_active(1_699_999_999)
        assert not key.signed_while_active(1_700_000_000)

    def test_an_issuer_listed_twice_is_refused(self, world: World) -> None:
        issuer = world.trusted_issuer()
        with pytest.raises(err.MalformedTrustListError, match="each issuer once"):
            make_trust_list(world.operator, (issuer, issuer), world.log_key)


class TestVerifying:
    def test_a_list_signed_by_a_key_that_is_not_pinned_is_refused(self, world: World) -> None:
        signed = world.trust()
        with pytest.raises(err.UntrustedTrustListSignerError, match="not a pinned operator key"):
            verify_trust_list(signed.token, {SoftwareSigner.generate().kid})

    def test_an_altered_list_is_refused(self, world: World) -> None:
        header, _, signature = world.trust().token.split(".")
        claims = _segments(world.trust().token)[1]
        claims["issuers"] = []
        forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
        with pytest.raises(err.BadTrustListSignatureError):
            verify_trust_list(forged, {world.operator.kid})

    def test_a_label_token_is_not_a_trust_list(self, world: World) -> None:
        with pytest.raises(err.MalformedTrustListError, match=r"typ 'vc\+jwt' is not trust-list"):
            verify_trust_list(world.token, {world.signer.kid})

    def test_a_list_not_naming_its_signer_is_refused(self, world: World) -> None:
        other = SoftwareSigner.generate()
        token = _resigned(world.trust().token, other)  # names world.operator, signed by other
        with pytest.raises(err.UntrustedTrustListSignerError, match="does not name it"):
            verify_trust_list(token, {other.kid})

    def test_a_kid_that_is_not_the_thumbprint_of_its_key_is_refused(self, world: World) -> None:
        claims = _segments(world.trust().token)[1]
        claims["issuers"][0]["keys"][0]["kid"] = SoftwareSigner.generate().kid
        token = sign_compact(claims, world.operator, TOKEN_TYPE)
        with pytest.raises(err.MalformedTrustListError, match="but its JWK's thumbprint is"):
            verify_trust_list(token, {world.operator.kid})

    @pytest.mark.parametrize(
        ("name", "value"),
        [("sequence", -1), ("sequence", "1"), ("issuers", {}), ("log_key", None),
         ("operator_keys", []), ("iat", 10**20), ("iss", "")],
    )
    def test_a_payload_of_the_wrong_shape_is_refused(
        self, world: World, name: str, value: Any
    ) -> None:
        token = _resigned(world.trust().token, world.operator, **{name: value})
        with pytest.raises(err.MalformedTrustListError):
            verify_trust_list(token, {world.operator.kid})

    def test_a_list_loaded_as_it_is_must_be_signed_by_its_own_operator_key(
        self, world: World
    ) -> None:
        assert load_trust_list(world.trust().token + "\n").signed_by == world.operator.kid
        token = _resigned(world.trust().token, SoftwareSigner.generate())
        with pytest.raises(err.UntrustedTrustListSignerError):
            load_trust_list(token)


class TestFirstPin:
    def test_the_anchor_pins_the_list_it_signed(self, world: World) -> None:
        pinned = verify_trust_list(world.trust().token, {world.operator.kid})
        assert pinned.signed_by == world.operator.kid

    def test_a_wrong_anchor_refuses_the_list(self, world: World) -> None:
        """A network attacker's list, signed by the attacker's own 'operator' key."""
        attacker = World()
        with pytest.raises(err.UntrustedTrustListSignerError):
            verify_trust_list(attacker.trust().token, {world.operator.kid})


class TestUpdates:
    def test_a_higher_sequence_signed_by_the_operator_is_accepted(self, world: World) -> None:
        current = world.trust(sequence=4)
        new = world.trust(sequence=5, issued_at=NOW)
        assert check_update(current, new.token) == new

    def test_the_same_list_again_is_accepted(self, world: World) -> None:
        current = world.trust(sequence=4)
        assert check_update(current, current.token) == current

    def test_an_update_signed_by_a_key_that_is_not_an_operator_key_is_refused(
        self, world: World
    ) -> None:
        """Signed by the attacker's key, which the new list itself names as operator key."""
        current = world.trust(sequence=4)
        attacker = World()
        forged = attacker.trust(sequence=5)
        with pytest.raises(err.UntrustedTrustListSignerError, match="not a pinned operator key"):
            check_update(current, forged.token)
        # nor by a certification body's key the current list trusts for labels
        body_signed = _resigned(forged.token, world.signer, operator_keys=[
            TrustedKey.of(world.signer.public_jwk).to_json()])
        with pytest.raises(err.UntrustedTrustListSignerError):
            check_update(current, body_signed)

    def test_a_rollback_to_a_lower_sequence_is_refused(self, world: World) -> None:
        old = world.trust(sequence=4)
        current = world.trust(sequence=5, issued_at=NOW)
        with pytest.raises(err.TrustListRollbackError, match="sequence 4, lower than the pinned 5"):
            check_update(current, old.token)

    def test_the_same_sequence_with_other_content_is_refused(self, world: World) -> None:
        current = world.trust(sequence=5)
        fork = make_trust_list(world.operator, (), world.log_key, sequence=5)
        with pytest.raises(err.TrustListRollbackError, match="other content"):
            check_update(current, fork.token)

    def test_the_operator_hands_over_to_a_new_key(self, world: World) -> None:
        old_key, new_key = world.operator, SoftwareSigner.generate()
        both = (TrustedKey.of(old_key.public_jwk), TrustedKey.of(new_key.public_jwk))
        issuers = (world.trusted_issuer(),)
        current = make_trust_list(old_key, issuers, world.log_key, sequence=1)
        handover = make_trust_list(old_key, issuers, world.log_key, sequence=2,
                                   operator_keys=both)
        after = make_trust_list(new_key, issuers, world.log_key, sequence=3,
                                operator_keys=both[1:])
        assert check_update(check_update(current, handover.token), after.token) == after
        with pytest.raises(err.UntrustedTrustListSignerError):  # new key before the handover
            check_update(current, after.token)
        stale = make_trust_list(old_key, issuers, world.log_key, sequence=4)
        with pytest.raises(err.UntrustedTrustListSignerError):  # the old key, handed over
            check_update(after, stale.token)


def test_a_trust_list_is_a_plain_value() -> None:
    world = World()
    content = TrustList(OPERATOR, 1, NOW, (TrustedIssuer("did:web:x", "X"),),
                        TrustedKey.of(world.signer.public_jwk),
                        (TrustedKey.of(world.operator.public_jwk),))
    assert content.issuer("did:web:x") == TrustedIssuer("did:web:x", "X")
    assert content.issuer("did:web:y") is None
    with pytest.raises(err.MalformedTrustListError, match="timezone-aware"):
        TrustList(OPERATOR, 1, NOW.replace(tzinfo=None), (), content.log_key,
                  content.operator_keys)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(FUZZ_CLAIMS, JSON_VALUES))  # what a signed JSON payload can hold
def test_a_mutated_list_signed_by_the_operator_is_read_or_refused(claims: dict[str, Any]) -> None:
    """Whatever the payload, a TrustListError or a trust list: nothing else escapes."""
    token = sign_compact(claims, FUZZ_WORLD.operator, TOKEN_TYPE)
    try:
        signed = verify_trust_list(token, {FUZZ_WORLD.operator.kid})
    except err.TrustListError:
        return
    assert signed.trust_list.sequence >= 0
