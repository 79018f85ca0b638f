"""The background database's error tree.

    BackgroundError
    ├── DatasetImportError            a file could not be imported; carries every ImportIssue found
    │   └── UnsafeArchiveError        a ZIP or XLSX refused before it was read; carries Refusals
    ├── ReleaseError            a release cannot be composed or validated
    │   └── ReleaseValidationError   carries every ReleaseIssue found
    └── StoreError              a release or artifact on disk is missing or corrupt
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


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


class Cap(StrEnum):
    """What an archive was refused for; the value is the `field` of its ImportIssue."""

    MEMBERS = "members"            # entries in the central directory
    DIRECTORY = "directory"        # bytes of the central directory
    TOTAL = "total"                # uncompressed bytes of the members together
    FILE_SIZE = "file_size"        # uncompressed bytes of one member
    RATIO = "ratio"                # uncompressed / compressed, of a member or of the whole
    COMPRESSION = "compress_type"  # a method other than stored or deflated
    ENCRYPTED = "encrypted"
    CRC = "crc"                    # the data does not match its directory entry
    DOCTYPE = "DOCTYPE"            # XML with a document type declaration
    ENCODING = "encoding"          # XML in an encoding the parsers cannot check
    ROWS = "row"                   # a sheet row past the last allowed
    COLUMNS = "column"             # a cell past the last allowed column
    CELLS = "cells"                # cells of all sheets together
    STRINGS = "strings"            # entries of the shared-string table
    ELEMENTS = "elements"          # XML elements held in memory at once by the reader


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an archive was refused, as facts: the cap, the member ("" for the archive as a
    whole), the sheet row where one applies, the value found and the limit it passed."""

    cap: Cap
    value: int | float | str
    limit: int | float | None = None
    member: str = ""
    row: int = 0

    def issue(self, file: str) -> ImportIssue:
        where = ", ".join(p for p in (f"member {self.member}" if self.member else "",
                                      f"row {self.row}" if self.row else "") if p)
        value = f"{self.value:.0f}:1" if self.cap is Cap.RATIO else str(self.value)
        return ImportIssue(file, where, self.cap.value, value, _REFUSALS[self.cap].format(
            limit=self.limit))


_REFUSALS = {
    Cap.MEMBERS: "refused: more than {limit} members",
    Cap.DIRECTORY: "refused: the central directory is larger than {limit} bytes",
    Cap.TOTAL: "refused: the members together expand to more than {limit} bytes",
    Cap.FILE_SIZE: "refused: larger than {limit} bytes uncompressed",
    Cap.RATIO: "refused: expands more than {limit:.0f} times its compressed size, as only "
               "a decompression bomb does",
    Cap.COMPRESSION: "refused: only stored (0) and deflated (8) members are read",
    Cap.ENCRYPTED: "refused: the member is encrypted",
    Cap.CRC: "refused: the data does not match the declared size and CRC-32 (a corrupt "
             "archive, or a directory that lies)",
    Cap.DOCTYPE: "refused: XML with a document type declaration (DTD); its entities could "
                 "expand without bound",
    Cap.ENCODING: "refused: XML in an encoding other than UTF-8 or UTF-16",
    Cap.ROWS: "refused: a sheet may use rows 1 to {limit}",
    Cap.COLUMNS: "refused: a sheet may use columns 1 to {limit}",
    Cap.CELLS: "refused: the sheets together hold more than {limit} cells",
    Cap.STRINGS: "refused: more than {limit} shared strings",
    Cap.ELEMENTS: "refused: more than {limit} XML elements to hold at once (outside the "
                  "sheet rows, or in one row)",
}


class UnsafeArchiveError(DatasetImportError):
    """A ZIP archive (a dataset package or an XLSX workbook) was refused before its content
    was read: it would expand past a cap, or holds XML with a document type declaration.
    `refusals` gives the facts (cap, member, row, value, limit); `issues` the same as text."""

    def __init__(self, file: str, refusals: Sequence[Refusal]) -> None:
        self.refusals = tuple(refusals)
        super().__init__([r.issue(file) for r in self.refusals])


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
