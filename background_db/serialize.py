"""Datasets and releases to and from plain JSON documents: the stored form and the input of
their content hashes. Written out field by field (floats by shortest repr), so a hash is
stable across runs, machines and Python versions, and changes when any number changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from background_db.records import (
    ActivityRecord,
    Dataset,
    DatasetRole,
    ElementaryRecord,
    FlowRecord,
    InputRecord,
    Provenance,
)
from lca_engine.model import DataQuality, FlowKind, Origin, Uncertainty

FORMAT = "pcf-background/1"


def _uncertainty(value: Uncertainty | None) -> list[Any] | None:
    if value is None:
        return None
    return [value.distribution, [[k, v] for k, v in value.parameters]]


def _read_uncertainty(value: Any) -> Uncertainty | None:
    if value is None:
        return None
    return Uncertainty(value[0], tuple((k, float(v)) for k, v in value[1]))


def _quality(value: DataQuality | None) -> list[float | None] | None:
    if value is None:
        return None
    return [value.technological, value.temporal, value.geographical, value.completeness,
            value.reliability]


def _provenance(value: Provenance) -> list[str]:
    return [value.publisher, value.source, value.licence, value.note]


def flow_to_list(flow: FlowRecord) -> list[Any]:
    return [flow.id, flow.name, flow.unit, flow.compartment, flow.cas, flow.gas,
            flow.origin.value, flow.kind.value]


def flow_from_list(item: list[Any]) -> FlowRecord:
    return FlowRecord(item[0], item[1], item[2], item[3], item[4], item[5], Origin(item[6]),
                      FlowKind(item[7]))


def activity_to_list(a: ActivityRecord) -> list[Any]:
    return [
        a.id, a.name, a.reference_product, a.unit, a.amount, a.geography, a.period_start,
        a.period_end, a.sector,
        [[i.provider, i.amount, i.unit, i.name, i.provider_name, _uncertainty(i.uncertainty)]
         for i in a.inputs],
        [[e.flow, e.amount, e.unit, _uncertainty(e.uncertainty)] for e in a.emissions],
        sorted(a.tags), _provenance(a.provenance), _quality(a.quality), a.replaces,
    ]


def activity_from_list(item: list[Any]) -> ActivityRecord:
    quality = item[13]
    return ActivityRecord(
        id=item[0], name=item[1], reference_product=item[2], unit=item[3], amount=item[4],
        geography=item[5], period_start=item[6], period_end=item[7], sector=item[8],
        inputs=tuple(InputRecord(i[0], i[1], i[2], i[3], i[4], _read_uncertainty(i[5]))
                     for i in item[9]),
        emissions=tuple(ElementaryRecord(e[0], e[1], e[2], _read_uncertainty(e[3]))
                        for e in item[10]),
        tags=frozenset(item[11]), provenance=Provenance(*item[12]),
        quality=None if quality is None else DataQuality(*quality), replaces=item[14],
    )


def dataset_to_document(dataset: Dataset) -> dict[str, Any]:
    return {
        "format": FORMAT, "kind": "dataset", "name": dataset.name, "version": dataset.version,
        "role": dataset.role.value, "provenance": _provenance(dataset.provenance),
        "source_file": dataset.source_file, "source_format": dataset.format,
        "flows": [flow_to_list(f) for f in dataset.flows],
        "activities": [activity_to_list(a) for a in dataset.activities],
    }


def dataset_from_document(document: dict[str, Any]) -> Dataset:
    if document.get("format") != FORMAT or document.get("kind") != "dataset":
        raise ValueError(f"not a {FORMAT} dataset document")
    return Dataset(
        name=document["name"], version=document["version"],
        role=DatasetRole(document["role"]),
        flows=tuple(flow_from_list(f) for f in document["flows"]),
        activities=tuple(activity_from_list(a) for a in document["activities"]),
        provenance=Provenance(*document["provenance"]),
        source_file=document["source_file"], format=document["source_format"],
    )


def canonical_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode()


def dataset_hash(dataset: Dataset) -> str:
    """sha256 of the dataset's content: flows and activities sorted by id, every field."""
    document = dataset_to_document(dataset)
    document["flows"].sort(key=lambda f: f[0])
    document["activities"].sort(key=lambda a: a[0])
    document.pop("source_file")
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
