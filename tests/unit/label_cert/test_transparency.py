"""RFC 9162 Merkle log: hand-checked roots, exhaustive proofs, forged proofs and checkpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from label_cert.errors import (
    CheckpointError,
    CheckpointSignatureError,
    ConsistencyProofError,
    InclusionProofError,
    LeafNotFoundError,
    SplitViewError,
    TreeSizeError,
)
from label_cert.transparency import (
    EMPTY_ROOT,
    Checkpoint,
    MerkleLog,
    checkpoint,
    detect_split_view,
    sign_checkpoint,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)

ORIGIN = "labels.example.cn/log"


def _leaf(d: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + d).digest()


def _node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


def _log(n: int) -> MerkleLog:
    log = MerkleLog()
    for i in range(n):
        log.append_event({"event": "issue", "label": f"L{i}"})
    return log


def _flip(proof: list[bytes], position: int) -> list[bytes]:
    forged = list(proof)
    forged[position] = bytes([forged[position][0] ^ 1]) + forged[position][1:]
    return forged


def _ed25519() -> tuple[Callable[[bytes], bytes], Callable[[bytes, bytes], bool]]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key()

    def verify(signature: bytes, body: bytes) -> bool:
        try:
            public.verify(signature, body)
        except InvalidSignature:
            return False
        return True

    return key.sign, verify


class TestTreeHashes:
    def test_roots_match_hand_computed_trees(self) -> None:
        log = MerkleLog()
        data = [f"d{i}".encode() for i in range(7)]
        for d in data:
            log.append(d)
        h = [_leaf(d) for d in data]
        assert log.root(0) == hashlib.sha256(b"").digest() == EMPTY_ROOT
        assert log.root(1) == h[0]
        assert log.root(2) == _node(h[0], h[1])
        assert log.root(3) == _node(_node(h[0], h[1]), h[2])
        assert log.root(7) == _node(
            _node(_node(h[0], h[1]), _node(h[2], h[3])), _node(_node(h[4], h[5]), h[6])
        )

    def test_events_are_stored_as_canonical_json(self) -> None:
        log = MerkleLog()
        log.append_event({"label": "L1", "event": "revoke"})
        assert log.leaf(0) == b'{"event":"revoke","label":"L1"}'

    def test_rejects_a_size_beyond_the_log(self) -> None:
        with pytest.raises(TreeSizeError):
            _log(3).root(4)

    def test_a_copy_is_the_prefix_and_shares_nothing(self) -> None:
        log = _log(13)
        for size in range(14):
            _ = log.root(13)  # fill the subtree cache past every prefix
            copy = log.copy(size)
            assert copy.size == size
            assert copy.root() == log.root(size)
            copy.append(b"only in the copy")
            assert log.size == 13
            assert copy.root() != log.root(min(size + 1, 13)) or size == 13
        with pytest.raises(TreeSizeError):
            log.copy(14)


class TestInclusionProofs:
    def test_every_index_and_size_up_to_17_verifies(self) -> None:
        log = _log(17)
        for size in range(1, 18):
            root = log.root(size)
            for index in range(size):
                proof = log.inclusion_proof(index, size)
                verify_inclusion(log.leaf_hash(index), index, size, proof, root)

    def test_a_label_not_in_the_log_is_refused(self) -> None:
        log = _log(7)
        absent = b'{"event":"issue","label":"FORGED"}'
        with pytest.raises(LeafNotFoundError):
            log.index_of(absent)
        with pytest.raises(InclusionProofError):
            verify_inclusion(_leaf(absent), 3, 7, log.inclusion_proof(3, 7), log.root(7))

    def test_a_proof_checked_against_the_wrong_tree_size_is_refused(self) -> None:
        log = _log(8)
        proof = log.inclusion_proof(5, 7)
        verify_inclusion(log.leaf_hash(5), 5, 7, proof, log.root(7))
        for size in (6, 8):  # the checkpoint of another size, with its own root
            with pytest.raises(InclusionProofError):
                verify_inclusion(log.leaf_hash(5), 5, size, proof, log.root(size))
        with pytest.raises(InclusionProofError):
            verify_inclusion(log.leaf_hash(5), 5, 16, proof, log.root(7))

    def test_an_altered_proof_hash_or_index_is_refused(self) -> None:
        log = _log(11)
        proof = log.inclusion_proof(6, 11)
        for position in range(len(proof)):
            with pytest.raises(InclusionProofError):
                verify_inclusion(log.leaf_hash(6), 6, 11, _flip(proof, position), log.root(11))
        with pytest.raises(InclusionProofError):
            verify_inclusion(log.leaf_hash(6), 7, 11, proof, log.root(11))
        with pytest.raises(InclusionProofError):
            verify_inclusion(log.leaf_hash(6), 11, 11, proof, log.root(11))


class TestConsistencyProofs:
    def test_every_size_pair_up_to_17_verifies(self) -> None:
        log = _log(17)
        for new in range(1, 18):
            for old in range(1, new + 1):
                proof = log.consistency_proof(old, new)
                verify_consistency(old, new, log.root(old), log.root(new), proof)
            verify_consistency(0, new, EMPTY_ROOT, log.root(new), [])

    def test_a_proof_with_one_hash_altered_is_refused(self) -> None:
        log = _log(17)
        for old, new in ((3, 7), (4, 8), (6, 17), (1, 2)):
            proof = log.consistency_proof(old, new)
            for position in range(len(proof)):
                with pytest.raises(ConsistencyProofError):
                    verify_consistency(
                        old, new, log.root(old), log.root(new), _flip(proof, position)
                    )

    def test_a_proof_for_other_sizes_is_refused(self) -> None:
        log = _log(17)
        proof = log.consistency_proof(3, 7)
        for old, new in ((3, 8), (2, 7), (4, 7), (5, 9)):
            with pytest.raises(ConsistencyProofError):
                verify_consistency(old, new, log.root(old), log.root(new), proof)

    def test_a_rewritten_history_is_refused(self) -> None:
        honest, rewritten = _log(9), _log(4)
        rewritten.append_event({"event": "issue", "label": "BACKDATED"})
        for i in range(5, 9):
            rewritten.append(honest.leaf(i))
        proof = rewritten.consistency_proof(5, 9)
        with pytest.raises(ConsistencyProofError):
            verify_consistency(5, 9, honest.root(5), rewritten.root(9), proof)

    def test_equal_sizes_need_equal_roots_and_an_empty_proof(self) -> None:
        log = _log(5)
        verify_consistency(5, 5, log.root(5), log.root(5), [])
        with pytest.raises(ConsistencyProofError):
            verify_consistency(5, 5, log.root(5), log.root(4), [])
        with pytest.raises(ConsistencyProofError):
            verify_consistency(5, 4, log.root(5), log.root(4), [])

    def test_rejects_a_non_hash_proof_element(self) -> None:
        log = _log(6)
        with pytest.raises(ConsistencyProofError):
            verify_consistency(3, 6, log.root(3), log.root(6), [b"short"])


class TestCheckpoints:
    def test_a_signed_checkpoint_verifies_and_round_trips(self) -> None:
        sign, verify = _ed25519()
        signed = sign_checkpoint(checkpoint(_log(5), ORIGIN, 1_740_000_000_000), sign)
        cp = verify_checkpoint(signed, verify)
        assert cp.size == 5
        assert Checkpoint.parse(cp.body()) == cp
        assert cp.body().startswith(f"{ORIGIN}\n5\n".encode())

    def test_a_tampered_checkpoint_signature_is_refused(self) -> None:
        sign, verify = _ed25519()
        signed = sign_checkpoint(checkpoint(_log(5), ORIGIN, 1), sign)
        forged = type(signed)(
            signed.checkpoint, bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
        )
        with pytest.raises(CheckpointSignatureError):
            verify_checkpoint(forged, verify)
        other = Checkpoint(ORIGIN, 6, _log(6).root(), 1)
        with pytest.raises(CheckpointSignatureError):
            verify_checkpoint(type(signed)(other, signed.signature), verify)

    def test_two_roots_for_one_size_are_a_split_view(self) -> None:
        sign, verify = _ed25519()
        honest, forked = _log(6), _log(5)
        forked.append_event({"event": "revoke", "label": "L0"})
        a = sign_checkpoint(checkpoint(honest, ORIGIN, 10), sign)
        b = sign_checkpoint(checkpoint(forked, ORIGIN, 11), sign)
        with pytest.raises(SplitViewError):
            detect_split_view(a, b, verify)
        detect_split_view(a, sign_checkpoint(checkpoint(honest, ORIGIN, 12), sign), verify)

    def test_a_split_view_claim_with_a_bad_signature_is_not_trusted(self) -> None:
        sign, verify = _ed25519()
        other_sign, _ = _ed25519()
        a = sign_checkpoint(checkpoint(_log(6), ORIGIN, 10), sign)
        b = sign_checkpoint(Checkpoint(ORIGIN, 6, bytes(32), 10), other_sign)
        with pytest.raises(CheckpointSignatureError):
            detect_split_view(a, b, verify)

    @pytest.mark.parametrize(
        "body",
        [
            b"origin\n5\nnot-base64\n1\n",
            b"origin\n5\n" + b"AAAA\n1\n",
            b"o\n+5\n" + b"A" * 43 + b"=\n1\n",
        ],
    )
    def test_rejects_a_malformed_checkpoint_body(self, body: bytes) -> None:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(body)
