"""Product-model documents are trade secrets: stored sealed with the owning organisation's
data key (see portal/crypto.py), bound to their table, row and column."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session, object_session

from portal.db.models import Product, ProductModelVersion
from portal.web import vault

TABLE = "product_model_version"
COLUMN = "document"


def seal_document(session: Session, version: ProductModelVersion, organisation_id: int,
                  document: dict[str, Any]) -> None:
    """Store *document* in *version*, sealed (the row is flushed first for its id)."""
    session.flush()  # the row id is part of the associated data
    version.document = vault().seal(
        session, organisation_id=organisation_id, table=TABLE, row_id=version.id,
        column=COLUMN, plaintext=json.dumps(document, ensure_ascii=False))


def load_document(version: ProductModelVersion) -> dict[str, Any]:
    """The document of *version*, opened with its product's organisation key."""
    session = object_session(version)
    if session is None:
        raise RuntimeError("load_document needs a version attached to a session")
    product = session.get(Product, version.product_id)
    assert product is not None
    text = vault().open(session, organisation_id=product.organisation_id, table=TABLE,
                        row_id=version.id, column=COLUMN, ciphertext=version.document)
    loaded: dict[str, Any] = json.loads(text)
    return loaded
