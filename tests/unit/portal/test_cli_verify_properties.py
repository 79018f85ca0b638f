"""`pcf verify` on any mutation of a valid bundle file exits 0, 1 or 2 and never prints a
traceback: wrong types, deleted members, deep nesting, integers of thousands of digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from portal.cli import main
from tests.unit.label_cert.mutations import JSON_VALUES, json_text, mutated
from tests.unit.label_cert.world import NOW, World

WORLD = World()
BUNDLE = {**WORLD.bundle(), "trust_list": WORLD.trust(sequence=2).token}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trust list file, and the bundle file each example overwrites."""
    path = tmp_path_factory.mktemp("verify-properties")
    (path / "trust-list.jwt").write_text(WORLD.trust().token, encoding="ascii")
    return path


def _verify(folder: Path, text: str) -> tuple[int, str, BaseException | None]:
    bundle_file = folder / "bundle.json"
    bundle_file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [
        "verify", WORLD.token, "--bundle", str(bundle_file), "--at", NOW.isoformat(),
        "--trust-list", str(folder / "trust-list.jwt")])
    return result.exit_code, result.output, result.exception


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(BUNDLE, JSON_VALUES))
def test_a_mutated_bundle_exits_0_1_or_2_without_a_traceback(
    folder: Path, bundle: dict[str, Any]
) -> None:
    code, output, exception = _verify(folder, json_text(bundle))
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert "Traceback" not in output
    assert code in (0, 1, 2)
    last = output.splitlines()[-1]
    assert last.startswith(("Verdict: ", "Error: ")), output


def test_the_unmutated_bundle_is_valid(folder: Path) -> None:
    code, output, _ = _verify(folder, json_text(BUNDLE))
    assert code == 0, output
