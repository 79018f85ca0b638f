"""verify_offline on any mutation of a valid bundle returns a report; it never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from label_cert.verify import Outcome, Report, Verdict, verify_offline

from .mutations import PYTHON_VALUES, mutated
from .world import NOW, World

WORLD = World()
BUNDLE = {**WORLD.bundle(), "trust_list": WORLD.trust(sequence=2).token}
TRUST = WORLD.trust()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(BUNDLE, PYTHON_VALUES))
def test_a_mutated_bundle_gives_a_report_never_an_exception(bundle: dict[str, Any]) -> None:
    report = verify_offline(WORLD.token, bundle, NOW, TRUST)
    assert isinstance(report, Report)
    assert report.verdict in Verdict
    assert all(isinstance(c.reason, str) and c.outcome in Outcome for c in report.checks)
    if report.verdict is Verdict.VALID:  # only a harmless mutation leaves it valid
        assert all(c.outcome is Outcome.PASSED for c in report.checks)


def test_the_unmutated_bundle_is_valid() -> None:
    assert verify_offline(WORLD.token, BUNDLE, NOW, TRUST).verdict is Verdict.VALID
