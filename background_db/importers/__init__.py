"""Importers: each turns one file (or folder / zip) into a `Dataset`, or raises
`DatasetImportError` listing every problem with file, row or element, field and value.

`import_file(path)` picks the importer from the extension and the content.
"""

from __future__ import annotations

import importlib
import zipfile
from collections.abc import Callable
from pathlib import Path

from background_db.errors import DatasetImportError, ImportIssue
from background_db.importers.archive import DATASET_ARCHIVE, open_archive
from background_db.records import Dataset, DatasetRole

FORMATS = ("template", "jsonld", "ecospold2", "ecospold1", "ilcd", "simapro")
Importer = Callable[..., Dataset]


_IMPORTERS = {
    "template": ("background_db.importers.template", "import_template"),
    "jsonld": ("background_db.importers.olca_jsonld", "import_olca_jsonld"),
    "ecospold2": ("background_db.importers.ecospold", "import_ecospold2"),
    "ecospold1": ("background_db.importers.ecospold", "import_ecospold1"),
    "ilcd": ("background_db.importers.ilcd", "import_ilcd"),
    "simapro": ("background_db.importers.simapro", "import_simapro_csv"),
}


def importer_for(name: str) -> Importer:
    """The import function of one format (see FORMATS), loaded on first use."""
    if name not in _IMPORTERS:
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    module, function = _IMPORTERS[name]
    found: Importer = getattr(importlib.import_module(module), function)
    return found


def _head(path: Path, size: int = 2048) -> str:
    with path.open("rb") as stream:
        return stream.read(size).decode("utf-8", errors="replace")


def _xml_format(text: str) -> str | None:
    # namespaces first: EcoSpold 1 and 2 both have an <ecoSpold> root element
    if "EcoSpold02" in text:
        return "ecospold2"
    if "EcoSpold01" in text or "<ecoSpold" in text:
        return "ecospold1"
    if "processDataSet" in text or "lca.jrc.it/ILCD" in text:
        return "ilcd"
    return None


def _names_format(names: list[str]) -> str | None:
    if any(n.endswith(".json") for n in names) and (
            any(n.rsplit("/", 1)[-1] == "context.json" for n in names)
            or any("processes/" in n and n.endswith(".json") for n in names)):
        return "jsonld"
    if any("processes/" in n and n.endswith(".xml") for n in names):
        return "ilcd"
    if any(n.endswith(".spold") for n in names):
        return "ecospold2"
    return None


def detect_format(path: Path) -> str:
    """The format of *path*, from its extension and content; raises DatasetImportError."""
    suffix = path.suffix.lower()
    found: str | None = None
    if path.is_dir():
        found = _names_format([p.relative_to(path).as_posix() for p in path.rglob("*")])
        if found is None and any(p.suffix == ".xml" for p in path.iterdir()):
            found = _xml_format(_head(next(p for p in path.iterdir() if p.suffix == ".xml")))
    elif not path.exists():
        raise DatasetImportError([ImportIssue(str(path), "", "", "", "no such file")])
    elif suffix == ".zip":
        try:
            with open_archive(path, str(path), DATASET_ARCHIVE) as archive:
                found = _names_format(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError):
            found = None
    elif suffix in (".xlsx", ".xlsm"):
        found = "template"
    elif suffix in (".csv", ".txt"):
        found = "simapro" if _head(path, 64).lstrip("\ufeff").startswith("{SimaPro") else (
            "template" if suffix == ".csv" else None)
    elif suffix == ".json":
        found = "jsonld"
    elif suffix in (".xml", ".spold"):
        found = _xml_format(_head(path))
    if found is None:
        raise DatasetImportError([ImportIssue(
            str(path), "", "", "", "cannot tell the format; name it with --format "
            f"({', '.join(FORMATS)})")])
    return found


def import_file(path: Path, *, format: str | None = None,
                role: DatasetRole = DatasetRole.BASE, name: str | None = None,
                version: str = "") -> Dataset:
    """Import *path* with the importer of *format* (detected when None)."""
    chosen = format or detect_format(path)
    return importer_for(chosen)(path, role=role, name=name, version=version)
