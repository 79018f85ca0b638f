"""ZIP archives (ILCD and JSON-LD packages, XLSX workbooks) read without letting them expand
without bound: `open_archive` checks the end of the central directory before zipfile parses
it, `check_members` checks the declared sizes before any member is read, and a `Budget`
counts what is then decompressed. Every refusal is an `UnsafeArchiveError`.

Reading relies on a property of Python's zipfile, checked by the tests: a member never
yields more than its declared `file_size` (the rest is cut off and the CRC-32 check fails),
and a deflated member is inflated a bounded chunk at a time. Neither holds for bzip2 or
LZMA members, which are inflated a whole compressed chunk at once, so those are refused.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from background_db.errors import Cap, Refusal, UnsafeArchiveError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
_CHUNK = 64 * KiB
_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_ENTRY = struct.Struct("<4s6H3L5H2L")  # central directory file header, before its name
_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps on one archive. Sizes are uncompressed bytes as the central directory declares
    them; the ratio (uncompressed / compressed) is checked for every member larger than
    `ratio_from` and for the checked members together once they pass `ratio_from`."""

    total_bytes: int
    member_bytes: int
    members: int
    directory_bytes: int
    ratio: float = 200.0
    ratio_from: int = MiB


# Why these values:
# - ratio 200:1 from 1 MiB: deflate cannot exceed about 1032:1; data sets compress far less
#   (the reference JSON-LD zips 3:1, a 50,000-row template sheet written by openpyxl 15:1),
#   so 200 leaves a tenfold margin, while past it a member is almost all one repeated byte.
#   Smaller members (styles, a JSON-LD context) may be more repetitive, and cannot add up to
#   harm without passing the ratio of the whole or the total.
# - 1 GiB in all: the readers hold every data set of a package in memory at once, parsed
#   (several times its size as JSON or XML), so past a gibibyte an import would exhaust
#   the worker before any other cap mattered; a larger database (a full ecoinvent export)
#   is imported in parts.
# - 100,000 members and a 16 MiB directory: a package has one member per process, flow,
#   unit group...; a directory entry is 46 bytes and its name (about 60 here), so 100,000
#   entries take about 11 MiB, and 16 MiB cannot hold more than 365,000 entries however
#   short their names (zipfile keeps about 500 bytes for each).
DATASET_ARCHIVE = ArchiveLimits(total_bytes=GiB, member_bytes=100 * MiB, members=100_000,
                                directory_bytes=16 * MiB)


def open_archive(source: Path | bytes | IO[bytes], file: str,
                 limits: ArchiveLimits) -> zipfile.ZipFile:
    """*source* opened as a ZIP archive once its directory is known to be small enough;
    raises UnsafeArchiveError, or zipfile.BadZipFile for what is no ZIP archive at all."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            _check_directory(stream, file, limits)
        archive = zipfile.ZipFile(source)
    else:
        given: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
        _check_directory(given, file, limits)
        archive = zipfile.ZipFile(given)
    count = len(archive.infolist())
    if count > limits.members:  # a directory that does not parse as ours did
        archive.close()
        raise UnsafeArchiveError(file, [Refusal(Cap.MEMBERS, count, limits.members)])
    return archive


def _check_directory(stream: IO[bytes], file: str, limits: ArchiveLimits) -> None:
    """Refuse a directory zipfile would spend too much memory on: the end record gives its
    entry count and byte size, and the directory itself is walked to count what it holds.
    What is not a well-formed ZIP end is left to zipfile, which then refuses it."""
    found = _directory_extent(stream)
    if found is None:
        return
    entries, size, start = found
    refusals = []
    if entries > limits.members:
        refusals.append(Refusal(Cap.MEMBERS, entries, limits.members))
    if size > limits.directory_bytes:
        refusals.append(Refusal(Cap.DIRECTORY, size, limits.directory_bytes))
    if refusals:
        raise UnsafeArchiveError(file, refusals)
    stream.seek(start)
    directory = stream.read(size)
    count = at = 0
    while at + _ENTRY.size <= len(directory) and directory[at:at + 4] == b"PK\x01\x02":
        fields = _ENTRY.unpack_from(directory, at)
        at += _ENTRY.size + fields[10] + fields[11] + fields[12]  # name, extra, comment
        count += 1
        if count > limits.members:
            raise UnsafeArchiveError(file, [Refusal(Cap.MEMBERS, count, limits.members)])


def _directory_extent(stream: IO[bytes]) -> tuple[int, int, int] | None:
    """(entries, size, start in the stream) of the central directory, found the way
    zipfile finds it (the end record last, or before a comment of up to 64 KiB; a ZIP64
    end record just before it), or None where there is none."""
    stream.seek(0, io.SEEK_END)
    length = stream.tell()
    if length < _END.size:
        return None
    stream.seek(length - _END.size)
    tail = stream.read(_END.size)
    if not (tail.startswith(b"PK\x05\x06") and tail.endswith(b"\0\0")):
        start = max(0, length - _END.size - (1 << 16))
        stream.seek(start)
        tail = stream.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            return None
        tail = tail[at:at + _END.size]
        end = start + at
    else:
        end = length - _END.size
    _sig, _disk, _disk_dir, _here, entries, size, _offset, _comment = _END.unpack(tail)
    directory_end = end
    if end >= _END64_LOCATOR.size + _END64.size:
        stream.seek(end - _END64_LOCATOR.size)
        locator = stream.read(_END64_LOCATOR.size)
        if locator.startswith(b"PK\x06\x07"):
            stream.seek(end - _END64_LOCATOR.size - _END64.size)
            record = stream.read(_END64.size)
            if record.startswith(b"PK\x06\x06"):
                fields = _END64.unpack(record)
                entries, size = fields[7], fields[8]
                directory_end = end - _END64_LOCATOR.size - _END64.size
    # as zipfile: the directory ends where the end records begin, whatever its declared
    # offset says (data before the archive, as in a self-extractor, shifts every offset)
    start_of_directory = directory_end - size
    return None if start_of_directory < 0 else (entries, size, start_of_directory)


def check_members(archive: zipfile.ZipFile, file: str, limits: ArchiveLimits,
                  wanted: Callable[[str], bool] = lambda _name: True) -> None:
    """Refuse the archive, before any member is read, when the *wanted* members (the ones
    the reader will read) declare more than the caps of *limits*, or use a compression
    method or encryption zipfile cannot read within them."""
    refusals: list[Refusal] = []
    total = compressed = 0
    for info in archive.infolist():
        if info.is_dir() or not wanted(info.filename):
            continue
        name = info.filename
        total += info.file_size
        compressed += info.compress_size
        if info.compress_type not in _READABLE:
            refusals.append(Refusal(Cap.COMPRESSION, info.compress_type, member=name))
        elif info.flag_bits & 0x1:
            refusals.append(Refusal(Cap.ENCRYPTED, "yes", member=name))
        elif info.file_size > limits.member_bytes:
            refusals.append(Refusal(Cap.FILE_SIZE, info.file_size, limits.member_bytes, name))
        elif info.file_size > limits.ratio_from and (
                info.file_size > limits.ratio * max(info.compress_size, 1)):
            refusals.append(Refusal(Cap.RATIO, info.file_size / max(info.compress_size, 1),
                                    limits.ratio, name))
    if total > limits.total_bytes:
        refusals.append(Refusal(Cap.TOTAL, total, limits.total_bytes))
    elif not refusals and total > limits.ratio_from and (  # members may each pass it
            total > limits.ratio * max(compressed, 1)):
        refusals.append(Refusal(Cap.RATIO, total / max(compressed, 1), limits.ratio))
    if refusals:
        raise UnsafeArchiveError(file, refusals)


class Budget:
    """What one pass over an archive may still decompress. Members are read a chunk at a
    time and counted; past the member cap or the total the read stops with
    UnsafeArchiveError, whatever the directory declared, and data that fails its CRC-32
    (zipfile cuts a member off at its declared size) is refused as well."""

    def __init__(self, archive: zipfile.ZipFile, file: str, limits: ArchiveLimits) -> None:
        self.archive, self.file, self.limits = archive, file, limits
        self.left = limits.total_bytes

    def chunks(self, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
        """The member's data in chunks of at most 64 KiB."""
        read = 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    read += len(chunk)
                    self.left -= len(chunk)
                    if read > self.limits.member_bytes:
                        raise UnsafeArchiveError(self.file, [Refusal(
                            Cap.FILE_SIZE, read, self.limits.member_bytes, info.filename)])
                    if self.left < 0:
                        raise UnsafeArchiveError(self.file, [Refusal(
                            Cap.TOTAL, self.limits.total_bytes - self.left,
                            self.limits.total_bytes)])
                    yield chunk
        except zipfile.BadZipFile as exc:
            if "CRC" not in str(exc):
                raise
            raise UnsafeArchiveError(self.file, [Refusal(
                Cap.CRC, info.file_size, member=info.filename)]) from None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's data, all of it."""
        return b"".join(self.chunks(info))
