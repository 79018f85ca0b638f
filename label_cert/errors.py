"""Errors raised by label_cert, one tree under ``LabelError``; the modules that raise them
import them from here (and re-export them under their old module names)::

    LabelError
    ├── IssuerKeyError                  issuer keys and key rings
    │   ├── KeyDecryptionError          wrong passphrase or not an encrypted Ed25519 key
    │   └── KeyRotationError            a rotation that would break the ring
    ├── TrustListError                  the operator's signed trust list (label_cert.trust)
    │   ├── MalformedTrustListError     not a trust-list+jwt compact JWS of the documented shape
    │   ├── UntrustedTrustListSignerError  signed by a key that is not a pinned operator key
    │   ├── BadTrustListSignatureError  the signature does not match: the list was altered
    │   └── TrustListRollbackError      an update older than the pinned list, or forking it
    └── LabelVerificationError          a label (or status list) token that must not be trusted
        ├── MalformedLabelError         not a compact JWS with JSON header and payload
        ├── DisallowedAlgorithmError    alg is not EdDSA (none, HS256, RS256, ...)
        ├── WrongTokenTypeError         typ is not vc+jwt
        ├── KeySmugglingError           jwk / jku / x5u / x5c in the header
        ├── UnexpectedHeaderError       any other header beyond alg, typ, kid
        ├── UnknownIssuerError          no published key set for the named issuer
        ├── UnknownSigningKeyError      kid not in the named issuer's key set
        ├── KeyRetiredError             iat at or after the signing key's retirement
        ├── BadLabelSignatureError      signature does not match header and payload
        ├── LabelExpiredError           exp + leeway <= now
        ├── LabelNotYetValidError       nbf - leeway > now
        ├── MissingLabelFieldError      a required claim or credential field is absent
        └── ClaimMismatchError          JWT claims disagree with the credential fields
            └── IssuerMismatchError     iss differs from the credential's issuer
    ├── StatusListError                 Bitstring status lists (label_cert.status_list)
    │   ├── StatusIndexError            an index outside the list
    │   ├── StatusListFullError         every index allocated
    │   ├── StatusListIssuerError       the list names another issuer than expected
    │   ├── PurposeMismatchError        revocation asked, suspension given (or the reverse)
    │   ├── StatusUnknownError          stale, or outside its validity window
    │   ├── OversizedStatusListError    expands beyond the verifier's cap
    │   ├── MalformedStatusListError    not a well-formed credential or encoded list
    │   └── StatusListSignatureError    the signed list was refused
    ├── TransparencyError               the Merkle log (label_cert.transparency)
    │   ├── LeafNotFoundError, TreeSizeError, InclusionProofError, ConsistencyProofError
    │   ├── CheckpointError, CheckpointSignatureError
    │   └── SplitViewError              two signed checkpoints of one size disagree
    ├── WorkflowError                   a refused certification action (label_cert.workflow)
    │   ├── IllegalTransition, NotAllowed, SecondApproverRequired, ReproductionMismatch
    ├── GradingError                    a footprint or threshold table that cannot grade
    └── LabelImageError                 a printable label that cannot be drawn
"""

from __future__ import annotations

from typing import Any

_SHOWN_CHARS = 80


def shown(value: Any) -> str:
    """How a message shows a value read from an untrusted document: short strings and small
    numbers as repr, anything else by its type. Never fails: a deeply nested list or an
    integer of thousands of digits would make repr raise (RecursionError, ValueError)."""
    if isinstance(value, str):
        text = repr(value[:_SHOWN_CHARS])
        return text if len(value) <= _SHOWN_CHARS else text + "..."
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**18 else "a very large integer"
    return f"a {type(value).__name__}"


class LabelError(Exception):
    """Base class of every error raised by label_cert."""


class IssuerKeyError(LabelError):
    """A problem with an issuer key or a certification body's key ring."""


class KeyDecryptionError(IssuerKeyError):
    """An encrypted private key could not be loaded: wrong passphrase or wrong key type."""


class KeyRotationError(IssuerKeyError):
    """A key ring change was refused (duplicate kid, no signing key left, ...)."""


class TrustListError(LabelError):
    """The operator's trust list of certification bodies was refused; the message says why."""


class MalformedTrustListError(TrustListError):
    """The trust list is not a compact JWS with the trust-list+jwt header rules, or its payload
    lacks a field, has one of the wrong type, or names a key by a kid that is not its
    thumbprint."""


class UntrustedTrustListSignerError(TrustListError):
    """The trust list is signed by a key that is not a pinned operator key (the anchor, or an
    operator key of the list pinned so far), or by one it does not name among its own."""


class BadTrustListSignatureError(TrustListError):
    """The trust list's signature does not match its header and payload: it was altered."""


class TrustListRollbackError(TrustListError):
    """An update has a lower sequence number than the pinned list (an old list replayed), or
    the same sequence number with different content (the operator's key signed two lists)."""


class LabelVerificationError(LabelError):
    """A label token (or a signed status list, which shares the checks) was refused; the
    message says which check failed."""


class MalformedLabelError(LabelVerificationError):
    """The token is not a compact JWS whose header and payload are JSON objects."""


class DisallowedAlgorithmError(LabelVerificationError):
    """The header's alg is not EdDSA; "none" and HMAC algorithms are never accepted."""


class WrongTokenTypeError(LabelVerificationError):
    """The header's typ is not vc+jwt."""


class KeySmugglingError(LabelVerificationError):
    """The header carries its own key material (jwk, jku, x5u or x5c)."""


class UnexpectedHeaderError(LabelVerificationError):
    """The header has a parameter other than alg, typ and kid (crit, b64, ...)."""


class UnknownIssuerError(LabelVerificationError):
    """No published key set was found for the issuer the label names."""


class UnknownSigningKeyError(LabelVerificationError):
    """The kid is absent from the named issuer's published keys (unknown or another body's)."""


class KeyRetiredError(LabelVerificationError):
    """The token's iat is at or after its key's retirement: a retired key stays published only
    to verify what it signed while it was active."""


class BadLabelSignatureError(LabelVerificationError):
    """The signature does not match the header and payload: the label was altered."""


class LabelExpiredError(LabelVerificationError):
    """The label's exp, plus the allowed clock skew, has passed."""


class LabelNotYetValidError(LabelVerificationError):
    """The label's nbf, minus the allowed clock skew, is still in the future."""


class MissingLabelFieldError(LabelVerificationError):
    """A required JWT claim or credential field is absent or has the wrong type."""


class ClaimMismatchError(LabelVerificationError):
    """A JWT claim (nbf, exp, jti) disagrees with the matching credential field."""


class IssuerMismatchError(ClaimMismatchError):
    """The JWT iss differs from the credential's issuer."""


class StatusListError(LabelError):
    """A Bitstring status list (or its signed credential) was refused or cannot serve."""


class StatusIndexError(StatusListError):
    """A status index is negative or beyond the end of the list."""


class StatusListFullError(StatusListError):
    """Every index of the list has been allocated; start a new list."""


class StatusListIssuerError(StatusListError):
    """The status list credential was issued by someone other than the expected issuer."""


class PurposeMismatchError(StatusListError):
    """The status list serves another purpose (revocation vs suspension) than the one asked."""


class StatusUnknownError(StatusListError):
    """The status list is stale or outside its validity window: the status is unknown."""


class OversizedStatusListError(StatusListError):
    """The compressed list expands beyond the verifier's cap (possible zip bomb)."""


class MalformedStatusListError(StatusListError):
    """The status list credential or its encoded list is not well formed."""


class StatusListSignatureError(StatusListError):
    """The signed status list was refused: header, algorithm, unknown or foreign kid, retired
    key or bad signature (the label_cert error that said why is the ``__cause__``)."""

class TransparencyError(LabelError):
    """The Merkle transparency log refused a leaf, a size, a proof or a checkpoint."""


class LeafNotFoundError(TransparencyError):
    """The leaf (label event) is not in the log."""


class TreeSizeError(TransparencyError):
    """A tree size or leaf index is outside what the log holds."""


class InclusionProofError(TransparencyError):
    """An inclusion proof does not lead from the leaf to the given root."""


class ConsistencyProofError(TransparencyError):
    """A consistency proof does not show the old tree is a prefix of the new one."""


class CheckpointError(TransparencyError):
    """A checkpoint body is malformed."""


class CheckpointSignatureError(TransparencyError):
    """A checkpoint's signature does not verify under the log's key."""


class SplitViewError(TransparencyError):
    """Two validly signed checkpoints of one size disagree: the log showed two histories."""

class WorkflowError(LabelError):
    """Base class: the action is refused; the message says why in the user's terms."""


class IllegalTransition(WorkflowError):  # noqa: N818  (reads as the refusal it is)
    """The action does not apply to the submission's current state."""


class NotAllowed(WorkflowError):  # noqa: N818
    """The actor's organisation or role may not take this action on this submission."""


class SecondApproverRequired(WorkflowError):  # noqa: N818
    """Issuing needs a signer and a different second approver of the same body."""


class ReproductionMismatch(WorkflowError):  # noqa: N818
    """Verification needs the certifier's reproduction to give the submitted result hash."""

class GradingError(LabelError, ValueError):
    """A footprint or threshold that is not a decimal number, or a table out of order."""

class LabelImageError(LabelError):
    """A label cannot be drawn: an invalid GTIN or serial, or no CJK font installed."""
