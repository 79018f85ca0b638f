"""Dataset records: what every importer produces and every release is composed of.

Plain frozen dataclasses; numbers are floats as read. An importer returns one `Dataset` for
one file, complete and validated field by field, or raises `DatasetImportError` with every issue.
Providers of technosphere inputs are named by activity id where the format links them, and
by reference-product name (`provider_name`) where it does not (SimaPro); linking across
datasets happens when a release is composed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lca_engine.model import DataQuality, FlowKind, Origin, Uncertainty


class DatasetRole(StrEnum):
    """A national base database, or an extension (provincial or sector) composed onto one."""

    BASE = "base"
    EXTENSION = "extension"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where numbers come from. *note* says "illustrative" for assumptions."""

    publisher: str = ""
    source: str = ""
    licence: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """An elementary flow. *gas*/*origin*/*kind* classify greenhouse gases (see `ghg.py`)."""

    id: str
    name: str
    unit: str
    compartment: str = ""
    cas: str = ""
    gas: str | None = None
    origin: Origin = Origin.NONE
    kind: FlowKind = FlowKind.EMISSION


@dataclass(frozen=True, slots=True)
class InputRecord:
    """A technosphere input of *amount* *unit* per the activity's reference output."""

    provider: str  # activity id; empty when only the product name is known
    amount: float
    unit: str
    name: str = ""
    provider_name: str = ""  # reference-product name, for formats that link by name
    uncertainty: Uncertainty | None = None


@dataclass(frozen=True, slots=True)
class ElementaryRecord:
    """An exchange with the environment of *amount* *unit* per reference output."""

    flow: str
    amount: float
    unit: str
    uncertainty: Uncertainty | None = None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One single-output activity with its reference product, metadata and exchanges.

    *replaces* (extensions only) names the national activity this one replaces for its
    geography."""

    id: str
    name: str
    reference_product: str
    unit: str
    amount: float = 1.0
    geography: str = ""
    period_start: str = ""
    period_end: str = ""
    sector: str = ""
    inputs: tuple[InputRecord, ...] = ()
    emissions: tuple[ElementaryRecord, ...] = ()
    tags: frozenset[str] = field(default_factory=frozenset)
    provenance: Provenance = Provenance()
    quality: DataQuality | None = None
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """What one import produces: a named, versioned set of flows and activities."""

    name: str
    version: str
    role: DatasetRole
    flows: tuple[FlowRecord, ...]
    activities: tuple[ActivityRecord, ...]
    provenance: Provenance = Provenance()
    source_file: str = ""
    format: str = ""
