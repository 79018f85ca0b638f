"""Format detection and the shipped blank templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError
from background_db.importers import detect_format, import_file
from background_db.importers.template import header_cells


@pytest.mark.parametrize(("relative", "expected"), [
    ("jsonld/olca-modules-zips/exchange_sync-all.zip", "jsonld"),
    ("jsonld/bw2io-US-FPL/US-FPL", "jsonld"),
    ("jsonld/olca-schema-examples/process.json", "jsonld"),
    ("ecospold2/olca-ecospold-2/sample_ecospold2.xml", "ecospold2"),
    ("ecospold1/bw2io-uslci/Aluminum, extrusion, at plant.xml", "ecospold1"),
    ("ilcd/olca-ilcd/process.xml", "ilcd"),
    ("simapro/olca-modules/process.csv", "simapro"),
])
def test_detects_the_format_of_reference_files(reference_fixtures: Path, relative: str,
                                               expected: str) -> None:
    assert detect_format(reference_fixtures / relative) == expected


def test_imports_a_reference_file_end_to_end(reference_fixtures: Path) -> None:
    dataset = import_file(reference_fixtures / "ecospold1/bw2io-uslci/"
                          "Aluminum, extrusion, at plant.xml", name="alu", version="1.0.0")
    assert dataset.format
    assert len(dataset.activities) == 1


def test_an_unknown_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"\x00\x01")
    with pytest.raises(DatasetImportError, match=r"data.bin: cannot tell the format"):
        import_file(path)


def test_the_shipped_blank_templates_carry_the_bilingual_header() -> None:
    import openpyxl

    folder = resources.files("background_db") / "templates"
    with resources.as_file(folder / "background-template.csv") as path:
        assert path.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(header_cells())
    with resources.as_file(folder / "background-template.xlsx") as path:
        book = openpyxl.load_workbook(path, read_only=True)
        first = next(book["data"].iter_rows(values_only=True))
        book.close()
    assert list(first) == header_cells()
