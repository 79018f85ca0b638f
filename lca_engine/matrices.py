"""Technosphere (A) and biosphere (B) matrices of a background system, and their content hash.

Columns are activities, technosphere rows are the products of those activities (one each,
in the same order), biosphere rows are elementary flows. Inputs enter A as negative numbers,
the reference output on the diagonal as a positive one, in the provider's unit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lca_engine.characterization import AIRCRAFT_TAG, PACKAGING_TAG
from lca_engine.errors import (
    DuplicateIdError,
    InvalidAmountError,
    NonProductiveSystemError,
    SingularSystemError,
    UnknownFlowError,
    UnlinkedInputError,
)
from lca_engine.model import (
    BackgroundSystem,
    ElementaryFlow,
    LinkKind,
    check_unique,
    require_finite,
)
from lca_engine.units import factor_at

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _canonical_csr(rows: IntArray, cols: IntArray, values: FloatArray,
                   shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.coo_matrix((values, (rows, cols)), shape=shape).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    matrix.eliminate_zeros()
    return matrix


def _hash_csr(digest: hashlib._Hash, matrix: sp.csr_matrix) -> None:
    digest.update(np.asarray(matrix.shape, dtype="<i8").tobytes())
    digest.update(matrix.indptr.astype("<i8").tobytes())
    digest.update(matrix.indices.astype("<i8").tobytes())
    digest.update(matrix.data.astype("<f8").tobytes())


@dataclass(frozen=True, eq=False)
class MatrixSystem:
    """The matrices of one background system. Immutable: the arrays are read-only."""

    activity_ids: tuple[str, ...]
    activity_names: tuple[str, ...]
    activity_units: tuple[str, ...]
    technosphere: sp.csr_matrix
    biosphere: sp.csr_matrix
    flows: tuple[ElementaryFlow, ...]
    aircraft: npt.NDArray[np.bool_]
    packaging: npt.NDArray[np.bool_]
    content_hash: str

    @property
    def size(self) -> int:
        return len(self.activity_ids)

    def index_of(self, activity_id: str) -> int:
        """Column index of *activity_id*; UnlinkedInputError if the system lacks it."""
        try:
            return self._index[activity_id]
        except KeyError:
            raise UnlinkedInputError(
                f"background activity {activity_id!r} is not in this background system"
            ) from None

    def has(self, activity_id: str) -> bool:
        return activity_id in self._index

    def position(self, activity_id: str) -> int | None:
        """Column index of *activity_id*, or None if the system lacks it."""
        return self._index.get(activity_id)

    def flow_index(self, flow_id: str) -> int:
        try:
            return self._flow_index[flow_id]
        except KeyError:
            raise UnknownFlowError(
                f"elementary flow {flow_id!r} is not in this background system"
            ) from None

    @property
    def technosphere_columns(self) -> sp.csc_matrix:
        """A in CSC form, for walking an activity's inputs (built once, then cached)."""
        cached: sp.csc_matrix | None = self.__dict__.get("_csc_cache")
        if cached is None:
            cached = self.technosphere.tocsc()
            cached.sort_indices()
            object.__setattr__(self, "_csc_cache", cached)
        return cached

    @property
    def _index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {a: i for i, a in enumerate(self.activity_ids)}
            object.__setattr__(self, "_index_cache", cached)
        return cached

    @property
    def _flow_index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_flow_index_cache")
        if cached is None:
            cached = {f.id: i for i, f in enumerate(self.flows)}
            object.__setattr__(self, "_flow_index_cache", cached)
        return cached

    @classmethod
    def from_arrays(
        cls,
        *,
        activity_ids: Sequence[str],
        activity_units: Sequence[str],
        technosphere: tuple[IntArray, IntArray, FloatArray],
        biosphere: tuple[IntArray, IntArray, FloatArray],
        flows: Sequence[ElementaryFlow],
        activity_names: Sequence[str] | None = None,
        tags: Sequence[Iterable[str]] | None = None,
    ) -> MatrixSystem:
        """Build a system from coordinate arrays (row, column, value); duplicates are summed.

        Checks every value is finite and every activity makes a positive amount of its own
        product, naming the activity where one does not.
        """
        n, m = len(activity_ids), len(flows)
        ids = tuple(activity_ids)
        names = tuple(activity_names) if activity_names is not None else ids
        check_unique(ids, "activity")
        check_unique([f.id for f in flows], "elementary flow")
        for label, (rows, cols, values) in (("technosphere", technosphere),
                                            ("biosphere", biosphere)):
            bad = ~np.isfinite(values)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise InvalidAmountError(
                    f"activity {ids[int(cols[k])]!r}: {label} amount {values[k]!r} in row "
                    f"{int(rows[k])} is not finite"
                )
        A = _canonical_csr(*technosphere, shape=(n, n))
        B = _canonical_csr(*biosphere, shape=(m, n))
        diagonal = A.diagonal()
        if (diagonal <= 0).any():
            j = int(np.flatnonzero(diagonal <= 0)[0])
            if diagonal[j] == 0:
                raise SingularSystemError(
                    f"activity {ids[j]!r} ({names[j]}) has a net output of zero of its own "
                    f"product, so nothing produces it"
                )
            raise NonProductiveSystemError(
                f"activity {ids[j]!r} ({names[j]}) consumes more of its own product than it "
                f"makes: net output {float(diagonal[j])!r} {activity_units[j]}"
            )
        tag_sets = [frozenset(t) for t in tags] if tags is not None else [frozenset()] * n
        aircraft = np.array([AIRCRAFT_TAG in t for t in tag_sets], dtype=bool)
        packaging = np.array([PACKAGING_TAG in t for t in tag_sets], dtype=bool)
        for array in (A.data, A.indices, A.indptr, B.data, B.indices, B.indptr,
                      aircraft, packaging):
            array.flags.writeable = False

        digest = hashlib.sha256(b"lca_engine.MatrixSystem/1\n")
        digest.update("\x1f".join(ids).encode())
        digest.update("\x1f".join(activity_units).encode())
        _hash_csr(digest, A)
        _hash_csr(digest, B)
        for flow in flows:
            digest.update(
                f"{flow.id}\x1f{flow.unit}\x1f{flow.gas}\x1f{flow.origin}\x1f{flow.kind}\x1e"
                .encode()
            )
        digest.update(aircraft.tobytes())
        digest.update(packaging.tobytes())
        return cls(ids, names, tuple(activity_units), A, B, tuple(flows), aircraft, packaging,
                   digest.hexdigest())



def build_matrices(background: BackgroundSystem) -> MatrixSystem:
    """Compile a background system of Process records to matrices.

    Inputs are converted to the provider's unit and emissions to the flow's unit; an input to
    an unknown activity, an unknown flow or an impossible conversion raises an error naming
    the activity, the exchange and the value.
    """
    activities = background.activities
    index: dict[str, int] = {}
    for j, activity in enumerate(activities):
        if activity.id in index:
            raise DuplicateIdError(f"activity id {activity.id!r} appears more than once")
        if len(activity.products) != 1:
            raise UnlinkedInputError(
                f"activity {activity.id!r} ({activity.name}) has {len(activity.products)} "
                f"products; allocate multi-output background activities before compiling"
            )
        index[activity.id] = j
    flow_index = {f.id: i for i, f in enumerate(background.flows)}
    units = [a.reference_product.unit for a in activities]

    t_rows: list[int] = []
    t_cols: list[int] = []
    t_vals: list[float] = []
    b_rows: list[int] = []
    b_cols: list[int] = []
    b_vals: list[float] = []
    for j, activity in enumerate(activities):
        where = f"activity {activity.id!r} ({activity.name})"
        product = activity.reference_product
        t_rows.append(j)
        t_cols.append(j)
        t_vals.append(require_finite(product.amount, f"{where}, product {product.name!r}",
                                     positive=True))
        for exchange in activity.inputs:
            at = f"{where}, input {exchange.name!r}"
            amount = require_finite(exchange.amount, at)
            if exchange.link.kind is not LinkKind.BACKGROUND:
                raise UnlinkedInputError(
                    f"{at}: a background activity can only link to background activities, "
                    f"not to {exchange.link.describe()}"
                )
            provider = index.get(exchange.link.target)
            if provider is None:
                raise UnlinkedInputError(
                    f"{at}: provider {exchange.link.target!r} is not an activity of this "
                    f"background"
                )
            factor = factor_at(exchange.unit, units[provider], at)
            t_rows.append(provider)
            t_cols.append(j)
            t_vals.append(-amount * factor)
        for emission in activity.emissions:
            at = f"{where}, elementary flow {emission.flow!r}"
            amount = require_finite(emission.amount, at)
            i = flow_index.get(emission.flow)
            if i is None:
                raise UnknownFlowError(f"{at}: no such elementary flow in the flow list")
            factor = factor_at(emission.unit, background.flows[i].unit, at)
            b_rows.append(i)
            b_cols.append(j)
            b_vals.append(amount * factor)

    return MatrixSystem.from_arrays(
        activity_ids=[a.id for a in activities],
        activity_names=[a.name for a in activities],
        activity_units=units,
        technosphere=(np.asarray(t_rows, dtype=np.int64), np.asarray(t_cols, dtype=np.int64),
                      np.asarray(t_vals, dtype=np.float64)),
        biosphere=(np.asarray(b_rows, dtype=np.int64), np.asarray(b_cols, dtype=np.int64),
                   np.asarray(b_vals, dtype=np.float64)),
        flows=background.flows,
        tags=[a.tags for a in activities],
    )

