"""Parsing untrusted JSON bodies with limits: nesting depth, integers that fit a 64-bit
column, finite numbers only. A refusal names the JSON path of the value (`$.processes[3]`),
so a client knows what to fix; the parse itself stays the C parser's."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
MAX_INT = 2**63 - 1


class JsonRefusedError(ValueError):
    """A well-formed JSON text that breaks a limit; *path* locates the value."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class _Refused:
    """Stands in for a number the parse hooks refused, until the walk finds its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _int(text: str) -> int | _Refused:
    digits = text.lstrip("-")
    if len(digits) > 19 or abs(int(text)) > MAX_INT:
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(digits)} digits)"
        return _Refused(f"the integer {shown} is out of range (at most {MAX_INT}); write "
                        f"large amounts with an exponent, e.g. 1.5e30")
    return int(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"the number {text[:24]} is too large to represent")
    return value


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON number")


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse *data*; raises json.JSONDecodeError when malformed, JsonRefusedError past a limit."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"not UTF-8: {exc.reason}", "<bytes>", 0) from None
    try:
        value = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise JsonRefusedError(_deep_path(data, max_depth),
                          f"nested deeper than {max_depth} levels") from None
    _check(value, max_depth)
    return value


def _check(value: Any, max_depth: int) -> None:
    """Walk without recursion; raise at the first refused number or too-deep value."""
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, _Refused):
            raise JsonRefusedError(path, item.reason)
        if isinstance(item, str) and "\x00" in item:
            raise JsonRefusedError(path, "a NUL character is not accepted in text")
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise JsonRefusedError(path, f"nested deeper than {max_depth} levels")
            if isinstance(item, dict) and any("\x00" in k for k in item):
                raise JsonRefusedError(path, "a NUL character is not accepted in a key")
            children = (((f"{path}.{k}" if k.isidentifier() else f"{path}[{json.dumps(k)}]"), v)
                        for k, v in item.items()) if isinstance(item, dict) else (
                (f"{path}[{i}]", v) for i, v in enumerate(item))
            stack.extend((child, child_path, depth + 1) for child_path, child in children)


def _deep_path(text: str, max_depth: int) -> str:
    """The path of the value first nested past *max_depth* (only after the parser gave up)."""
    path: list[str] = []
    index: list[int] = []
    in_string, escaped, key, start = False, False, "", 0
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                key = text[start:position]
            continue
        if char == '"':
            in_string, start = True, position + 1
        elif char in "[{":
            if path and index[-1] >= 0:
                path[-1] = f"[{index[-1]}]"
            if len(path) >= max_depth:
                break
            path.append("")
            index.append(0 if char == "[" else -1)
        elif char in "]}" and path:
            path.pop()
            index.pop()
        elif char == ":" and path:
            path[-1] = f".{key}" if key.isidentifier() else f"[{json.dumps(key)}]"
        elif char == "," and path and index[-1] >= 0:
            index[-1] += 1
    return "$" + "".join(path)
