"""The greenhouse gases the engine characterises: one row per species in the packaged table
`data/ghg_species.csv` (IPCC key, formula, CAS numbers, the names databases write, AR6 and
AR5 GWP100 values each with its citation). Read once, on first use; never at import.

The table is the project's own, maintained by hand: the AR6 values are IPCC AR6 WG1 Chapter 7
Table 7.SM.7 (Smith et al., the chapter's data repository, which draws on Hodnebrog et al.
2020); the AR5 values are those the `globalwarmingpotentials` package tabulates from AR5 WG1
Table 8.A.1, left empty where no value could be checked. For a species the package has, the
engine takes the package's value and the table repeats it (a test keeps the two equal).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType

from lca_engine.errors import SpeciesTableError

TABLE_FILE = "ghg_species.csv"
COLUMNS = ("key", "formula", "cas", "ar6_gwp100", "ar6_source", "ar5_gwp100", "ar5_source",
           "names")
GWP_SETS = ("AR6", "AR5")
NAME_SEPARATOR = " | "
_KEY = re.compile(r"^[A-Za-z0-9]+$")
_CAS = re.compile(r"^0*(\d{2,7})-?(\d{2})-?(\d)$")


@dataclass(frozen=True, slots=True)
class GwpValue:
    """One GWP100 value and where it is published."""

    value: float
    citation: str


@dataclass(frozen=True, slots=True)
class Species:
    """One greenhouse gas: its IPCC key, formula, CAS numbers, names (the main database name
    first) and its GWP100 value in each IPCC set the table holds."""

    key: str
    formula: str
    cas: tuple[str, ...]
    names: tuple[str, ...]
    values: tuple[tuple[str, GwpValue], ...]

    def gwp100(self, gwp_set: str) -> GwpValue | None:
        """The table's GWP100 of this species in *gwp_set* ("AR6", "AR5"), or None."""
        return next((value for name, value in self.values if name == gwp_set), None)


@dataclass(frozen=True, eq=False)
class SpeciesTable:
    """Every species of the packaged table, by key, and the table's content digest."""

    species: tuple[Species, ...]
    digest: str
    by_key: Mapping[str, Species] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", MappingProxyType({s.key: s for s in self.species}))

    def get(self, key: str) -> Species | None:
        return self.by_key.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self.species)


def normal_cas(text: str) -> str:
    """A CAS registry number as the table writes it ("124-38-9"): leading zeros dropped,
    hyphens put back; "" when *text* is not shaped like one."""
    match = _CAS.match(text.strip())
    return "-".join(match.groups()) if match else ""


def cas_check_digit_ok(cas: str) -> bool:
    """Whether the last digit of *cas* ("124-38-9") is its check digit."""
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    return sum(i * int(d) for i, d in enumerate(reversed(body), 1)) % 10 == check


@cache
def species_table() -> SpeciesTable:
    """The packaged species table, parsed and checked (SpeciesTableError if malformed)."""
    raw = resources.files("lca_engine").joinpath("data", TABLE_FILE).read_bytes()
    return parse_table(raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())


def parse_table(text: str, digest: str = "") -> SpeciesTable:
    """Parse species-table CSV *text*; every row checked, the first fault raised."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise SpeciesTableError(f"{TABLE_FILE}: the header must be {','.join(COLUMNS)}")
    found: list[Species] = []
    keys: set[str] = set()
    numbers: dict[str, str] = {}
    for line, row in enumerate(reader, 2):
        species = _row(row, f"{TABLE_FILE}, line {line}")
        if species.key in keys:
            raise SpeciesTableError(f"{TABLE_FILE}, line {line}: key {species.key!r} appears "
                                    f"twice")
        keys.add(species.key)
        for cas in species.cas:
            if cas in numbers:
                raise SpeciesTableError(f"{TABLE_FILE}, line {line}: CAS {cas} is already "
                                        f"{numbers[cas]!r}")
            numbers[cas] = species.key
        found.append(species)
    return SpeciesTable(tuple(found), digest or hashlib.sha256(text.encode()).hexdigest())


def _row(row: dict[str, str], where: str) -> Species:
    key = (row.get("key") or "").strip()
    if not _KEY.match(key):
        raise SpeciesTableError(f"{where}: key {key!r} must be letters and digits only")
    cas: list[str] = []
    for text in filter(None, (c.strip() for c in (row.get("cas") or "").split("|"))):
        number = normal_cas(text)
        if number != text or not cas_check_digit_ok(number):
            raise SpeciesTableError(f"{where}: {text!r} is not a valid CAS number")
        cas.append(number)
    names = tuple(n.strip() for n in (row.get("names") or "").split(NAME_SEPARATOR.strip())
                  if n.strip())
    if not names:
        raise SpeciesTableError(f"{where}: species {key!r} has no name")
    values = []
    for gwp_set in GWP_SETS:
        value = _value(row, gwp_set.lower(), where)
        if value is not None:
            values.append((gwp_set, value))
    if not any(name == "AR6" for name, _value in values):
        raise SpeciesTableError(f"{where}: species {key!r} has no AR6 GWP100 value")
    return Species(key, (row.get("formula") or "").strip(), tuple(cas), names, tuple(values))


def _value(row: dict[str, str], prefix: str, where: str) -> GwpValue | None:
    text = (row.get(f"{prefix}_gwp100") or "").strip()
    citation = (row.get(f"{prefix}_source") or "").strip()
    if not text and not citation:
        return None
    try:
        value = float(text)
    except ValueError:
        raise SpeciesTableError(f"{where}: {prefix}_gwp100 {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or not citation:
        raise SpeciesTableError(f"{where}: {prefix}_gwp100 {text!r} needs a finite value >= 0 "
                                f"and its citation in {prefix}_source")
    return GwpValue(value, citation)
