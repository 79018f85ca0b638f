"""Every importer refuses a flow whose name or compartment says the opposite of its exchange's
direction (CO2 taken up from the air written as an emission, an emitted gas written as a
resource), naming file, location, field and value; and takes CO2 from the air as an uptake
of -1."""

from __future__ import annotations

from pathlib import Path

import pytest

from background_db.compile import compile_release
from background_db.errors import DatasetImportError, ImportIssue
from background_db.importers import import_file
from background_db.release import compose
from lca_engine.characterization import Category
from lca_engine.model import FlowKind, Origin

from .format_builders import BUILDERS, Exchange, uid

#: format -> (field naming the direction, its value for an emission, for a resource)
DIRECTION_FIELDS = {
    "template-csv": ("exchange", "emission", "resource"),
    "template-xlsx": ("exchange", "emission", "resource"),
    "jsonld": ("isInput", "False", "True"),
    "ecospold1": ("outputGroup", "4", "4"),
    "ecospold2": ("outputGroup", "4", "4"),
    "ilcd": ("exchangeDirection", "Output", "Input"),
    "simapro": ("section", "Emissions to air", "Resources"),
}
RESOURCE_FIELD = {"ecospold1": "inputGroup", "ecospold2": "inputGroup"}
ACTIVITY = uid("direction test")


def build(tmp_path: Path, fmt: str, exchange: Exchange) -> Path:
    builder, name = BUILDERS[fmt]
    return builder(tmp_path / name, [exchange])


def refusal(path: Path) -> ImportIssue:
    with pytest.raises(DatasetImportError) as caught:
        import_file(path)
    (issue,) = caught.value.issues
    return issue


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
class TestEveryImporter:
    @pytest.mark.parametrize("name", ["Carbon dioxide, in air", "Carbon dioxide, from air"])
    def test_refuses_co2_from_the_air_written_as_an_emission(self, tmp_path: Path, fmt: str,
                                                            name: str) -> None:
        issue = refusal(build(tmp_path, fmt, Exchange(ACTIVITY, name, "124-38-9")))
        field, emission, _resource = DIRECTION_FIELDS[fmt]
        assert (issue.field, issue.value) == (field, emission)
        assert BUILDERS[fmt][1] in issue.file  # the file, or the folder member at fault
        assert issue.location  # the row, process or exchange
        assert name in issue.message
        assert "taken up from the air" in issue.message

    @pytest.mark.parametrize(("name", "cas"), [("Methane, fossil", ""),
                                               ("Sulfur hexafluoride", "2551-62-4"),
                                               ("Carbon dioxide, fossil", "124-38-9")])
    def test_refuses_an_emitted_gas_written_as_a_resource(self, tmp_path: Path, fmt: str,
                                                         name: str, cas: str) -> None:
        issue = refusal(build(tmp_path, fmt, Exchange(ACTIVITY, name, cas, from_nature=True)))
        field, _emission, resource = DIRECTION_FIELDS[fmt]
        assert (issue.field, issue.value) == (RESOURCE_FIELD.get(fmt, field), resource)
        assert name in issue.message
        assert "emitted to air" in issue.message

    def test_takes_co2_from_the_air_as_a_resource_as_an_uptake_of_minus_one(
            self, tmp_path: Path, fmt: str) -> None:
        dataset = import_file(build(tmp_path, fmt, Exchange(
            ACTIVITY, "Carbon dioxide, in air", "124-38-9", 2.0, from_nature=True)))
        (flow,) = [f for f in dataset.flows if f.gas]
        assert (flow.gas, flow.origin, flow.kind) == ("CO2", Origin.BIOGENIC, FlowKind.UPTAKE)
        table = compile_release(compose("uptake", "1.0.0", dataset)).table
        (activity,) = table.activity_ids
        values = table.column(activity)
        assert values[Category.PCF_INCLUDING_BIOGENIC_UPTAKE] == -2.0  # 2 kg x -1
        assert values[Category.BIOGENIC_CO2_UPTAKE] == -2.0
        assert values[Category.PCF_EXCLUDING_BIOGENIC_UPTAKE] == 0.0
