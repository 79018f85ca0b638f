"""Unit conversion with pint, including the PACT declared units."""

from __future__ import annotations

import pytest

from lca_engine.errors import UnitMismatchError, UnknownUnitError
from lca_engine.units import PACT_DECLARED_UNITS, conversion_factor


class TestConversionFactor:
    @pytest.mark.parametrize(("source", "target", "factor"), [
        ("kWh", "MJ", 3.6),
        ("kilowatt hour", "megajoule", 3.6),
        ("t", "kg", 1000.0),
        ("g", "kg", 0.001),
        ("tkm", "ton kilometer", 1.0),
        ("kg*km", "tkm", 0.001),
        ("liter", "m3", 0.001),
        ("m2", "square meter", 1.0),
        ("GJ", "MJ", 1000.0),
        ("pcs", "item", 1.0),
    ])
    def test_known_factors_are_exact(self, source: str, target: str, factor: float) -> None:
        assert conversion_factor(source, target) == factor

    def test_every_pact_declared_unit_parses(self) -> None:
        for unit in PACT_DECLARED_UNITS:
            assert conversion_factor(unit, unit) == 1.0

    def test_refuses_mass_into_energy(self) -> None:
        with pytest.raises(UnitMismatchError, match=r"'kg' to 'kWh'"):
            conversion_factor("kg", "kWh")

    def test_refuses_items_into_mass(self) -> None:
        with pytest.raises(UnitMismatchError):
            conversion_factor("item", "kg")

    def test_unknown_unit_is_named(self) -> None:
        with pytest.raises(UnknownUnitError, match=r"'blorbs'"):
            conversion_factor("blorbs", "kg")
