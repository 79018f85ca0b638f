"""Sparse-matrix LCA engine for cradle-to-gate product carbon footprints.

Pure computation: numpy, scipy, bw2calc; no web, no database, and no files but its own
packaged species table (`lca_engine.species`, read once on first use; see the
`sansio`-style rule in ARCHITECTURE.md). Typical use::

    system = build_matrices(background)          # or MatrixSystem.from_arrays(...)
    table = compute_intensity_table(system, Method("AR6"))
    result = compute_footprint(product_model, system, table)
"""

from typing import TYPE_CHECKING

from lca_engine.characterization import Category, GasGroup, Method
from lca_engine.documents import background_from_document, product_model_from_document
from lca_engine.foreground import compute_footprint
from lca_engine.intensity import IntensityTable, compute_intensity_table
from lca_engine.matrices import MatrixSystem, build_matrices
from lca_engine.result import RESULT_CATEGORIES, FootprintResult
from lca_engine.solve import Factorization, available_solvers
from lca_engine.version import ENGINE_VERSION

if TYPE_CHECKING:
    from lca_engine.full_lca import FullLCA

__all__ = [
    "ENGINE_VERSION",
    "RESULT_CATEGORIES",
    "Category",
    "Factorization",
    "FootprintResult",
    "FullLCA",
    "GasGroup",
    "IntensityTable",
    "MatrixSystem",
    "Method",
    "available_solvers",
    "background_from_document",
    "build_matrices",
    "compute_footprint",
    "compute_intensity_table",
    "product_model_from_document",
]


def __getattr__(name: str) -> object:
    """FullLCA (the bw2calc oracle) loads on first use: importing bw2calc takes ~1.5 s, which
    every `pcf` command would otherwise pay."""
    if name == "FullLCA":
        from lca_engine.full_lca import FullLCA  # noqa: PLC0415

        return FullLCA
    raise AttributeError(f"module 'lca_engine' has no attribute {name!r}")
