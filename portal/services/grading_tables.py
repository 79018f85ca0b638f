"""The operator's grade threshold tables (one per CPC class and declared unit). A label's
grade comes from its class's table when the operator has set one, and from the distribution of
certified peers otherwise (label_cert.grading states the rule)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert.errors import GradingError
from label_cert.grading import ThresholdTable
from lca_engine.units import PACT_DECLARED_UNITS
from portal.db.models import GradeThreshold, OrganisationKind, User
from portal.services import audit
from portal.services.errors import Forbidden, InvalidInput, NotFound

_LINE = re.compile(r"^\s*(?P<grade>[A-Z][A-Z0-9+-]{0,3})\s*(?:<=|≤|:|=)?\s*(?P<bound>\S+)\s*$")


def parse_bounds(text: str) -> tuple[tuple[str, str], ...]:
    """"A <= 1.5" per line (also "A: 1.5" or "A 1.5"), ascending; errors name the line."""
    bounds = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidInput({"bounds": f"line {number}: {line.strip()!r} is not "
                                          f"'GRADE <= upper bound', e.g. 'A <= 1.5'"})
        bounds.append((match["grade"], match["bound"]))
    if not bounds:
        raise InvalidInput({"bounds": "give at least one grade with its upper bound"})
    return tuple(bounds)


def _check_operator(actor: User) -> None:
    if actor.organisation.kind is not OrganisationKind.OPERATOR:
        raise Forbidden("only the platform operator sets grade thresholds")


def set_table(session: Session, *, actor: User, cpc_class: str, declared_unit: str,
              bounds_text: str, note: str = "") -> GradeThreshold:
    """Create or replace the table of one CPC class and declared unit."""
    _check_operator(actor)
    cpc_class = cpc_class.strip()
    if not re.fullmatch(r"[0-9]{1,5}", cpc_class):
        raise InvalidInput({"cpc_class": f"{cpc_class!r} is not a CPC code (1 to 5 digits)"})
    if declared_unit not in PACT_DECLARED_UNITS:
        raise InvalidInput({"declared_unit": f"{declared_unit!r} is not a PACT declared unit"})
    bounds = parse_bounds(bounds_text)
    if len({grade for grade, _ in bounds}) != len(bounds):
        raise InvalidInput({"bounds": "each grade may appear once"})
    try:
        ThresholdTable(cpc_class, declared_unit, bounds)
    except GradingError as exc:
        raise InvalidInput({"bounds": str(exc)}) from None
    row = session.scalar(select(GradeThreshold).where(
        GradeThreshold.cpc_class == cpc_class, GradeThreshold.declared_unit == declared_unit))
    before = None if row is None else {"bounds": row.bounds}
    if row is None:
        row = GradeThreshold(cpc_class=cpc_class, declared_unit=declared_unit)
        session.add(row)
    row.bounds = json.dumps([list(b) for b in bounds])
    row.note = note.strip()
    row.updated_by_id = actor.id
    row.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="grading.set", entity="grade_threshold",
                 entity_id=f"{cpc_class}/{declared_unit}", before=before,
                 after={"bounds": row.bounds})
    return row


def delete_table(session: Session, *, actor: User, table_id: int) -> None:
    _check_operator(actor)
    row = session.get(GradeThreshold, table_id)
    if row is None:
        raise NotFound("no such threshold table")
    audit.record(session, actor=actor, action="grading.delete", entity="grade_threshold",
                 entity_id=f"{row.cpc_class}/{row.declared_unit}",
                 before={"bounds": row.bounds})
    session.delete(row)


def tables(session: Session) -> list[GradeThreshold]:
    return list(session.scalars(select(GradeThreshold).order_by(
        GradeThreshold.cpc_class, GradeThreshold.declared_unit)))


def table_for(session: Session, cpc_class: str, declared_unit: str) -> ThresholdTable | None:
    """The operator's table for this class and unit, if set."""
    row = session.scalar(select(GradeThreshold).where(
        GradeThreshold.cpc_class == cpc_class, GradeThreshold.declared_unit == declared_unit))
    if row is None:
        return None
    return ThresholdTable(cpc_class, declared_unit,
                          tuple((g, b) for g, b in json.loads(row.bounds)))
