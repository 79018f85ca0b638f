"""The page language for what the engine writes in English: reporting categories, gas groups,
kinds of contribution and the tree's generated labels; charts built from stored results."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from lca_engine.hashing import decimal_string
from lca_engine.units import PACT_DECLARED_UNITS
from portal.charts import Bar, bar_chart, with_others
from portal.services.model_document import allocation_of

_GAS = re.compile(r"^(?P<gas>\S+) \((?P<origin>[a-z_]+)(?P<uptake>, uptake)?\)$")
_CUTOFF = re.compile(r"^below cut-off \((?P<count>\d+) inputs?\)$")
CHART_BARS = 12


def _(message: str, **values: object) -> str:
    """gettext, typed."""
    return str(gettext(message, **values))


def category_label(category: str) -> str:
    labels = {
        "pcf_excluding_biogenic_uptake": _("PCF excluding biogenic uptake"),
        "pcf_including_biogenic_uptake": _("PCF including biogenic uptake"),
        "fossil_ghg_emissions": _("Fossil GHG emissions"),
        "biogenic_co2_emissions": _("Biogenic CO2 emissions"),
        "biogenic_co2_uptake": _("Biogenic CO2 uptake"),
        "biogenic_non_co2_emissions": _("Biogenic non-CO2 emissions"),
        "land_use_change_ghg_emissions": _("Land-use change GHG emissions"),
        "aircraft_ghg_emissions": _("Aircraft GHG emissions"),
        "packaging_ghg_emissions": _("Packaging GHG emissions"),
    }
    return labels.get(category, category)


def origin_label(origin: str) -> str:
    labels = {"fossil": _("fossil"), "biogenic": _("biogenic"),
              "land_use_change": _("land-use change"), "none": _("other")}
    return labels.get(origin, origin)


def gas_label(key: str) -> str:
    """'CH4 (fossil)' -> 'CH4（化石）' in Chinese; supplier data is named as such."""
    if key == "supplier data (not split by gas)":
        return _("supplier data (not split by gas)")
    match = _GAS.match(key)
    if match is None:
        return key
    origin = origin_label(match["origin"])
    if match["uptake"]:
        return _("%(gas)s (%(origin)s, uptake)", gas=match["gas"], origin=origin)
    return _("%(gas)s (%(origin)s)", gas=match["gas"], origin=origin)


def engine_label(label: str) -> str:
    """Labels the engine generates, translated; names from the model are kept as written."""
    if label == "direct emissions":
        return _("direct emissions")
    match = _CUTOFF.match(label)
    if match is not None:
        return _("below cut-off (%(count)s inputs)", count=match["count"])
    if label.endswith(" (direct)"):
        return _("%(flow)s (direct)", flow=label[:-len(" (direct)")])
    if label.startswith("avoided "):
        return _("avoided %(product)s", product=label[len("avoided "):])
    return label


def kind_label(kind: str) -> str:
    labels = {"background": _("background"), "supplier": _("supplier"),
              "emission": _("direct emission"), "credit": _("credit"),
              "process": _("own process"), "product": _("product"), "other": _("other")}
    return labels.get(kind, kind)


def unit_label(unit: str) -> str:
    """A PACT declared unit in the page language (the code itself is what is stored)."""
    labels = {"liter": _("liter"), "kilogram": _("kilogram"), "cubic meter": _("cubic meter"),
              "kilowatt hour": _("kilowatt hour"), "megajoule": _("megajoule"),
              "ton kilometer": _("ton kilometer"), "square meter": _("square meter")}
    return labels.get(unit, unit)


def property_label(key: str) -> str:
    labels = {"price": _("Price per unit"), "mass": _("Mass per unit (kg)"),
              "energy": _("Energy per unit (MJ)")}
    return labels.get(key, key)


def quality_label(key: str) -> str:
    labels = {"technological": _("Technological"), "temporal": _("Temporal"),
              "geographical": _("Geographical"), "completeness": _("Completeness"),
              "reliability": _("Reliability")}
    return labels.get(key, key)


def allocation_label(method: str) -> str:
    labels = {"mass": _("mass"), "energy": _("energy"), "economic": _("economic"),
              "factors": _("factors"), "system_expansion": _("system expansion")}
    return labels.get(method, method)


def plain(value: object) -> str:
    """A number from a model document as written (1000.0 -> 1000)."""
    if isinstance(value, float):
        return decimal_string(value)
    return str(value)


def short(text: str) -> str:
    """An amount from the tree for reading: four significant digits, thousands grouped."""
    value = float(text)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def rounded(text: str | None, places: int = 4) -> str:
    """A decimal string rounded for reading (the exact string stays on the page too)."""
    if text is None or text == "":
        return "–"
    value = Decimal(text)
    return f"{value:.{places}f}"


def result_charts(data: dict[str, Any]) -> list[Markup]:
    """The three contribution charts of a stored result, in the page language."""
    headline = "pcf_excluding_biogenic_uptake"
    others = _("others")
    unit = _("kg CO2e")

    def bars(rows: list[tuple[str, str]]) -> list[Bar]:
        kept = [Bar(label, float(value), rounded(value)) for label, value in rows
                if Decimal(value) != 0]
        return with_others(kept, CHART_BARS, others, "{:.4f}")

    contributions = data["contributions"]
    by_process = bars([(engine_label(r["label"]), r["values"][headline])
                       for r in contributions["by_process"]])
    by_input = bars([(engine_label(r["label"]), r["values"][headline])
                     for r in contributions["by_input"]])
    by_gas = bars([(gas_label(k), v) for k, v in contributions["by_gas"].items()])
    return [
        bar_chart("chart-process", _("Contribution by process"), by_process, unit=unit),
        bar_chart("chart-input", _("Contribution by input"), by_input, unit=unit),
        bar_chart("chart-gas", _("Contribution by gas"), by_gas, unit=unit),
    ]


HELPERS = {"category_label": category_label, "gas_label": gas_label,
           "engine_label": engine_label, "kind_label": kind_label, "rounded": rounded,
           "allocation_label": allocation_label, "allocation_of": allocation_of,
           "plain": plain, "short": short,
           "unit_label": unit_label, "quality_label": quality_label,
           "property_label": property_label,
           "pact_units": tuple(PACT_DECLARED_UNITS)}
