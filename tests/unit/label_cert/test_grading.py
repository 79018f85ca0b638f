"""The grading rule: thresholds first, then rank among peers, else unrated."""

from __future__ import annotations

import pytest

from label_cert.errors import GradingError
from label_cert.grading import UNRATED, ThresholdTable, grade

TABLE = ThresholdTable("41231", "kilogram", (("A", "1.5"), ("B", "2.0"), ("C", "2.5")))


@pytest.mark.parametrize(("footprint", "expected"), [
    ("1.2", "A"), ("1.5", "A"), ("1.5000001", "B"), ("2.0", "B"), ("2.49", "C"), ("2.51", "D"),
])
def test_thresholds(footprint: str, expected: str) -> None:
    assert grade(footprint, table=TABLE).grade == expected


def test_rank_among_peers() -> None:
    peers = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
    assert grade("0.5", peers=peers).grade == "A"  # 0 % below
    assert grade("2.5", peers=peers).grade == "B"  # 2 of 10 below: 20 % is not under 20 %
    assert grade("3.5", peers=peers).grade == "B"  # 30 % below
    assert grade("6.5", peers=peers).grade == "C"  # 60 % below
    assert grade("9.5", peers=peers).grade == "D"  # 90 % below


def test_too_few_peers_is_unrated() -> None:
    result = grade("2", peers=["1", "2", "3", "4"])
    assert result.grade == UNRATED
    assert result.basis == "insufficient peers"


def test_thresholds_must_increase() -> None:
    with pytest.raises(GradingError, match="strictly increase"):
        ThresholdTable("x", "kilogram", (("A", "2"), ("B", "1")))


def test_a_footprint_that_is_not_a_number() -> None:
    with pytest.raises(GradingError, match="'abc'"):
        grade("abc", table=TABLE)
