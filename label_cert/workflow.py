"""The certification workflow as a pure state machine: which action moves a submission from
which state to which, and who may take it. The portal persists states and audits; this
module only decides, and says why it refuses.

    draft -> submitted -> under_review -> verified -> label_issued <-> suspended
                  ^            |   \\-> rejected          |              |
                  |            v                          v              v
            resubmitted <- changes_requested           revoked / expired
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from label_cert.errors import (
    IllegalTransition,
    NotAllowed,
    ReproductionMismatch,
    SecondApproverRequired,
)


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    LABEL_ISSUED = "label_issued"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    VERIFY = "verify"
    REJECT = "reject"
    ISSUE = "issue"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Actor:
    """Who acts: user, organisation, its kind and the user's role ("system" for expiry)."""

    user_id: int
    organisation_id: int
    organisation_kind: str  # enterprise | certification_body | operator | system
    role: str  # member | admin | certifier | signer | system


@dataclass(frozen=True)
class Submission:
    """What the rules need to know about a submission."""

    enterprise_id: int
    certification_body_id: int
    state: State
    reproduced_hash_matches: bool | None = None  # None: not reproduced yet


ENTERPRISE = "enterprise"
BODY = "certification_body"
# action -> (states it applies to, resulting state, organisation kind, roles)
RULES: dict[Action, tuple[frozenset[State], State, str, frozenset[str]]] = {
    Action.SUBMIT: (frozenset({State.DRAFT}), State.SUBMITTED, ENTERPRISE,
                    frozenset({"member", "admin"})),
    Action.START_REVIEW: (frozenset({State.SUBMITTED, State.RESUBMITTED}), State.UNDER_REVIEW,
                          BODY, frozenset({"certifier", "signer"})),
    Action.REQUEST_CHANGES: (frozenset({State.UNDER_REVIEW}), State.CHANGES_REQUESTED, BODY,
                             frozenset({"certifier", "signer"})),
    Action.RESUBMIT: (frozenset({State.CHANGES_REQUESTED}), State.RESUBMITTED, ENTERPRISE,
                      frozenset({"member", "admin"})),
    Action.VERIFY: (frozenset({State.UNDER_REVIEW}), State.VERIFIED, BODY,
                    frozenset({"certifier", "signer"})),
    Action.REJECT: (frozenset({State.UNDER_REVIEW}), State.REJECTED, BODY,
                    frozenset({"certifier", "signer"})),
    Action.ISSUE: (frozenset({State.VERIFIED}), State.LABEL_ISSUED, BODY, frozenset({"signer"})),
    Action.SUSPEND: (frozenset({State.LABEL_ISSUED}), State.SUSPENDED, BODY,
                     frozenset({"signer"})),
    Action.REINSTATE: (frozenset({State.SUSPENDED}), State.LABEL_ISSUED, BODY,
                       frozenset({"signer"})),
    Action.REVOKE: (frozenset({State.LABEL_ISSUED, State.SUSPENDED}), State.REVOKED, BODY,
                    frozenset({"signer"})),
    Action.EXPIRE: (frozenset({State.LABEL_ISSUED, State.SUSPENDED}), State.EXPIRED, "system",
                    frozenset({"system"})),
}


def allowed_actions(submission: Submission) -> list[Action]:
    """The actions that apply to the submission's state (whoever may take them)."""
    return [a for a, (states, *_rest) in RULES.items() if submission.state in states]


def transition(submission: Submission, action: Action, actor: Actor,
               approver: Actor | None = None) -> State:
    """The state *action* by *actor* leads to, or a WorkflowError saying why not."""
    states, target, kind, roles = RULES[action]
    if submission.state not in states:
        expected = ", ".join(sorted(s.value for s in states))
        raise IllegalTransition(f"cannot {action.value} a submission that is "
                                f"{submission.state.value}; it must be {expected}")
    owner = (submission.enterprise_id if kind == ENTERPRISE
             else submission.certification_body_id)
    if actor.organisation_kind != kind or (kind != "system"
                                           and actor.organisation_id != owner):
        raise NotAllowed(f"{action.value}: only the {kind.replace('_', ' ')} the submission "
                         f"belongs to may do this")
    if actor.role not in roles:
        raise NotAllowed(f"{action.value}: needs the role {' or '.join(sorted(roles))}, "
                         f"not {actor.role}")
    if action is Action.VERIFY and submission.reproduced_hash_matches is not True:
        raise ReproductionMismatch(
            "verify: reproduce the calculation first; it must give the submitted result hash"
            if submission.reproduced_hash_matches is None else
            "verify: the reproduction gave a different result hash; the differences must be "
            "resolved before verification")
    if action is Action.ISSUE and not _is_second_approver(approver, actor):
        raise SecondApproverRequired(
            "issue: a second approver (another certifier or signer of the same body) "
            "must approve before the signer issues the label")
    return target


def _is_second_approver(approver: Actor | None, signer: Actor) -> bool:
    return (approver is not None and approver.user_id != signer.user_id
            and approver.organisation_id == signer.organisation_id
            and approver.organisation_kind == BODY
            and approver.role in ("certifier", "signer"))
