"""Product services: products and GTINs, model versions with validation against a release,
supplier links to published footprints, compute jobs, publishing, scenarios and comparison,
the bulk recompute, and tenancy (another organisation's objects are "not found")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import compile_release
from lca_engine import compute_footprint, product_model_from_document
from lca_engine.document_schema import PRODUCT_MODEL_SCHEMA
from lca_engine.hashing import model_hash
from portal.blueprints.schemas import portal_model_schema
from portal.db.models import (
    AuditEvent,
    FootprintRecord,
    Job,
    JobStatus,
    OrganisationKind,
    ProductModelVersion,
    PublishedFootprint,
    User,
)
from portal.services import footprints, product_models, products, recompute, scenarios
from portal.services import model_document as md
from portal.services import model_specs as ms
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound

from .test_products_fixtures import (
    FIRST,
    GREEN,
    GRID,
    SECOND,
    app_with_releases,
    enterprise_user,
    publish_second_release,
    release_id,
    seed_releases,
    stored_document,
)

CO2 = "Carbon dioxide, fossil|air"


def conforms(document: dict[str, object], *, stored: bool = True) -> None:
    """*document* is valid under the portal's variant of the product-model schema (the API's)
    and, when it is a *stored* version, under the shipped schema itself."""
    for schema in (portal_model_schema(), PRODUCT_MODEL_SCHEMA) if stored else (
            portal_model_schema(),):
        errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(
            schema).iter_errors(document)]
        assert errors == []


@contextmanager
def uow(app: Flask) -> Iterator[Session]:
    with app.test_request_context(), app.extensions["pcf_db"].unit_of_work() as session:
        yield session


@pytest.fixture
def products_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def me(session: Session, user: User) -> User:
    found = session.get(User, user.id)
    assert found is not None
    return found


def new_product(app: Flask, user: User, name: str = "bracket", **fields: str) -> int:
    with uow(app) as session:
        return products.create_product(session, actor=me(session, user), fields=(
            products.ProductFields(name=name, declared_unit="kilogram",
                                   internal_id=fields.pop("internal_id", name), **fields))).id


def edit(app: Flask, user: User, product_id: int, change: md.Edit) -> ProductModelVersion:
    with uow(app) as session:
        latest = products.latest_version(session, product_id)
        return product_models.edit_model(session, actor=me(session, user),
                                         product_id=product_id,
                                         base_version=latest.version if latest else 0,
                                         edit=change)


def forming(app: Flask, user: User, product_id: int) -> None:
    """A one-process model: 1 kg of bracket from coil and Shanxi grid electricity."""
    edit(app, user, product_id, md.add_process(
        id="forming", name="forming", location="CN-SX", tags=(),
        product=ms.ProductSpec("bracket", "bracket", 1.0, "kg")))
    edit(app, user, product_id, md.add_input("forming", ms.InputSpec(
        "hot-rolled coil", 1.06, "kg", "background", "hot-rolled-coil-shanxi")))
    edit(app, user, product_id, md.add_input("forming", ms.InputSpec(
        "electricity", 0.35, "kWh", "background", GRID, data_type="primary",
        quality={"technological": 2, "temporal": 1})))
    edit(app, user, product_id, md.add_emission("forming", ms.EmissionSpec(CO2, 0.01, "kg")))


def compute(app: Flask, user: User, product_id: int, label: str = FIRST) -> Job:
    with uow(app) as session:
        job_id = footprints.start_compute(app, session, actor=me(session, user),
                                          product_id=product_id,
                                          release_id=release_id(app, label))
    with uow(app) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def footprint_of(app: Flask, job: Job) -> FootprintRecord:
    with uow(app) as session:
        record = session.get(FootprintRecord, json.loads(job.result)["footprint_id"])
        assert record is not None
        return record


class TestProducts:
    @pytest.mark.parametrize("code", ["96385074", "036000291452", "4006381333931",
                                      "10614141000415"])
    def test_accepts_gtins_with_a_right_check_digit(self, code: str) -> None:
        assert products.gtin_is_valid(code)

    @pytest.mark.parametrize("code", ["96385075", "036000291453", "4006381333932",
                                      "400638133393", "40063813339311", "400638133393a",
                                      "４００６３８１３３３９３１"])
    def test_refuses_wrong_check_digits_lengths_and_characters(self, code: str) -> None:
        assert not products.gtin_is_valid(code)

    def test_names_every_wrong_field_with_its_value(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        fields = products.ProductFields(name="x", declared_unit="tonne", gtin="4006381333932",
                                        period_start="2024-13-01", period_end="2023-01-01",
                                        cpc_class="4x")
        with pytest.raises(InvalidInput) as caught, uow(products_app) as session:
            products.create_product(session, actor=me(session, user), fields=fields)
        assert set(caught.value.errors) == {"declared_unit", "gtin", "period_start",
                                            "cpc_class"}
        assert "4006381333932" in caught.value.errors["gtin"]
        assert "tonne" in caught.value.errors["declared_unit"]

    def test_needs_a_gtin_or_an_internal_id(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        with pytest.raises(InvalidInput, match="internal_id"), uow(products_app) as session:
            products.create_product(session, actor=me(session, user), fields=(
                products.ProductFields(name="x", declared_unit="kilogram")))

    def test_creation_and_update_are_audited(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user, gtin="4006381333931")
        with uow(products_app) as session:
            products.update_product(session, actor=me(session, user), product_id=product_id,
                                    fields=products.ProductFields(
                                        name="bracket v2", declared_unit="kilogram",
                                        gtin="4006381333931"))
        with uow(products_app) as session:
            actions = list(session.scalars(select(AuditEvent.action).where(
                AuditEvent.entity == "product", AuditEvent.entity_id == str(product_id))))
        assert actions == ["product.create", "product.update"]

    def test_only_enterprises_create_products(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@assoc.cn", "Assoc",
                               OrganisationKind.ASSOCIATION)
        with pytest.raises(Forbidden), uow(products_app) as session:
            products.create_product(session, actor=me(session, user), fields=(
                products.ProductFields(name="x", declared_unit="kilogram", internal_id="x")))

    def test_another_organisation_finds_nothing(self, products_app: Flask) -> None:
        owner = enterprise_user(products_app, "a@one.cn", "One")
        other = enterprise_user(products_app, "b@two.cn", "Two")
        product_id = new_product(products_app, owner)
        forming(products_app, owner, product_id)
        job = compute(products_app, owner, product_id)
        footprint_id = footprint_of(products_app, job).id
        with uow(products_app) as session:
            stranger = me(session, other)
            for call in (lambda: products.product_page(session, stranger, product_id),
                         lambda: product_models.model_page(session, stranger, product_id),
                         lambda: product_models.template_for(session, stranger, product_id),
                         lambda: footprints.result_page(session, stranger, product_id,
                                                        footprint_id),
                         lambda: footprints.job_view(session, stranger, job.id,
                                                     kind="compute_footprint"),
                         lambda: scenarios.create_scenario(session, actor=stranger,
                                                           product_id=product_id, name="x")):
                with pytest.raises(NotFound):
                    call()
            assert products.list_products(session, stranger) == []


class TestModelVersions:
    def test_every_change_is_a_new_checked_and_audited_version(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        with uow(products_app) as session:
            versions = list(session.scalars(select(ProductModelVersion).where(
                ProductModelVersion.product_id == product_id).order_by(
                ProductModelVersion.version)))
            audited = list(session.scalars(select(AuditEvent.action).where(
                AuditEvent.entity == "product_model_version")))
        assert [v.version for v in versions] == [1, 2, 3, 4]
        document = stored_document(products_app, versions[-1].id)
        assert document["release"] == FIRST
        assert document["product"]["reference_process"] == "forming"
        assert document["processes"][0]["inputs"][1]["quality"] == {"technological": 2,
                                                                    "temporal": 1}
        assert versions[-1].model_hash == model_hash(product_model_from_document(document))
        assert stored_document(products_app, versions[0].id)["processes"][0]["inputs"] == []
        assert audited == ["product_model.add_process", "product_model.add_input",
                           "product_model.add_input", "product_model.add_emission"]

    def test_every_document_the_editing_writes_conforms_to_the_schema(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        for change in (
                md.add_coproduct("forming", ms.ProductSpec(
                    "offcut", "offcut", 0.1, "kg", {"mass": 1.0, "price": 0.2},
                    "hot-rolled-coil-shanxi"), "mass"),
                md.set_allocation("forming", "factors", {"bracket": 0.95, "offcut": 0.05}),
                md.add_process(id="packing", name="packing", location="", tags=("packaging",),
                               product=ms.ProductSpec("packed", "", 1, "kg")),
                md.add_input("packing", ms.InputSpec("bracket", 1, "kg", "process", "forming",
                                                     "bracket", packaging=True)),
                md.set_settings(release=FIRST, reference_process="packing",
                                reference_product="packed"),
                md.replace_background(GRID, GREEN)):
            edit(products_app, user, product_id, change)
        with uow(products_app) as session:
            versions = list(session.scalars(select(ProductModelVersion).where(
                ProductModelVersion.product_id == product_id)))
        assert len(versions) == 10
        for version in versions:
            conforms(stored_document(products_app, version.id))
        conforms(md.empty_document(), stored=False)  # what GET answers before a version

    def test_an_input_that_does_not_compute_is_refused_naming_process_and_value(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        with pytest.raises(InvalidInput) as caught:
            edit(products_app, user, product_id, md.add_input("forming", ms.InputSpec(
                "more power", 2, "kg", "background", GRID)))
        message = caught.value.errors["model"]
        assert "'forming'" in message
        assert "'more power'" in message
        assert "'kg'" in message
        with pytest.raises(InvalidInput, match="no-such-activity"):
            edit(products_app, user, product_id, md.add_input("forming", ms.InputSpec(
                "x", 1, "kg", "background", "no-such-activity")))
        with uow(products_app) as session:
            assert products.latest_version(session, product_id).version == 4  # type: ignore[union-attr]

    def test_an_edit_on_a_stale_version_is_refused(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        with pytest.raises(Conflict), uow(products_app) as session:
            product_models.edit_model(session, actor=me(session, user), product_id=product_id,
                                      base_version=2, edit=md.remove_emission("forming", 0))

    def test_co_products_need_and_get_an_allocation_rule(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        edit(products_app, user, product_id, md.add_coproduct(
            "forming", ms.ProductSpec("offcut", "offcut", 0.1, "kg"), "mass"))
        edit(products_app, user, product_id, md.set_allocation(
            "forming", "factors", {"bracket": 0.95, "offcut": 0.05}))
        with pytest.raises(InvalidInput, match="sum to"):
            edit(products_app, user, product_id, md.set_allocation(
                "forming", "factors", {"bracket": 0.9, "offcut": 0.05}))
        version = edit(products_app, user, product_id, md.remove_product("forming", "offcut"))
        assert stored_document(products_app, version.id)["processes"][0]["allocation"] == {
            "method": "factors", "factors": {"bracket": 0.95}}

    def test_a_process_that_feeds_another_cannot_be_removed(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        edit(products_app, user, product_id, md.add_process(
            id="packing", name="packing", location="", tags=("packaging",),
            product=ms.ProductSpec("packed", "", 1, "kg")))
        edit(products_app, user, product_id, md.add_input("packing", ms.InputSpec(
            "bracket", 1, "kg", "process", "forming", "bracket")))
        with pytest.raises(InvalidInput, match="packing"):
            edit(products_app, user, product_id, md.remove_process("forming"))
        edit(products_app, user, product_id, md.set_settings(
            release=FIRST, reference_process="packing", reference_product=""))
        version = edit(products_app, user, product_id, md.replace_background(GRID, GREEN))
        document = stored_document(products_app, version.id)
        assert document["product"]["reference_process"] == "packing"
        assert document["processes"][0]["inputs"][1]["from"] == {"background": GREEN}


    def test_renaming_a_product_versions_its_model_and_a_wrong_unit_is_refused(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)

        def describe(name: str, unit: str) -> None:
            with uow(products_app) as session:
                product_models.update_product(
                    session, actor=me(session, user), product_id=product_id,
                    fields=products.ProductFields(name=name, declared_unit=unit,
                                                  internal_id="bracket"))

        describe("bracket GS-40", "kilogram")
        with uow(products_app) as session:
            version = products.latest_version(session, product_id)
            assert version is not None
            assert version.version == 5
            assert stored_document(products_app, version.id)["product"]["name"] == "bracket GS-40"
        with pytest.raises(InvalidInput, match="liter"):
            describe("bracket GS-40", "liter")
        with uow(products_app) as session:
            assert products.owned_product(session, me(session, user),
                                          product_id).declared_unit == "kilogram"

    def test_the_template_never_writes_a_formula(self, products_app: Flask) -> None:
        from io import BytesIO

        from openpyxl import load_workbook

        from portal.services.model_template import write_template

        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        version = edit(products_app, user, product_id, md.add_process(
            id="p", name='=HYPERLINK("http://evil.example","x")', location="", tags=(),
            product=ms.ProductSpec("bracket", "", 1, "kg")))
        book = load_workbook(BytesIO(write_template(stored_document(products_app, version.id))))
        cell = book["processes"]["B2"]
        assert cell.data_type == "s"
        assert cell.value.startswith("=HYPERLINK")


    def test_removing_a_co_product_keeps_an_allocation_written_as_a_method_name(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        outputs = [{"id": p, "amount": a, "unit": "kg", "properties": {"mass": 1}}
                   for p, a in (("strip", 1000), ("trim", 20), ("dust", 1))]
        edit(products_app, user, product_id, md.replace_document({
            "release": FIRST, "processes": [{
                "id": "slitting", "allocation": "mass", "products": outputs,
                "inputs": [{"name": "electricity", "amount": 8, "unit": "kWh",
                            "from": {"background": GRID}}]}]}))
        version = edit(products_app, user, product_id, md.remove_product("slitting", "dust"))
        (process,) = stored_document(products_app, version.id)["processes"]
        assert [p["id"] for p in process["products"]] == ["strip", "trim"]
        assert process["allocation"] == "mass"


class TestSuppliers:
    def test_links_copy_a_published_footprint_of_another_organisation(
            self, products_app: Flask) -> None:
        supplier = enterprise_user(products_app, "s@zinc.cn", "Zinc")
        buyer = enterprise_user(products_app, "b@bracket.cn", "Bracket")
        zinc = new_product(products_app, supplier, "zinc ingot")
        forming(products_app, supplier, zinc)
        record = footprint_of(products_app, compute(products_app, supplier, zinc))
        with uow(products_app) as session:
            assert product_models.supplier_choices(session, me(session, buyer)) == []
            published = footprints.publish(session, actor=me(session, supplier),
                                           product_id=zinc, footprint_id=record.id)
            published_id = published.id
        with uow(products_app) as session:
            (choice,) = product_models.supplier_choices(session, me(session, buyer))
            assert product_models.supplier_choices(session, me(session, supplier)) == []
            with pytest.raises(NotFound):  # one's own footprint is modelled, not bought
                product_models.supplier_entry(session, supplier.organisation_id, published_id)
        assert (choice.company, choice.headline) == ("Zinc", record.headline)
        product_id = new_product(products_app, buyer)
        forming(products_app, buyer, product_id)
        version = edit(products_app, buyer, product_id, md.add_input("forming", ms.InputSpec(
            "zinc", 0.05, "kg", "supplier", str(published_id))))
        document = stored_document(products_app, version.id)
        conforms(document)  # the supplier entry with its published_footprint number
        (entry,) = document["suppliers"]
        assert entry["company"] == "Zinc"
        assert entry["pcf_excluding_biogenic_uptake"] == float(record.headline)

    def test_a_withdrawn_footprint_cannot_be_linked(self, products_app: Flask) -> None:
        supplier = enterprise_user(products_app, "s@zinc.cn", "Zinc")
        buyer = enterprise_user(products_app, "b@bracket.cn", "Bracket")
        zinc = new_product(products_app, supplier, "zinc ingot")
        forming(products_app, supplier, zinc)
        first = footprint_of(products_app, compute(products_app, supplier, zinc))
        second = footprint_of(products_app, compute(products_app, supplier, zinc))
        with uow(products_app) as session:
            old = footprints.publish(session, actor=me(session, supplier), product_id=zinc,
                                     footprint_id=first.id).id
            footprints.publish(session, actor=me(session, supplier), product_id=zinc,
                               footprint_id=second.id)
        with uow(products_app) as session:
            assert session.get(PublishedFootprint, old).withdrawn_at is not None  # type: ignore[union-attr]
        product_id = new_product(products_app, buyer)
        forming(products_app, buyer, product_id)
        with pytest.raises(InvalidInput, match="supplier"):
            edit(products_app, buyer, product_id, md.add_input("forming", ms.InputSpec(
                "zinc", 0.05, "kg", "supplier", str(old))))


class TestComputeAndPublish:
    def test_the_job_stores_the_engine_result_of_the_latest_version(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        job = compute(products_app, user, product_id)
        assert (job.status, job.progress, job.message) == (JobStatus.DONE, 100, "Done")
        record = footprint_of(products_app, job)
        with uow(products_app) as session:
            version = products.latest_version(session, product_id)
            assert version is not None
            document = stored_document(products_app, version.id)
        built = compile_release(seed_releases()[FIRST])
        expected = compute_footprint(product_model_from_document(document), built.system,
                                     built.table)
        assert record.result_hash == expected.result_hash
        assert record.headline == expected.to_dict()["totals"]["pcf_excluding_biogenic_uptake"]
        assert json.loads(record.result) == expected.to_dict()
        assert record.model_version_id == version.id

    def test_jobs_run_outside_any_request_as_workers_do(self, products_app: Flask) -> None:
        from portal.jobs import submit

        user = enterprise_user(products_app, "a@one.cn", "One")
        other = enterprise_user(products_app, "b@two.cn", "Two")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        parameters = {"product_id": product_id, "release_id": release_id(products_app)}
        with products_app.app_context():
            done = submit(products_app, "compute_footprint", {**parameters,
                                                              "actor_id": user.id}, actor=user)
            refused = submit(products_app, "compute_footprint",
                             {**parameters, "actor_id": other.id}, actor=other)
            bulk = submit(products_app, recompute.KIND, {"release_id": 999,
                                                          "actor_id": user.id}, actor=user)
        with uow(products_app) as session:
            jobs = {j.id: j for j in session.scalars(select(Job))}
        assert jobs[done].status is JobStatus.DONE
        assert jobs[refused].status is JobStatus.FAILED
        assert "not a product of the user's organisation" in footprints.user_message(
            jobs[refused])
        assert jobs[bulk].status is JobStatus.FAILED
        assert "999" in footprints.user_message(jobs[bulk])

    def test_a_failing_computation_tells_the_user_why(self, products_app: Flask
                                                      ) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        publish_second_release(products_app)
        store = products_app.extensions["pcf_settings"].background_store
        (store / "releases" / "shanxi" / "1.1.0.json.gz").write_bytes(b"broken")
        job = compute(products_app, user, product_id, SECOND)
        assert job.status is JobStatus.FAILED
        assert "1.1.0" in footprints.user_message(job)
        assert "Traceback" not in footprints.user_message(job)

    def test_publishing_gives_values_per_declared_unit(self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        record = footprint_of(products_app, compute(products_app, user, product_id))
        with uow(products_app) as session:
            published = footprints.publish(session, actor=me(session, user),
                                           product_id=product_id, footprint_id=record.id)
            values = json.loads(published.values)
        assert values == json.loads(record.result)["totals"]
        assert published.declared_unit == "kilogram"


class TestScenariosAndRecompute:
    def test_a_scenario_copies_the_model_and_compares_exactly(self, products_app: Flask
                                                              ) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        base = footprint_of(products_app, compute(products_app, user, product_id))
        with uow(products_app) as session:
            copy = scenarios.create_scenario(session, actor=me(session, user),
                                             product_id=product_id, name="green power")
            copy_id = copy.id
            assert copy.scenario_of_id == product_id
        edit(products_app, user, copy_id, md.replace_background(GRID, GREEN))
        green = footprint_of(products_app, compute(products_app, user, copy_id))
        with uow(products_app) as session:
            comparison = scenarios.compare(session, me(session, user), product_id, copy_id)
        headline = comparison.totals[0]
        assert (headline.a, headline.b) == (base.headline, green.headline)
        assert Decimal(headline.difference) == Decimal(green.headline) - Decimal(base.headline)
        assert Decimal(headline.difference) < 0
        (power,) = [line for line in comparison.by_input if "electricity" in line.label]
        assert "→" in power.label

    def test_the_bulk_recompute_lists_old_and_new_values(
            self, products_app: Flask) -> None:
        user = enterprise_user(products_app, "a@one.cn", "One")
        first = new_product(products_app, user, "one")
        forming(products_app, user, first)
        old = footprint_of(products_app, compute(products_app, user, first))
        second = new_product(products_app, user, "two")
        forming(products_app, user, second)
        new_product(products_app, user, "no model yet")
        other = enterprise_user(products_app, "b@two.cn", "Two")
        new_product(products_app, other, "not ours")
        newer = publish_second_release(products_app)
        with uow(products_app) as session:
            job_id = recompute.start_recompute(products_app, session, actor=me(session, user),
                                               release_id=newer)
        with uow(products_app) as session:
            page = recompute.recompute_page(session, me(session, user), None)
        assert page.job is not None
        assert page.job.job.id == job_id
        assert page.release == SECOND
        assert [(r["name"], r["old_headline"], r["old_release"]) for r in page.rows] == [
            ("one", old.headline, FIRST), ("two", "", "")]
        assert Decimal(page.rows[0]["new_headline"]) < Decimal(old.headline)
        assert page.rows[0]["difference"].startswith("-")
        with uow(products_app) as session:
            assert recompute.recompute_page(session, me(session, other), None).job is None
            with pytest.raises(NotFound):
                recompute.recompute_page(session, me(session, other), job_id)


class TestTradeSecrets:
    def test_model_documents_are_stored_sealed(self, products_app: Flask) -> None:
        from sqlalchemy import text

        user = enterprise_user(products_app, "a@one.cn", "One")
        product_id = new_product(products_app, user)
        forming(products_app, user, product_id)
        with products_app.extensions["pcf_db"].engine.connect() as connection:
            stored = connection.execute(text(
                "SELECT id, document FROM product_model_version WHERE product_id = :p"),
                {"p": product_id}).all()
        assert stored
        for version_id, document in stored:
            assert document.startswith("v1:")
            assert "forming" not in document
            assert stored_document(products_app, version_id)["product"]
