"""Findings of a rule check in words, translated at the edge from the facts the engine
returns (never from its English sentences)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from lca_engine.accounting_rules import Clause, Finding, RuleCheck


@dataclass(frozen=True)
class CheckView:
    """What a page shows of a check: the rule, the verdict and one line per finding."""

    rule: str
    passed: bool
    lines: list[tuple[bool, str]]


def _(message: str, **values: str) -> str:
    return str(gettext(message, **values))


def _facts(finding: Finding) -> dict[str, str]:
    return dict(finding.facts)


def finding_text(finding: Finding) -> str:
    """One translated sentence for *finding*."""
    f = _facts(finding)
    clause = finding.clause
    if clause is Clause.DECLARED_UNIT:
        return _("Declared unit %(found)s (the rule asks for %(required)s).", **f)
    if clause is Clause.SYSTEM_BOUNDARY:
        return _("System boundary: the rule asks for %(required)s; the platform computes "
                 "%(computed)s.", **f)
    if clause is Clause.REQUIRED_PROCESS:
        if f.get("processes"):
            return _("Stage %(stage)s (tag %(tag)s) is modelled by %(processes)s.", **f)
        return _("Stage %(stage)s is not modelled: no own process carries the tag %(tag)s.",
                 **f)
    if clause is Clause.CUTOFF_EACH:
        if f.get("over"):
            return _("Exclusions above %(limit)s %% of the footprint: %(over)s.", **f)
        return _("No declared exclusion is above %(limit)s %% of the footprint.", **f)
    if clause is Clause.CUTOFF_TOTAL:
        return _("Declared exclusions total %(found)s %% (at most %(limit)s %%).", **f)
    if clause is Clause.ALLOCATION:
        if f.get("refused"):
            return _("Allocation allowed: %(allowed)s; not allowed: %(refused)s.", **f)
        return _("Every multi-output process allocates by an allowed method (%(allowed)s).",
                 **f)
    if clause is Clause.PRIMARY_DATA_SHARE:
        return _("Primary data share %(found)s %% (at least %(required)s %%).", **f)
    if f.get("unrated"):
        return _("Data quality rating %(found)s (at most %(required)s); inputs without "
                 "ratings count as 5: %(unrated)s.", **f)
    return _("Data quality rating %(found)s (at most %(required)s).", **f)


def check_view(check: RuleCheck | Mapping[str, Any] | None) -> CheckView | None:
    """A check, or one stored as RuleCheck.to_dict(), ready for a page."""
    if check is None:
        return None
    if isinstance(check, Mapping):
        findings = tuple(Finding(Clause(item["clause"]), bool(item["passed"]),
                                 tuple(dict(item["facts"]).items()))
                         for item in check["findings"])
        check = RuleCheck(str(check["rule"]), findings)
    return CheckView(check.rule, check.passed,
                     [(f.passed, finding_text(f)) for f in check.findings])
