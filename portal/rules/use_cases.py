"""Publishing accounting rules and checking models against them. Functions that change state
take a `Database` and open their own unit of work; the queries take a session. None of them
reads request state: the clock and the actor are arguments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lca_engine.accounting_rules import (
    AccountingRule,
    ResultFacts,
    RuleCheck,
    check_model,
    rule_from_document,
    rule_to_document,
)
from lca_engine.errors import EngineError
from lca_engine.model import ProductModel
from lca_engine.result import FootprintResult
from portal.db.models import OrganisationKind, User
from portal.db.session import Database
from portal.rules.models import AccountingRuleRecord, RuleStatus
from portal.services import audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound

PUBLISHERS = (OrganisationKind.ASSOCIATION, OrganisationKind.OPERATOR)
MAX_DOCUMENT = 64 * 1024


@dataclass(frozen=True)
class StoredRule:
    """A rule version as the pages show it: the rule and who published it when."""

    record: AccountingRuleRecord
    rule: AccountingRule

    @property
    def in_force(self) -> bool:
        return self.record.status is RuleStatus.PUBLISHED


def _rule_of(record: AccountingRuleRecord) -> AccountingRule:
    return rule_from_document(json.loads(record.document), record.rule_id)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def parse_rule(text: str, filename: str = "rule") -> AccountingRule:
    """The rule a YAML or JSON text holds; InvalidInput names every problem by its path."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidInput({"document": f"{filename}: a rule document is at most "
                                        f"{MAX_DOCUMENT // 1024} kB"})
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InvalidInput({"document": f"{filename}: {where}"
                                        f"{getattr(exc, 'problem', None) or exc}"}) from None
    try:
        return rule_from_document(document, filename)
    except EngineError as exc:
        raise InvalidInput({"document": str(exc)}) from None


def publish_rule(database: Database, *, actor: User, text: str, filename: str,
                 now: datetime) -> AccountingRuleRecord:
    """Publish a new version of a rule (associations and the operator). A version that
    exists is refused; a rule id belongs to the organisation that first published it."""
    rule = parse_rule(text, filename)
    with database.unit_of_work() as session:
        record = add_rule(session, actor=actor, rule=rule, now=now)
        session.expunge(record)
    return record


def add_rule(session: Session, *, actor: User, rule: AccountingRule,
             now: datetime) -> AccountingRuleRecord:
    """Store *rule* as published in the caller's transaction (publish_rule, the demo)."""
    if actor.organisation.kind not in PUBLISHERS:
        raise Forbidden("only sector associations and the platform operator publish rules")
    earlier = list(session.scalars(select(AccountingRuleRecord).where(
        AccountingRuleRecord.rule_id == rule.id)))
    if any(r.version == rule.version for r in earlier):
        raise Conflict(f"rule {rule.reference} is already published; give the changed "
                       f"rule a new version")
    if earlier and earlier[0].organisation_id != actor.organisation_id:
        raise Forbidden(f"rule {rule.id} belongs to another organisation")
    newest = max((r.version for r in earlier), key=_version_key, default=None)
    if newest is not None and _version_key(rule.version) < _version_key(newest):
        raise Conflict(f"rule {rule.id} is at version {newest}; a new version must be "
                       f"higher than {newest}")
    record = AccountingRuleRecord(
        rule_id=rule.id, version=rule.version, name=rule.name,
        cpc_classes=json.dumps(list(rule.cpc_classes)),
        document=json.dumps(rule_to_document(rule), ensure_ascii=False),
        status=RuleStatus.PUBLISHED, organisation_id=actor.organisation_id,
        published_by_id=actor.id, published_at=now)
    session.add(record)
    session.flush()
    audit.record(session, actor=actor, action="rule.publish", entity="accounting_rule",
                 entity_id=record.id, after=rule_to_document(rule))
    return record


def may_withdraw(actor: User, record: AccountingRuleRecord) -> bool:
    """Only the organisation that published a version withdraws it, once."""
    return (record.organisation_id == actor.organisation_id
            and record.status is RuleStatus.PUBLISHED)


def withdraw_rule(database: Database, *, actor: User, record_id: int) -> None:
    """Withdraw one version (its publisher only); results that named it keep the name."""
    with database.unit_of_work() as session:
        record = session.get(AccountingRuleRecord, record_id)
        if record is None:
            raise NotFound("no such rule")
        if record.organisation_id != actor.organisation_id:
            raise Forbidden("only the organisation that published a rule withdraws it")
        if not may_withdraw(actor, record):
            raise Conflict("this rule version is already withdrawn")
        record.status = RuleStatus.WITHDRAWN
        audit.record(session, actor=actor, action="rule.withdraw", entity="accounting_rule",
                     entity_id=record.id, detail=f"{record.rule_id}@{record.version}")


def list_rules(session: Session) -> list[StoredRule]:
    """Every rule version, newest first within each rule (rules are public to members)."""
    records = session.scalars(select(AccountingRuleRecord).order_by(
        AccountingRuleRecord.rule_id, AccountingRuleRecord.id.desc()))
    return [StoredRule(r, _rule_of(r)) for r in records]


def get_rule(session: Session, record_id: int) -> StoredRule:
    record = session.get(AccountingRuleRecord, record_id)
    if record is None:
        raise NotFound("no such rule")
    return StoredRule(record, _rule_of(record))


def rule_for_class(session: Session, cpc_class: str) -> AccountingRule | None:
    """The rule in force for a product of *cpc_class*: of the published rules covering it,
    the one naming the longest (most specific) code, in its highest version."""
    if not cpc_class:
        return None
    best: tuple[int, tuple[int, ...], AccountingRule] | None = None
    for record in session.scalars(select(AccountingRuleRecord).where(
            AccountingRuleRecord.status == RuleStatus.PUBLISHED)):
        codes = [c for c in json.loads(record.cpc_classes) if cpc_class.startswith(c)]
        if not codes:
            continue
        key = (max(len(c) for c in codes), _version_key(record.version))
        if best is None or key > best[:2]:
            best = (*key, _rule_of(record))
    return None if best is None else best[2]


def check_against_class(session: Session, cpc_class: str, model: ProductModel,
                        result: FootprintResult | ResultFacts | None = None
                        ) -> RuleCheck | None:
    """The check of *model* against the rule of its class, or None when no rule covers it."""
    rule = rule_for_class(session, cpc_class)
    return None if rule is None else check_model(rule, model, result)


def stored_check(text: str) -> dict[str, object] | None:
    """A check kept on a result or a submission (RuleCheck.to_dict as JSON), or None."""
    return json.loads(text) if text else None
