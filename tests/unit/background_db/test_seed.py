"""The shipped seed data: published numbers copied faithfully, and a release that composes."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest

from background_db.compile import compile_release
from background_db.importers.template import import_template
from background_db.records import Dataset, DatasetRole
from background_db.release import compose
from lca_engine import Category

SEED = Path(str(resources.files("background_db") / "seed"))
EXCL = Category.PCF_EXCLUDING_BIOGENIC_UPTAKE


def national() -> Dataset:
    return import_template(SEED / "national-base.csv", name="cn-national", version="1.0.0")


def extension() -> Dataset:
    return import_template(SEED / "shanxi-demo-extension.csv", role=DatasetRole.EXTENSION,
                           name="shanxi-demo-ext", version="0.1.0")


class TestNationalBase:
    def test_grid_factors_equal_the_published_table(self, reference_fixtures: Path) -> None:
        table = reference_fixtures.parent / "factors" / "china_grid_co2_factors.csv"
        with table.open(encoding="utf-8") as stream:
            published = list(csv.DictReader(stream))
        by_source = {(a.period_start[:4], a.name): a for a in national().activities
                     if a.id.startswith("elec-grid-")}
        assert len(by_source) == len(published)
        for row in published:
            match = [a for (year, name), a in by_source.items()
                     if year == row["year"] and f"{row['region']} ({row['scope']})" in name
                     and a.provenance.source == row["issuer_document"]
                     and row["factor_type"] in a.provenance.note]
            assert len(match) == 1, row
            assert match[0].emissions[0].amount == float(row["factor_kgco2_per_kwh"])

    def test_every_number_cites_its_source(self) -> None:
        for activity in national().activities + extension().activities:
            assert activity.provenance.source, activity.id
            assert activity.provenance.publisher, activity.id

    def test_ipcc_natural_gas_combustion_defaults(self) -> None:
        gas = next(a for a in national().activities if a.id == "combustion-natural-gas")
        amounts = {e.flow.split("|")[0]: e.amount for e in gas.emissions}
        assert amounts == pytest.approx({"Carbon dioxide, fossil": 0.0561, "Methane, fossil": 1e-06,
                                         "Dinitrogen monoxide": 1e-07}, rel=1e-12)

    def test_assumptions_are_labelled_illustrative(self) -> None:
        for activity in extension().activities:
            if "MEE/NBS" not in activity.provenance.source:
                assert "illustrative" in activity.provenance.note, activity.id


class TestDemoRelease:
    def test_the_shanxi_grid_replaces_the_national_default(self) -> None:
        release = compose("shanxi-demo", "1.0.0", national(), [extension()])
        table = compile_release(release).table
        assert table.column("electricity-grid-cn")[EXCL] == pytest.approx(0.7096)
        national_only = compile_release(compose("cn", "1.0.0", national())).table
        assert national_only.column("electricity-grid-cn")[EXCL] == pytest.approx(0.5306)

    def test_aluminium_counts_its_pfc_emissions(self) -> None:
        release = compose("shanxi-demo", "1.0.0", national(), [extension()])
        by_gas = compile_release(release).table
        groups = {g.gas: i for i, g in enumerate(by_gas.gas_groups)}
        j = by_gas.index_of("aluminium-primary-shanxi")
        cf4 = float(by_gas.gas_values[groups["CF4"], j])
        assert cf4 == pytest.approx(0.00004 * 7380.0)  # AR6 GWP100 of CF4
