"""XLSX workbooks (background_db.importers.workbook), through the template importer with its
own caps: archive bombs, XML with a document type declaration, and rows, columns, cells and
elements past the caps are refused before openpyxl parses anything; a real sheet reads as
before. The workbooks are the blank template with its `data` sheet replaced (bench.bombs)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from openpyxl.utils import get_column_letter

from background_db.errors import Cap, DatasetImportError, Refusal, UnsafeArchiveError
from background_db.importers.archive import GiB, MiB
from background_db.importers.template import (
    KEYS,
    WORKBOOK_ARCHIVE,
    WORKBOOK_SHEETS,
    header_cells,
    import_template,
)
from background_db.importers.workbook import ROW_ELEMENTS, open_workbook, sheet_rows
from bench.bombs import LAUGHS, SHEET, SHEET_CLOSE, SHEET_OPEN, deflated, small, workbook

ELECTRICITY = {"activity_id": "elec", "unit": "kWh", "exchange": "emission",
               "target": "Carbon dioxide, fossil", "exchange_amount": "0.7096",
               "exchange_unit": "kg"}
STRINGS = "xl/sharedStrings.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def row(number: int, values: list[str], first_column: int = 1, extra: str = "") -> str:
    cells = "".join(
        f'<c r="{get_column_letter(first_column + i)}{number}" t="inlineStr"><is><t>'
        f'{escape(v)}</t></is></c>' for i, v in enumerate(values) if v)
    return f'<row r="{number}">{cells}{extra}</row>'


HEADER = row(1, header_cells())
DATA = row(2, [ELECTRICITY.get(k, "") for k in KEYS])


def sheet(*rows: str, prolog: bytes = b"") -> bytes:
    """The sheet XML of *rows*; a *prolog* replaces the XML declaration."""
    head = prolog + SHEET_OPEN[SHEET_OPEN.index(b"<worksheet"):] if prolog else SHEET_OPEN
    return head + "".join(rows).encode() + SHEET_CLOSE


def refused(path: Path) -> tuple[Refusal, ...]:
    """The refusals of importing *path*, which must come within a second."""
    start = time.perf_counter()
    with pytest.raises(UnsafeArchiveError) as caught:
        import_template(path)
    assert time.perf_counter() - start < 1.0
    return caught.value.refusals


class TestArchiveBombs:
    def test_a_sheet_of_repeated_rows_is_refused_by_its_ratio(self, tmp_path: Path) -> None:
        one = b'<row><c t="inlineStr"><is><t>elec-grid</t></is></c></row>'
        member = deflated([(SHEET_OPEN, 1), (one * (MiB // len(one)), 64),
                           (SHEET_CLOSE, 1)], SHEET)
        (refusal,) = refused(workbook(tmp_path / "rows.xlsx", member))
        assert (refusal.cap, refusal.member, refusal.limit) == (Cap.RATIO, SHEET, 200.0)
        assert refusal.value == pytest.approx(member.size / len(member.data))

    def test_a_sheet_declared_past_a_gibibyte_is_refused_unread(self, tmp_path: Path) -> None:
        member = dataclasses.replace(small(SHEET, sheet(HEADER, DATA)), declared=3 * GiB)
        found = refused(workbook(tmp_path / "declared.xlsx", member))
        assert found[0] == Refusal(Cap.FILE_SIZE, 3 * GiB, GiB, SHEET)
        assert found[1].cap is Cap.TOTAL

    def test_a_sheet_that_inflates_past_its_declared_size_is_refused(
            self, tmp_path: Path) -> None:
        one = b'<row><c t="inlineStr"><is><t>elec-grid</t></is></c></row>'
        member = dataclasses.replace(deflated([(SHEET_OPEN, 1), (one * 10_000, 100),
                                               (SHEET_CLOSE, 1)], SHEET), declared=4096)
        assert refused(workbook(tmp_path / "lie.xlsx", member)) == (
            Refusal(Cap.CRC, 4096, None, SHEET),)


class TestDocumentTypeDeclarations:
    @pytest.mark.parametrize("member", [SHEET, STRINGS, "xl/workbook.xml",
                                        "[Content_Types].xml", "xl/styles.xml"])
    def test_a_dtd_in_any_part_is_refused_naming_the_part(self, tmp_path: Path,
                                                           member: str) -> None:
        strings = f'<sst xmlns="{NS}"><si><t>elec</t></si></sst>'.encode()
        path = workbook(tmp_path / "dtd.xlsx", sheet(HEADER, DATA), strings=strings)
        assert import_template(path).activities[0].id == "elec"
        parts = _parts(path)
        text = parts[member]
        parts[member] = LAUGHS + text[text.index(b"?>") + 2:] if text.startswith(
            b"<?xml") else LAUGHS + text
        _rewrite(path, parts)
        assert refused(path) == (Refusal(Cap.DOCTYPE, "lolz", None, member),)

    def test_the_billion_laughs_in_the_sheet_is_refused(self, tmp_path: Path) -> None:
        laughs = row(2, ["elec", "&lol9;"]).replace("&amp;lol9;", "&lol9;")
        path = workbook(tmp_path / "laughs.xlsx", sheet(HEADER, laughs, prolog=LAUGHS))
        assert refused(path) == (Refusal(Cap.DOCTYPE, "lolz", None, SHEET),)

    def test_a_dtd_in_shared_strings_is_refused(self, tmp_path: Path) -> None:
        strings = LAUGHS + f'<sst xmlns="{NS}"><si><t>&lol9;</t></si></sst>'.encode()
        path = workbook(tmp_path / "laughs.xlsx", sheet(HEADER, DATA), strings=strings)
        assert refused(path) == (Refusal(Cap.DOCTYPE, "lolz", None, STRINGS),)

    def test_a_dtd_in_utf16_is_found_as_well(self, tmp_path: Path) -> None:
        text = sheet(HEADER, DATA, prolog=b'<?xml version="1.0" encoding="UTF-16"?>'
                     b'<!DOCTYPE worksheet>').decode()
        path = workbook(tmp_path / "utf16.xlsx", text.encode("utf-16"))
        assert refused(path) == (Refusal(Cap.DOCTYPE, "worksheet", None, SHEET),)

    def test_xml_in_an_encoding_expat_cannot_check_is_refused(self, tmp_path: Path) -> None:
        path = workbook(tmp_path / "enc.xlsx", sheet(
            HEADER, DATA, prolog=b'<?xml version="1.0" encoding="x-no-such"?>'))
        (refusal,) = refused(path)
        assert (refusal.cap, refusal.member) == (Cap.ENCODING, SHEET)


class TestSheetCaps:
    def test_a_row_past_the_millionth_is_refused_with_its_number(self,
                                                               tmp_path: Path) -> None:
        path = workbook(tmp_path / "far.xlsx", sheet(HEADER, DATA, row(1_000_001, ["elec"])))
        assert refused(path) == (
            Refusal(Cap.ROWS, 1_000_001, 1_000_000, SHEET, 1_000_001),)

    def test_a_cell_past_50_columns_beyond_the_template_is_refused(self,
                                                                  tmp_path: Path) -> None:
        assert WORKBOOK_SHEETS.columns == len(KEYS) + 50 == 79
        path = workbook(tmp_path / "wide.xlsx", sheet(HEADER, row(2, ["note"], 80)))
        assert refused(path) == (Refusal(Cap.COLUMNS, 80, 79, SHEET, 2),)

    def test_a_row_of_too_many_elements_is_refused(self, tmp_path: Path) -> None:
        junk = f'<c r="A2"><v>1</v>{"<x/>" * ROW_ELEMENTS}</c>'
        path = workbook(tmp_path / "junk.xlsx", sheet(HEADER, f'<row r="2">{junk}</row>'))
        assert refused(path) == (
            Refusal(Cap.ELEMENTS, ROW_ELEMENTS + 1, ROW_ELEMENTS, SHEET, 2),)

    @pytest.mark.parametrize(("cap", "changes", "strings"), [
        (Cap.CELLS, {"cells": 120}, 1), (Cap.STRINGS, {"cells": 130}, 131),
        (Cap.ELEMENTS, {"elements": 5}, 1)])
    def test_cells_strings_and_elements_are_counted_over_the_whole_workbook(
            self, tmp_path: Path, cap: Cap, changes: dict[str, int], strings: int) -> None:
        # 125 cells: 35 on the data sheet (29 header, 6 data), 90 on the columns guide (30
        # rows of 3); elements outside rows: more than 5 in several parts
        table = f'<sst xmlns="{NS}">{"<si><t>a</t></si>" * strings}</sst>'.encode()
        path = workbook(tmp_path / "base.xlsx", sheet(HEADER, DATA), strings=table)
        limits = dataclasses.replace(WORKBOOK_SHEETS, **changes)
        with pytest.raises(UnsafeArchiveError) as caught, open_workbook(
                path, "base.xlsx", WORKBOOK_ARCHIVE, limits):
            pass
        assert [r.cap for r in caught.value.refusals] == [cap]
        with open_workbook(path, "base.xlsx", WORKBOOK_ARCHIVE, WORKBOOK_SHEETS) as book:
            assert book.sheetnames == ["data", "columns"]

    def test_a_dimension_claiming_every_column_pads_no_row(self, tmp_path: Path) -> None:
        text = sheet(HEADER, DATA).replace(b"<sheetData>",
                                           b'<dimension ref="A1:XFD1048576"/><sheetData>')
        path = workbook(tmp_path / "dim.xlsx", text)
        with open_workbook(path, "dim.xlsx", WORKBOOK_ARCHIVE, WORKBOOK_SHEETS) as book:
            rows = list(sheet_rows(book["data"], "dim.xlsx"))
        assert [(n, len(values)) for n, values in rows] == [(1, len(KEYS)), (2, 16)]
        assert import_template(path).activities[0].id == "elec"


class TestReadingSheets:
    def test_a_real_sheet_reads_as_before(self, tmp_path: Path) -> None:
        dataset = import_template(workbook(tmp_path / "base.xlsx", sheet(HEADER, DATA)))
        (activity,) = dataset.activities
        assert (activity.id, activity.unit, activity.emissions[0].amount) == (
            "elec", "kWh", 0.7096)

    def test_a_sheet_openpyxl_fails_on_names_the_row(self, tmp_path: Path) -> None:
        broken = '<row r="2"><c r="A2" t="s"><v>99999</v></c></row>'  # no such string
        with pytest.raises(DatasetImportError) as caught:
            import_template(workbook(tmp_path / "bad.xlsx", sheet(HEADER, broken)))
        (issue,) = caught.value.issues
        assert issue.location == "sheet 'data', row 2"
        assert issue.message.startswith("cannot read the sheet: IndexError")

    def test_a_workbook_without_sheets_is_an_issue(self, tmp_path: Path) -> None:
        path = workbook(tmp_path / "empty.xlsx", sheet(HEADER, DATA))
        parts = _parts(path)
        parts["xl/workbook.xml"] = (
            f'<workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets/></workbook>').encode()
        _rewrite(path, parts)
        with pytest.raises(DatasetImportError, match="the workbook has no sheets"):
            import_template(path)

    def test_a_template_of_2000_rows_written_by_openpyxl_passes_the_caps(
            self, tmp_path: Path) -> None:
        import openpyxl

        book = openpyxl.Workbook()
        data = book.active
        data.title = "data"
        data.append(header_cells())
        for i in range(2_000):  # 2 MB of sheet XML: past 1 MiB, so its ratio counts
            data.append([f"elec-{i % 50}" if k == "activity_id" else ELECTRICITY.get(k, "")
                         for k in KEYS])
        path = tmp_path / "big.xlsx"
        book.save(path)
        assert len(import_template(path).activities) == 50


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path: Path, parts: dict[str, bytes]) -> None:
    from bench.bombs import write_zip

    write_zip(path, [small(name, data) for name, data in parts.items()])
