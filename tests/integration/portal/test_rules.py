"""Accounting rules in the portal: associations publish versioned rules per CPC class, the
rule in force for a product's class is found by the most specific code and the highest
version, and a model is checked against it on its page, when it is computed and when it is
submitted; the certifier sees the check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from portal.db.models import (
    CertificationSubmission,
    FootprintRecord,
    OrganisationKind,
    Role,
    User,
)
from portal.rules import use_cases
from portal.services import certification, footprints, product_models, products
from portal.services.errors import Conflict, Forbidden, InvalidInput
from portal.services.model_document import replace_document

from .conftest import login, make_user
from .test_api_products import bracket_document
from .test_products_fixtures import Browser, app_with_releases, release_id

#: The bracket's own processes are slitting, galvanising and forming; the rule asks for a
#: stage the model does not tag, so the check fails on that clause only (and on the primary
#: data share, which the bracket's mostly background inputs keep low).
RULE = {
    "id": "sx-fabricated-metal", "version": "1.0.0", "name": "Fabricated metal products",
    "cpc_classes": ["429"], "declared_unit": "kilogram",
    "implements": "GB/T 24067-2024 (illustrative sector rule)",
    "required_stages": [{"tag": "forming", "description": "forming"}],
    "cutoff": {"each_percent": 1, "total_percent": 5},
    "allocation": ["mass", "economic"], "min_primary_data_share": 99,
}


@pytest.fixture
def rules_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_releases(database_url, tmp_path)


def user(app: Flask, email: str) -> User:
    with app.extensions["pcf_db"].unit_of_work() as session:
        found = session.scalars(select(User).where(User.email == email)).one()
        _ = found.organisation.kind
        session.expunge_all()
        return found


def publish(app: Flask, email: str, document: dict[str, object]) -> int:
    record = use_cases.publish_rule(app.extensions["pcf_db"], actor=user(app, email),
                                    text=yaml.safe_dump(document), filename="rule.yaml",
                                    now=datetime.now(UTC))
    return record.id


def association(app: Flask) -> str:
    make_user(app, OrganisationKind.ASSOCIATION, Role.MEMBER, "a@assoc.cn", "Assoc")
    return "a@assoc.cn"


class TestPublishing:
    def test_versions_are_new_higher_and_owned_by_their_publisher(self, rules_app: Flask
                                                                  ) -> None:
        publisher = association(rules_app)
        publish(rules_app, publisher, RULE)
        with pytest.raises(Conflict, match="already published"):
            publish(rules_app, publisher, RULE)
        publish(rules_app, publisher, {**RULE, "version": "1.1.0"})
        with pytest.raises(Conflict, match=r"higher than 1\.1\.0"):
            publish(rules_app, publisher, {**RULE, "version": "1.0.5"})
        make_user(rules_app, OrganisationKind.ASSOCIATION, Role.MEMBER, "b@other.cn", "Other")
        with pytest.raises(Forbidden, match="another organisation"):
            publish(rules_app, "b@other.cn", {**RULE, "version": "2.0.0"})
        make_user(rules_app, OrganisationKind.ENTERPRISE, Role.ADMIN, "e@ent.cn", "Ent")
        with pytest.raises(Forbidden):
            publish(rules_app, "e@ent.cn", {**RULE, "id": "mine"})

    def test_a_broken_rule_names_its_problems(self, rules_app: Flask) -> None:
        publisher = association(rules_app)
        with pytest.raises(InvalidInput) as caught:
            publish(rules_app, publisher, {**RULE, "min_primary_data_share": 120,
                                           "alocation": ["mass"]})
        text = str(caught.value)
        assert "unknown key 'alocation'; did you mean 'allocation'?" in text
        assert "min_primary_data_share: expected a percentage from 0 to 100, got '120'" in text

    def test_the_most_specific_class_and_highest_version_is_in_force(self, rules_app: Flask
                                                                     ) -> None:
        publisher = association(rules_app)
        publish(rules_app, publisher, RULE)
        publish(rules_app, publisher, {**RULE, "version": "1.2.0"})
        publish(rules_app, publisher, {**RULE, "id": "brackets", "cpc_classes": ["42999"]})
        with rules_app.extensions["pcf_db"].unit_of_work() as session:
            assert use_cases.rule_for_class(session, "42999").reference == "brackets@1.0.0"
            assert use_cases.rule_for_class(session, "42910").reference == (
                "sx-fabricated-metal@1.2.0")
            assert use_cases.rule_for_class(session, "41") is None
            withdrawn = session.scalars(select(use_cases.AccountingRuleRecord).where(
                use_cases.AccountingRuleRecord.rule_id == "brackets")).one().id
        use_cases.withdraw_rule(rules_app.extensions["pcf_db"], actor=user(rules_app, publisher),
                                record_id=withdrawn)
        with rules_app.extensions["pcf_db"].unit_of_work() as session:
            assert use_cases.rule_for_class(session, "42999").reference == (
                "sx-fabricated-metal@1.2.0")

    def test_the_pages_list_publish_and_show_a_rule(self, rules_app: Flask) -> None:
        board = Browser(rules_app, "a@assoc.cn", "Assoc", OrganisationKind.ASSOCIATION)
        page = board.post("/rules", {"document": yaml.safe_dump(RULE)}).get_data(as_text=True)
        assert "sx-fabricated-metal@1.0.0" in page
        assert "GB/T 24067-2024 (illustrative sector rule)" in page
        listing = board.page("/rules")
        assert "Fabricated metal products" in listing
        enterprise = Browser(rules_app, "e@ent.cn", "Ent")
        assert "Fabricated metal products" in enterprise.page("/rules")
        assert 'name="document"' not in enterprise.page("/rules")  # readers do not publish
        refused = enterprise.post("/rules", {"document": yaml.safe_dump(RULE)})
        assert "sx-fabricated-metal" in refused.get_data(as_text=True)  # the listing again
        with rules_app.extensions["pcf_db"].unit_of_work() as session:
            assert len(use_cases.list_rules(session)) == 1


class TestChecks:
    def test_a_model_is_checked_on_its_page_when_computed_and_when_submitted(
            self, rules_app: Flask) -> None:
        app = rules_app
        publish(app, association(app), RULE)
        browser = Browser(app, "e@ent.cn", "Ent")
        member = browser.user.id
        certifier = make_user(app, OrganisationKind.CERTIFICATION_BODY, Role.CERTIFIER,
                              "c@cb.cn", "CB")
        with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
            actor = session.get(User, member)
            assert actor is not None
            product = products.create_product(session, actor=actor, fields=products.ProductFields(
                name="bracket", declared_unit="kilogram", internal_id="B-1", cpc_class="42999"))
            product_models.edit_model(session, actor=actor, product_id=product.id,
                                      base_version=0, edit=replace_document(bracket_document()))
            product_id = product.id
        model_page = browser.page(f"/products/{product_id}/model")
        assert "sx-fabricated-metal@1.0.0" in model_page
        assert "forming" in model_page
        with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
            actor = session.get(User, member)
            assert actor is not None
            footprints.start_compute(app, session, actor=actor, product_id=product_id,
                                     release_id=release_id(app))
        with app.extensions["pcf_db"].unit_of_work() as session:
            footprint = session.scalars(select(FootprintRecord)).one()
            assert footprint.rule_reference == "sx-fabricated-metal@1.0.0"
            check = json.loads(footprint.rule_check)
            footprint_id = footprint.id
        failed = {f["clause"] for f in check["findings"] if not f["passed"]}
        assert failed == {"required_process", "primary_data_share"}
        result_page = browser.page(f"/products/{product_id}/results/{footprint_id}")
        assert "sx-fabricated-metal@1.0.0" in result_page
        assert "Table 7.15" in result_page  # the GWP100 values used, with their tables

        with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
            enterprise, body = session.get(User, member), session.get(User, certifier)
            assert enterprise is not None
            assert body is not None
            row = certification.submit(session, actor=enterprise, footprint_id=footprint_id,
                                       body_id=body.organisation_id)
            submission_id = row.id
        with app.extensions["pcf_db"].unit_of_work() as session:
            stored = session.get(CertificationSubmission, submission_id)
            assert stored is not None
            assert stored.rule_reference == "sx-fabricated-metal@1.0.0"
            assert json.loads(stored.rule_check)["findings"] == check["findings"]
        reviewer = app.test_client()
        assert login(reviewer, "c@cb.cn") == 302
        detail = reviewer.get(f"/certification/{submission_id}").get_data(as_text=True)
        assert "sx-fabricated-metal@1.0.0" in detail
        assert 'class="failed"' in detail
