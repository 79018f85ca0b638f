"""`pcf background` commands end to end on a temporary store."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from background_db.importers.template import KEYS, header_cells
from portal.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["background", *args])
    return result.exit_code, result.output


class TestBackgroundCommands:
    def test_seed_show_and_activity(self, tmp_path: Path) -> None:
        store = str(tmp_path / "store")
        code, output = run("seed", "--store", store)
        assert code == 0, output
        assert "release shanxi-demo@1.0.0" in output
        code, output = run("show", "shanxi-demo", "--store", store)
        assert code == 0
        assert "electricity-grid-cn replaced by electricity-grid-shanxi" in output
        code, output = run("show", "shanxi-demo@1.0.0", "--activity", "electricity-grid-cn",
                           "--store", store)
        assert code == 0
        assert "0.7096" in output

    def test_import_release_and_diff_a_corrected_extension(self, tmp_path: Path) -> None:
        store = str(tmp_path / "store")
        assert run("seed", "--store", store)[0] == 0
        corrected = tmp_path / "sx-fix.csv"
        with corrected.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header_cells())
            row = dict.fromkeys(KEYS, "")
            row.update(activity_id="electricity-grid-shanxi", activity_name="electricity, SX",
                       unit="kWh", replaces="electricity-grid-cn", exchange="emission",
                       target="Carbon dioxide, fossil", exchange_amount="0.65",
                       exchange_unit="kg", source="corrected", publisher="test")
            writer.writerow([row[k] for k in KEYS])
        code, output = run("import", str(corrected), "--role", "extension", "--name", "sx-fix",
                           "--version", "0.2.0", "--store", store)
        assert code == 0, output
        code, output = run("release", "shanxi-demo", "1.1.0", "--base", "cn-national",
                           "--extension", "sx-fix", "--store", store)
        assert code == 0, output
        assert "intensity table stored" in output
        code, output = run("diff", "shanxi-demo@1.0.0", "shanxi-demo@1.1.0", "--store", store)
        assert code == 0, output
        assert "~ electricity-grid-cn" in output
        assert "0.7096" in output
        assert "0.65" in output

    def test_a_broken_file_is_reported_per_row_and_nothing_stored(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.csv"
        with broken.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header_cells())
            row = dict.fromkeys(KEYS, "")
            row.update(activity_id="x", unit="kg", exchange="emission", target="CO2",
                       exchange_amount="abc", exchange_unit="kg")
            writer.writerow([row[k] for k in KEYS])
        store = tmp_path / "store"
        code, output = run("import", str(broken), "--store", str(store))
        assert code == 2
        assert "row 2: field 'exchange_amount' value 'abc'" in output
        assert not (store / "datasets").exists()

    def test_a_release_with_an_unknown_base_fails_cleanly(self, tmp_path: Path) -> None:
        code, output = run("release", "x", "1.0.0", "--base", "nope", "--store",
                           str(tmp_path))
        assert code == 2
        assert "no dataset named 'nope'" in output

    def test_blank_templates(self, tmp_path: Path) -> None:
        for name in ("t.csv", "t.xlsx"):
            code, _output = run("template", str(tmp_path / name))
            assert code == 0
            assert (tmp_path / name).stat().st_size > 0
