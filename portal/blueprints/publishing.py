"""Background publishing: associations upload datasets, the operator reviews and publishes
releases, everyone browses releases. (Routes are added with the publishing feature.)"""

from __future__ import annotations

from flask import Blueprint

from portal.db.models import OrganisationKind

blueprint = Blueprint("publishing", __name__, url_prefix="/background")

#: (endpoint, label, organisation kinds that see it; empty: everyone logged in)
NAV: list[tuple[str, str, tuple[OrganisationKind, ...]]] = []
