"""The document schemas (lca_engine.document_schema): the shipped files are them, they accept
the shipped examples, and they agree with the parser key for key at every place: every key
the parser reads is in the schema, every key in the schema is read, and every key of the
schema misspelt is refused naming its place and suggesting it."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lca_engine import background_from_document, documents, product_model_from_document
from lca_engine.document_schema import (
    BACKGROUND_SCHEMA,
    PLACES,
    PRODUCT_MODEL_SCHEMA,
    SCHEMA_FILES,
    Schema,
    schema_text,
)
from lca_engine.errors import DocumentError, UnknownKeyError

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent / "documents"
MODEL, BACKGROUND = "every-key.yaml", "every-key-background.yaml"
#: the schemas by the parser that reads them, and the name of their root place
KINDS: dict[str, tuple[Schema, Callable[[Any], object], str]] = {
    MODEL: (PRODUCT_MODEL_SCHEMA, product_model_from_document, "ProductModel"),
    BACKGROUND: (BACKGROUND_SCHEMA, background_from_document, "Background"),
}


@cache
def _loaded(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load(path: Path) -> Any:
    return copy.deepcopy(_loaded(path))


def validator(schema: Schema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def mappings(value: Any, schema: Schema, root: Schema, path: str = "", place: str = ""
             ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(place, path, mapping) of every mapping of a document that *schema* (a valid one)
    names as a place, with paths written as the parser writes them."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        yield from mappings(value, root["$defs"][name], root, path, name)
        return
    if "type" not in schema:  # one of several shapes: the one the value has
        for branch in schema.get("anyOf", []):
            if validator({"$defs": root["$defs"], **branch}).is_valid(value):
                yield from mappings(value, branch, root, path, place)
                return
    if isinstance(value, dict) and "properties" in schema:
        if place:
            yield place, path, value
        for key, item in value.items():
            if key in schema["properties"]:
                yield from mappings(item, schema["properties"][key], root,
                                    f"{path}.{key}" if path else key)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from mappings(item, schema["items"], root, f"{path}[{i}]")


def places_of(kind: str, document: Any = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The places of *document* (default: the fixture of *kind*), the root first."""
    schema, _parse, root = KINDS[kind]
    document = load(HERE / kind) if document is None else document
    yield root, "", document
    yield from ((p, path, m) for p, path, m in mappings(document, schema, schema) if path)


class TestShippedFiles:
    @pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
    def test_the_file_in_the_package_is_the_schema_the_parser_uses(self, name: str) -> None:
        shipped = (ROOT / "lca_engine" / "schemas" / name).read_text(encoding="utf-8")
        assert shipped == schema_text(SCHEMA_FILES[name]), "run `make schemas`"
        assert json.loads(shipped) == SCHEMA_FILES[name]

    @pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
    def test_the_schema_is_a_valid_draft_2020_12_schema(self, name: str) -> None:
        jsonschema.Draft202012Validator.check_schema(SCHEMA_FILES[name])
        assert SCHEMA_FILES[name]["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    @pytest.mark.parametrize(("schema", "path"), [
        (PRODUCT_MODEL_SCHEMA, ROOT / "examples" / "steel-bracket.yaml"),
        (BACKGROUND_SCHEMA, ROOT / "examples" / "background-demo.yaml"),
        (PRODUCT_MODEL_SCHEMA, HERE / MODEL),
        (BACKGROUND_SCHEMA, HERE / BACKGROUND),
    ])
    def test_the_examples_validate(self, schema: Schema, path: Path) -> None:
        errors = [f"{e.json_path}: {e.message}" for e in validator(schema).iter_errors(
            load(path))]
        assert errors == []

    def test_the_readmes_example_validates_and_parses(self) -> None:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        section = readme[readme.index("### Product model format"):]
        block = section[section.index("```yaml\n") + 8:]
        document = yaml.safe_load(block[:block.index("```")])
        assert [f"{e.json_path}: {e.message}" for e in validator(
            PRODUCT_MODEL_SCHEMA).iter_errors(document)] == []
        assert product_model_from_document(document).processes[0].id == "galvanising"

    def test_a_misspelt_key_fails_the_schema_too(self) -> None:
        document = load(ROOT / "examples" / "steel-bracket.yaml")
        document["processes"][1]["emisions"] = document["processes"][1].pop("emissions")
        (error,) = validator(PRODUCT_MODEL_SCHEMA).iter_errors(document)
        assert error.json_path == "$.processes[1]"
        assert "'emisions' was unexpected" in error.message


class TestSchemaAndParserAgree:
    @pytest.mark.parametrize("kind", sorted(KINDS))
    def test_the_fixture_writes_every_key_of_every_place(self, kind: str) -> None:
        written: dict[str, set[str]] = defaultdict(set)
        for place, _path, mapping in places_of(kind):
            written[place] |= set(mapping)
        schema, _parse, root = KINDS[kind]
        names = {root, *schema["$defs"]}
        assert set(written) == names
        for place in names:
            assert written[place] >= PLACES[place].keys, place
            if PLACES[place].open:  # and a key of the open part (a parameter)
                assert written[place] - PLACES[place].keys, place

    @pytest.mark.parametrize("kind", sorted(KINDS))
    def test_the_parser_reads_exactly_the_keys_the_schema_names(
            self, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
        read: dict[str, set[str]] = defaultdict(set)
        child = documents._Node.child

        def recording(node: Any, key: str) -> Any:
            if node.place is not None:
                read[node.place.name].add(key)
            return child(node, key)

        monkeypatch.setattr(documents._Node, "child", recording)
        _schema, parse, _root = KINDS[kind]
        parse(load(HERE / kind))
        written: dict[str, set[str]] = defaultdict(set)
        for place, _path, mapping in places_of(kind):
            written[place] |= set(mapping)
        assert set(read) == set(written)
        for place, keys in read.items():
            if PLACES[place].open:  # the named keys, and each parameter written there
                assert keys == written[place], place
            else:
                assert keys == PLACES[place].keys, place

    @pytest.mark.parametrize(("kind", "path", "key"), [
        (kind, path, key) for kind in sorted(KINDS)
        for place, path, mapping in places_of(kind) for key in mapping
        if not PLACES[place].open])
    def test_every_key_misspelt_is_refused_with_its_place_and_the_key_suggested(
            self, kind: str, path: str, key: str) -> None:
        document = load(HERE / kind)
        _schema, parse, _root = KINDS[kind]
        mapping = next(m for _p, where, m in places_of(kind, document) if where == path)
        misspelt = key[:-1] if len(key) > 2 else key + "_"
        mapping[misspelt] = mapping.pop(key)
        with pytest.raises(UnknownKeyError) as caught:
            parse(document)
        assert caught.value.path == path
        assert caught.value.key == misspelt
        assert key in caught.value.suggestions
        where = path or "the top level"
        assert f"unknown key '{misspelt}' at {where}; did you mean " in str(caught.value)

    def test_an_open_place_takes_any_parameter_but_needs_its_named_key(self) -> None:
        document = load(HERE / MODEL)
        uncertainty = document["processes"][0]["inputs"][0]["uncertainty"]
        uncertainty["shape"] = 2  # any name: a parameter of the distribution
        model = product_model_from_document(document)
        assert model.processes[0].inputs[0].uncertainty.parameters == (  # type: ignore[union-attr]
            ("gsd", 1.1), ("shape", 2.0))
        uncertainty["distributon"] = uncertainty.pop("distribution")
        with pytest.raises(DocumentError, match=r"^processes\[0\]\.inputs\[0\]\.uncertainty"
                           r"\.distribution: is required$"):
            product_model_from_document(document)


class TestUnknownKeys:
    """Examples as a user meets them, with the message in full."""

    @pytest.mark.parametrize(("mutate", "message"), [
        (lambda d: d.__setitem__("prodcut", d.pop("product")),
         "model.yaml: unknown key 'prodcut' at the top level; did you mean 'product'?"),
        (lambda d: d["product"].__setitem__("declared_amout", 1),
         "model.yaml: unknown key 'declared_amout' at product; did you mean "
         "'declared_amount'?"),
        (lambda d: d["suppliers"][0].__setitem__("pcf_excluding_biogenic", 3.2),
         "model.yaml: unknown key 'pcf_excluding_biogenic' at suppliers[0]; did you mean "
         "'pcf_excluding_biogenic_uptake'?"),
        (lambda d: d["suppliers"][0].__setitem__("pcf_biogenic_uptake", 3.2),
         "model.yaml: unknown key 'pcf_biogenic_uptake' at suppliers[0]; did you mean "
         "'pcf_including_biogenic_uptake' or 'pcf_excluding_biogenic_uptake'?"),
        (lambda d: d["processes"][2].__setitem__("emisions", []),
         "model.yaml: unknown key 'emisions' at processes[2]; did you mean 'emissions'?"),
        (lambda d: d["processes"][1]["inputs"][1]["from"].__setitem__("suplier", "x"),
         "model.yaml: unknown key 'suplier' at processes[1].inputs[1].from; did you mean "
         "'supplier'?"),
        (lambda d: d["processes"][1]["emissions"][0].__setitem__("ammount", 1),
         "model.yaml: unknown key 'ammount' at processes[1].emissions[0]; did you mean "
         "'amount'?"),
        (lambda d: d["processes"][1].__setitem__("allocation", {"method": "economic",
                                                                "factor": {}}),
         "model.yaml: unknown key 'factor' at processes[1].allocation; did you mean "
         "'factors'?"),
        (lambda d: d["suppliers"][0].__setitem__("Company", "Zinc"),
         "model.yaml: unknown key 'Company' at suppliers[0]; did you mean 'company'?"),
        (lambda d: d["processes"][0]["products"][0].__setitem__("propreties", {}),
         "model.yaml: unknown key 'propreties' at processes[0].products[0]; did you mean "
         "'properties'?"),
        (lambda d: d["processes"][1]["inputs"][1].__setitem__("qualty", {}),
         "model.yaml: unknown key 'qualty' at processes[1].inputs[1]; did you mean "
         "'quality'?"),
    ])
    def test_a_misspelt_key_in_the_model(self, mutate: Any, message: str) -> None:
        document = load(ROOT / "examples" / "steel-bracket.yaml")
        mutate(document)
        with pytest.raises(UnknownKeyError) as caught:
            product_model_from_document(document, "model.yaml")
        assert str(caught.value) == message

    def test_a_key_like_none_allowed_lists_the_allowed_ones(self) -> None:
        document = load(ROOT / "examples" / "steel-bracket.yaml")
        document["processes"][0]["inputs"][0]["from"]["zzz"] = 1
        with pytest.raises(UnknownKeyError, match=r"^unknown key 'zzz' at processes\[0\]"
                           r"\.inputs\[0\]\.from; expected one of background, process, "
                           r"product, supplier$"):
            product_model_from_document(document)

    def test_a_key_that_is_no_text_is_unknown_too(self) -> None:
        document = load(ROOT / "examples" / "steel-bracket.yaml")
        document["processes"][0][7] = "seven"
        with pytest.raises(UnknownKeyError, match=r"^unknown key 7 at processes\[0\]; "
                           r"expected one of allocation, "):
            product_model_from_document(document)

    def test_a_huge_key_is_shown_short_and_not_compared(self) -> None:
        document = load(ROOT / "examples" / "steel-bracket.yaml")
        document["product"]["x" * 1_000_000] = 1
        with pytest.raises(UnknownKeyError) as caught:
            product_model_from_document(document)
        assert len(str(caught.value)) < 300
        assert caught.value.suggestions == ()

    @pytest.mark.parametrize(("mutate", "message"), [
        (lambda d: d.__setitem__("activites", d.pop("activities")),
         "bg.yaml: unknown key 'activites' at the top level; did you mean 'activities'?"),
        (lambda d: d["flows"][0].__setitem__("orgin", "fossil"),
         "bg.yaml: unknown key 'orgin' at flows[0]; did you mean 'origin'?"),
        (lambda d: d["activities"][1]["inputs"][0].__setitem__("provder", "x"),
         "bg.yaml: unknown key 'provder' at activities[1].inputs[0]; did you mean "
         "'provider'?"),
        (lambda d: d["activities"][0]["emissions"][0].__setitem__("flwo", "x"),
         "bg.yaml: unknown key 'flwo' at activities[0].emissions[0]; did you mean 'flow'?"),
    ])
    def test_a_misspelt_key_in_the_background(self, mutate: Any, message: str) -> None:
        document = load(ROOT / "examples" / "background-demo.yaml")
        mutate(document)
        with pytest.raises(UnknownKeyError) as caught:
            background_from_document(document, "bg.yaml")
        assert str(caught.value) == message

    def test_an_unknown_key_is_a_document_error(self) -> None:
        assert issubclass(UnknownKeyError, DocumentError)
        rebuilt = UnknownKeyError("unknown key 'x' at product; expected one of id")
        assert str(rebuilt).startswith("unknown key")  # as a job queue rebuilds it


class TestCarriedKeys:
    """Keys for the model's other readers, which the engine checks but does not use."""

    @pytest.mark.parametrize(("key", "value", "message"), [
        ("format", "pcf-portal-model/2", r"^format: expected pcf-portal-model/1, got "),
        ("release", 12, r"^release: expected text such as name@version, got 12$"),
        ("background", "", r"^background: expected non-empty text, got ''$"),
    ])
    def test_a_wrong_value_is_refused(self, key: str, value: Any, message: str) -> None:
        document = load(HERE / MODEL)
        document[key] = value
        with pytest.raises(DocumentError, match=message):
            product_model_from_document(document)

    @pytest.mark.parametrize("value", [0, -1, 1.5, True, "7"])
    def test_a_published_footprint_is_a_positive_integer(self, value: Any) -> None:
        document = load(HERE / MODEL)
        document["suppliers"][0]["published_footprint"] = value
        with pytest.raises(DocumentError, match=r"^suppliers\[0\]\.published_footprint: "):
            product_model_from_document(document)
        assert not validator(PRODUCT_MODEL_SCHEMA).is_valid(document)


class TestNumbers:
    @pytest.mark.parametrize(("text", "number"), [("1e-3", 0.001), ("-2.5", -2.5),
                                                  ("40", 40.0), (".5", 0.5)])
    def test_a_decimal_string_is_a_number(self, text: str, number: float) -> None:
        document = load(HERE / MODEL)
        document["processes"][1]["inputs"][0]["amount"] = text
        model = product_model_from_document(document)
        assert model.processes[1].inputs[0].amount == number
        assert validator(PRODUCT_MODEL_SCHEMA).is_valid(document)

    @pytest.mark.parametrize(("text", "reason"), [
        ("1_000", "write numbers in decimal"), ("0x1F", "write numbers in decimal"),
        ("1,5", "a decimal point is '.'"), ("\u0661", "does not parse"),
        ("five", "no parameter named five"), ("", "an empty text")])
    def test_other_text_is_a_formula_and_refused_when_it_is_none(self, text: str,
                                                                 reason: str) -> None:
        # an amount's text that is no decimal number is a formula over the parameters
        document = load(HERE / MODEL)
        document["processes"][1]["inputs"][0]["amount"] = text
        with pytest.raises(DocumentError, match=r"^processes\[1\]\.inputs\[0\]\.amount: ") as e:
            product_model_from_document(document)
        assert reason in str(e.value)
        assert validator(PRODUCT_MODEL_SCHEMA).is_valid(document) is (text != "")

    @pytest.mark.parametrize("text", ["1_000", " 5", "five", "2 * 3"])
    def test_a_number_only_field_refuses_text_in_parser_and_schema(self, text: str) -> None:
        document = load(HERE / MODEL)
        document["suppliers"] = [{"id": "s", "company": "c", "product_name": "p",
                                  "declared_unit": "kilogram",
                                  "pcf_excluding_biogenic_uptake": text}]
        with pytest.raises(DocumentError, match=r"^suppliers\[0\]\.pcf_excluding_biogenic_"
                           r"uptake: expected a number, got "):
            product_model_from_document(document)
        assert not validator(PRODUCT_MODEL_SCHEMA).is_valid(document)
