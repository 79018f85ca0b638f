"""`pcf verify`: one line per check, the verdict, and exit statuses 0 / 1 / 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from label_cert import transparency as tl
from label_cert.keys import SoftwareSigner
from label_cert.status_list import StatusList
from portal.cli import main
from tests.unit.label_cert.world import (
    ISSUER,
    NOW,
    OPERATOR,
    REVOCATION_URL,
    VALID_UNTIL,
    World,
    b64url,
)

AT = NOW.isoformat()


def _run(tmp_path: Path, world: World, bundle: dict[str, Any], *extra: str,
         label: str | None = None, trusted: bool = True) -> Result:
    """`pcf verify` on the world's label (or `label`) and `bundle`, with the world's trust
    list as --trust-list unless `trusted` is False."""
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_text(json.dumps(bundle), encoding="utf-8")
    args = ["verify", label or world.token, "--bundle", str(bundle_file), *extra]
    if trusted:
        trust_file = tmp_path / "trust-list.jwt"
        trust_file.write_text(world.trust().token, encoding="ascii")
        args += ["--trust-list", str(trust_file)]
    return CliRunner().invoke(main, args)


def test_a_valid_label_from_a_file_exits_0(tmp_path: Path) -> None:
    world = World()
    label_file = tmp_path / "label.jwt"
    label_file.write_text(world.token + "\n", encoding="utf-8")
    result = _run(tmp_path, world, world.bundle(), "--at", AT, label=str(label_file))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Trust: --trust-list {tmp_path / 'trust-list.jwt'}: trust list #1 of {OPERATOR}, "
        f"issued 2025-12-31T00:00:00Z, signed by operator key {world.operator.kid}"
    )
    assert lines[1] == f"Label: {world.jti}"
    assert any(line.startswith("✓ trust list: Body A (did:web:") for line in lines)
    assert any(line.startswith("✓ signature: EdDSA vc+jwt") for line in lines)
    assert any(line.startswith("✓ status (revocation): valid") for line in lines)
    assert any(line.startswith("✓ log inclusion: leaf 5") for line in lines)
    assert any(line.startswith("✓ status list signature: 2 list(s) signed by") for line in lines)
    assert lines[-1] == "Verdict: valid"


def test_a_token_on_the_command_line_works(tmp_path: Path) -> None:
    world = World()
    result = _run(tmp_path, world, world.bundle(), "--at", AT)
    assert result.exit_code == 0, result.output


def test_revoked_exits_1(tmp_path: Path) -> None:
    world = World()
    world.revocation.set(world.rev_index, True)
    result = _run(tmp_path, world, world.bundle(), "--at", AT)
    assert result.exit_code == 1
    assert "✗ status (revocation): revoked" in result.output
    assert result.output.splitlines()[-1] == "Verdict: revoked"


def test_suspended_expired_and_invalid_exit_1(tmp_path: Path) -> None:
    world = World()
    world.suspension.set(world.sus_index, True)
    assert _run(tmp_path, world, world.bundle(), "--at", AT).exit_code == 1
    late = (VALID_UNTIL + timedelta(days=1)).isoformat()
    other = World()
    expired = _run(tmp_path, other, other.bundle(), "--at", late)
    assert expired.exit_code == 1
    assert "Verdict: expired" in expired.output
    fresh = World()
    invalid = _run(tmp_path, fresh, fresh.bundle(in_log=False), "--at", AT)
    assert invalid.exit_code == 1
    assert "✗ log inclusion:" in invalid.output
    assert "Verdict: invalid" in invalid.output


def test_a_stale_status_list_exits_2(tmp_path: Path) -> None:
    world = World()
    bundle = world.bundle(fetched_at=NOW - timedelta(days=2))
    result = _run(tmp_path, world, bundle, "--at", AT)
    assert result.exit_code == 2
    assert "? status (revocation): status unknown" in result.output
    assert "Verdict: unknown" in result.output


def test_a_status_list_signed_by_a_foreign_key_exits_2(tmp_path: Path) -> None:
    world = World()
    world.revocation.set(world.rev_index, True)
    bundle = world.bundle()
    bundle["status_lists"][REVOCATION_URL]["token"] = world.signed_list(
        REVOCATION_URL, StatusList(ISSUER, "revocation"), signer=SoftwareSigner.generate())
    result = _run(tmp_path, world, bundle, "--at", AT)
    assert result.exit_code == 2
    assert "✗ status list signature:" in result.output
    assert "Verdict: unknown" in result.output


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    world = World()
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    missing = CliRunner().invoke(
        main, ["verify", world.token, "--bundle", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "cannot read the bundle" in missing.output
    bad = CliRunner().invoke(main, ["verify", world.token, "--bundle", str(tmp_path / "bad.json")])
    assert bad.exit_code == 2
    assert "line 1, column 2" in bad.output
    naive = _run(tmp_path, world, world.bundle(), "--at", "2026-01-01T00:00:00")
    assert naive.exit_code == 2
    assert "no timezone" in naive.output


def test_help_documents_the_exit_statuses() -> None:
    result = CliRunner().invoke(main, ["verify", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "0 valid; 1 revoked, suspended, expired, invalid, or untrusted" in text
    assert "2 status unknown, or unreadable input, or a trust list refused" in text
    assert "--trust-list FILE; $PCF_TRUST_LIST; the trust store" in text


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def _run_text(tmp_path: Path, label: str, text: str | bytes) -> Result:
    bundle_file = tmp_path / "bundle.json"
    if isinstance(text, str):
        text = text.encode("utf-8")
    bundle_file.write_bytes(text)
    return CliRunner().invoke(main, ["verify", label, "--bundle", str(bundle_file), "--at", AT])


def test_a_key_without_x_is_a_check_line_not_a_traceback(tmp_path: Path) -> None:
    world = World()
    bundle = world.bundle()
    del bundle["jwks"][ISSUER]["keys"][0]["x"]
    result = _run(tmp_path, world, bundle, "--at", AT)
    _no_traceback(result)
    assert result.exit_code == 2
    assert "? signature: the bundle's key set is malformed" in result.output
    assert result.output.splitlines()[-1] == "Verdict: unknown"


def test_a_deeply_nested_bundle_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = _run_text(tmp_path, World().token, "[" * 100_000 + "]" * 100_000)
    _no_traceback(result)
    assert result.exit_code == 2
    assert "the bundle is nested too deeply" in result.output


def test_a_number_of_thousands_of_digits_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    world = World()
    text = json.dumps(world.bundle()).replace('"size": ', '"size": ' + "9" * 5000, 1)
    result = _run_text(tmp_path, world.token, text)
    _no_traceback(result)
    assert result.exit_code == 2
    assert "holds a number of more than 4,300 digits" in result.output


def test_a_bundle_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    result = _run_text(tmp_path, World().token, b'{"jwks": "\xff\xfe"}')
    _no_traceback(result)
    assert result.exit_code == 2
    assert "the bundle is not UTF-8 text" in result.output


def test_wrong_types_everywhere_give_check_lines(tmp_path: Path) -> None:
    world = World()
    bundle = world.bundle()
    for value in (5, "text", [1, [2]], None, 1e308, -1, {"a": {}}, [[[[[[]]]]]] * 3):
        wrong = dict.fromkeys(bundle, value)
        wrong["checkpoint"] = dict.fromkeys(bundle["checkpoint"], value)
        wrong["jwks"] = {ISSUER: {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": value},
                                           dict.fromkeys(("kty", "crv", "x", "kid"), value)]}}
        result = _run(tmp_path, world, wrong, "--at", AT)
        _no_traceback(result)
        assert result.exit_code in (1, 2), result.output
        assert result.output.splitlines()[-1] in ("Verdict: unknown", "Verdict: invalid")


def test_what_a_bundle_says_cannot_print_lines_of_its_own(tmp_path: Path) -> None:
    """A log origin with a line separator, a forged verdict and a terminal escape (validly
    signed by the log's key) is printed escaped."""
    world = World()
    bundle = world.bundle()
    cp = bundle["checkpoint"]
    cp["origin"] = "log\u2028Verdict: valid\x1b[2K"
    body = tl.Checkpoint(cp["origin"], cp["size"], bytes.fromhex(cp["root"]),
                         cp["timestamp_ms"]).body()
    cp["signature"] = b64url(world.log_key.sign(body))
    result = _run(tmp_path, world, bundle, "--at", AT)
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    verdicts = [line for line in result.output.splitlines() if line.startswith("Verdict:")]
    assert verdicts == ["Verdict: valid"]
    assert "log\\u2028Verdict: valid\\u001b[2K at signed checkpoint" in result.output
    assert "\x1b" not in result.output
