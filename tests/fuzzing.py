"""What the fuzz tests share: how many examples they run, the mutations they apply to a
fixture (to its bytes, or to the members of an archive or the files of a folder), and the
check of one example: it ends in a result or the package's own error, in bounded time and
memory.

The default suite runs a fixed, small set of examples (derandomised, so a failure is a
regression); `HYPOTHESIS_PROFILE=deep` runs random ones, 20 times as many.
"""

from __future__ import annotations

import copy
import datetime
import gc
import os
import re
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
EXAMPLES = 2000 if DEEP else 100
#: one example (building its input and importing it) may take this long
DEADLINE = timedelta(seconds=10)
#: the import itself: its time and the peak of what Python allocates for it (tracemalloc)
SECONDS = 5.0
MiB = 1024 * 1024
PEAK_BYTES = 256 * MiB

FUZZ = settings(max_examples=EXAMPLES, deadline=DEADLINE, derandomize=not DEEP,
                database=None if not DEEP else settings.default.database,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

#: numbers as they should not be: huge, tiny, negative, not finite, too long, not decimal
ODD_NUMBERS = (b"1e309", b"-1e309", b"1e-400", b"-1", b"-0", b"0", b"NaN", b"nan", b"inf",
               b"-Infinity", b"9" * 5000, b"1" + b"0" * 400, b"0x1F", b"1,5", b"1_000",
               b"", b" ", b"\xd9\xa1", b"\xef\xbc\x91", b"1e", b".", b"--1",
               b"18446744073709551617")
_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_VALUE = re.compile(rb'"[^"\n]{0,200}"|>[^<>\n]{1,200}<|(?<=[,;\t])[^,;\t\n]{1,100}(?=[,;\t\n])')
_LINE = re.compile(rb"[^\n]*\n|[^\n]+$")


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change of a byte string: *kind* at position *at* (modulo the length), with a
    second position *other* and a *payload* where the kind needs them."""

    kind: str
    at: int
    other: int
    payload: bytes

    def apply(self, data: bytes) -> bytes:
        n = len(data)
        if self.kind == "flip" and n:
            i = self.at % n
            return data[:i] + self.payload[:1] + data[i + 1:]
        if self.kind == "truncate":
            return data[:self.at % (n + 1)]
        if self.kind == "insert":
            i = self.at % (n + 1)
            return data[:i] + self.payload + data[i:]
        if self.kind in ("number", "value"):
            found = list((_NUMBER if self.kind == "number" else _VALUE).finditer(data))
            if not found:
                return data
            match = found[self.at % len(found)]
            other = found[self.other % len(found)] if self.kind == "value" else None
            if other is None:
                return data[:match.start()] + self.payload + data[match.end():]
            first, second = sorted((match, other), key=lambda m: m.start())
            if first.end() > second.start():
                return data
            return (data[:first.start()] + second.group() + data[first.end():second.start()]
                    + first.group() + data[second.end():])
        lines = _LINE.findall(data)
        if not lines:
            return data
        i, j = self.at % len(lines), self.other % len(lines)
        if self.kind == "delete_line":
            del lines[i]
        elif self.kind == "duplicate_line":  # up to 50 times, to 1 MiB at most
            lines[i:i] = [lines[i]] * min(1 + self.other % 50, 1 + MiB // len(lines[i]))
        elif self.kind == "swap_lines":
            lines[i], lines[j] = lines[j], lines[i]
        return b"".join(lines)


def mutations(snippets: Sequence[bytes], *, max_size: int = 4) -> st.SearchStrategy[
        list[Mutation]]:
    """Lists of mutations; *snippets* are inserted as they are (a DTD, a deep nesting, a
    stray delimiter) besides random bytes and the odd numbers above."""
    position = st.integers(0, 2**31)
    payloads = st.one_of(st.sampled_from(list(snippets) or [b""]), st.binary(max_size=16))
    one = st.one_of(
        st.builds(Mutation, st.sampled_from(["flip", "truncate", "insert", "delete_line",
                                             "duplicate_line", "swap_lines", "value"]),
                  position, position, payloads),
        st.builds(Mutation, st.just("number"), position, position,
                  st.sampled_from(ODD_NUMBERS)))
    return st.lists(one, min_size=1, max_size=max_size)


def mutate(data: bytes, changes: Sequence[Mutation]) -> bytes:
    for change in changes:
        data = change.apply(data)
    return data


@dataclass(frozen=True, slots=True)
class MemberChange:
    """One change of an archive's members or a folder's files: drop, duplicate (the same
    name twice), rename to *name*, or mutate the content of the *at*-th one."""

    kind: str
    at: int
    name: str
    content: tuple[Mutation, ...]


UNSAFE_NAMES = ("../evil.json", "/abs/processes/x.xml", "C:/x.xml", "processes/",
                "processes/../../x.json", "PROCESSES/A.JSON", "processes/x.xml\x00.json",
                "a" * 300, "processes/中文.json", "")


def member_changes(snippets: Sequence[bytes]) -> st.SearchStrategy[list[MemberChange]]:
    content = mutations(snippets).map(tuple)
    one = st.builds(MemberChange, st.sampled_from(["drop", "duplicate", "rename", "mutate",
                                                   "mutate", "mutate"]),
                    st.integers(0, 2**31), st.sampled_from(UNSAFE_NAMES), content)
    return st.lists(one, min_size=1, max_size=4)


def change_members(members: list[tuple[str, bytes]],
                   changes: Sequence[MemberChange]) -> list[tuple[str, bytes]]:
    members = list(members)
    for change in changes:
        if not members:
            break
        i = change.at % len(members)
        name, data = members[i]
        if change.kind == "drop":
            del members[i]
        elif change.kind == "duplicate":
            members.append((name, mutate(data, change.content)))
        elif change.kind == "rename":
            members[i] = (change.name or name + "~", data)
        else:
            members[i] = (name, mutate(data, change.content))
    return members


@dataclass
class Tally:
    """How many examples ran, and how they ended, over one test session."""

    counts: dict[str, dict[str, int]]

    def add(self, target: str, outcome: str) -> None:
        self.counts.setdefault(target, {}).setdefault(outcome, 0)
        self.counts[target][outcome] += 1


TALLY = Tally({})


def check(target: str, call: Callable[[], object], allowed: type[BaseException],
          refused: Callable[[BaseException], None] = lambda _exc: None, *,
          files: bool = False) -> None:
    """Run one example: it must return or raise *allowed* (which *refused* may inspect),
    within SECONDS and PEAK_BYTES, and (with *files*) leave no file open. Other warnings
    are ignored, as they are outside the tests (pytest makes them errors)."""
    tracemalloc.start()
    start = time.perf_counter()
    outcome = "ok"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", ResourceWarning)
        try:
            call()
        except allowed as exc:
            outcome = type(exc).__name__
            refused(exc)
        finally:
            elapsed = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if files and DEEP:  # a collection costs ~0.1 s: the default run leaves it to
            gc.collect()     # pytest, which fails on the warning of a file left open
    TALLY.add(target, outcome)
    assert elapsed < SECONDS, f"{target}: {elapsed:.1f} s"
    assert peak < PEAK_BYTES, f"{target}: {peak / 1e6:.0f} MB at peak"
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


# ------------------------------------------------- parsed documents (YAML or JSON)

@dataclass(frozen=True, slots=True)
class Built:
    """A value too large to show in a falsifying example, built when a change is applied."""

    kind: str  # nested | text
    size: int

    def make(self) -> Any:
        if self.kind == "text":
            return "x" * self.size
        value: Any = 1
        for _ in range(self.size):
            value = [value]
        return value


ODD_VALUES: tuple[Any, ...] = (
    None, "", " ", Built("text", 100_000), -1, 0, -0.0, 1e308, -1e308, float("nan"),
    float("inf"), 10**400, -(10**400), 2**63, True, False, [], {}, [None], {"": None},
    Built("nested", 5000), {"method": "factors"}, "mass", "中文", "1e309", "NaN", b"bytes",
    datetime.date(2024, 1, 1), {1, 2}, {1: "a"}, {1: 2.0, "mass": 1.0},
    {"background": "x", "process": "y"}, [[]], "-1", {"distribution": "lognormal", "gsd": 0},
)
#: keys a change may add to a mapping: the optional fields a document may have
ADDED_KEYS = ("uncertainty", "properties", "factors", "quality", "substitutes", "allocation",
              "tags", "packaging", "data_type", "product", "gas", "origin", "kind", 1, "")


@dataclass(frozen=True, slots=True)
class Change:
    """One change of a parsed document at the *at*-th of its positions (in walk order)."""

    kind: str  # replace | add (a key to a mapping) | delete | duplicate | swap
    at: int
    other: int
    value: Any

    def apply(self, document: Any) -> Any:
        places = _places(document)
        if not places:
            return document
        parent, key = places[self.at % len(places)]
        if self.kind == "replace":
            parent[key] = self.value.make() if isinstance(self.value, Built) else copy.copy(
                self.value)
        elif self.kind == "delete":
            del parent[key]
        elif self.kind == "add" and isinstance(parent[key], dict):
            parent[key][ADDED_KEYS[self.other % len(ADDED_KEYS)]] = (
                self.value.make() if isinstance(self.value, Built) else copy.copy(self.value))
        elif self.kind == "duplicate" and isinstance(parent, list):
            parent.insert(key, parent[key])  # the same object twice: parsing only reads it
        elif self.kind == "swap":
            other_parent, other_key = places[self.other % len(places)]
            if other_parent is not parent or other_key != key:
                parent[key], other_parent[other_key] = other_parent[other_key], parent[key]
        return document


def _places(document: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of the document, depth first; a swap between a container and
    its own content is harmless here, as each change is applied to a fresh copy."""
    found: list[tuple[Any, Any]] = []
    stack = [document]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
            node, list) else ()
        for key, value in list(items):
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


CHANGES = st.lists(st.builds(
    Change, st.sampled_from(["replace", "replace", "add", "add", "delete", "duplicate", "swap"]),
    st.integers(0, 2**31), st.integers(0, 2**31), st.sampled_from(ODD_VALUES)),
    min_size=1, max_size=4)
