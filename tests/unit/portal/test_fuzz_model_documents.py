"""The portal's readers of user documents on mutated versions of the shipped example: the
JSON API's whole-document replacement (model_document.replace_document), the template it
then downloads as (model_template.write_template), and the upload of a template, mutated
(model_upload.read_template). Whatever comes in, the outcome is a document, a workbook or
an InvalidInput naming the problem (a 400, never a 500), in bounded time and memory."""

from __future__ import annotations

import copy
import io
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given

from bench.bombs import small, write_zip
from lca_engine import product_model_from_document
from lca_engine.errors import EngineError
from portal.services import model_document as md
from portal.services.errors import InvalidInput, NotFound
from portal.services.model_template import write_template
from portal.services.model_upload import read_template
from tests.fuzzing import (
    CHANGES,
    FUZZ,
    Change,
    MemberChange,
    change_members,
    check,
    member_changes,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "steel-bracket.yaml"
XML_SNIPPETS = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', b"&a;", b"<x>" * 200, b"\x00",
                b'<c r="XFD1048576"><v>1</v></c>', b'<row r="99999999">', b't="s"', b"<v>9</v>")


@cache
def example() -> dict[str, Any]:
    """The shipped example as a portal document; its supplier footprint becomes a background
    activity, since a template names a supplier by a published footprint's number."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del document["background"], document["suppliers"]
    for process in document["processes"]:
        for item in process.get("inputs", []):
            if "supplier" in item["from"]:
                item["from"] = {"background": item["from"]["supplier"]}
    return document


def known() -> tuple[set[str], set[str]]:
    """The background activities and flows the example links to."""
    document = example()
    activities = {i["from"]["background"] for p in document["processes"]
                  for i in p.get("inputs", []) if "background" in i["from"]}
    activities |= {p["substitutes"]["background"] for q in document["processes"]
                   for p in q["products"] if "background" in (p.get("substitutes") or {})}
    return activities, {e["flow"] for p in document["processes"] for e in p.get("emissions", [])}


def no_supplier(number: int) -> dict[str, Any]:
    raise NotFound(f"no published footprint {number}")


def saved(new: Any) -> dict[str, Any]:
    """What the API's PUT does with *new* (product_models.edit_model, short of computing it
    against a release): replace, take the product's own header, prune, check the structure."""
    document = md.empty_document()
    md.replace_document(new).apply(document, md.EditContext(no_supplier))
    md.sync_header(document, product_key="gs-40", name="bracket", declared_unit="kilogram")
    md.prune_suppliers(document)
    try:
        product_model_from_document(document)
    except EngineError as exc:  # as check_model turns it into a 400
        raise InvalidInput({"document": str(exc)}) from None
    return document


def replaced(changes: list[Change]) -> None:
    """The example put through the API with *changes*, then downloaded as a template."""
    new = copy.deepcopy(example())
    for change in changes:
        new = change.apply(new)
    write_template(saved(new))


@cache
def template() -> bytes:
    return write_template(saved(copy.deepcopy(example())))


def uploaded(data: bytes) -> None:
    activities, flows = known()
    read_template(data, activities=activities, flows=flows, supplier=no_supplier)


class TestModelDocuments:
    @FUZZ
    @given(changes=CHANGES)
    def test_a_changed_document_is_saved_and_downloads_or_names_its_fault(
            self, changes: list[Change]) -> None:
        check("portal document", lambda: replaced(changes), InvalidInput)

    def test_the_example_itself_is_saved_and_its_template_reads_back(self) -> None:
        activities, flows = known()
        parsed = read_template(template(), activities=activities, flows=flows,
                               supplier=no_supplier)
        assert [p["id"] for p in parsed.processes] == ["slitting", "galvanising",
                                                       "zinc-recovery", "forming"]


class TestTemplateUploads:
    @FUZZ
    @given(changes=member_changes(XML_SNIPPETS))
    def test_a_mutated_template_is_read_or_refused_row_by_row(
            self, changes: list[MemberChange]) -> None:
        with zipfile.ZipFile(io.BytesIO(template())) as archive:
            members = [(i.filename, archive.read(i)) for i in archive.infolist()]

        def upload() -> None:
            import tempfile

            with tempfile.TemporaryDirectory() as folder:
                path = write_zip(Path(folder) / "t.xlsx", [
                    small(n, d) for n, d in change_members(members, changes)])
                uploaded(path.read_bytes())
        check("portal template", upload, InvalidInput)
