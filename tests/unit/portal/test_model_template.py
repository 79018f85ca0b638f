"""The header row of the product-model template (model_template): every header names a column
of its sheet, by key, Chinese name or both; one that names none is refused with its sheet,
row, column letter and the nearest headers, as are a column named twice, a header naming two
columns, and values under no header."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from portal.services.errors import NotFound
from portal.services.model_template import Issue, TemplateRejected, write_template
from portal.services.model_upload import ParsedModel, read_template

DOCUMENT: dict[str, Any] = {
    "format": "pcf-portal-model/1", "release": "", "suppliers": [],
    "product": {"id": "bracket", "reference_process": "forming"},
    "processes": [{
        "id": "forming", "name": "forming", "tags": [],
        "products": [{"id": "bracket", "amount": 1, "unit": "kg"}],
        "inputs": [{"name": "power", "amount": 2, "unit": "kWh",
                    "from": {"background": "grid"}}],
        "emissions": [{"flow": "co2", "amount": 0.5, "unit": "kg"}]}],
}


def no_supplier(number: int) -> dict[str, Any]:
    raise NotFound(f"no published footprint {number}")


def edited(cells: dict[tuple[str, str], Any]) -> bytes:
    """The template of DOCUMENT with *cells* ((sheet, reference): value) overwritten."""
    book = load_workbook(io.BytesIO(write_template(DOCUMENT)))
    for (sheet, reference), value in cells.items():
        book[sheet][reference] = value
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def read(data: bytes) -> ParsedModel:
    return read_template(data, activities={"grid"}, flows={"co2"}, supplier=no_supplier)


def issues_of(cells: dict[tuple[str, str], Any]) -> list[Issue]:
    with pytest.raises(TemplateRejected) as caught:
        read(edited(cells))
    return caught.value.issues


class TestHeaders:
    def test_the_template_as_written_reads_back(self) -> None:
        parsed = read(write_template(DOCUMENT))
        assert parsed.processes[0]["inputs"][0]["amount"] == 2
        assert parsed.processes[0]["emissions"][0]["amount"] == 0.5

    def test_a_header_by_its_key_or_its_chinese_name_alone_is_enough(self) -> None:
        parsed = read(edited({("inputs", "C1"): "AMOUNT", ("emissions", "C1"): "数量"}))
        assert parsed.processes[0]["inputs"][0]["amount"] == 2
        assert parsed.processes[0]["emissions"][0]["amount"] == 0.5

    @pytest.mark.parametrize(("sheet", "cell", "header", "meant"), [
        ("processes", "H1", "amonut / 产量", "amount / 产量"),
        ("processes", "L1", "prize", "price / 单价"),
        ("inputs", "E1", "provider_knid / 来源类型", "provider_kind / 来源类型"),
        ("inputs", "B1", "input name", "input_name / 输入名称"),
        ("emissions", "B1", "flwo / 基本流", "flow / 基本流"),
        ("emissions", "E1", "data_typ", "data_type / 数据类型"),
    ])
    def test_a_misspelt_header_is_refused_with_its_column_and_the_header_meant(
            self, sheet: str, cell: str, header: str, meant: str) -> None:
        (issue,) = issues_of({(sheet, cell): header})
        assert issue == Issue(sheet, 1, cell[0], header,
                              f"Unknown column; did you mean '{meant}'?")

    def test_a_header_like_no_column_points_to_the_guide(self) -> None:
        (issue,) = issues_of({("processes", "P1"): "remarks / 备注"})
        assert (issue.sheet, issue.row, issue.field, issue.value) == (
            "processes", 1, "P", "remarks / 备注")
        assert issue.message == ("Unknown column; the guide sheet lists the columns of each "
                                 "sheet.")

    def test_a_header_whose_two_names_are_two_columns_is_refused(self) -> None:
        (issue,) = issues_of({("processes", "J1"): "mass / 单价"})
        assert (issue.field, issue.message) == ("J", "The header names two columns: "
                                                     "mass / 单位质量 and price / 单价.")

    def test_a_column_named_twice_is_refused(self) -> None:
        (issue,) = issues_of({("emissions", "F1"): "amount", ("emissions", "F2"): 9})
        assert (issue.sheet, issue.field, issue.message) == (
            "emissions", "F", "The column appears twice in the header row.")

    def test_a_value_under_no_header_is_refused_once_per_column(self) -> None:
        issues = issues_of({("inputs", "P2"): "note", ("inputs", "P3"): "more"})
        assert issues == [Issue("inputs", 2, "P", "note",
                                "A value in a column without a header.")]

    def test_a_misspelt_required_header_is_not_also_missing(self) -> None:
        issues = issues_of({("inputs", "D1"): "unti"})
        assert [i.message for i in issues] == ["Unknown column; did you mean 'unit / 单位'?"]
