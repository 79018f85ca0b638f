"""`pcf demo`: one organisation of each kind, the seed release and the demo product."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from background_db.compile import compile_release
from background_db.store import BackgroundStore
from lca_engine import compute_footprint, product_model_from_document
from portal.db.models import Organisation
from portal.services import products
from portal.services.demo import ensure_demo
from portal.services.demo_product import DEMO_EMAIL, RELEASE, ensure_demo_product
from portal.services.model_storage import load_document


def test_demo_data_gives_a_computable_product(app: Flask) -> None:
    store = BackgroundStore(app.extensions["pcf_settings"].background_store)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        logins = ensure_demo(session, store=store)
        product = ensure_demo_product(session)
        assert product is not None
        again = ensure_demo_product(session)
        assert again is not None
        assert again.id == product.id  # a second run adds nothing
        kinds = {o.kind.value for o in session.scalars(select(Organisation))}
        version = products.latest_version(session, product.id)
        assert version is not None
        document = load_document(version)
    assert DEMO_EMAIL in {login.email for login in logins}
    assert all(login.password for login in logins)  # random, printed once on creation
    assert kinds == {"operator", "association", "enterprise", "certification_body"}
    assert document["release"] == RELEASE
    compiled = compile_release(store.get_release(RELEASE), store=store)
    result = compute_footprint(product_model_from_document(document), compiled.system,
                               compiled.table)
    # hot-rolled coil alone (1.049 kg at about 1.96 kg CO2e/kg) is about 2 kg CO2e
    assert 2.0 < result.total() < 4.0
