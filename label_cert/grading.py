"""Grades (分级) on a label: a product's footprint against its sector benchmark.

The rule, in order:
1. If the operator has set a threshold table for the product's CPC class and declared unit,
   the grade is the first whose upper bound the footprint does not exceed (A <= t1 < B <= t2
   < C <= t3 < D).
2. Otherwise, when at least MIN_PEERS certified footprints of the same CPC class and declared
   unit exist, the grade follows the product's rank among them: A for the lowest 20 %, B to
   50 %, C to 80 %, D above (the rank counts the peers strictly below the product).
3. Otherwise the label says "unrated": too few peers to compare with.
Values are decimal strings, compared exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from label_cert.errors import (
    GradingError,
)

MIN_PEERS = 5
PERCENTILE_BANDS = (("A", Decimal("0.2")), ("B", Decimal("0.5")), ("C", Decimal("0.8")))
UNRATED = "unrated"


@dataclass(frozen=True)
class ThresholdTable:
    """Upper bounds per grade for one CPC class and declared unit, set by the operator."""

    cpc_class: str
    declared_unit: str
    bounds: tuple[tuple[str, str], ...]  # (grade, upper bound as decimal text), ascending

    def __post_init__(self) -> None:
        values = [_decimal(bound, f"threshold of grade {grade}") for grade, bound in self.bounds]
        if values != sorted(values) or len(set(values)) != len(values):
            raise GradingError(f"thresholds for {self.cpc_class} must strictly increase")


@dataclass(frozen=True)
class Grade:
    grade: str
    basis: str  # "thresholds", "peers (n=...)" or "insufficient peers"


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise GradingError(f"{what} {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise GradingError(f"{what} {text!r} is not finite")
    return value


def grade(footprint: str, *, table: ThresholdTable | None = None,
          peers: Sequence[str] = ()) -> Grade:
    """The grade of *footprint* (kg CO2e per declared unit, decimal text); see the module
    docstring for the rule."""
    value = _decimal(footprint, "footprint")
    if table is not None:
        for name, bound in table.bounds:
            if value <= _decimal(bound, f"threshold of grade {name}"):
                return Grade(name, "thresholds")
        return Grade(_next_grade(table.bounds[-1][0]) if table.bounds else "D", "thresholds")
    values = [_decimal(p, "peer footprint") for p in peers]
    if len(values) < MIN_PEERS:
        return Grade(UNRATED, "insufficient peers")
    share = Decimal(sum(1 for v in values if v < value)) / Decimal(len(values))
    for name, upper in PERCENTILE_BANDS:
        if share < upper:
            return Grade(name, f"peers (n={len(values)})")
    return Grade("D", f"peers (n={len(values)})")


def _next_grade(last: str) -> str:
    return chr(ord(last) + 1) if len(last) == 1 and last.isalpha() else f"above {last}"
