"""The background database's error tree.

    BackgroundError
    ├── DatasetImportError            a file could not be imported; carries every ImportIssue found
    ├── ReleaseError            a release cannot be composed or validated
    │   └── ReleaseValidationError   carries every ReleaseIssue found
    └── StoreError              a release or artifact on disk is missing or corrupt
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BackgroundError(Exception):
    """Base class of every error the background database raises."""


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem in an imported file: where it is (file, row or element, field), the value
    found, and what is wrong with it."""

    file: str
    location: str  # "row 12", "process 'Steel production'", "element <exchange id=3>"
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.location) if p)
        detail = " ".join(p for p in (f"field {self.field!r}" if self.field else "",
                                      f"value {self.value!r}" if self.value else "") if p)
        return f"{where}: {detail}: {self.message}" if detail else f"{where}: {self.message}"


class DatasetImportError(BackgroundError):
    """A file could not be imported; `issues` lists every problem found. Nothing was kept."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:50])
        more = f"\n  ... and {len(self.issues) - 50} more" if len(self.issues) > 50 else ""
        super().__init__(f"{len(self.issues)} problem(s):\n{shown}{more}")


class ReleaseError(BackgroundError):
    """A release cannot be composed, validated or loaded."""


@dataclass(frozen=True, slots=True)
class ReleaseIssue:
    """One problem that stops a composed release from being frozen."""

    dataset: str
    activity: str
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"dataset {self.dataset!r}" + (f", activity {self.activity!r}"
                                               if self.activity else "")
        detail = " ".join(p for p in (f"field {self.field!r}" if self.field else "",
                                      f"value {self.value!r}" if self.value else "") if p)
        return f"{where}: {detail}: {self.message}" if detail else f"{where}: {self.message}"


class ReleaseValidationError(ReleaseError):
    """The composed release is not valid as a whole; `issues` lists every problem."""

    def __init__(self, issues: Sequence[ReleaseIssue]) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:50])
        more = f"\n  ... and {len(self.issues) - 50} more" if len(self.issues) > 50 else ""
        super().__init__(f"{len(self.issues)} problem(s):\n{shown}{more}")


class StoreError(BackgroundError):
    """A stored release or artifact is missing, unreadable or does not match its hash."""
