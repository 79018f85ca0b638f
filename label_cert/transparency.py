"""An append-only Merkle log of label events with RFC 9162 (CT 2.0) hashing and proofs.

Owns the tree (roots, inclusion and consistency proofs), the proof verifiers written from the
RFC's algorithms independently of the tree code, and signed checkpoints with split-view checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from label_cert.errors import (
    CheckpointError,
    CheckpointSignatureError,
    ConsistencyProofError,
    InclusionProofError,
    LeafNotFoundError,
    SplitViewError,
    TransparencyError,
    TreeSizeError,
)

HASH_SIZE: Final = 32
MAX_UINT64: Final = 2**64 - 1  # tree sizes and timestamps are uint64 (RFC 9162)
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def canonical_event(event: Mapping[str, Any]) -> bytes:
    """Return the canonical JSON bytes of an event (sorted keys, no spaces, UTF-8)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class MerkleLog:
    """An in-memory append-only log; complete subtrees are cached since they never change."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        self._hashes: list[bytes] = []
        self._subtrees: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        """The number of leaves in the log."""
        return len(self._leaves)

    def append(self, leaf: bytes) -> int:
        """Append a leaf and return its index."""
        self._leaves.append(bytes(leaf))
        self._hashes.append(leaf_hash(leaf))
        return len(self._leaves) - 1

    def copy(self, size: int | None = None) -> MerkleLog:
        """A new log of the first `size` leaves (default: all), sharing no state with this one."""
        size = self.size if size is None else size
        self._check_size(size)
        other = MerkleLog()
        other._leaves = self._leaves[:size]
        other._hashes = self._hashes[:size]
        cached = self._subtrees.copy()  # one C-level copy: safe while readers add to it
        other._subtrees = {k: v for k, v in cached.items() if k[0] + k[1] <= size}
        return other

    def append_event(self, event: Mapping[str, Any]) -> int:
        """Append a JSON event (issue / suspend / reinstate / revoke) and return its index."""
        return self.append(canonical_event(event))

    def leaf(self, index: int) -> bytes:
        """Return the leaf at `index`."""
        self._check_size(index + 1)
        return self._leaves[index]

    def leaf_hash(self, index: int) -> bytes:
        """Return the leaf hash at `index`."""
        self._check_size(index + 1)
        return self._hashes[index]

    def index_of(self, leaf: bytes) -> int:
        """Return the first index of `leaf`, or raise LeafNotFoundError."""
        try:
            return self._leaves.index(leaf)
        except ValueError:
            raise LeafNotFoundError("the leaf is not in the log") from None

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self._leaves):
            raise TreeSizeError(f"size {size} is outside the log (0..{len(self._leaves)})")

    def _mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self._hashes[start]
        cacheable = n & (n - 1) == 0
        if cacheable and (start, n) in self._subtrees:
            return self._subtrees[(start, n)]
        k = _split(n)
        value = node_hash(self._mth(start, start + k), self._mth(start + k, end))
        if cacheable:
            self._subtrees[(start, n)] = value
        return value

    def root(self, size: int | None = None) -> bytes:
        """Return MTH of the first `size` leaves (default: the whole log)."""
        size = self.size if size is None else size
        self._check_size(size)
        return self._mth(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return PATH(index, D[0:size]) per RFC 9162 §2.1.3.1."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise TreeSizeError(f"leaf index {index} is not in a tree of size {size}")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._mth(start + k, end)]
        return [*self._path(m - k, start + k, end), self._mth(start, start + k)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return PROOF(old_size, D[0:new_size]) per RFC 9162 §2.1.4.1."""
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        if not 0 < old_size <= new_size:
            raise TreeSizeError(f"no consistency proof from size {old_size} to {new_size}")
        return self._subproof(old_size, 0, new_size, complete=True)

    def _subproof(self, m: int, start: int, end: int, *, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._mth(start, end)]
        k = _split(n)
        if m <= k:
            return [
                *self._subproof(m, start, start + k, complete=complete),
                self._mth(start + k, end),
            ]
        return [*self._subproof(m - k, start + k, end, complete=False), self._mth(start, start + k)]


def _check_hashes(proof: Sequence[bytes], error: type[TransparencyError]) -> None:
    if any(len(item) != HASH_SIZE for item in proof):
        raise error(f"every proof element must be a {HASH_SIZE}-byte hash")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 §2.1.3.2); raise InclusionProofError if it fails."""
    _check_hashes(proof, InclusionProofError)
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise InclusionProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise InclusionProofError(f"inclusion proof for leaf {index} does not match the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof (RFC 9162 §2.1.4.2); raise ConsistencyProofError if it fails."""
    _check_hashes(proof, ConsistencyProofError)
    if not 0 <= old_size <= new_size:
        raise ConsistencyProofError(f"size {old_size} cannot be a prefix of size {new_size}")
    if old_size in (new_size, 0):
        # Equal sizes need equal roots; the empty tree is a prefix of every tree.
        expected_old = new_root if old_size == new_size else EMPTY_ROOT
        if proof or old_root != expected_old:
            raise ConsistencyProofError("trivial consistency proof must be empty with equal roots")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise ConsistencyProofError("consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if fr != old_root or sr != new_root or sn != 0:
        raise ConsistencyProofError(
            f"consistency proof from size {old_size} to {new_size} does not match the roots"
        )


@dataclass(frozen=True)
class Checkpoint:
    """A log's commitment to its first `size` leaves at `timestamp_ms` (Unix milliseconds)."""

    origin: str
    size: int
    root_hash: bytes
    timestamp_ms: int

    def __post_init__(self) -> None:
        if not self.origin or any(ch in self.origin for ch in "\r\n"):
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if (
            not 0 <= self.size <= MAX_UINT64
            or not 0 <= self.timestamp_ms <= MAX_UINT64
            or len(self.root_hash) != HASH_SIZE
        ):
            raise CheckpointError("checkpoint size, timestamp or root hash is invalid")

    def body(self) -> bytes:
        """Return the canonical signed text: origin, size, base64 root, timestamp, one per line."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n{self.timestamp_ms}\n".encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        """Parse a canonical checkpoint body, refusing any non-canonical form."""
        try:
            origin, size, root, timestamp, tail = body.decode("utf-8").split("\n")
            checkpoint = cls(
                origin, int(size), base64.b64decode(root, validate=True), int(timestamp)
            )
        except (UnicodeDecodeError, ValueError, binascii.Error) as exc:
            raise CheckpointError(f"malformed checkpoint body: {exc}") from exc
        if tail or checkpoint.body() != body:
            raise CheckpointError("checkpoint body is not in canonical form")
        return checkpoint


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with the log's signature over its canonical body."""

    checkpoint: Checkpoint
    signature: bytes


def checkpoint(log: MerkleLog, origin: str, timestamp_ms: int) -> Checkpoint:
    """Return a checkpoint of the log's current size and root."""
    return Checkpoint(origin, log.size, log.root(), timestamp_ms)


def sign_checkpoint(cp: Checkpoint, sign: Callable[[bytes], bytes]) -> SignedCheckpoint:
    """Sign a checkpoint's canonical body with the log's key."""
    return SignedCheckpoint(cp, sign(cp.body()))


def verify_checkpoint(
    signed: SignedCheckpoint, verify: Callable[[bytes, bytes], bool]
) -> Checkpoint:
    """Return the checkpoint if `verify(signature, body)` accepts it, else raise."""
    if not verify(signed.signature, signed.checkpoint.body()):
        raise CheckpointSignatureError(
            f"signature on checkpoint {signed.checkpoint.origin} size {signed.checkpoint.size} "
            "does not verify"
        )
    return signed.checkpoint


def detect_split_view(
    checkpoint_a: SignedCheckpoint,
    checkpoint_b: SignedCheckpoint,
    verify: Callable[[bytes, bytes], bool],
) -> None:
    """Raise SplitViewError if two validly signed same-size checkpoints have different roots."""
    a = verify_checkpoint(checkpoint_a, verify)
    b = verify_checkpoint(checkpoint_b, verify)
    if a.origin == b.origin and a.size == b.size and a.root_hash != b.root_hash:
        raise SplitViewError(
            f"log {a.origin} signed two different roots for size {a.size}: "
            f"{a.root_hash.hex()} and {b.root_hash.hex()}"
        )
