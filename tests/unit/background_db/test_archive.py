"""The checks every ZIP reader shares (background_db.importers.archive): the central directory
is checked against the caps before anything is read, and members are read through a budget.
The bombs are real archives built by bench.bombs; a directory may be made to lie about a
member's size (`declared`), which also shows that the refused data was never read."""

from __future__ import annotations

import dataclasses
import os
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from background_db import importers
from background_db.errors import Cap, Refusal, UnsafeArchiveError
from background_db.importers import detect_format, import_file
from background_db.importers.archive import (
    DATASET_ARCHIVE,
    ArchiveLimits,
    Budget,
    GiB,
    MiB,
    check_members,
    open_archive,
)
from bench.bombs import Member, small, write_zip, zeros

UUID = "00000000-0000-4000-8000-000000000000"
#: where each zip importer finds its process documents
SHAPES = {"ilcd": "ILCD/processes/{}.xml", "jsonld": "processes/{}.json"}


def named(member: Member, name: str, **changes: int) -> Member:
    return dataclasses.replace(member, name=name, **changes)


def drain(stream: IO[bytes]) -> None:
    while stream.read(64 * 1024):
        pass


def refusals(call: Callable[[], object]) -> tuple[Refusal, ...]:
    with pytest.raises(UnsafeArchiveError) as caught:
        call()
    return caught.value.refusals


def timed_refusals(path: Path, fmt: str) -> tuple[Refusal, ...]:
    """The refusals of importing *path*, which must come within a second."""
    start = time.perf_counter()
    found = refusals(lambda: import_file(path, format=fmt))
    assert time.perf_counter() - start < 1.0
    return found


class TestPythonZipfile:
    """What `archive` relies on, so that a Python that changes it fails here first."""

    def test_a_member_stops_at_its_declared_size_and_then_fails_its_crc(
            self, tmp_path: Path) -> None:
        path = write_zip(tmp_path / "lie.zip", [named(zeros(64 * MiB, ""), "a.xml",
                                                      declared=1000)])
        tracemalloc.start()
        with zipfile.ZipFile(path) as archive, archive.open("a.xml") as stream, \
                pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
            drain(stream)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < MiB  # 64 MiB were there to inflate

    def test_a_member_whose_crc_matches_its_cut_is_cut_at_its_declared_size(
            self, tmp_path: Path) -> None:
        member = named(zeros(64 * MiB, ""), "a.xml", declared=1000, crc=zlib.crc32(bytes(1000)))
        with zipfile.ZipFile(write_zip(tmp_path / "lie.zip", [member])) as archive:
            assert archive.read("a.xml") == bytes(1000)

    def test_a_bzip2_member_is_inflated_a_whole_chunk_at_once(self, tmp_path: Path) -> None:
        path = tmp_path / "bz2.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
            archive.writestr("a.xml", bytes(16 * MiB))
        tracemalloc.start()
        with zipfile.ZipFile(path) as archive, archive.open("a.xml") as stream:
            stream.read(1000)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak > 16 * MiB  # which is why `check_members` refuses bzip2 and LZMA


@pytest.mark.parametrize("fmt", list(SHAPES))
class TestTheDirectoryIsCheckedBeforeAnythingIsRead:
    def test_members_each_under_the_member_cap_are_refused_past_the_total(
            self, tmp_path: Path, fmt: str) -> None:
        # random data compresses not at all: 99 MiB declared over 600 kB is 173:1, < 200
        data = small("", os.urandom(600_000))
        members = [named(data, SHAPES[fmt].format(f"{i:08x}{UUID[8:]}"), declared=99 * MiB)
                   for i in range(11)]
        path = write_zip(tmp_path / "bomb.zip", members)
        assert timed_refusals(path, fmt) == (Refusal(Cap.TOTAL, 11 * 99 * MiB, GiB),)

    def test_a_member_compressed_past_the_ratio_is_refused_by_name(
            self, tmp_path: Path, fmt: str) -> None:
        member = zeros(8 * MiB, SHAPES[fmt].format(UUID))
        (refusal,) = timed_refusals(write_zip(tmp_path / "bomb.zip", [member]), fmt)
        assert refusal == Refusal(Cap.RATIO, 8 * MiB / len(member.data), 200.0, member.name)
        assert refusal.value > 1000  # a megabyte of zeros deflates to about a kilobyte

    def test_small_members_that_add_up_are_refused_by_the_ratio_of_the_whole(
            self, tmp_path: Path, fmt: str) -> None:
        one = zeros(MiB, "")  # at 1 MiB, not above: each escapes the ratio of a member
        members = [named(one, SHAPES[fmt].format(f"{i:08x}{UUID[8:]}")) for i in range(300)]
        (refusal,) = timed_refusals(write_zip(tmp_path / "bomb.zip", members), fmt)
        assert (refusal.cap, refusal.member, refusal.limit) == (Cap.RATIO, "", 200.0)
        assert refusal.value == pytest.approx(300 * MiB / (300 * len(one.data)))

    def test_a_directory_that_understates_a_member_is_refused_when_its_data_runs_on(
            self, tmp_path: Path, fmt: str) -> None:
        member = named(zeros(64 * MiB, ""), SHAPES[fmt].format(UUID), declared=1000)
        tracemalloc.start()
        found = timed_refusals(write_zip(tmp_path / "lie.zip", [member]), fmt)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert found == (Refusal(Cap.CRC, 1000, None, member.name),)
        assert peak < 8 * MiB

    def test_a_bzip2_member_is_refused_unread(self, tmp_path: Path, fmt: str) -> None:
        path = tmp_path / "bz2.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
            archive.writestr(SHAPES[fmt].format(UUID), "{}")
        assert timed_refusals(path, fmt) == (
            Refusal(Cap.COMPRESSION, zipfile.ZIP_BZIP2, None, SHAPES[fmt].format(UUID)),)

    def test_the_issue_names_file_member_field_and_value(self, tmp_path: Path,
                                                         fmt: str) -> None:
        member = zeros(8 * MiB, SHAPES[fmt].format(UUID))
        path = write_zip(tmp_path / "bomb.zip", [member])
        with pytest.raises(UnsafeArchiveError) as caught:
            import_file(path, format=fmt)
        (issue,) = caught.value.issues
        assert (issue.file, issue.location, issue.field, issue.value) == (
            str(path), f"member {member.name}", "ratio", f"{round(8 * MiB / len(member.data))}:1")
        assert "decompression bomb" in issue.message


class TestTheEndOfTheDirectory:
    def test_more_members_than_the_cap_are_refused_from_the_end_record(
            self, tmp_path: Path) -> None:
        path = write_zip(tmp_path / "many.zip", [small(f"{i}.xml", b"") for i in range(11)])
        limits = dataclasses.replace(DATASET_ARCHIVE, members=10)
        assert refusals(lambda: open_archive(path, "many.zip", limits)) == (
            Refusal(Cap.MEMBERS, 11, 10),)

    def test_an_end_record_that_understates_the_members_is_not_believed(
            self, tmp_path: Path) -> None:
        data = bytearray(write_zip(tmp_path / "many.zip", [small(f"{i}.xml", b"")
                                                           for i in range(11)]).read_bytes())
        struct.pack_into("<2H", data, len(data) - 22 + 8, 1, 1)  # "1 entry"
        limits = dataclasses.replace(DATASET_ARCHIVE, members=10)
        assert refusals(lambda: open_archive(bytes(data), "many.zip", limits)) == (
            Refusal(Cap.MEMBERS, 11, 10),)

    def test_a_directory_larger_than_its_cap_is_refused(self, tmp_path: Path) -> None:
        path = write_zip(tmp_path / "long.zip", [small("x" * 1000 + f"{i}.xml", b"")
                                                 for i in range(3)])
        limits = dataclasses.replace(DATASET_ARCHIVE, directory_bytes=2000)
        (refusal,) = refusals(lambda: open_archive(path.read_bytes(), "long.zip", limits))
        assert (refusal.cap, refusal.limit) == (Cap.DIRECTORY, 2000)
        assert refusal.value == 3 * (46 + 1005)

    def test_detect_format_refuses_what_it_cannot_open_safely(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = write_zip(tmp_path / "many.zip", [small(f"processes/{i}.json", b"{}")
                                                 for i in range(11)])
        assert detect_format(path) == "jsonld"
        monkeypatch.setattr(importers, "DATASET_ARCHIVE",
                            dataclasses.replace(DATASET_ARCHIVE, members=10))
        assert refusals(lambda: detect_format(path)) == (Refusal(Cap.MEMBERS, 11, 10),)


class TestBudget:
    LIMITS = ArchiveLimits(total_bytes=3 * MiB, member_bytes=2 * MiB, members=10,
                           directory_bytes=MiB)

    def test_reading_stops_at_the_total_though_every_member_fits(self,
                                                                 tmp_path: Path) -> None:
        members = [zeros(MiB, f"{i}.xml") for i in range(4)]
        with zipfile.ZipFile(write_zip(tmp_path / "four.zip", members)) as archive:
            budget = Budget(archive, "four.zip", self.LIMITS)
            for info in archive.infolist()[:3]:
                assert len(budget.read(info)) == MiB
            assert refusals(lambda: budget.read(archive.infolist()[3])) == (
                Refusal(Cap.TOTAL, 3 * MiB + 64 * 1024, 3 * MiB),)

    def test_reading_stops_at_the_member_cap_whatever_was_declared(self,
                                                                   tmp_path: Path) -> None:
        with zipfile.ZipFile(write_zip(tmp_path / "one.zip", [zeros(5 * MiB, "a.xml")])) as z:
            budget = Budget(z, "one.zip", self.LIMITS)
            assert refusals(lambda: budget.read(z.infolist()[0])) == (
                Refusal(Cap.FILE_SIZE, 2 * MiB + 64 * 1024, 2 * MiB, "a.xml"),)


class TestLegitimateArchives:
    def test_the_reference_zips_pass_every_check(self, reference_fixtures: Path) -> None:
        paths = sorted((reference_fixtures / "jsonld" / "olca-modules-zips").glob("*.zip"))
        assert len(paths) == 8
        for path in paths:
            with open_archive(path, str(path), DATASET_ARCHIVE) as archive:
                check_members(archive, str(path), DATASET_ARCHIVE)

    def test_a_member_under_a_mebibyte_may_be_compressed_more(self, tmp_path: Path) -> None:
        path = write_zip(tmp_path / "small.zip", [zeros(MiB, "a.xml")])
        with open_archive(path, "small.zip", DATASET_ARCHIVE) as archive:
            check_members(archive, "small.zip", DATASET_ARCHIVE)
            assert archive.read("a.xml") == bytes(MiB)
