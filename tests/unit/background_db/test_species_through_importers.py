"""Every species of the table, recognised through every importer: one file per format holds,
for each species, an activity emitting 1 kg of it to air under its CAS number (and a name no
table knows), one under its main database name and one under a synonym. Each activity's
intensity must be exactly 1 kg x the species' AR6 GWP100 (methane of fossil origin: Table
7.15's 29.8, which the engine uses instead of Table 7.SM.7's 27.9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest

from background_db.compile import compile_release
from background_db.ghg import normal_name
from background_db.importers import import_file
from background_db.release import compose
from lca_engine.characterization import HEADLINE, ORIGIN_SPECIFIC
from lca_engine.species import Species, species_table

from .format_builders import BUILDERS, Exchange, uid

SPECIES = species_table().species


class Case(NamedTuple):
    species: str
    variant: str  # cas | main | synonym
    exchange: Exchange


def synonym(species: Species) -> str | None:
    """The species' last name that folds differently from its main one."""
    main = normal_name(species.names[0])
    return next((n for n in reversed(species.names) if normal_name(n) != main), None)


def cases() -> Iterator[Case]:
    for n, species in enumerate(SPECIES):
        names = {"main": species.names[0], "synonym": synonym(species)}
        if species.cas:
            yield Case(species.key, "cas", Exchange(uid(species.key, "cas"), f"substance {n}",
                                                    species.cas[0]))
        for variant, name in names.items():
            if name is not None:
                yield Case(species.key, variant, Exchange(uid(species.key, variant), name))


CASES = tuple(cases())


def expected_gwp(species: Species) -> float:
    if species.key == "CH4":  # methane by origin: the names say fossil or nothing
        return ORIGIN_SPECIFIC[("AR6", "CH4", "fossil")].value
    value = species.gwp100("AR6")
    assert value is not None
    return value.value


class Imported(NamedTuple):
    gas: dict[str, str | None]  # our activity id -> gas of its one elementary flow
    intensity: dict[str, float]  # our activity id -> pcf excluding uptake, kg CO2e per kg


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             ) -> tuple[str, Imported]:
    fmt = request.param
    build, name = BUILDERS[fmt]
    path = build(tmp_path_factory.mktemp(fmt) / name, [c.exchange for c in CASES])
    dataset = import_file(path)
    flows = {f.id: f for f in dataset.flows}
    ours = {c.exchange.activity for c in CASES}
    owner = {a.id: next(o for o in (a.id, a.id.rsplit("_", 1)[0]) if o in ours)
             for a in dataset.activities}  # EcoSpold2 appends the product id
    gas = {owner[a.id]: flows[a.emissions[0].flow].gas for a in dataset.activities}
    table = compile_release(compose("species", "1.0.0", dataset)).table
    headline = table.categories.index(HEADLINE)
    intensity = {owner[a]: float(table.values[headline, j])
                 for j, a in enumerate(table.activity_ids)}
    return fmt, Imported(gas, intensity)


def test_every_case_has_its_activity() -> None:
    assert len(SPECIES) == 243
    assert len({c.exchange.activity for c in CASES}) == len(CASES)
    assert sum(1 for c in CASES if c.variant == "cas") == 242  # one species has no CAS


@pytest.mark.parametrize("species", SPECIES, ids=[s.key for s in SPECIES])
def test_each_species_is_recognised_and_costs_its_ar6_gwp(
        imported: tuple[str, Imported], species: Species) -> None:
    fmt, result = imported
    gwp = expected_gwp(species)
    mine = [c for c in CASES if c.species == species.key]
    assert mine
    for case in mine:
        activity = case.exchange.activity
        assert (case.variant, result.gas[activity]) == (case.variant, species.key), fmt
        assert (case.variant, result.intensity[activity]) == (case.variant, 1.0 * gwp), fmt
