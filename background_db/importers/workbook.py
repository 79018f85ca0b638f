"""XLSX workbooks read in bounded memory and time. The archive is checked first (`archive`);
then every XML part is scanned with expat, a chunk at a time, before openpyxl parses any of
it: a document type declaration is refused (its entities are the billion-laughs bomb), and
so are rows, columns, cells, shared strings and held elements past `SheetLimits`. openpyxl
then reads the sheets in read-only (streaming) mode. Refusals are `UnsafeArchiveError`s.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from background_db.errors import Cap, DatasetImportError, ImportIssue, Refusal, UnsafeArchiveError
from background_db.importers.archive import ArchiveLimits, Budget, check_members, open_archive

_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
               "http://purl.oclc.org/ooxml/spreadsheetml/main")
_ROW = frozenset(f"{ns} row" for ns in _NAMESPACES)
_CELL = frozenset(f"{ns} c" for ns in _NAMESPACES)
_STRING = frozenset(f"{ns} si" for ns in _NAMESPACES)
_BAD_ENCODING = {expat.errors.codes[m] for m in (expat.errors.XML_ERROR_UNKNOWN_ENCODING,
                                                  expat.errors.XML_ERROR_INCORRECT_ENCODING)}
#: openpyxl keeps a row's (or a shared string's) elements until it ends: a row of 78 cells
#: has a few hundred, rich text included.
ROW_ELEMENTS = 10_000


@dataclass(frozen=True, slots=True)
class SheetLimits:
    """Caps on the sheets of one workbook, checked in its XML before openpyxl reads it.
    `elements` caps what openpyxl holds at once from one part: the elements outside its rows
    and shared strings, which it keeps until the part ends."""

    rows: int      # the last row number a sheet may use
    columns: int   # the last column number
    cells: int     # cells of all sheets together; shared strings are capped the same
    elements: int


@contextmanager
def open_workbook(source: Path | bytes, file: str, archive: ArchiveLimits,
                  sheets: SheetLimits) -> Iterator[Any]:
    """*source* opened by openpyxl (read-only, values only) once the archive and its XML
    are known to be safe to read, and closed after; raises UnsafeArchiveError, or
    DatasetImportError for a file that is not a workbook openpyxl can read."""
    try:
        opened = open_archive(source, file, archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _unreadable(file, exc) from None
    with opened:
        check_members(opened, file, archive)
        budget = Budget(opened, file, archive)
        scan = _Scan(file, sheets)
        for info in opened.infolist():
            if not info.is_dir():
                scan.part(info.filename, budget.chunks(info))
    import openpyxl  # noqa: PLC0415  (only needed for spreadsheets)

    # openpyxl is given a file of ours, closed here whatever it left open when it failed
    # or when a sheet was not read to its end (its parser then still holds the part)
    with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as stream:
        try:
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl passes on whatever its XML and zip readers raise
            raise _unreadable(file, exc) from None
        try:  # a read-only workbook keeps its archive open until it is closed
            yield book
        finally:
            book.close()


def _unreadable(file: str, exc: BaseException) -> DatasetImportError:
    return DatasetImportError([ImportIssue(
        file, "", "", "", f"not a readable XLSX workbook: {type(exc).__name__}: {exc}")])


def sheet_rows(sheet: Any, file: str) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
    """(row number, cell values) of a read-only sheet. The sheet's declared dimension is
    ignored (it may claim a million columns to pad every row to); a sheet that openpyxl
    fails on part-way is a DatasetImportError naming the row it stopped at. Close the
    iterator (contextlib.closing) when not reading to the end."""
    sheet.reset_dimensions()
    number = 0
    rows = sheet.iter_rows(values_only=True)
    try:
        for number, values in enumerate(rows, start=1):
            yield number, tuple(values)
    except Exception as exc:  # openpyxl passes on what its cell parsers raise
        raise DatasetImportError([ImportIssue(
            file, f"sheet {sheet.title!r}, row {number + 1}", "", "",
            f"cannot read the sheet: {type(exc).__name__}: {exc}")]) from None
    finally:
        rows.close()  # its parser holds the sheet's part open until it is closed


def _column(reference: str) -> int:
    """The column number of a cell reference such as 'AB12' (0 when it has no letters)."""
    number = 0
    for char in reference.lstrip("$"):
        if not char.isascii() or not char.isalpha():
            break
        number = number * 26 + (ord(char.upper()) - 64)
    return number


def _row_number(text: str, previous: int) -> int:
    """A row's number as openpyxl reads its `r` attribute (the next one when it has none)."""
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return previous + 1  # openpyxl refuses it when it reads the row
        return int(number) if number.is_integer() else previous + 1


class _Scan:
    """Counts what openpyxl would build from the workbook's XML, part by part, and refuses
    past the limits; expat parses the XML without building anything."""

    def __init__(self, file: str, limits: SheetLimits) -> None:
        self.file, self.limits = file, limits
        self.cells = self.strings = 0

    def part(self, member: str, chunks: Generator[bytes, None, None]) -> None:
        """Scan one member; what expat cannot parse is no XML that openpyxl could read."""
        part = _Part(self, member)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = part.doctype
        parser.StartElementHandler = part.start
        parser.EndElementHandler = part.end
        try:
            for chunk in chunks:
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            if exc.code in _BAD_ENCODING:
                raise part.refuse(Cap.ENCODING, expat.ErrorString(exc.code), None) from None
        except (LookupError, ValueError) as exc:  # a codec unknown, or not of single bytes
            raise part.refuse(Cap.ENCODING, str(exc), None) from None
        finally:
            chunks.close()  # the member's stream, when a refusal stopped the scan


class _Part:
    """The count of one XML part: its current row, column and container (a row or a shared
    string, whose elements openpyxl holds until it ends), and the elements outside them."""

    def __init__(self, scan: _Scan, member: str) -> None:
        self.scan, self.member, self.limits = scan, member, scan.limits
        self.row = self.column = self.depth = self.held = self.loose = 0

    def refuse(self, cap: Cap, value: int | str, limit: int | None,
               row: int = 0) -> UnsafeArchiveError:
        return UnsafeArchiveError(self.scan.file, [Refusal(cap, value, limit, self.member,
                                                           row)])

    def doctype(self, name: str, *_rest: object) -> None:
        raise self.refuse(Cap.DOCTYPE, name, None)

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.depth:
            self.depth += 1
            self.held += 1
            if self.held > ROW_ELEMENTS:
                raise self.refuse(Cap.ELEMENTS, self.held, ROW_ELEMENTS, self.row)
        elif name in _ROW or name in _STRING:
            self.depth, self.held = 1, 0
        else:
            self.loose += 1  # a cell outside a row too: openpyxl keeps it to the end
            if self.loose > self.limits.elements:
                raise self.refuse(Cap.ELEMENTS, self.loose, self.limits.elements)
        if name in _ROW:
            self.row = _row_number(attributes.get("r", ""), self.row)
            self.column = 0
            if self.row > self.limits.rows:
                raise self.refuse(Cap.ROWS, self.row, self.limits.rows, self.row)
        elif name in _CELL:
            self.scan.cells += 1
            if self.scan.cells > self.limits.cells:
                raise self.refuse(Cap.CELLS, self.scan.cells, self.limits.cells, self.row)
            reference = attributes.get("r")
            self.column = _column(reference) if reference else self.column + 1
            if self.column > self.limits.columns:
                raise self.refuse(Cap.COLUMNS, self.column, self.limits.columns, self.row)
        elif name in _STRING:
            self.scan.strings += 1
            if self.scan.strings > self.limits.cells:
                raise self.refuse(Cap.STRINGS, self.scan.strings, self.limits.cells)

    def end(self, _name: str) -> None:
        if self.depth:
            self.depth -= 1
