"""`pcf footprint` on the shipped example and on broken inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from lca_engine import (
    background_from_document,
    build_matrices,
    compute_footprint,
    compute_intensity_table,
    product_model_from_document,
)
from lca_engine.hashing import decimal_string
from portal.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MODEL = EXAMPLES / "steel-bracket.yaml"


def expected_result():  # type: ignore[no-untyped-def]
    load = lambda p: yaml.safe_load(p.read_text(encoding="utf-8"))  # noqa: E731
    system = build_matrices(background_from_document(load(EXAMPLES / "background-demo.yaml")))
    model = product_model_from_document(load(MODEL))
    return compute_footprint(model, system, compute_intensity_table(system))


class TestFootprintCommand:
    def test_prints_a_table_with_the_engines_total(self) -> None:
        result = CliRunner().invoke(main, ["footprint", str(MODEL)])
        assert result.exit_code == 0, result.output
        total = expected_result().total()
        assert "Galvanised steel bracket GS-40" in result.output
        assert f"{'pcf_excluding_biogenic_uptake':<36} {total:>14,.4f}" in result.output
        assert "Result hash:" in result.output
        assert "Supply chain" in result.output

    def test_json_output_carries_decimal_strings_and_the_same_hash(self) -> None:
        result = CliRunner().invoke(main, ["footprint", str(MODEL), "--json"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        expected = expected_result()
        assert document["totals"]["pcf_excluding_biogenic_uptake"] == decimal_string(
            expected.total())
        assert document == expected.to_dict()

    def test_ar5_changes_the_method_on_the_result(self) -> None:
        result = CliRunner().invoke(main, ["footprint", str(MODEL), "--json", "--gwp", "AR5"])
        assert json.loads(result.output)["provenance"]["gwp_set"] == "AR5"

    def test_a_model_error_exits_2_with_one_clear_line(self, tmp_path: Path) -> None:
        document = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
        document["processes"][0]["inputs"][0]["unit"] = "kWh"  # coil measured in energy
        broken = tmp_path / "broken.yaml"
        broken.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        result = CliRunner().invoke(main, ["footprint", str(broken), "--background",
                                           str(EXAMPLES / "background-demo.yaml")])
        assert result.exit_code == 2
        assert "process 'slitting'" in result.output
        assert "'kWh' to 'kg'" in result.output
        assert "Traceback" not in result.output

    @pytest.mark.parametrize("suffix", [".yaml", ".json"])
    def test_a_misspelt_key_exits_2_naming_its_place_and_the_key_meant(
            self, tmp_path: Path, suffix: str) -> None:
        document = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
        galvanising = document["processes"][1]
        galvanising["emisions"] = galvanising.pop("emissions")  # once a footprint of 0
        model = tmp_path / f"model{suffix}"
        model.write_text(json.dumps(document) if suffix == ".json" else yaml.safe_dump(
            document, allow_unicode=True), encoding="utf-8")
        result = CliRunner().invoke(main, ["footprint", str(model), "--background",
                                           str(EXAMPLES / "background-demo.yaml")])
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"Error: {model}: unknown key 'emisions' at processes[1]; did you mean "
            "'emissions'?"]
        assert result.stdout == ""

    @pytest.mark.parametrize(("mutate", "where"), [
        (lambda d: d["product"].__setitem__("referense_process", "forming"),
         "product; did you mean 'reference_process'?"),
        (lambda d: d["processes"][0]["inputs"][0]["from"].__setitem__(
            "backgroud", d["processes"][0]["inputs"][0]["from"].pop("background")),
         "processes[0].inputs[0].from; did you mean 'background'?"),
        (lambda d: d["suppliers"][0].__setitem__("primary_data_shares", 60),
         "suppliers[0]; did you mean 'primary_data_share'?"),
        (lambda d: d.__setitem__("supliers", d.pop("suppliers")),
         "the top level; did you mean 'suppliers'?"),
    ])
    def test_misspelt_keys_at_other_depths(self, tmp_path: Path, mutate: Any,
                                           where: str) -> None:
        document = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
        mutate(document)
        model = tmp_path / "model.yaml"
        model.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        result = CliRunner().invoke(main, ["footprint", str(model), "--background",
                                           str(EXAMPLES / "background-demo.yaml")])
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {model}: unknown key '")
        assert line.endswith(f"' at {where}")

    def test_a_misspelt_key_in_the_background_exits_2(self, tmp_path: Path) -> None:
        background = yaml.safe_load((EXAMPLES / "background-demo.yaml").read_text("utf-8"))
        background["activities"][0]["emissions"][0]["ammount"] = 0.7
        path = tmp_path / "background.json"
        path.write_text(json.dumps(background), encoding="utf-8")
        result = CliRunner().invoke(main, ["footprint", str(MODEL), "--background", str(path)])
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"Error: {path}: unknown key 'ammount' at activities[0].emissions[0]; did you "
            "mean 'amount'?"]

    def test_a_yaml_syntax_error_names_file_and_line(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.yaml"
        bad.write_text("product:\n  id: [unclosed\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["footprint", str(bad)])
        assert result.exit_code == 1
        assert "bad.yaml: line" in result.output

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(main, ["footprint", str(tmp_path / "none.yaml")])
        assert result.exit_code == 1
        assert "none.yaml: cannot read" in result.output
