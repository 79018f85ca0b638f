"""The on-disk store, compiled artifacts, and release diffs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from background_db.compile import compile_release
from background_db.diff import diff_releases
from background_db.errors import StoreError
from background_db.release import compose
from background_db.store import BackgroundStore
from lca_engine import Method
from lca_engine.characterization import HEADLINE
from lca_engine.intensity import table_key

from .builders import national, shanxi, with_activity


class TestStore:
    def test_datasets_and_releases_round_trip(self, tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        store.put_dataset(national())
        assert store.get_dataset("national") == national()
        release = compose("sx", "1.0.0", national(), [shanxi()])
        store.put_release(release)
        assert store.get_release("sx@1.0.0").content_hash == release.content_hash
        assert store.get_release("sx").content_hash == release.content_hash
        assert store.get_release(release.content_hash[:10]).label == "sx@1.0.0"
        assert store.releases() == [("sx", "1.0.0", release.content_hash)]

    def test_a_release_version_is_never_overwritten_with_other_content(self,
                                                                       tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        store.put_release(compose("sx", "1.0.0", national(), [shanxi()]))
        store.put_release(compose("sx", "1.0.0", national(), [shanxi()]))  # same: fine
        with pytest.raises(StoreError, match="releases never change"):
            store.put_release(compose("sx", "1.0.0", national(), [shanxi(0.8)]))

    def test_a_dataset_version_is_never_overwritten_with_other_content(self,
                                                                       tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        store.put_dataset(national())
        with pytest.raises(StoreError, match="new version"):
            store.put_dataset(with_activity(national(), "ore", amount=2.0))

    def test_a_file_edited_on_disk_is_refused(self, tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        path = store.put_release(compose("sx", "1.0.0", national()))
        document = json.loads(gzip.decompress(path.read_bytes()))
        document["activities"][0][9][0][1] = 9.9  # an input amount
        path.write_bytes(gzip.compress(json.dumps(document).encode()))
        with pytest.raises(StoreError, match="does not match its content"):
            store.get_release("sx@1.0.0")

    def test_unsafe_names_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(StoreError, match="may use only"):
            BackgroundStore(tmp_path).get_release("../etc@1.0.0")

    def test_the_latest_version_is_chosen_numerically(self, tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        for version in ("1.9.0", "1.10.0"):
            store.put_release(compose("sx", version, national()))
        assert store.get_release("sx").version == "1.10.0"


class TestArtifacts:
    def test_the_table_is_stored_and_loaded_bit_for_bit(self, tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        release = compose("sx", "1.0.0", national(), [shanxi()])
        compiled = compile_release(release, Method("AR5"), store=store)
        key = table_key(compiled.system.content_hash, Method("AR5"))
        loaded = store.load_table(key)
        assert loaded is not None
        assert loaded.values.tobytes() == compiled.table.values.tobytes()
        assert loaded.key == compiled.table.key

    def test_a_corrupted_artifact_is_refused(self, tmp_path: Path) -> None:
        store = BackgroundStore(tmp_path)
        compiled = compile_release(compose("sx", "1.0.0", national()), store=store)
        path = tmp_path / "artifacts" / f"{compiled.table.key}.npz"
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
        with pytest.raises(StoreError, match="sha256"):
            store.load_table(compiled.table.key)


class TestDiff:
    def test_lists_added_removed_and_changed_activities(self) -> None:
        old = compose("r", "1.0.0", national())
        new = compose("r", "1.1.0", national(), [shanxi()])
        result = diff_releases(old, new)
        assert result.added == ("alu-sx",)
        assert result.removed == ()
        assert [c.activity for c in result.changed] == ["grid"]
        assert {"inputs", "emissions", "geography"} <= set(result.changed[0].fields)
        moved = {m.activity for m in result.intensity_changes}
        assert moved == {"grid", "coal", "steel", "cement"}

    def test_the_effect_of_one_change_alone_equals_recomputing_with_it_alone(self) -> None:
        old = compose("r", "1.0.0", national())
        # two changes at once: the grid's CO2 and the cement's coal use
        both = with_activity(with_activity(national(), "grid", emissions=(
            national().activities[0].emissions[0].__class__("co2", 0.6, "kg"),)),
            "cement", inputs=(national().activities[3].inputs[0].__class__(
                "coal", 0.2, "kg", "coal"),))
        result = diff_releases(old, compose("r", "2.0.0", both))
        grid_only = with_activity(national(), "grid", emissions=(
            national().activities[0].emissions[0].__class__("co2", 0.6, "kg"),))
        table_old = compile_release(old).table
        table_grid = compile_release(compose("r", "1.0.1", grid_only)).table
        k = table_old.categories.index(HEADLINE)
        effect = dict(next(c for c in result.changed if c.activity == "grid").effects)
        for activity_id in ("grid", "coal", "steel", "cement"):
            j = table_old.index_of(activity_id)
            expected = float(table_grid.values[k, j] - table_old.values[k, j])
            assert effect[activity_id] == pytest.approx(expected, rel=1e-9)
        assert "ore" not in effect
