"""The on-disk store of datasets, releases and compiled artifacts (intensity tables).

    ROOT/datasets/<name>/<version>.json.gz
    ROOT/releases/<name>/<version>.json.gz
    ROOT/artifacts/<sha256 key>.npz  (+ .json with the file's own sha256)

Writes go to a temporary file and are renamed into place, so a crash never leaves half a
file; a stored release or dataset is never overwritten with different content.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from background_db.errors import ReleaseError, StoreError
from background_db.records import Dataset
from background_db.release import BackgroundRelease
from background_db.serialize import dataset_from_document, dataset_hash, dataset_to_document
from lca_engine.characterization import Category, GasGroup, Method
from lca_engine.intensity import IntensityTable
from lca_engine.model import FlowKind, Origin

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def _safe(part: str, what: str) -> str:
    if not _NAME.match(part):
        raise StoreError(f"{what} {part!r} may use only letters, digits, '.', '_' and '-'")
    return part


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _version_key(version: str) -> tuple[int, ...]:
    core = version.split("-", 1)[0]
    return tuple(int(p) if p.isdigit() else 0 for p in core.split("."))


class BackgroundStore:
    """Datasets, releases and artifacts under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- datasets -------------------------------------------------------------------------
    def put_dataset(self, dataset: Dataset) -> Path:
        path = (self.root / "datasets" / _safe(dataset.name, "dataset name")
                / f"{_safe(dataset.version, 'dataset version')}.json.gz")
        if path.exists():
            if dataset_hash(self.get_dataset(dataset.name, dataset.version)) == dataset_hash(
                    dataset):
                return path
            raise StoreError(f"dataset {dataset.name} {dataset.version} is already stored "
                             f"with other content; give the corrected data a new version")
        _write_atomic(path, _gzip_json(dataset_to_document(dataset)))
        return path

    def get_dataset(self, name: str, version: str | None = None) -> Dataset:
        folder = self.root / "datasets" / _safe(name, "dataset name")
        versions = sorted((p.name[:-8] for p in folder.glob("*.json.gz")), key=_version_key)
        if not versions:
            raise StoreError(f"no dataset named {name!r} in {self.root}")
        chosen = version or versions[-1]
        path = folder / f"{_safe(chosen, 'dataset version')}.json.gz"
        if not path.exists():
            raise StoreError(f"dataset {name!r} has no version {chosen!r}; stored: "
                             f"{', '.join(versions)}")
        return dataset_from_document(_read_json(path))

    def datasets(self) -> list[tuple[str, str]]:
        return sorted((p.parent.name, p.name[:-8])
                      for p in (self.root / "datasets").glob("*/*.json.gz"))

    # -- releases -------------------------------------------------------------------------
    def put_release(self, release: BackgroundRelease) -> Path:
        path = (self.root / "releases" / _safe(release.name, "release name")
                / f"{_safe(release.version, 'release version')}.json.gz")
        if path.exists():
            stored = self.get_release(release.label)
            if stored.content_hash == release.content_hash:
                return path
            raise StoreError(f"release {release.label} already exists with content hash "
                             f"{stored.content_hash[:12]}; releases never change: publish "
                             f"the correction as a new version")
        _write_atomic(path, _gzip_json(release.to_document()))
        return path

    def get_release(self, reference: str) -> BackgroundRelease:
        """A release by `name@version`, `name` (latest version) or content-hash prefix."""
        if "@" in reference:
            name, version = reference.split("@", 1)
            path = (self.root / "releases" / _safe(name, "release name")
                    / f"{_safe(version, 'release version')}.json.gz")
            if not path.exists():
                raise StoreError(f"no release {reference} in {self.root}")
            return _load_release(path)
        named = sorted((self.root / "releases").glob(f"{_safe(reference, 'release')}/*.json.gz"),
                       key=lambda p: _version_key(p.name[:-8]))
        if named:
            return _load_release(named[-1])
        matches = [r for r in self.releases() if r[2].startswith(reference)]
        if len(matches) == 1:
            return self.get_release(f"{matches[0][0]}@{matches[0][1]}")
        raise StoreError(f"no release matches {reference!r}" if not matches else
                         f"{reference!r} matches {len(matches)} releases; use name@version")

    def releases(self) -> list[tuple[str, str, str]]:
        """(name, version, content hash) of every stored release."""
        found = []
        for path in (self.root / "releases").glob("*/*.json.gz"):
            document = _read_json(path)
            found.append((document["name"], document["version"], document["content_hash"]))
        return sorted(found, key=lambda r: (r[0], _version_key(r[1])))

    # -- artifacts ------------------------------------------------------------------------
    def save_table(self, table: IntensityTable) -> Path:
        path = self.root / "artifacts" / f"{table.key}.npz"
        if path.exists():
            return path
        buffer = io.BytesIO()
        np.savez_compressed(buffer, values=table.values, gas_values=table.gas_values)
        data = buffer.getvalue()
        meta = {
            "system_hash": table.system_hash, "gwp_set": table.method.gwp_set,
            "activity_ids": list(table.activity_ids),
            "categories": [c.value for c in table.categories],
            "gas_groups": [[g.gas, g.origin.value, g.kind.value] for g in table.gas_groups],
            "solver": table.solver, "engine_version": table.engine_version,
            "factorization_seconds": table.factorization_seconds,
            "solve_seconds": table.solve_seconds,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        _write_atomic(path.with_suffix(".json"), json.dumps(meta).encode())
        _write_atomic(path, data)
        return path

    def load_table(self, key: str) -> IntensityTable | None:
        path = self.root / "artifacts" / f"{_safe(key, 'artifact key')}.npz"
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            return None
        data = path.read_bytes()
        meta = json.loads(meta_path.read_text())
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise StoreError(f"artifact {path} does not match its recorded sha256")
        arrays = np.load(io.BytesIO(data))
        values, gas_values = arrays["values"], arrays["gas_values"]
        values.flags.writeable = False
        gas_values.flags.writeable = False
        table = IntensityTable(
            system_hash=meta["system_hash"], method=Method(meta["gwp_set"]),
            activity_ids=tuple(meta["activity_ids"]),
            categories=tuple(Category(c) for c in meta["categories"]),
            values=values, gas_values=gas_values,
            gas_groups=tuple(GasGroup(g, Origin(o), FlowKind(k))
                             for g, o, k in meta["gas_groups"]),
            solver=meta["solver"], engine_version=meta["engine_version"],
            factorization_seconds=meta["factorization_seconds"],
            solve_seconds=meta["solve_seconds"],
        )
        if table.key != key:
            raise StoreError(f"artifact {path} holds table {table.key[:12]}, not {key[:12]}")
        return table


def _load_release(path: Path) -> BackgroundRelease:
    try:
        return BackgroundRelease.from_document(_read_json(path))
    except ReleaseError as exc:
        raise StoreError(f"{path}: {exc}") from None


def _gzip_json(document: Any) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return gzip.compress(text.encode(), mtime=0)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read: {exc}") from None
