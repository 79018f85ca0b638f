"""`pcf verify` and the trust list: the source it pins (--trust-list, $PCF_TRUST_LIST, the
trust store, the list shipped with pcf), "untrusted" for keys the list does not name, and
`--update-trust` (a first pin needs the anchor; an update needs an operator key; no
rollback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from label_cert.keys import SoftwareSigner
from label_cert.trust import SignedTrustList
from portal.cli import main
from portal.trust_sources import shipped_path
from tests.unit.label_cert.world import ISSUER, NOW, World, make_trust_list

AT = NOW.isoformat()
no_shipped_list = pytest.mark.skipif(
    shipped_path() is not None, reason="this installation ships a trust list")


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _verify(tmp_path: Path, world: World, *extra: str, env: dict[str, str] | None = None,
            bundle: dict[str, Any] | None = None) -> Result:
    bundle_file = _file(tmp_path, "bundle.json", json.dumps(bundle or world.bundle()))
    return CliRunner().invoke(
        main, ["verify", world.token, "--bundle", str(bundle_file), "--at", AT, *extra], env=env)


def _update(location: str | Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["verify", "--update-trust", str(location), *extra])


def _list_file(tmp_path: Path, signed: SignedTrustList, name: str = "list.jwt") -> Path:
    return _file(tmp_path, name, signed.token)


def _verdict(result: Result) -> str:
    return result.output.splitlines()[-1]


class TestUntrusted:
    def test_an_attackers_bundle_is_untrusted_and_exits_1(self, tmp_path: Path) -> None:
        real, attacker = World(), World()
        trust = _list_file(tmp_path, real.trust())
        result = _verify(tmp_path, attacker, "--trust-list", str(trust))
        assert result.exit_code == 1, result.output
        assert f"✗ trust list: the label's key {attacker.signer.kid} is not one of" in (
            result.output)
        assert _verdict(result) == "Verdict: untrusted"
        # the same label and bundle are valid under the list that names their keys
        own = _list_file(tmp_path, attacker.trust(), "attacker.jwt")
        assert _verify(tmp_path, attacker, "--trust-list", str(own)).exit_code == 0

    @no_shipped_list
    def test_with_no_trust_list_every_issuer_is_untrusted(self, tmp_path: Path) -> None:
        result = _verify(tmp_path, World())
        assert result.exit_code == 1, result.output
        first = result.output.splitlines()[0]
        assert first.startswith("Trust: none: no trust list is pinned, so no issuer is trusted")
        assert "pcf verify --update-trust https://HOST/trust-list.jwt --trust-anchor" in first
        assert "✗ trust list: no trust list" in result.output
        assert _verdict(result) == "Verdict: untrusted"

    def test_a_newer_list_in_the_bundle_is_named_never_used(self, tmp_path: Path) -> None:
        """The pinned list lacks the issuer; the bundle's newer list of the same operator
        names it. The verdict stays untrusted until the user pins the newer list."""
        world = World()
        pinned = make_trust_list(world.operator, (), world.log_key, sequence=1)
        bundle = world.bundle()
        bundle["trust_list"] = world.trust(sequence=2).token
        result = _verify(tmp_path, world, "--trust-list", str(_list_file(tmp_path, pinned)),
                         bundle=bundle)
        assert result.exit_code == 1, result.output
        assert "Note: the bundle carries trust list #2" in result.output
        assert f"issuer {ISSUER} is not in the trust list" in result.output


class TestSources:
    def test_the_option_comes_before_the_environment(self, tmp_path: Path) -> None:
        world = World()
        good = _list_file(tmp_path, world.trust())
        other = _list_file(tmp_path, World().trust(), "other.jwt")
        via_env = _verify(tmp_path, world, env={"PCF_TRUST_LIST": str(good)})
        assert via_env.exit_code == 0, via_env.output
        assert via_env.output.startswith(f"Trust: PCF_TRUST_LIST={good}: trust list #1")
        both = _verify(tmp_path, world, "--trust-list", str(other),
                       env={"PCF_TRUST_LIST": str(good)})
        assert both.exit_code == 1
        assert both.output.startswith(f"Trust: --trust-list {other}: trust list #1")

    def test_the_environment_comes_before_the_trust_store(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        world = World()
        own_trust_store.parent.mkdir(parents=True)
        own_trust_store.write_text(world.trust().token, encoding="ascii")
        stored = _verify(tmp_path, world)
        assert stored.exit_code == 0, stored.output
        assert stored.output.startswith(f"Trust: trust store {own_trust_store}: trust list #1")
        other = _list_file(tmp_path, World().trust(), "other.jwt")
        overridden = _verify(tmp_path, world, env={"PCF_TRUST_LIST": str(other)})
        assert overridden.exit_code == 1
        assert overridden.output.startswith(f"Trust: PCF_TRUST_LIST={other}")

    def test_a_named_source_that_fails_is_an_error_not_a_fallback(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        world = World()
        own_trust_store.parent.mkdir(parents=True)
        own_trust_store.write_text(world.trust().token, encoding="ascii")
        missing = _verify(tmp_path, world, env={"PCF_TRUST_LIST": str(tmp_path / "nope.jwt")})
        assert missing.exit_code == 2
        assert "Error: " in missing.output
        assert "nope.jwt: cannot read the trust list" in missing.output
        own_trust_store.write_text("not a trust list", encoding="ascii")
        broken = _verify(tmp_path, world)
        assert broken.exit_code == 2
        assert f"Error: trust store {own_trust_store}: a trust list is a compact JWS" in (
            broken.output)
        assert "Traceback" not in broken.output

    def test_an_anchor_on_verify_requires_that_signer(self, tmp_path: Path) -> None:
        world = World()
        trust = _list_file(tmp_path, world.trust())
        right = _verify(tmp_path, world, "--trust-list", str(trust),
                        "--trust-anchor", world.operator.kid)
        assert right.exit_code == 0, right.output
        wrong = _verify(tmp_path, world, "--trust-list", str(trust),
                        "--trust-anchor", SoftwareSigner.generate().kid)
        assert wrong.exit_code == 2
        assert "not a pinned operator key" in wrong.output


class TestUpdateTrust:
    def test_a_first_pin_without_an_anchor_is_refused(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        if shipped_path() is not None:
            pytest.skip("this installation ships a trust list: a first pin chains from it")
        result = _update(_list_file(tmp_path, World().trust()))
        assert result.exit_code == 2
        assert "no trust list is pinned yet" in result.output
        assert "--trust-anchor THUMBPRINT" in result.output
        assert not own_trust_store.exists()

    def test_a_first_pin_with_a_wrong_anchor_is_refused(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        """A network attacker's list under the attacker's own operator key."""
        real, attacker = World(), World()
        result = _update(_list_file(tmp_path, attacker.trust()),
                         "--trust-anchor", real.operator.kid)
        assert result.exit_code == 2
        assert "trust list refused" in result.output
        assert "not a pinned operator key" in result.output
        assert not own_trust_store.exists()

    def test_a_first_pin_with_the_anchor_is_stored_and_used(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        world = World()
        result = _update(_list_file(tmp_path, world.trust()), "--trust-anchor", world.operator.kid)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Trust: pinned trust list #1")
        assert f"(first pin); stored in {own_trust_store}" in result.output
        assert own_trust_store.read_text(encoding="ascii").strip() == world.trust().token
        verified = _verify(tmp_path, world)
        assert verified.exit_code == 0, verified.output
        assert verified.output.startswith(f"Trust: trust store {own_trust_store}")

    def test_an_update_signed_by_a_non_operator_key_is_refused(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        world = World()
        assert _update(_list_file(tmp_path, world.trust()),
                       "--trust-anchor", world.operator.kid).exit_code == 0
        attacker = World()
        forged = attacker.trust(sequence=9)
        result = _update(_list_file(tmp_path, forged, "forged.jwt"))
        assert result.exit_code == 2
        assert "not a pinned operator key" in result.output
        assert own_trust_store.read_text(encoding="ascii").strip() == world.trust().token

    def test_a_rollback_is_refused_and_a_newer_list_accepted(
        self, tmp_path: Path, own_trust_store: Path
    ) -> None:
        world = World()
        old, current, newer = (world.trust(sequence=n) for n in (1, 2, 3))
        assert _update(_list_file(tmp_path, current),
                       "--trust-anchor", world.operator.kid).exit_code == 0
        rollback = _update(_list_file(tmp_path, old, "old.jwt"))
        assert rollback.exit_code == 2
        assert "sequence 1, lower than the pinned 2" in rollback.output
        assert own_trust_store.read_text(encoding="ascii").strip() == current.token
        accepted = _update(_list_file(tmp_path, newer, "newer.jwt"))
        assert accepted.exit_code == 0, accepted.output
        assert "pinned trust list #3" in accepted.output
        assert "(replacing #2)" in accepted.output
        assert own_trust_store.read_text(encoding="ascii").strip() == newer.token

    def test_an_update_then_a_verification_in_one_command(self, tmp_path: Path) -> None:
        world = World()
        trust = _list_file(tmp_path, world.trust())
        result = _verify(tmp_path, world, "--update-trust", str(trust),
                         "--trust-anchor", world.operator.kid)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].startswith("Trust: pinned trust list #1")
        assert lines[1].startswith("Trust: trust store ")
        assert lines[-1] == "Verdict: valid"

    def test_a_garbage_update_is_an_error(self, tmp_path: Path) -> None:
        world = World()
        for text in ("", "x" * 100, "\u00e4.b.c", json.dumps({"keys": []})):
            result = _update(_file(tmp_path, "garbage.jwt", text),
                             "--trust-anchor", world.operator.kid)
            assert result.exit_code == 2, (text, result.output)
            assert result.output.startswith("Error: ")
        assert _update("ftp://example.org/list.jwt", "--trust-anchor", "x").exit_code == 2

    def test_nothing_to_do_is_a_usage_error(self) -> None:
        result = CliRunner().invoke(main, ["verify"])
        assert result.exit_code == 2
        assert "give LABEL_FILE_OR_TOKEN and --bundle FILE, or --update-trust" in result.output
