"""Every importer on mutated reference fixtures (tests/fuzzing.py): bytes flipped, cut off,
lines deleted, repeated or swapped, values swapped, numbers made huge, negative, NaN or
thousands of digits long, DTDs and deep nestings inserted; members of zips and files of
folders dropped, repeated, renamed or mutated. Whatever comes in, an import returns a
Dataset or raises a BackgroundError, in bounded time and memory."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from background_db.errors import BackgroundError
from background_db.importers import import_file
from background_db.importers.ecospold import import_ecospold1, import_ecospold2
from background_db.importers.ilcd import import_ilcd
from background_db.importers.olca_jsonld import import_olca_jsonld
from background_db.importers.simapro import import_simapro_csv
from background_db.importers.template import KEYS, header_cells, import_template
from background_db.records import Dataset
from bench.bombs import small, write_zip
from tests.fuzzing import (
    FUZZ,
    MemberChange,
    Mutation,
    change_members,
    check,
    member_changes,
    mutate,
    mutations,
)

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "import-fixtures"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(),
                                    reason=f"reference fixtures not present at {FIXTURES}")

XML_SNIPPETS = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>', b"&b;",
                b"<![CDATA[", b"]]>", b"\x00", b"<x>" * 200, b"</", b'="', b"\xff\xfe",
                "中文".encode("gb18030"), b"&#0;", b"&#x110000;", b'xml:lang="', b"<?xml ")
JSON_SNIPPETS = (b"[" * 3000, b"{" * 3000, b'{"a":' * 2000, b'"', b"\\u0000", b"\\ud800", b"NaN",
                 b"Infinity", b"1e999999", b"null", b"true", b"[]", b"{}", b'"@id": 5,',
                 b'"exchanges": {},', b'"amount": "1,5",', b"\xef\xbb\xbf", b"\xff")
CSV_SNIPPETS = (b",", b";", b"\t", b'"', b"\r", b"\x00", b"{SimaPro 9.0}\n", b"Process\n",
                b"End\n", b"\n\n", b"\xef\xbb\xbf", "排放".encode(), b"1,500", b"Products\n",
                b"\xff\xfe")


def named(error: BaseException) -> None:
    """What every refusal must still satisfy: it lists its issues, each naming its file."""
    issues = getattr(error, "issues", ("a BackgroundError that is no DatasetImportError",))
    assert issues
    assert all(getattr(issue, "file", "") for issue in issues)


def run(target: str, call: Callable[[], Dataset], *, files: bool = False) -> None:
    def checked() -> None:
        assert isinstance(call(), Dataset)
    check(target, checked, BackgroundError, named, files=files)


def fixture_files(folder: str, *suffixes: str, largest: int = 200_000) -> list[Path]:
    if not FIXTURES.is_dir():
        return [Path("absent")]
    return sorted(p for p in (FIXTURES / folder).rglob("*")
                  if p.suffix in suffixes and p.stat().st_size <= largest)


@cache
def read(path: Path) -> bytes:
    return path.read_bytes()


def in_folder(name: str, data: bytes, call: Callable[[Path], Dataset]) -> Callable[[], Dataset]:
    """An import of *data* written as *name* in a fresh folder."""
    def imported() -> Dataset:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return call(path)
    return imported


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    """A zip that may hold one name twice, as zipfile itself refuses to write."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_zip(Path(folder) / "m.zip", [small(n, d) for n, d in members])
        return path.read_bytes()


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]


@needs_fixtures
class TestXmlImporters:
    @FUZZ
    @given(path=st.sampled_from(fixture_files("ecospold1", ".xml")),
           changes=mutations(XML_SNIPPETS))
    def test_ecospold1(self, path: Path, changes: list[Mutation]) -> None:
        run("ecospold1", in_folder("data.xml", mutate(read(path), changes), import_ecospold1))

    @FUZZ
    @given(path=st.sampled_from(fixture_files("ecospold2", ".xml", ".spold")),
           changes=mutations(XML_SNIPPETS))
    def test_ecospold2(self, path: Path, changes: list[Mutation]) -> None:
        run("ecospold2", in_folder("data.spold", mutate(read(path), changes), import_ecospold2))

    @FUZZ
    @given(path=st.sampled_from(fixture_files("ilcd", ".xml")), changes=mutations(XML_SNIPPETS))
    def test_ilcd_xml(self, path: Path, changes: list[Mutation]) -> None:
        run("ilcd xml", in_folder("process.xml", mutate(read(path), changes), import_ilcd))

    @FUZZ
    @given(changes=member_changes(XML_SNIPPETS))
    def test_ilcd_zip(self, changes: list[MemberChange]) -> None:
        source = FIXTURES / "ilcd" / "olca-modules"
        members = [(f"ILCD/{folder}/{name}", read(source / name)) for folder, name in (
            ("processes", "process.xml"), ("flows", "flow.xml"),
            ("flowproperties", "flowproperty.xml"), ("unitgroups", "unit.xml"))]
        data = zip_of(change_members(members, changes))
        run("ilcd zip", in_folder("ilcd.zip", data, import_ilcd), files=True)


@needs_fixtures
class TestJsonLd:
    @FUZZ
    @given(path=st.sampled_from(fixture_files("jsonld/olca-modules-zips", ".zip")),
           changes=member_changes(JSON_SNIPPETS))
    def test_zip(self, path: Path, changes: list[MemberChange]) -> None:
        data = zip_of(change_members(members_of(read(path)), changes))
        run("jsonld zip", in_folder("package.zip", data, import_olca_jsonld), files=True)

    @FUZZ
    @given(changes=member_changes(JSON_SNIPPETS))
    def test_folder(self, changes: list[MemberChange]) -> None:
        source = FIXTURES / "jsonld" / "bw2io-US-FPL" / "US-FPL"
        files = [(p.relative_to(source).as_posix(), read(p))
                 for p in sorted(source.rglob("*.json"))]

        def imported() -> Dataset:
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder) / "package"
                root.mkdir()
                for name, data in change_members(files, changes):
                    target = root / name.replace("\x00", "_")[:200].lstrip("/")
                    if ".." in target.parts or target == root:
                        continue
                    try:  # a renamed file may collide with a folder, or a folder with it
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(data)
                    except (IsADirectoryError, FileExistsError, NotADirectoryError):
                        continue
                return import_olca_jsonld(root)
        run("jsonld folder", imported)

    @FUZZ
    @given(changes=mutations(JSON_SNIPPETS))
    def test_process_file(self, changes: list[Mutation]) -> None:
        data = mutate(read(FIXTURES / "jsonld" / "olca-schema-examples" / "process.json"),
                      changes)
        run("jsonld process", in_folder("process.json", data, import_olca_jsonld))


@needs_fixtures
class TestSimaPro:
    @FUZZ
    @given(path=st.sampled_from(fixture_files("simapro", ".csv", ".txt")),
           changes=mutations(CSV_SNIPPETS))
    def test_csv(self, path: Path, changes: list[Mutation]) -> None:
        run("simapro", in_folder("export.csv", mutate(read(path), changes), import_simapro_csv))


def _template_rows() -> list[list[str]]:
    rows = [
        {"activity_id": "elec", "unit": "kWh", "geography": "CN-SX", "exchange": "emission",
         "target": "Carbon dioxide, fossil", "exchange_amount": "0.7096",
         "exchange_unit": "kg", "dqr_temporal": "1", "gsd": "1.2"},
        {"activity_id": "elec", "exchange": "排放", "target": "Methane, fossil",
         "exchange_amount": "0.00002", "exchange_unit": "kg", "origin": "fossil"},
        {"activity_id": "steel", "unit": "kg", "amount": "1", "exchange": "input",
         "target": "elec", "exchange_amount": "0.5", "exchange_unit": "kWh", "tags": "a;b"},
        {"activity_id": "box", "unit": "kg", "tags": "packaging", "exchange": "uptake",
         "target": "Carbon dioxide, in air", "exchange_amount": "1.5", "exchange_unit": "kg"},
    ]
    return [header_cells(), *([r.get(k, "") for k in KEYS] for r in rows)]


@cache
def template_csv() -> bytes:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerows(_template_rows())
    return stream.getvalue().encode("utf-8")


@cache
def template_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    for row in _template_rows():
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


class TestTemplate:
    @FUZZ
    @given(changes=mutations(CSV_SNIPPETS))
    def test_csv(self, changes: list[Mutation]) -> None:
        run("template csv", in_folder("data.csv", mutate(template_csv(), changes),
                                      import_template))

    @FUZZ
    @given(changes=member_changes(XML_SNIPPETS))
    def test_xlsx(self, changes: list[MemberChange]) -> None:
        data = zip_of(change_members(members_of(template_xlsx()), changes))
        run("template xlsx", in_folder("data.xlsx", data, import_template), files=True)


@needs_fixtures
class TestDetection:
    @FUZZ
    @given(path=st.sampled_from(fixture_files("", ".xml", ".spold", ".json", ".csv", ".txt",
                                              ".zip")),
           changes=mutations(XML_SNIPPETS + JSON_SNIPPETS + CSV_SNIPPETS))
    def test_import_file_detects_and_imports_or_refuses(self, path: Path,
                                                        changes: list[Mutation]) -> None:
        data = mutate(read(path), changes)
        run("import_file", in_folder(f"data{path.suffix}", data, import_file))


def test_the_unmutated_inputs_import() -> None:
    """The fuzzing starts from inputs that import: a mutation is what makes them fail."""
    assert len(in_folder("data.csv", template_csv(), import_template)().activities) == 3
    assert len(in_folder("data.xlsx", template_xlsx(), import_template)().activities) == 3
    if FIXTURES.is_dir():
        assert len(fixture_files("ecospold1", ".xml")) == 4
        assert len(fixture_files("simapro", ".csv", ".txt")) == 16
