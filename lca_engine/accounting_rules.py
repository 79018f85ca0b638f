"""Product-category accounting rules and the check of a product model against one.

A sector association or the platform operator publishes a rule per CPC class or product
group (GB/T 24067-2024 6.3 and ISO 14067 6.2 ask for product category rules where they
exist): the declared unit, the system boundary, the life-cycle stages that must be modelled
(own processes carrying the stage's tag), cut-off limits, the allowed allocation methods,
the minimum primary data share and the worst acceptable data quality. `check_model` returns
one `Finding` per clause, as facts (numbers, ids), never sentences; `describe` words them in
English for logs and the command line, the portal translates them.

    clause                 passes when
    declared_unit          the product's declared unit is the rule's
    system_boundary        the rule's boundary is cradle-to-gate (what the engine computes)
    required_process       some own process carries the stage's tag (one finding per stage)
    cutoff_each            no declared exclusion is above the rule's share of the total
    cutoff_total           the declared exclusions together stay within the rule's share
    allocation             every multi-output process uses an allowed method
    primary_data_share     the result's PACT primary data share reaches the minimum
    data_quality           the contribution-weighted PACT DQR (1 best, 5 worst) is at most
                           the rule's; an input without ratings counts as 5
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lca_engine.characterization import HEADLINE
from lca_engine.errors import DocumentError
from lca_engine.model import AllocationMethod, ProductModel
from lca_engine.result import HEADLINE_INDEX, FootprintResult
from lca_engine.units import PACT_DECLARED_UNITS

BOUNDARIES = ("cradle-to-gate",)
WORST_RATING = 5.0
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_INPUT = re.compile(r"^(?P<process>[^/#]+)/[^#]*#inputs\[(?P<index>\d+)\]$")


class Clause(StrEnum):
    """The clauses of a rule that a model is checked against."""

    DECLARED_UNIT = "declared_unit"
    SYSTEM_BOUNDARY = "system_boundary"
    REQUIRED_PROCESS = "required_process"
    CUTOFF_EACH = "cutoff_each"
    CUTOFF_TOTAL = "cutoff_total"
    ALLOCATION = "allocation"
    PRIMARY_DATA_SHARE = "primary_data_share"
    DATA_QUALITY = "data_quality"


@dataclass(frozen=True, slots=True)
class RequiredStage:
    """A life-cycle stage the rule requires: an own process tagged *tag* must model it."""

    tag: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class AccountingRule:
    """One version of a product-category accounting rule."""

    id: str
    version: str
    name: str
    cpc_classes: tuple[str, ...]  # CPC codes; a code also covers the classes it prefixes
    declared_unit: str
    implements: str  # the standard or sector rule it implements, as its publisher cites it
    system_boundary: str = "cradle-to-gate"
    required_stages: tuple[RequiredStage, ...] = ()
    cutoff_each_percent: float | None = None
    cutoff_total_percent: float | None = None
    allocation: tuple[AllocationMethod, ...] = ()  # empty: any method
    min_primary_data_share: float | None = None  # percent
    max_data_quality_rating: float | None = None  # PACT DQR, 1 (best) to 5

    @property
    def reference(self) -> str:
        """`id@version`, how results, reports and PACT name the rule."""
        return f"{self.id}@{self.version}"

    def covers(self, cpc_class: str) -> bool:
        """Whether the rule applies to a product of *cpc_class* (a code or a sub-class)."""
        return any(cpc_class.startswith(code) for code in self.cpc_classes if code)


@dataclass(frozen=True, slots=True)
class ResultFacts:
    """What the numeric clauses read of a result: its primary data share and each input's
    excluding-uptake contribution by key (`process/product#inputs[i]`)."""

    primary_data_share: float | None
    inputs: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, result: FootprintResult) -> ResultFacts:
        values = (result.by_input.values[:, HEADLINE_INDEX].tolist()
                  if len(result.by_input) else [])
        return cls(result.primary_data_share, tuple(zip(result.by_input.keys, values,
                                                         strict=True)))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ResultFacts:
        """From a stored result document (`FootprintResult.to_dict()`, decimal strings)."""
        share = document.get("primary_data_share")
        rows = document.get("contributions", {}).get("by_input", [])
        return cls(None if share is None else float(share), tuple(
            (str(row["key"]), float(row["values"][HEADLINE.value])) for row in rows))


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one clause: *facts* holds what was required and what was found."""

    clause: Clause
    passed: bool
    facts: tuple[tuple[str, str], ...] = ()

    def fact(self, name: str) -> str:
        return dict(self.facts).get(name, "")


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """Every finding of one model checked against one rule."""

    rule: str  # the rule's reference, id@version
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.passed)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "passed": self.passed, "findings": [
            {"clause": f.clause.value, "passed": f.passed, "facts": dict(f.facts)}
            for f in self.findings]}


def _number(value: float) -> str:
    return f"{value:.4g}"


def check_model(rule: AccountingRule, model: ProductModel,
                result: FootprintResult | ResultFacts | None = None) -> RuleCheck:
    """Check *model* (and, where a clause needs numbers, its computed *result*)."""
    findings = [
        Finding(Clause.DECLARED_UNIT, model.declared_unit == rule.declared_unit,
                (("required", rule.declared_unit), ("found", model.declared_unit))),
        Finding(Clause.SYSTEM_BOUNDARY, rule.system_boundary in BOUNDARIES,
                (("required", rule.system_boundary), ("computed", BOUNDARIES[0]))),
    ]
    for stage in rule.required_stages:
        modelled = [p.id for p in model.processes if stage.tag in p.tags]
        findings.append(Finding(Clause.REQUIRED_PROCESS, bool(modelled), (
            ("tag", stage.tag), ("stage", stage.description),
            ("processes", ", ".join(modelled)))))
    findings.extend(_cutoff(rule, model))
    if rule.allocation:
        wrong = [f"{p.id}: {p.allocation.method.value if p.allocation else 'none'}"
                 for p in model.processes if len(p.products) > 1 and (
                     p.allocation is None or p.allocation.method not in rule.allocation)]
        findings.append(Finding(Clause.ALLOCATION, not wrong, (
            ("allowed", ", ".join(m.value for m in rule.allocation)),
            ("refused", "; ".join(wrong)))))
    if result is not None:
        facts = result if isinstance(result, ResultFacts) else ResultFacts.of(result)
        findings.extend(_numbers(rule, model, facts))
    return RuleCheck(rule.reference, tuple(findings))


def _cutoff(rule: AccountingRule, model: ProductModel) -> list[Finding]:
    found = []
    shares = [(e.name, e.share_percent) for e in model.exclusions]
    if rule.cutoff_each_percent is not None:
        over = [f"{name} ({_number(share)} %)" for name, share in shares
                if share > rule.cutoff_each_percent]
        found.append(Finding(Clause.CUTOFF_EACH, not over, (
            ("limit", _number(rule.cutoff_each_percent)), ("over", "; ".join(over)))))
    if rule.cutoff_total_percent is not None:
        total = sum(share for _name, share in shares)
        found.append(Finding(Clause.CUTOFF_TOTAL, total <= rule.cutoff_total_percent, (
            ("limit", _number(rule.cutoff_total_percent)), ("found", _number(total)))))
    return found


def _numbers(rule: AccountingRule, model: ProductModel,
             result: ResultFacts) -> list[Finding]:
    found = []
    if rule.min_primary_data_share is not None:
        share = result.primary_data_share
        found.append(Finding(
            Clause.PRIMARY_DATA_SHARE, share is not None and share >= rule.min_primary_data_share,
            (("required", _number(rule.min_primary_data_share)),
             ("found", "undefined" if share is None else _number(share)))))
    if rule.max_data_quality_rating is not None:
        rating, unrated = data_quality_rating(model, result)
        found.append(Finding(
            Clause.DATA_QUALITY, rating is not None and rating <= rule.max_data_quality_rating,
            (("required", _number(rule.max_data_quality_rating)),
             ("found", "undefined" if rating is None else _number(rating)),
             ("unrated", ", ".join(unrated)))))
    return found


def data_quality_rating(model: ProductModel, result: FootprintResult | ResultFacts
                        ) -> tuple[float | None, list[str]]:
    """The PACT DQR of the model's inputs, each the mean of its ratings, weighted by the
    input's share of the excluding-uptake total (in magnitude); an input without ratings
    counts as the worst, 5. Also the inputs without ratings. None when no input weighs."""
    processes = {p.id: p for p in model.processes}
    facts = result if isinstance(result, ResultFacts) else ResultFacts.of(result)
    weighted = weight = 0.0
    unrated = []
    for key, value in facts.inputs:
        match = _INPUT.match(key)
        process = processes.get(match.group("process")) if match else None
        if match is None or process is None:
            continue  # a direct emission: measured on site, not rated
        item = process.inputs[int(match.group("index"))]
        ratings = item.quality.ratings() if item.quality is not None else ()
        if not ratings:
            unrated.append(f"{process.id}: {item.name}")
        score = sum(ratings) / len(ratings) if ratings else WORST_RATING
        weighted += abs(value) * score
        weight += abs(value)
    return (weighted / weight if weight > 0 else None), unrated


def describe(finding: Finding) -> str:
    """One English sentence for a finding (the portal translates from the facts instead)."""
    f = finding.fact
    status = "meets" if finding.passed else "fails"
    texts = {
        Clause.DECLARED_UNIT: f"declared unit {f('found')!r} (the rule: {f('required')!r})",
        Clause.SYSTEM_BOUNDARY: f"system boundary {f('required')} (computed: {f('computed')})",
        Clause.REQUIRED_PROCESS: (f"stage {f('tag')!r} {f('stage')}".rstrip() + (
            f" modelled by {f('processes')}" if f("processes") else " is not modelled")),
        Clause.CUTOFF_EACH: (f"no exclusion above {f('limit')} %" if finding.passed else
                             f"exclusions above {f('limit')} %: {f('over')}"),
        Clause.CUTOFF_TOTAL: f"exclusions total {f('found')} % (at most {f('limit')} %)",
        Clause.ALLOCATION: (f"allocation by {f('allowed')}" + (
            f"; refused: {f('refused')}" if f("refused") else "")),
        Clause.PRIMARY_DATA_SHARE: f"primary data share {f('found')} % (at least "
                                   f"{f('required')} %)",
        Clause.DATA_QUALITY: f"data quality rating {f('found')} (at most {f('required')})" + (
            f"; unrated: {f('unrated')}" if f("unrated") else ""),
    }
    return f"{status} {finding.clause.value}: {texts[finding.clause]}"


# -- the rule document -----------------------------------------------------------------

_KEYS = {"id", "version", "name", "cpc_classes", "declared_unit", "implements",
         "system_boundary", "required_stages", "cutoff", "allocation",
         "min_primary_data_share", "max_data_quality_rating"}
_STAGE_KEYS = {"tag", "description"}
_CUTOFF_KEYS = {"each_percent", "total_percent"}


@dataclass
class _Reader:
    """Reads one rule document, naming the path of every problem."""

    source: str
    problems: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {path}: {message}" if self.source
                             else f"{path}: {message}")

    def keys(self, value: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(path or "(rule)", f"unknown key {str(key)[:60]!r}{hint}")

    def text(self, value: Any, path: str, *, pattern: re.Pattern[str] | None = None,
             required: bool = True, limit: int = 300) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.fail(path, f"expected text of 1 to {limit} characters, got "
                            f"{str(value)[:60]!r}")
            return ""
        if pattern is not None and not pattern.match(value.strip()):
            self.fail(path, f"{value.strip()[:60]!r} is not of the form {pattern.pattern}")
        return value.strip()

    def percent(self, value: Any, path: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0 <= value <= 100):
            self.fail(path, f"expected a percentage from 0 to 100, got {str(value)[:60]!r}")
            return None
        return float(value)


def rule_from_document(document: Any, source: str = "") -> AccountingRule:
    """An AccountingRule from a parsed YAML or JSON document; DocumentError lists every
    problem with its path (unknown keys with the closest known one)."""
    read = _Reader(source)
    if not isinstance(document, Mapping):
        raise DocumentError(f"{source or 'rule'}: expected a mapping")
    read.keys(document, _KEYS, "")
    classes = document.get("cpc_classes")
    if not isinstance(classes, list) or not classes or not all(
            isinstance(c, str | int) and re.fullmatch(r"\d{1,5}", str(c)) for c in classes):
        read.fail("cpc_classes", f"expected a list of CPC codes (1 to 5 digits), got "
                                 f"{str(classes)[:60]!r}")
        classes = []
    unit = read.text(document.get("declared_unit"), "declared_unit")
    if unit and unit not in PACT_DECLARED_UNITS:
        read.fail("declared_unit", f"{unit!r} is not a PACT declared unit")
    boundary = read.text(document.get("system_boundary", "cradle-to-gate"), "system_boundary")
    stages = []
    for i, raw in enumerate(document.get("required_stages") or []):
        path = f"required_stages[{i}]"
        if not isinstance(raw, Mapping):
            read.fail(path, "expected a mapping with tag and description")
            continue
        read.keys(raw, _STAGE_KEYS, path)
        stages.append(RequiredStage(read.text(raw.get("tag"), f"{path}.tag", limit=64),
                                    read.text(raw.get("description"), f"{path}.description",
                                              required=False)))
    cutoff = document.get("cutoff") or {}
    if not isinstance(cutoff, Mapping):
        read.fail("cutoff", "expected a mapping with each_percent and total_percent")
        cutoff = {}
    read.keys(cutoff, _CUTOFF_KEYS, "cutoff")
    methods = []
    for i, name in enumerate(document.get("allocation") or []):
        try:
            methods.append(AllocationMethod(name))
        except ValueError:
            options = ", ".join(m.value for m in AllocationMethod)
            read.fail(f"allocation[{i}]", f"{str(name)[:60]!r} is not one of {options}")
    rating = document.get("max_data_quality_rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int | float)
                               or not 1 <= rating <= WORST_RATING):
        read.fail("max_data_quality_rating", f"expected a rating from 1 to 5, got "
                                             f"{str(rating)[:60]!r}")
        rating = None
    rule = AccountingRule(
        id=read.text(document.get("id"), "id", pattern=_ID, limit=80),
        version=read.text(document.get("version"), "version", pattern=_VERSION, limit=40),
        name=read.text(document.get("name"), "name", limit=200),
        cpc_classes=tuple(str(c) for c in classes),
        declared_unit=unit,
        implements=read.text(document.get("implements"), "implements", limit=500),
        system_boundary=boundary,
        required_stages=tuple(stages),
        cutoff_each_percent=read.percent(cutoff.get("each_percent"), "cutoff.each_percent"),
        cutoff_total_percent=read.percent(cutoff.get("total_percent"), "cutoff.total_percent"),
        allocation=tuple(methods),
        min_primary_data_share=read.percent(document.get("min_primary_data_share"),
                                            "min_primary_data_share"),
        max_data_quality_rating=None if rating is None else float(rating),
    )
    if boundary and boundary not in BOUNDARIES:
        read.fail("system_boundary", f"{boundary!r}: the engine computes "
                                     f"{', '.join(BOUNDARIES)} footprints only")
    if read.problems:
        raise DocumentError("; ".join(read.problems))
    return rule


def rule_to_document(rule: AccountingRule) -> dict[str, Any]:
    """The rule as its document (what `rule_from_document` reads back)."""
    document: dict[str, Any] = {
        "id": rule.id, "version": rule.version, "name": rule.name,
        "cpc_classes": list(rule.cpc_classes), "declared_unit": rule.declared_unit,
        "implements": rule.implements, "system_boundary": rule.system_boundary,
        "required_stages": [{"tag": s.tag, "description": s.description}
                            for s in rule.required_stages],
        "allocation": [m.value for m in rule.allocation],
    }
    cutoff = {k: v for k, v in (("each_percent", rule.cutoff_each_percent),
                                ("total_percent", rule.cutoff_total_percent)) if v is not None}
    if cutoff:
        document["cutoff"] = cutoff
    for key in ("min_primary_data_share", "max_data_quality_rating"):
        if getattr(rule, key) is not None:
            document[key] = getattr(rule, key)
    return document


__all__ = ["AccountingRule", "Clause", "Finding", "RequiredStage", "ResultFacts", "RuleCheck",
           "check_model", "data_quality_rating", "describe", "rule_from_document",
           "rule_to_document"]
