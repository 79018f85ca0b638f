"""Session-wide test hooks: the fuzz tests' tally of examples, shown at the end of a run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzzing import TALLY

    if not TALLY.counts:
        return
    terminalreporter.section("fuzzed examples")
    for target, outcomes in sorted(TALLY.counts.items()):
        shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"{target:22} {sum(outcomes.values()):6}  ({shown})")
