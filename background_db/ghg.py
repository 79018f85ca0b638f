"""Recognise greenhouse-gas elementary flows in imported data by CAS number and name.

Databases name the same gas many ways ("Carbon dioxide, fossil", "Methane, non-fossil",
"Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", "Carbon dioxide, in air"). This module maps them to
the gas keys of the IPCC tables, an origin and a kind. Only emissions to air and the uptake of
CO2 from air count; the same substances to water or soil are not greenhouse-gas flows here.
"""

from __future__ import annotations

import re

import globalwarmingpotentials

from lca_engine.model import FlowKind, Origin

# CAS number -> IPCC key (as in the globalwarmingpotentials tables).
CAS_GASES: dict[str, str] = {
    "124-38-9": "CO2", "74-82-8": "CH4", "10024-97-2": "N2O", "2551-62-4": "SF6",
    "7783-54-2": "NF3", "75-73-0": "CF4", "76-16-4": "C2F6", "76-19-7": "C3F8",
    "811-97-2": "HFC134a", "75-46-7": "HFC23", "75-10-5": "HFC32", "354-33-6": "HFC125",
    "420-46-2": "HFC143a", "75-37-6": "HFC152a", "431-89-0": "HFC227ea", "690-39-1": "HFC236fa",
    "460-73-1": "HFC245fa", "406-58-6": "HFC365mfc", "75-45-6": "HCFC22", "1717-00-6": "HCFC141b",
    "75-68-3": "HCFC142b", "75-69-4": "CFC11", "75-71-8": "CFC12", "76-13-1": "CFC113",
    "56-23-5": "CCl4", "71-55-6": "CH3CCl3", "75-09-2": "CH2Cl2", "67-66-3": "CHCl3",
    "74-87-3": "CH3Cl", "74-83-9": "CH3Br", "75-63-8": "Halon1301", "353-59-3": "Halon1211",
}

_NAME_GASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), gas) for pattern, gas in (
        (r"^carbon dioxide\b", "CO2"),
        (r"^methane(,\s*(fossil|non-fossil|biogenic|from soil or biomass stock|"
         r"land transformation))?\s*$", "CH4"),
        (r"^methane\s*\((fossil|biogenic|non-fossil)\)\s*$", "CH4"),
        (r"^(dinitrogen monoxide|nitrous oxide)\b", "N2O"),
        (r"^sulfur hexafluoride\b|^sulphur hexafluoride\b", "SF6"),
        (r"^nitrogen (tri)?fluoride\b", "NF3"),
        (r"\bR-14\b|^methane, tetrafluoro-|^tetrafluoromethane\b", "CF4"),
        (r"\bR-116\b|^ethane, hexafluoro-|^hexafluoroethane\b", "C2F6"),
    )
)
_CODE = re.compile(r"\b(H?C?FC|HCFC|HFC|CFC|PFC)-?(\d+[a-z]{0,3})\b", re.IGNORECASE)
_HALON = re.compile(r"\bHalon[- ]?(\d{4})\b", re.IGNORECASE)


def _origin(name: str, gas: str) -> Origin:
    lowered = name.lower()
    if any(k in lowered for k in ("land transformation", "from soil or biomass stock",
                                  "land use change", "land-use change", "luluc")):
        return Origin.LAND_USE_CHANGE
    if any(k in lowered for k in ("non-fossil", "biogenic", "in air")):
        return Origin.BIOGENIC
    return Origin.FOSSIL


def gas_of(name: str, cas: str = "") -> str | None:
    """The IPCC key of the gas a flow names, or None."""
    cas = cas.strip().lstrip("0") if cas else ""
    if cas in CAS_GASES:
        return CAS_GASES[cas]
    for pattern, gas in _NAME_GASES:
        if pattern.search(name.strip()):
            return gas
    match = _CODE.search(name)
    if match:
        return f"{match.group(1).upper()}{match.group(2)}"
    halon = _HALON.search(name)
    if halon:
        return f"Halon{halon.group(1)}"
    return None


def _has_gwp(gas: str) -> bool:
    return gas == "CO2" or any(gas in globalwarmingpotentials.data[key]
                               for key in ("AR5GWP100", "AR6GWP100"))


def classify_flow(name: str, compartment: str = "", cas: str = "") -> tuple[
        str | None, Origin, FlowKind]:
    """Gas key, origin and kind of an elementary flow; (None, NONE, EMISSION) if it is not
    a greenhouse-gas flow to or from air."""
    lowered = compartment.lower()
    resource = any(k in lowered for k in ("resource", "raw", "natural"))
    gas = gas_of(name, cas)
    if gas is None or not _has_gwp(gas):  # not a gas the IPCC tables characterise
        return None, Origin.NONE, FlowKind.EMISSION
    if gas == "CO2" and (resource or "in air" in name.lower()):
        return "CO2", Origin.BIOGENIC, FlowKind.UPTAKE
    if resource:
        return None, Origin.NONE, FlowKind.EMISSION
    if lowered and "air" not in lowered:
        return None, Origin.NONE, FlowKind.EMISSION  # to water or soil
    return gas, _origin(name, gas), FlowKind.EMISSION
