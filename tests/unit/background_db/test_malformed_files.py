"""What fuzzing the importers found (test_fuzz_importers.py), each kept as a case: a file
that used to end in a traceback (LookupError, OverflowError, ValueError, csv.Error,
ZeroDivisionError) is now a DatasetImportError naming file, location,
field and value."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from background_db.errors import DatasetImportError, ImportIssue
from background_db.importers.ecospold import import_ecospold1, import_ecospold2
from background_db.importers.olca_jsonld import import_olca_jsonld
from background_db.importers.simapro import import_simapro_csv
from background_db.importers.template import KEYS, header_cells, import_template


def issues(call: object) -> list[tuple[str, str, str, str]]:
    """(location, field, value, message) of every issue the import raises."""
    with pytest.raises(DatasetImportError) as caught:
        call()  # type: ignore[operator]
    return [(i.location, i.field, i.value, i.message) for i in caught.value.issues]


def only(call: object) -> ImportIssue:
    with pytest.raises(DatasetImportError) as caught:
        call()  # type: ignore[operator]
    (issue,) = caught.value.issues
    return issue


class TestXmlEncodings:
    def test_an_encoding_python_has_no_codec_for_is_named(self, reference_fixtures: Path,
                                                          tmp_path: Path) -> None:
        text = (reference_fixtures / "ecospold1" / "olca-modules" / "example.xml").read_bytes()
        path = tmp_path / "process.xml"
        path.write_bytes(text.replace(b"encoding='UTF-8'", b"encoding='UTF-1e309'", 1))
        issue = only(lambda: import_ecospold1(path))
        assert (issue.file, issue.location, issue.field, issue.value, issue.message) == (
            str(path), "line 1", "encoding", "UTF-1e309",
            "cannot read the XML: unknown encoding")

    def test_a_multi_byte_encoding_expat_cannot_read_is_named(self, reference_fixtures: Path,
                                                              tmp_path: Path) -> None:
        text = (reference_fixtures / "ecospold1" / "olca-modules" / "example.xml").read_bytes()
        path = tmp_path / "process.xml"
        path.write_bytes(text.replace(b"encoding='UTF-8'", b"encoding='GBK'", 1))
        assert issues(lambda: import_ecospold1(path)) == [
            ("line 1", "encoding", "", "cannot read the XML: multi-byte encodings are not "
             "supported")]


class TestNumbersPastTheLargestFloat:
    def test_an_ecospold2_variance_whose_gsd_overflows_is_named(
            self, reference_fixtures: Path, tmp_path: Path) -> None:
        text = (reference_fixtures / "ecospold2" / "olca-ecospold-2" /
                "sample_ecospold2.xml").read_bytes()
        path = tmp_path / "activity.spold"  # sqrt(1e6) = 1000: exp(1000) is past 1.8e308
        path.write_bytes(text.replace(b'varianceWithPedigreeUncertainty="2.21"',
                                      b'varianceWithPedigreeUncertainty="1e6"', 1))
        (location, field, value, message), = issues(lambda: import_ecospold2(path))
        assert (field, value) == ("uncertainty lognormal variance", "1000000.0")
        assert message.startswith("too large: the geometric standard deviation")
        assert "exchange" in location

    def test_a_json_integer_past_the_largest_float_is_not_finite(self, tmp_path: Path) -> None:
        process = json.loads(PROCESS)
        process["exchanges"][0]["amount"] = 10**400
        path = tmp_path / "process.json"
        path.write_text(json.dumps(process), encoding="utf-8")
        (_where, field, value, message), _no_reference = issues(
            lambda: import_olca_jsonld(path))
        assert (field, message) == ("amount", "the number is not finite")
        assert value == "1" + "0" * 199  # issues keep 200 characters of a value

    def test_a_json_integer_of_5000_digits_is_invalid_json(self, tmp_path: Path) -> None:
        path = tmp_path / "process.json"
        path.write_text(PROCESS.replace('"amount": 1.0', '"amount": ' + "9" * 5000))
        (location, field, value, message), = issues(lambda: import_olca_jsonld(path))
        assert (location, field, value) == ("process.json", "", "")
        assert message.startswith("invalid JSON: Exceeds the limit (4300 digits)")


class TestCsv:
    def test_a_template_with_old_mac_line_ends_reads(self, tmp_path: Path) -> None:
        row = {"activity_id": "elec", "unit": "kWh", "exchange": "emission",
               "target": "Carbon dioxide, fossil", "exchange_amount": "0.7", "exchange_unit": "kg"}
        path = tmp_path / "data.csv"
        with path.open("w", newline="", encoding="utf-8") as stream:
            csv.writer(stream, lineterminator="\r").writerows(
                [header_cells(), [row.get(k, "") for k in KEYS]])
        (activity,) = import_template(path).activities
        assert activity.emissions[0].amount == 0.7

    def test_a_template_field_past_the_csv_limit_names_its_row(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text(",".join(header_cells()) + "\nelec," + '"' + "x" * 200_000 + '"\n')
        assert issues(lambda: import_template(path)) == [
            ("row 2", "", "", "cannot read the CSV: field larger than field limit (131072)")]

    def test_an_old_simapro_layout_with_a_field_past_the_csv_limit_names_its_line(
            self, tmp_path: Path) -> None:
        path = tmp_path / "export.csv"
        path.write_text("SimaPro 7.1\tprocesses\n\nProcess\n\"" + "x" * 200_000 + "\"\n")
        assert issues(lambda: import_simapro_csv(path)) == [
            ("line 4", "", "", "cannot read the CSV: field larger than field limit (131072)")]

    def test_a_simapro_unit_converted_by_zero_is_a_zero_amount(
            self, reference_fixtures: Path, tmp_path: Path) -> None:
        text = (reference_fixtures / "simapro" / "olca-modules" / "process.csv").read_text(
            encoding="latin-1")
        path = tmp_path / "export.csv"
        path.write_text(text.replace("g;Mass;0.001;kg", "g;Mass;0;kg").replace(
            "Test;kg;1;100", "Test;g;1;100"), encoding="latin-1")
        found = issues(lambda: import_simapro_csv(path))
        assert [(f, v, m) for _l, f, v, m in found if f == "amount"] == [
            ("amount", "0", "a product amount must be > 0")]


PROCESS = json.dumps({
    "@type": "Process", "@id": "p1", "name": "steel",
    "exchanges": [{"flow": {"@id": "f1", "name": "steel", "flowType": "PRODUCT_FLOW"},
                   "amount": 1.0, "unit": {"name": "kg"}, "isQuantitativeReference": True}],
}, indent=1)
