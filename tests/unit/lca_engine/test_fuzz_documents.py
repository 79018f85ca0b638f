"""The product-model and background document parsers (lca_engine.documents) on mutated
versions of the shipped examples: a value anywhere replaced by one of another type or out
of range (huge, negative, NaN, an integer no float can hold, text of 100,000 characters, a
list nested 5,000 deep), keys deleted, list items repeated, values swapped; and the JSON text
itself mutated. Whatever comes in, parsing returns a model or raises an EngineError, in
bounded time and memory."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given

from lca_engine import background_from_document, product_model_from_document
from lca_engine.errors import EngineError
from tests.fuzzing import CHANGES, FUZZ, Change, Mutation, check, mutate, mutations

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@cache
def example(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def changed(name: str, changes: list[Change]) -> Any:
    document = copy.deepcopy(example(name))
    for change in changes:
        document = change.apply(document)
    return document


def parses(target: str, call: Callable[[], object]) -> None:
    check(target, call, EngineError)


class TestProductModelDocuments:
    @FUZZ
    @given(changes=CHANGES)
    def test_a_changed_model_parses_or_names_its_fault(self, changes: list[Change]) -> None:
        document = changed("steel-bracket.yaml", changes)
        parses("model document", lambda: product_model_from_document(document, "model.yaml"))

    @FUZZ
    @given(changes=mutations((b"[" * 900, b'{"a":' * 900, b"NaN", b"-Infinity", b"1e400",
                              b"null", b'"', b"\\u0000", b"true")))
    def test_a_mutated_json_text_parses_or_names_its_fault(self,
                                                          changes: list[Mutation]) -> None:
        text = mutate(json.dumps(example("steel-bracket.yaml"), default=str).encode(), changes)
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            return  # not JSON: the caller's parser refuses it before the engine sees it
        parses("model json", lambda: product_model_from_document(document, "model.json"))


class TestBackgroundDocuments:
    @FUZZ
    @given(changes=CHANGES)
    def test_a_changed_background_parses_or_names_its_fault(self,
                                                            changes: list[Change]) -> None:
        document = changed("background-demo.yaml", changes)
        parses("background document", lambda: background_from_document(document, "bg.yaml"))
