"""Hypothesis strategies that break a valid verification bundle: keys deleted, values replaced
by wrong types, deep nesting and huge numbers. A helper module, not a test module."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

DEEP = "\x00deep"  # placeholders the JSON text form replaces by what json.dumps cannot write
HUGE = "\x00huge"


def nested(depth: int) -> list[Any]:
    """A list nested `depth` deep, built without recursion."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a member of a JSON-like value."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, member in items:
        found.append((*prefix, key))
        found.extend(paths(member, (*prefix, key)))
    return found


#: Wrong values as Python objects: what verify_offline may be handed by a caller.
PYTHON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**5000), st.floats(),
    st.text(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.integers(1, 20_000).map(nested),
    st.sampled_from(["ä.b.c", "a.b.c", "e30.e30.e30", "2026-01-01T00:00:00", "u" + "A" * 40]),
)

#: Wrong values for the JSON text form; DEEP and HUGE become deep nesting and long integers.
JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
    st.text(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.integers(1, 300).map(nested), st.just(DEEP), st.just(HUGE),
)


@st.composite
def mutated(draw: st.DrawFn, bundle: dict[str, Any], values: st.SearchStrategy[Any]
            ) -> dict[str, Any]:
    """`bundle` with one to four members deleted or replaced by a drawn value."""
    broken = copy.deepcopy(bundle)
    candidates = paths(bundle)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(candidates))
        parent: Any = broken
        try:
            for key in path[:-1]:
                parent = parent[key]
            if not isinstance(parent, dict | list) or (
                isinstance(parent, list) and path[-1] >= len(parent)
            ):
                continue  # an earlier mutation removed or replaced this member
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(parent, dict) and draw(st.booleans()):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(values)
    return broken


def json_text(bundle: dict[str, Any]) -> str:
    """The bundle as JSON text, its placeholders replaced (nesting json.loads refuses,
    integers of 5,000 digits)."""
    text = json.dumps(bundle)
    text = text.replace(json.dumps(DEEP), "[" * 5000 + "]" * 5000)
    return text.replace(json.dumps(HUGE), "9" * 5000)
