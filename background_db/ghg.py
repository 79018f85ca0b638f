"""Recognise greenhouse-gas elementary flows in imported data: by CAS number first, then by
name, against the engine's species table (`lca_engine.species`).

Databases write one gas many ways ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", "R-134a",
"1,1,1,2-tetrafluoroethane"). Names are compared with case, spacing and punctuation removed;
an ecoinvent-style name ("Ethane, 1,2-dichloro-") is also tried turned round
("1,2-dichloroethane"), and a trailing code ("HFC-134a", "Halon 1001") alone. A parent
named with its substituents is never the parent: "Ethane, 1,1,1,2-tetrafluoro-" is
HFC-134a, "Methane, bromo-" is CH3Br. Origin words ("fossil", "non-fossil", "from soil or
biomass stock", "in air") are read off the name before it is compared.

Only emissions to air and CO2 taken up from air count. CO2 is taken up when its name says
so ("Carbon dioxide, in air", "..., from air", "..., resource correction") or it sits in a
resource compartment; a flow whose name or compartment says the opposite of the exchange's
direction is refused by the importers (`direction_conflict`). "Carbon dioxide, to soil or
biomass stock" (carbon stored in land) is not a flow to or from the air here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from lca_engine.model import FlowKind, Origin
from lca_engine.species import normal_cas, species_table


class Place(StrEnum):
    """Where a compartment puts a flow."""

    AIR = "air"  # an emission to air (also: no compartment given)
    RESOURCE = "resource"  # taken from nature
    OTHER = "other"  # water, soil, ...


_LAND_USE = ("from soil or biomass stock", "land transformation", "land use change",
             "land-use change", "luluc")
_BIOGENIC = ("non-fossil", "non fossil", "biogenic", "biotic")
_UPTAKE = ("in air", "from air", "resource correction")
_STORED = ("to soil or biomass stock",)
_QUALIFIERS = (*_LAND_USE, *_BIOGENIC, *_UPTAKE, *_STORED, "fossil", "unspecified origin")
_RESOURCE_WORDS = ("resource", "raw", "natural")
_AIR_WORDS = ("air", "stratosphere", "troposphere")
# a comma between two digits is part of a locant ("1,1,1,2-"), not a separator
_PARTS = re.compile(r"(?<!\d),|,(?!\d)")
_BRACKETED = re.compile(r"\s*\(([^()]*)\)\s*$")
# the second part of "Ethane, 1,2-dichloro-" names substituents: the first is only a parent
_SUBSTITUENT = re.compile(r"(-|fluoro|chloro|bromo|iodo|methyl|ethyl|propyl|butyl|methoxy|"
                          r"ethoxy|nitro|hydroxy|oxo|amino|cyano|thio|phenyl|vinyl)$",
                          re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FlowIdentity:
    """What a flow's name, CAS number and compartment say, before its direction is known."""

    gas: str | None  # key in the species table
    origin: Origin
    uptake: bool  # CO2 taken up from the air
    stored: bool  # carbon put into soil or biomass stocks
    place: Place


def normal_name(text: str) -> str:
    """*text* folded for comparison: Unicode-normalised, lower case, letters, digits and
    primes only ("HG'-01" stays apart from "HG-01")."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2032", "'")
    return re.sub(r"[^a-z0-9']", "", folded.replace("\u2019", "'"))


def _split(name: str) -> tuple[list[str], set[str]]:
    """The name's parts without its origin words, and those words."""
    words: set[str] = set()
    text = name.strip()
    while (bracket := _BRACKETED.search(text)) and bracket.group(1).strip().lower() in (
            *_QUALIFIERS, "land use change"):
        words.add(bracket.group(1).strip().lower())
        text = text[:bracket.start()]
    parts = []
    for part in (p.strip() for p in _PARTS.split(text)):
        if part.lower() in _QUALIFIERS:
            words.add(part.lower())
        elif part:
            parts.append(part)
    return parts, words


def _lookup(parts: list[str], names: dict[str, str]) -> str | None:
    """The species the name's parts name: all of them together; else the chemical name
    (the first part, or the parent turned round with its substituents) when every other
    part is a known name too (not "n butane, kg C"); else a later part alone (a code)."""
    if not parts:
        return None
    whole = names.get(normal_name(", ".join(parts)))
    if whole is not None:
        return whole
    rest = parts[1:]
    if rest and _SUBSTITUENT.search(rest[0]):
        head, rest = normal_name(rest[0] + parts[0]), rest[1:]  # "1,2-dichloro-" + "Ethane"
    else:
        head = normal_name(parts[0])
    found = names.get(head)
    if found is not None and all(normal_name(p) in names for p in rest):
        return found  # a code naming another gas ("HCFC-140" for CH3CCl3) loses to the name
    return next((names[c] for c in map(normal_name, rest) if c in names), None)


@cache
def _indexes() -> tuple[dict[str, str], dict[str, str]]:
    """Folded names and CAS numbers of every species in the table, to its key."""
    names: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for species in species_table().species:
        for name in species.names:
            parts, _words = _split(name)
            for folded in {normal_name(name), normal_name(", ".join(parts))}:
                known = names.setdefault(folded, species.key)
                if known != species.key:
                    raise ValueError(f"species table: name {name!r} is both {known} and "
                                     f"{species.key}")
        for cas in species.cas:
            numbers[cas] = species.key
    return names, numbers


def species_of(name: str, cas: str = "") -> str | None:
    """The species-table key of the gas a flow names (by CAS number first), or None."""
    names, numbers = _indexes()
    number = normal_cas(cas) if cas else ""
    if number in numbers:
        return numbers[number]
    whole = names.get(normal_name(name))
    if whole is not None:
        return whole
    parts, _words = _split(name)
    return _lookup(parts, names)


def place_of(compartment: str) -> Place:
    """Where *compartment* puts a flow: air, a resource, or another medium."""
    lowered = compartment.lower()
    if any(word in lowered for word in _RESOURCE_WORDS):
        return Place.RESOURCE
    if any(word in lowered for word in _AIR_WORDS) or not lowered.strip():
        return Place.AIR
    return Place.OTHER


def identify(name: str, compartment: str = "", cas: str = "") -> FlowIdentity:
    """What *name*, *cas* and *compartment* say about a flow (see the module docstring)."""
    gas = species_of(name, cas)
    _parts, words = _split(name)
    place = place_of(compartment)
    stored = any(w in _STORED for w in words)
    emitted = any(w in (*_LAND_USE, *_BIOGENIC, "fossil") for w in words)
    uptake = gas == "CO2" and not stored and (
        any(w in _UPTAKE for w in words) or (place is Place.RESOURCE and not emitted))
    if gas is None or stored:
        origin = Origin.NONE
    elif uptake or any(w in _BIOGENIC for w in words):
        origin = Origin.BIOGENIC
    elif any(w in _LAND_USE for w in words):
        origin = Origin.LAND_USE_CHANGE
    else:
        origin = Origin.FOSSIL
    return FlowIdentity(gas, origin, uptake, stored, place)


def classify_flow(name: str, compartment: str = "", cas: str = "") -> tuple[
        str | None, Origin, FlowKind]:
    """Gas key, origin and kind of an elementary flow; (None, NONE, EMISSION) if it is not
    a greenhouse-gas flow to or from air."""
    flow = identify(name, compartment, cas)
    if flow.gas is None or flow.stored or flow.place is Place.OTHER:
        return None, Origin.NONE, FlowKind.EMISSION
    if flow.uptake:
        return "CO2", Origin.BIOGENIC, FlowKind.UPTAKE
    if flow.place is Place.RESOURCE:  # an emitted gas written as a resource: see below
        return None, Origin.NONE, FlowKind.EMISSION
    return flow.gas, flow.origin, FlowKind.EMISSION


def direction_conflict(name: str, compartment: str, cas: str, *,
                       from_nature: bool) -> str | None:
    """Why a flow cannot be exchanged in this direction (*from_nature*: an input from the
    environment, a resource; else an output to it, an emission), or None when it can."""
    flow = identify(name, compartment, cas)
    if flow.gas is None or flow.stored or flow.place is Place.OTHER:
        return None
    if flow.uptake and not from_nature:
        return ("this names CO2 taken up from the air (a resource), but the exchange is an "
                "emission: it would count +1 as biogenic CO2 emitted instead of -1 taken up; "
                "write it as a resource (an input from nature), or name the CO2 emitted "
                "('Carbon dioxide, non-fossil')")
    if not flow.uptake and (from_nature or flow.place is Place.RESOURCE):
        return (f"this names {flow.gas}, a greenhouse gas emitted to air, but the exchange "
                f"is a resource (taken from nature); write it as an emission, or name CO2 "
                f"taken up from the air 'Carbon dioxide, in air'")
    return None
