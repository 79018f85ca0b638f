"""Full (forward) LCA of a background system through bw2calc, the independent reference.

The system's matrices go to bw2calc as a bw_processing datapackage; bw2calc builds its own
matrices, factorises and solves. One bw2calc LCA object serves many demands (with PARDISO its
factorisation is reused; with SuperLU bw2calc factorises A^T once).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import bw2calc
import bw_processing as bwp
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lca_engine.characterization import TABLE_CATEGORIES, Category, Method
from lca_engine.intensity import Characterization
from lca_engine.matrices import MatrixSystem

FloatArray = npt.NDArray[np.float64]


class FullLCA:
    """bw2calc LCA of *system* for any demand, characterised by *method*."""

    def __init__(self, system: MatrixSystem, method: Method | None = None) -> None:
        self.system = system
        self.method = method or Method()
        self.characterization = Characterization.of(system, self.method)
        n = system.size
        A = system.technosphere.tocoo()
        B = system.biosphere.tocoo()
        package = bwp.create_datapackage(sequential=True)
        technosphere_indices = np.empty(A.nnz, dtype=bwp.INDICES_DTYPE)
        technosphere_indices["row"] = A.row + 1
        technosphere_indices["col"] = A.col + 1
        package.add_persistent_vector(
            matrix="technosphere_matrix", name="technosphere",
            indices_array=technosphere_indices, data_array=A.data.astype(np.float64),
            flip_array=np.zeros(A.nnz, dtype=bool))
        biosphere_indices = np.empty(B.nnz, dtype=bwp.INDICES_DTYPE)
        biosphere_indices["row"] = B.row + n + 1
        biosphere_indices["col"] = B.col + 1
        package.add_persistent_vector(
            matrix="biosphere_matrix", name="biosphere",
            indices_array=biosphere_indices, data_array=B.data.astype(np.float64))
        self._package = package
        self._lca: bw2calc.LCA | None = None

    @property
    def solver(self) -> str:
        return "pardiso" if bw2calc.PYPARDISO else "superlu"

    def _run(self, demand: Mapping[str, float]) -> bw2calc.LCA:
        ids = {self.system.index_of(a) + 1: float(v) for a, v in demand.items()}
        with warnings.catch_warnings():
            # bw2calc warns about its own deprecated paths; the numbers are what we test.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="No valid biosphere flows")
            if self._lca is None:
                self._lca = bw2calc.LCA(ids, data_objs=[self._package])
                self._lca.lci(factorize=True)
            else:
                self._lca.lci(demand=ids)
        return self._lca

    def supply(self, demand: Mapping[str, float]) -> FloatArray:
        """Activity levels (scaling vector) for *demand*, in system column order."""
        lca = self._run(demand)
        order = [lca.dicts.activity[j + 1] for j in range(self.system.size)]
        return np.asarray(lca.supply_array, dtype=np.float64)[order]

    def scores(self, demand: Mapping[str, float]) -> dict[Category, float]:
        """Category totals of *demand* (activity id -> amount in its unit)."""
        if self.system.biosphere.nnz == 0:  # bw2calc refuses an empty biosphere
            self.supply(demand)
            return dict.fromkeys(TABLE_CATEGORIES, 0.0)
        lca = self._run(demand)
        n, flows = self.system.size, len(self.system.flows)
        # Characterisation and aircraft mask, reordered to bw2calc's row and column order.
        flow_rows = np.array([lca.dicts.biosphere.get(n + 1 + i, -1) for i in range(flows)])
        present = flow_rows >= 0
        matrix = self.characterization.matrix.tocsc()[:, np.flatnonzero(present)]
        kept = int(present.sum())
        reorder = sp.csr_matrix((np.ones(kept), (np.arange(kept), flow_rows[present])),
                                shape=(kept, lca.inventory.shape[0]))
        # groups x bw2calc activities
        by_group = np.asarray((matrix @ reorder @ lca.inventory).toarray())
        aircraft_cols = [lca.dicts.activity[j + 1] for j in np.flatnonzero(self.system.aircraft)]
        excl = self.characterization.signs[
            TABLE_CATEGORIES.index(Category.PCF_EXCLUDING_BIOGENIC_UPTAKE)] @ by_group
        values = self.characterization.signs @ by_group.sum(axis=1)
        values[TABLE_CATEGORIES.index(Category.AIRCRAFT_GHG_EMISSIONS)] = float(
            excl[aircraft_cols].sum())
        return {c: float(v) for c, v in zip(TABLE_CATEGORIES, values, strict=True)}
