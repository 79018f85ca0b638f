"""Releases: a national base composed with provincial / sector extensions, validated as a
whole, frozen, and identified by a semantic version and a content hash.

An extension activity may add to the base or, with `replaces: X`, replace national activity
X: it then takes X's id, so every consumer in the release and every product model linked to X
uses the extension's data. A release never changes; a correction is a new release.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from background_db.errors import ReleaseError, ReleaseIssue, ReleaseValidationError
from background_db.records import ActivityRecord, Dataset, DatasetRole, FlowRecord, InputRecord
from background_db.serialize import (
    FORMAT,
    activity_from_list,
    activity_to_list,
    canonical_bytes,
    dataset_hash,
    flow_from_list,
    flow_to_list,
)
from lca_engine.errors import EngineError
from lca_engine.model import (
    BackgroundSystem,
    ElementaryFlow,
    Emission,
    Link,
    LinkKind,
    Process,
    ProductOutput,
    TechnosphereInput,
)
from lca_engine.units import check_unit, conversion_factor

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """Which dataset (and which exact content) went into a release."""

    name: str
    version: str
    role: DatasetRole
    content_hash: str
    source_file: str = ""
    format: str = ""


@dataclass(frozen=True, eq=False)
class BackgroundRelease:
    """A frozen release: flows and activities sorted by id, every input linked by id."""

    name: str
    version: str
    datasets: tuple[DatasetRef, ...]
    flows: tuple[FlowRecord, ...]
    activities: tuple[ActivityRecord, ...]
    replacements: tuple[tuple[str, str, str], ...]  # (national id, dataset, original id)
    content_hash: str

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def activity(self, activity_id: str) -> ActivityRecord:
        for a in self.activities:
            if a.id == activity_id:
                return a
        raise ReleaseError(f"release {self.label} has no activity {activity_id!r}")

    def to_background_system(self) -> BackgroundSystem:
        """The release as the engine's input."""
        flows = tuple(ElementaryFlow(f.id, f.name, f.unit, f.gas, f.origin, f.kind,
                                     f.compartment) for f in self.flows)
        processes = tuple(
            Process(
                a.id, a.name, (ProductOutput(a.id, a.reference_product, a.amount, a.unit),),
                tuple(TechnosphereInput(i.name or i.provider, i.amount, i.unit,
                                        Link(LinkKind.BACKGROUND, i.provider))
                      for i in a.inputs),
                tuple(Emission(e.flow, e.amount, e.unit) for e in a.emissions),
                location=a.geography, tags=a.tags)
            for a in self.activities)
        return BackgroundSystem(flows, processes, self.label)

    def to_document(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "kind": "release", "name": self.name, "version": self.version,
            "content_hash": self.content_hash,
            "datasets": [[d.name, d.version, d.role.value, d.content_hash, d.source_file,
                          d.format] for d in self.datasets],
            "replacements": [list(r) for r in self.replacements],
            "flows": [flow_to_list(f) for f in self.flows],
            "activities": [activity_to_list(a) for a in self.activities],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> BackgroundRelease:
        if document.get("format") != FORMAT or document.get("kind") != "release":
            raise ReleaseError(f"not a {FORMAT} release document")
        release = cls(
            name=document["name"], version=document["version"],
            datasets=tuple(DatasetRef(d[0], d[1], DatasetRole(d[2]), d[3], d[4], d[5])
                           for d in document["datasets"]),
            flows=tuple(flow_from_list(f) for f in document["flows"]),
            activities=tuple(activity_from_list(a) for a in document["activities"]),
            replacements=tuple((r[0], r[1], r[2]) for r in document["replacements"]),
            content_hash=document["content_hash"],
        )
        actual = content_hash_of(release.flows, release.activities, release.replacements)
        if actual != release.content_hash:
            raise ReleaseError(f"release {release.label}: stored content hash "
                               f"{release.content_hash[:12]} does not match its content "
                               f"({actual[:12]}); the file was changed")
        return release


def content_hash_of(flows: Sequence[FlowRecord], activities: Sequence[ActivityRecord],
                    replacements: Sequence[tuple[str, str, str]]) -> str:
    """sha256 of what determines a release's numbers: flows, activities, replacements."""
    document = [
        "release-content/1",
        [flow_to_list(f) for f in sorted(flows, key=lambda f: f.id)],
        [activity_to_list(a) for a in sorted(activities, key=lambda a: a.id)],
        sorted(list(r) for r in replacements),
    ]
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def compose(name: str, version: str, base: Dataset, extensions: Sequence[Dataset] = (), *,
            progress: Progress | None = None) -> BackgroundRelease:
    """Compose, validate and freeze a release. Raises ReleaseValidationError listing every
    problem: unlinked or ambiguous inputs, inconsistent units, conflicting flows, replacement
    of an activity the base lacks, a system that is singular or not productive."""
    say = progress or (lambda _message: None)
    if not SEMVER.match(version):
        raise ReleaseError(f"release version {version!r} is not a semantic version "
                           f"such as 1.0.0 or 2.1.0-rc.1")
    issues: list[ReleaseIssue] = []
    if base.role is not DatasetRole.BASE:
        issues.append(ReleaseIssue(base.name, "", "role", base.role.value,
                                   "the base of a release must be a base dataset"))
    say(f"composing {base.name} {base.version} with {len(extensions)} extension(s)")
    flows = _merge_flows([base, *extensions], issues)
    activities, owner, replacements = _merge_activities(base, extensions, issues)
    say(f"linking {len(activities)} activities")
    linked = _link(activities, owner, flows, issues)
    if issues:
        raise ReleaseValidationError(issues)
    ordered = tuple(sorted(linked.values(), key=lambda a: a.id))
    flow_list = tuple(sorted(flows.values(), key=lambda f: f.id))
    release = BackgroundRelease(
        name=name, version=version,
        datasets=tuple(DatasetRef(d.name, d.version, d.role, dataset_hash(d), d.source_file,
                                  d.format) for d in (base, *extensions)),
        flows=flow_list, activities=ordered, replacements=tuple(sorted(replacements)),
        content_hash=content_hash_of(flow_list, ordered, replacements),
    )
    say("checking the system is productive")
    _check_solvable(release)
    return release


def _merge_flows(datasets: Sequence[Dataset], issues: list[ReleaseIssue]
                 ) -> dict[str, FlowRecord]:
    flows: dict[str, FlowRecord] = {}
    origin: dict[str, str] = {}
    for dataset in datasets:
        for flow in dataset.flows:
            known = flows.get(flow.id)
            if known is None:
                flows[flow.id] = flow
                origin[flow.id] = dataset.name
            elif known != flow:
                issues.append(ReleaseIssue(
                    dataset.name, "", "flow", flow.id,
                    f"elementary flow defined differently in dataset {origin[flow.id]!r} "
                    f"({known.name}, {known.unit}, {known.gas}) and here ({flow.name}, "
                    f"{flow.unit}, {flow.gas})"))
    return flows


def _merge_activities(base: Dataset, extensions: Sequence[Dataset],
                      issues: list[ReleaseIssue]
                      ) -> tuple[dict[str, ActivityRecord], dict[str, str],
                                 list[tuple[str, str, str]]]:
    activities: dict[str, ActivityRecord] = {}
    owner: dict[str, str] = {}
    for activity in base.activities:
        if activity.id in activities:
            issues.append(ReleaseIssue(base.name, activity.id, "id", activity.id,
                                       "activity id appears twice in the base"))
        activities[activity.id] = activity
        owner[activity.id] = base.name
    replacements: list[tuple[str, str, str]] = []
    for dataset in extensions:
        redirect = {a.id: a.replaces for a in dataset.activities if a.replaces}
        for activity in dataset.activities:
            inputs = tuple(replace(i, provider=redirect.get(i.provider, i.provider))
                           for i in activity.inputs)
            if activity.replaces:
                target = activity.replaces
                if target not in activities or owner[target] != base.name:
                    issues.append(ReleaseIssue(
                        dataset.name, activity.id, "replaces", target,
                        "replaces an activity that the base dataset does not have"))
                    continue
                activities[target] = replace(activity, id=target, inputs=inputs, replaces=None)
                owner[target] = dataset.name
                replacements.append((target, dataset.name, activity.id))
            elif activity.id in activities:
                issues.append(ReleaseIssue(
                    dataset.name, activity.id, "id", activity.id,
                    f"activity id already used by dataset {owner[activity.id]!r}; give it "
                    f"another id, or `replaces` to replace that activity"))
            else:
                activities[activity.id] = replace(activity, inputs=inputs)
                owner[activity.id] = dataset.name
    return activities, owner, replacements


def _link(activities: dict[str, ActivityRecord], owner: dict[str, str],
          flows: dict[str, FlowRecord], issues: list[ReleaseIssue]
          ) -> dict[str, ActivityRecord]:
    by_product: dict[str, list[str]] = {}
    for a in activities.values():
        for key in {a.reference_product.strip().lower(), a.name.strip().lower()}:
            by_product.setdefault(key, []).append(a.id)
    linked: dict[str, ActivityRecord] = {}
    for a in activities.values():
        def issue(field: str, value: str, message: str, a: ActivityRecord = a) -> None:
            issues.append(ReleaseIssue(owner[a.id], a.id, field, value, message))
        _check_unit_text(a.unit, issue, "unit")
        inputs: list[InputRecord] = []
        for exchange in a.inputs:
            provider = exchange.provider
            if not provider:
                found = sorted(set(by_product.get(exchange.provider_name.strip().lower(), [])))
                if len(found) != 1:
                    what = "no activity makes" if not found else (
                        f"{len(found)} activities make ({', '.join(found[:5])})")
                    issue("provider_name", exchange.provider_name,
                          f"input {exchange.name or exchange.provider_name!r}: {what} this "
                          f"product; link it by provider id")
                    continue
                provider = found[0]
            target = activities.get(provider)
            if target is None:
                issue("provider", provider, f"input {exchange.name or provider!r} is linked to "
                      f"an activity that is not in the release")
                continue
            _check_conversion(exchange.unit, target.unit, issue,
                              f"input {exchange.name or provider!r}")
            inputs.append(replace(exchange, provider=provider))
        for emission in a.emissions:
            flow = flows.get(emission.flow)
            if flow is None:
                issue("flow", emission.flow, "elementary flow is not defined in any dataset")
                continue
            _check_conversion(emission.unit, flow.unit, issue, f"flow {flow.name!r}")
        linked[a.id] = replace(a, inputs=tuple(inputs))
    return linked


def _check_unit_text(unit: str, issue: Callable[[str, str, str], None], field: str) -> None:
    try:
        check_unit(unit)
    except EngineError as exc:
        issue(field, unit, str(exc))


def _check_conversion(unit: str, target: str, issue: Callable[[str, str, str], None],
                      what: str) -> None:
    try:
        conversion_factor(unit, target)
    except EngineError as exc:
        issue("unit", unit, f"{what}: {exc}")


def _check_solvable(release: BackgroundRelease) -> None:
    from background_db.compile import compile_release  # noqa: PLC0415  (compile imports us)

    try:
        compile_release(release)
    except EngineError as exc:
        raise ReleaseValidationError([ReleaseIssue(release.label, "", "system", "",
                                                   str(exc))]) from None
