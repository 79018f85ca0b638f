"""What the model forms and the template describe: a product output, an input and a direct
emission as plain values, the vocabularies they use, and the rule for ids in a model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from portal.services.errors import InvalidInput

DATA_TYPES = ("primary", "secondary")
ALLOCATION_METHODS = ("mass", "energy", "economic", "factors", "system_expansion")
QUALITY_KEYS = ("technological", "temporal", "geographical", "completeness", "reliability")
TAGS = ("packaging", "aircraft")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ProductSpec:
    id: str
    name: str
    amount: float
    unit: str
    properties: dict[str, float] = field(default_factory=dict)  # mass, energy, price
    substitutes: str = ""  # a background activity, for system expansion

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": check_id(self.id, "product_id"),
                                 "name": self.name.strip() or self.id,
                                 "amount": self.amount, "unit": self.unit.strip()}
        if self.properties:
            entry["properties"] = dict(self.properties)
        if self.substitutes.strip():
            entry["substitutes"] = {"background": self.substitutes.strip()}
        return entry


@dataclass(frozen=True)
class InputSpec:
    name: str
    amount: float
    unit: str
    kind: str  # background | process | supplier
    target: str  # activity id | process id | published footprint id
    product: str = ""  # the provider's product, for own processes
    data_type: str = "secondary"
    packaging: bool = False
    quality: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EmissionSpec:
    flow: str
    amount: float
    unit: str
    data_type: str = "primary"


def check_id(value: str, field_name: str) -> str:
    value = value.strip()
    if not _ID.match(value):
        raise InvalidInput({field_name: _(
            "'%(value)s' is not an id (letters, digits, '.', '_' or '-', at most 64).",
            value=value)})
    return value
