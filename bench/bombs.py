"""`python -m bench bombs [--keep DIR] [--timeout S]`: decompression and entity bombs against
`import_file`. Each bomb is built in a temporary folder from real data (members of zeros or
of repeated sheet rows, deflated one chunk at a time and the chunks repeated, so a 3 GB
member costs a second and a few MB of disk), imported in a fresh subprocess, and reported
with its refusal time, the child's peak RSS and the first issue."""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
_LEVEL = 9
_CHILD = """
import json, sys, time
from pathlib import Path
from background_db.errors import DatasetImportError
from background_db.importers import import_file
start = time.perf_counter()
try:
    dataset = import_file(Path(sys.argv[1]))
    outcome = f"imported: {len(dataset.activities)} activities"
except DatasetImportError as exc:
    outcome = f"{len(exc.issues)} issue(s); first: {exc.issues[0]}"
seconds = time.perf_counter() - start
peak = 0.0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "outcome": outcome}))
"""


@dataclass(frozen=True, slots=True)
class Member:
    """A member ready to be written: raw deflate data, its CRC-32 and sizes; `declared` is
    the uncompressed size the directory states (the real one unless it lies)."""

    name: str
    data: bytes
    crc: int
    size: int
    declared: int | None = None


def deflated(pieces: Iterable[tuple[bytes, int]], name: str) -> Member:
    """A member of each piece repeated its number of times. Every piece is compressed once,
    by a fresh compressor flushed to a byte boundary, so its output may be repeated as is."""
    out, crc, size = [], 0, 0
    for piece, times in pieces:
        compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
        block = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
        out.append(block * times)
        for _ in range(times):
            crc = zlib.crc32(piece, crc)
        size += len(piece) * times
    out.append(b"\x03\x00")  # an empty final block ends the stream
    return Member(name, b"".join(out), crc, size)


def zeros(size: int, name: str) -> Member:
    return deflated([(bytes(MiB), size // MiB), (bytes(size % MiB), 1)], name)


def small(name: str, data: bytes) -> Member:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return Member(name, compressor.compress(data) + compressor.flush(), zlib.crc32(data),
                  len(data))


def write_zip(path: Path, members: Iterable[Member]) -> Path:
    """A ZIP archive of deflated *members* (each under 4 GiB, so no ZIP64 is needed)."""
    directory = []
    with path.open("wb") as stream:
        for member in members:
            name = member.name.encode()
            declared = member.size if member.declared is None else member.declared
            fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, member.crc, len(member.data),
                      declared, len(name))
            offset = stream.tell()
            stream.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name)
            stream.write(member.data)
            directory.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0,
                                         0, 0, offset) + name)
        start = stream.tell()
        stream.write(b"".join(directory))
        stream.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory),
                                 len(directory), stream.tell() - start, start, 0))
    return path


def _workbook_parts() -> dict[str, bytes]:
    """The parts of the blank background template, read back from openpyxl."""
    from background_db.importers.template import write_blank_xlsx  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blank.xlsx"
        write_blank_xlsx(path)
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


SHEET = "xl/worksheets/sheet1.xml"
SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
         b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_CLOSE = b"</sheetData></worksheet>"
LAUGHS = b"".join([b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">',
                    *(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1
                                                     else b"&lol;") * 10)
                      for i in range(1, 10)), b"]>"])


def workbook(path: Path, sheet: Member | bytes | None = None,
             strings: bytes | None = None) -> Path:
    """The blank template workbook, its first sheet (and shared strings) replaced."""
    parts = _workbook_parts()
    if strings is not None:  # openpyxl writes none: add the part, its type and relation
        parts["xl/sharedStrings.xml"] = strings
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdStrings" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            b'Target="sharedStrings.xml"/></Relationships>')
    members = [small(n, d) for n, d in parts.items() if n != SHEET or sheet is None]
    if isinstance(sheet, bytes):
        members.append(small(SHEET, sheet))
    elif sheet is not None:
        members.append(sheet)
    return write_zip(path, members)


def _uuid(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def ilcd_members(folder: Path) -> Path:
    """40 process data sets of 99 MiB each (under the 100 MiB member cap): 3.9 GiB."""
    member = zeros(99 * MiB, "")
    return write_zip(folder / "ilcd-members.zip", [
        Member(f"ILCD/processes/{_uuid(i)}.xml", member.data, member.crc, member.size)
        for i in range(40)])


def jsonld_members(folder: Path) -> Path:
    """The same shape as an openLCA JSON-LD package: 40 processes/*.json of 99 MiB each."""
    member = zeros(99 * MiB, "")
    return write_zip(folder / "jsonld-members.zip", [
        Member(f"processes/{_uuid(i)}.json", member.data, member.crc, member.size)
        for i in range(40)] + [small("context.json", b"{}")])


def lying_directory(folder: Path) -> Path:
    """An ILCD process whose directory declares 1 KiB but whose data inflates to 3 GiB."""
    member = zeros(3 * 1024 * MiB, f"ILCD/processes/{_uuid(0)}.xml")
    return write_zip(folder / "ilcd-lying.zip", [
        Member(member.name, member.data, member.crc, member.size, declared=1024)])


def xlsx_sheet(folder: Path) -> Path:
    """A template workbook whose sheet expands to about 3 GB of rows."""
    row = b'<row><c t="inlineStr"><is><t>elec-grid</t></is></c></row>'
    chunk = row * (MiB // len(row))
    sheet = deflated([(SHEET_OPEN, 1), (chunk, 3000), (SHEET_CLOSE, 1)], SHEET)
    return workbook(folder / "sheet-3gb.xlsx", sheet)


def xlsx_laughs(folder: Path) -> Path:
    """A template workbook whose sheet declares the billion-laughs entities."""
    return workbook(folder / "laughs.xlsx", LAUGHS + SHEET_OPEN[SHEET_OPEN.index(b"<worksheet"):]
                    .replace(b"<sheetData>", b"<sheetData><row><c t=\"inlineStr\"><is><t>"
                             b"&lol9;</t></is></c></row>") + SHEET_CLOSE)


def xlsx_strings(folder: Path) -> Path:
    """A template workbook whose shared strings declare the billion-laughs entities."""
    strings = (LAUGHS + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
               b'main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    return workbook(folder / "laughs-strings.xlsx", strings=strings)


BOMBS: dict[str, Callable[[Path], Path]] = {
    "ilcd: 40 members x 99 MiB": ilcd_members,
    "jsonld: 40 members x 99 MiB": jsonld_members,
    "ilcd: directory says 1 KiB, data 3 GiB": lying_directory,
    "xlsx: sheet of 3 GB": xlsx_sheet,
    "xlsx: billion laughs in the sheet": xlsx_laughs,
    "xlsx: billion laughs in sharedStrings": xlsx_strings,
}


def _limit_memory() -> None:
    """Children get 4 GiB of address space: an import that is not refused fails instead of
    taking the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024 * MiB, 4 * 1024 * MiB))


def run_child(path: Path, timeout: float, root: Path) -> dict[str, object]:
    """Import *path* in a fresh interpreter running the checkout at *root*: its own timing
    and peak RSS, and the wall time."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=_limit_memory)  # noqa: PLW1509  (no threads here)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return {"outcome": f"not refused within {timeout:.0f} s", "seconds": timeout,
                "peak_rss_mb": float("nan"), "wall": time.perf_counter() - start}
    wall = time.perf_counter() - start
    if child.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return {"outcome": f"crashed (exit {child.returncode}): {last[0]}",
                "seconds": wall, "peak_rss_mb": float("nan"), "wall": wall}
    result: dict[str, object] = json.loads(out)
    result["wall"] = wall
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench bombs", description=__doc__)
    parser.add_argument("--keep", type=Path, help="build the bombs here and keep them")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds an import may take before it counts as not refused")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout whose importers run (another one to compare)")
    parser.add_argument("--only", nargs="*", default=[],
                        help="run the bombs whose label contains one of these words")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'bomb':42} {'file':>9} {'build s':>8} {'refused s':>9} {'wall s':>7} "
              f"{'peak RSS MB':>11}  first issue")
        for label, build in BOMBS.items():
            if args.only and not any(word in label for word in args.only):
                continue
            started = time.perf_counter()
            path = build(folder)
            built = time.perf_counter() - started
            result = run_child(path, args.timeout, args.source)
            size = f"{path.stat().st_size / MiB:.1f} MB"
            text = str(result["outcome"]).replace(str(folder) + os.sep, "")
            print(f"{label:42} {size:>9} {built:8.1f} {result['seconds']:9.3f} "
                  f"{result['wall']:7.2f} {result['peak_rss_mb']:11.1f}  {text}", flush=True)


if __name__ == "__main__":
    main()

