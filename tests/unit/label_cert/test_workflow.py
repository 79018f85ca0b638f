"""The certification state machine: every legal move, and every illegal one refused."""

from __future__ import annotations

import pytest

from label_cert.errors import (
    IllegalTransition,
    NotAllowed,
    ReproductionMismatch,
    SecondApproverRequired,
)
from label_cert.workflow import RULES, Action, Actor, State, Submission, allowed_actions, transition

ENTERPRISE = Actor(1, 10, "enterprise", "member")
OTHER_ENTERPRISE = Actor(2, 11, "enterprise", "admin")
CERTIFIER = Actor(3, 20, "certification_body", "certifier")
SIGNER = Actor(4, 20, "certification_body", "signer")
SECOND = Actor(5, 20, "certification_body", "certifier")
OTHER_BODY_SIGNER = Actor(6, 21, "certification_body", "signer")
SYSTEM = Actor(0, 0, "system", "system")


def submission(state: State, matches: bool | None = True) -> Submission:
    return Submission(enterprise_id=10, certification_body_id=20, state=state,
                      reproduced_hash_matches=matches)


def actor_for(action: Action) -> Actor:
    kind = RULES[action][2]
    if kind == "enterprise":
        return ENTERPRISE
    if kind == "system":
        return SYSTEM
    return SIGNER


class TestHappyPath:
    def test_draft_to_label_with_one_round_of_changes(self) -> None:
        path = [(State.DRAFT, Action.SUBMIT, ENTERPRISE),
                (State.SUBMITTED, Action.START_REVIEW, CERTIFIER),
                (State.UNDER_REVIEW, Action.REQUEST_CHANGES, CERTIFIER),
                (State.CHANGES_REQUESTED, Action.RESUBMIT, ENTERPRISE),
                (State.RESUBMITTED, Action.START_REVIEW, CERTIFIER),
                (State.UNDER_REVIEW, Action.VERIFY, CERTIFIER)]
        state = State.DRAFT
        for expected, action, actor in path:
            assert state is expected
            state = transition(submission(state), action, actor)
        state = transition(submission(state), Action.ISSUE, SIGNER, approver=SECOND)
        assert state is State.LABEL_ISSUED
        state = transition(submission(state), Action.SUSPEND, SIGNER)
        state = transition(submission(state), Action.REINSTATE, SIGNER)
        assert transition(submission(state), Action.REVOKE, SIGNER) is State.REVOKED


class TestIllegalTransitions:
    @pytest.mark.parametrize("action", list(Action))
    @pytest.mark.parametrize("state", list(State))
    def test_every_action_from_every_state_it_does_not_apply_to(self, state: State,
                                                                action: Action) -> None:
        if state in RULES[action][0]:
            return
        with pytest.raises(IllegalTransition, match=state.value):
            transition(submission(state), action, actor_for(action), approver=SECOND)

    def test_allowed_actions_match_the_rules(self) -> None:
        assert allowed_actions(submission(State.LABEL_ISSUED)) == [
            Action.SUSPEND, Action.REVOKE, Action.EXPIRE]
        assert allowed_actions(submission(State.REVOKED)) == []


class TestWhoMay:
    def test_an_enterprise_cannot_review(self) -> None:
        with pytest.raises(NotAllowed, match="certification body"):
            transition(submission(State.SUBMITTED), Action.START_REVIEW, ENTERPRISE)

    def test_another_enterprise_cannot_submit(self) -> None:
        with pytest.raises(NotAllowed, match="belongs to"):
            transition(submission(State.DRAFT), Action.SUBMIT, OTHER_ENTERPRISE)

    def test_another_body_cannot_review_a_submission_addressed_elsewhere(self) -> None:
        with pytest.raises(NotAllowed, match="belongs to"):
            transition(submission(State.SUBMITTED), Action.START_REVIEW, OTHER_BODY_SIGNER)

    def test_a_certifier_cannot_issue_revoke_or_suspend(self) -> None:
        for action, state in ((Action.ISSUE, State.VERIFIED),
                              (Action.REVOKE, State.LABEL_ISSUED),
                              (Action.SUSPEND, State.LABEL_ISSUED)):
            with pytest.raises(NotAllowed, match="signer"):
                transition(submission(state), action, CERTIFIER, approver=SECOND)


class TestSafeguards:
    def test_issuing_needs_a_second_approver(self) -> None:
        for approver in (None, SIGNER, OTHER_BODY_SIGNER, Actor(7, 20, "certification_body",
                                                                "member")):
            with pytest.raises(SecondApproverRequired):
                transition(submission(State.VERIFIED), Action.ISSUE, SIGNER, approver=approver)

    def test_verification_needs_a_matching_reproduction(self) -> None:
        with pytest.raises(ReproductionMismatch, match="reproduce the calculation first"):
            transition(submission(State.UNDER_REVIEW, None), Action.VERIFY, CERTIFIER)
        with pytest.raises(ReproductionMismatch, match="different result hash"):
            transition(submission(State.UNDER_REVIEW, False), Action.VERIFY, CERTIFIER)
