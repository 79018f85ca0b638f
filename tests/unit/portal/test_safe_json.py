"""JSON bodies under limits: depth, integer range, finite numbers, no NUL; each refusal names
the JSON path of the value."""

from __future__ import annotations

import pytest

from portal.safe_json import JsonRefusedError, loads


@pytest.mark.parametrize(("text", "path", "reason"), [
    ('{"a": [{"b": [[[1]]]}]}', "$.a[0].b[0]", "nested deeper than 4 levels"),
    ('{"n": 123456789012345678901234}', "$.n", "out of range"),
    ('[1, NaN]', "$[1]", "NaN is not a JSON number"),
    ('[1e999]', "$[0]", "too large to represent"),
    ('{"x y": {"k": "a\\u0000b"}}', '$["x y"].k', "NUL character"),
    ('{"k\\u0000": 1}', "$", "NUL character is not accepted in a key"),
])
def test_a_value_past_a_limit_is_refused_at_its_path(text: str, path: str, reason: str) -> None:
    with pytest.raises(JsonRefusedError) as caught:
        loads(text, max_depth=4)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_nesting_past_the_parsers_recursion_is_located_too() -> None:
    with pytest.raises(JsonRefusedError) as caught:
        loads("[" * 50_000 + "]" * 50_000)
    assert caught.value.path == "$" + "[0]" * 64


def test_ordinary_documents_pass_unchanged() -> None:
    assert loads(b'{"amount": 1.5e30, "id": 9223372036854775807, "name": "\\u4e2d"}') == {
        "amount": 1.5e30, "id": 2**63 - 1, "name": "中"}
