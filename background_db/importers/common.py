"""What every importer shares: issue collection, number parsing, safe XML, flow records."""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException, ElementTree

from background_db.errors import DatasetImportError, ImportIssue
from background_db.ghg import classify_flow, direction_conflict
from background_db.records import FlowRecord

MAX_FILE_BYTES = 512 * 1024 * 1024


class Issues:
    """Collects the problems found in one file; `raise_if_any` ends an import that found
    any, so nothing half-read is ever returned."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[ImportIssue] = []

    def add(self, location: str, field: str, value: object, message: str) -> None:
        text = "" if value is None else str(value)
        self.items.append(ImportIssue(self.file, location, field, text[:200], message))

    def raise_if_any(self) -> None:
        if self.items:
            raise DatasetImportError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def parse_number(value: Any, issues: Issues, location: str, field: str, *,
                 positive: bool = False, required: bool = True) -> float | None:
    """A finite float from *value* (a number, or text with '.' as decimal point), or None
    with an issue recorded."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            issues.add(location, field, value, "a number is required")
        return None
    if isinstance(value, bool):
        issues.add(location, field, value, "expected a number")
        return None
    if isinstance(value, str) and "," in value:
        issues.add(location, field, value, "use '.' as the decimal separator and no "
                   "thousands separator (is '1,500' one and a half or fifteen hundred?)")
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        issues.add(location, field, value, "expected a number")
        return None
    except OverflowError:  # an integer (from JSON) past the largest float
        issues.add(location, field, value, "the number is not finite")
        return None
    if not math.isfinite(number):
        issues.add(location, field, value, "the number is not finite")
        return None
    if positive and number <= 0:
        issues.add(location, field, value, "must be greater than zero")
        return None
    return number


def parse_xml(path: Path | IO[bytes], issues: Issues) -> Any | None:
    """Parse *path* (or an open binary stream) with defusedxml (no entity expansion, no
    external entities); None with an issue recorded on malformed XML."""
    try:
        return ElementTree.parse(path).getroot()
    except ElementTree.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        issues.add(f"line {line}, column {column}", "", "", f"malformed XML: {exc}")
    except DefusedXmlException as exc:  # entity expansion, external entities, DTDs
        issues.add("", "", "", f"refused XML: {type(exc).__name__}: {exc}")
    except LookupError as exc:  # the declaration names an encoding Python has no codec for
        issues.add("line 1", "encoding", str(exc).rsplit(": ", 1)[-1],
                   "cannot read the XML: unknown encoding")
    except ValueError as exc:  # expat reads single-byte encodings only, besides UTF-8/16
        issues.add("line 1", "encoding", "", f"cannot read the XML: {exc}")
    return None


def local(tag: str) -> str:
    """Tag name without its namespace: '{http://...}exchange' -> 'exchange'."""
    return tag.rsplit("}", 1)[-1]


def flow_record(identifier: str, name: str, unit: str, compartment: str = "",
                cas: str = "") -> FlowRecord:
    """A flow record with its greenhouse-gas classification filled in."""
    gas, origin, kind = classify_flow(name, compartment, cas)
    return FlowRecord(identifier, name, unit, compartment, cas, gas, origin, kind)


def check_direction(issues: Issues, location: str, field: str, value: object,
                    flow: FlowRecord, *, from_nature: bool) -> bool:
    """Record an issue (and return False) when *flow*'s name, CAS number or compartment says
    the opposite of the exchange's direction: CO2 taken up from the air written as an
    emission, or an emitted greenhouse gas written as a resource."""
    problem = direction_conflict(flow.name, flow.compartment, flow.cas,
                                 from_nature=from_nature)
    if problem is not None:
        issues.add(location, field, value, f"flow {flow.name!r}: {problem}")
    return problem is None
