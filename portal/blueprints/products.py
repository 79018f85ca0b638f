"""Product modelling and footprint results for enterprises. (Routes are added with the
product feature.)"""

from __future__ import annotations

from flask import Blueprint

from portal.db.models import OrganisationKind

blueprint = Blueprint("products", __name__, url_prefix="/products")

#: (endpoint, label, organisation kinds that see it; empty: everyone logged in)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = []
