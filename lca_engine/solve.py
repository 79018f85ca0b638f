"""Factorisations of the technosphere matrix and the linear solves on them.

One factorisation of A^T serves both directions: adjoint solves A^T y = r (intensities of
every activity at once) and forward solves A x = f (supply for one demand). MKL PARDISO is
used where `pypardiso` is installed; otherwise SciPy's SuperLU, which must factorise the
transpose because on technosphere matrices A itself fills in so badly that it did not finish
on a 25,000-activity system. Every solve is checked by its residual, so a near-singular
system is reported instead of returning noise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from lca_engine.errors import NonProductiveSystemError, SingularSystemError

FloatArray = npt.NDArray[np.float64]

PARDISO = "pardiso"
SUPERLU = "superlu"
RESIDUAL_TOLERANCE = 1e-8
_NEGLIGIBLE = float(np.finfo(np.float64).tiny) / RESIDUAL_TOLERANCE


def available_solvers() -> tuple[str, ...]:
    """Solvers usable on this machine, the preferred first."""
    if importlib.util.find_spec("pypardiso") is not None:
        return (PARDISO, SUPERLU)
    return (SUPERLU,)


def default_solver() -> str:
    return available_solvers()[0]


def _new_pardiso_solver() -> Any:
    """A fresh PyPardisoSolver. Its constructor searches the whole environment for MKL's
    runtime (a quarter of a second on every call); after the first search the path found is
    handed over through pypardiso's own PYPARDISO_MKL_RT variable."""
    import pypardiso  # noqa: PLC0415

    solver = pypardiso.PyPardisoSolver()
    name = getattr(solver.libmkl, "_name", None)
    if name and "PYPARDISO_MKL_RT" not in os.environ:
        os.environ["PYPARDISO_MKL_RT"] = name
    return solver


class Factorization:
    """An LU factorisation of A^T, reused for any number of right-hand sides.

    *solver* is "pardiso" or "superlu"; the name is recorded on every result that used it.
    *labels* name the columns of A in error messages.
    """

    def __init__(self, technosphere: sp.spmatrix, *, solver: str | None = None,
                 labels: Sequence[str] | None = None) -> None:
        self.solver = solver or default_solver()
        if self.solver not in available_solvers():
            raise ValueError(f"solver {self.solver!r} is not available here; "
                             f"available: {', '.join(available_solvers())}")
        A = sp.csr_matrix(technosphere, dtype=np.float64)
        self._A = A
        self._AT = A.T.tocsr()
        self._AT.sort_indices()
        self._labels = labels
        # max absolute row sum of A or A^T: the larger bounds the residual scale of both
        magnitudes = abs(A)
        self._norm = float(max(np.asarray(magnitudes.sum(axis=0)).max(initial=0.0),
                               np.asarray(magnitudes.sum(axis=1)).max(initial=0.0)))
        started = time.perf_counter()
        self._empty = A.shape[0] == 0  # no activities: every solve is of zero unknowns
        if self._empty:
            pass  # PARDISO refuses a 0 x 0 matrix ("error code -1"); nothing to factorise
        elif self.solver == PARDISO:
            self._factorize_pardiso()
        else:
            self._factorize_superlu()
        self.seconds = time.perf_counter() - started

    def _factorize_superlu(self) -> None:
        try:
            self._lu = spla.splu(self._AT.tocsc(), permc_spec="COLAMD")
        except RuntimeError as exc:  # "Factor is exactly singular"
            raise SingularSystemError(_singular_message(self._A, self._labels, str(exc))) from None

    def _factorize_pardiso(self) -> None:
        import pypardiso  # noqa: PLC0415  (optional dependency, x86-64 only)

        self._pardiso = _new_pardiso_solver()
        try:
            self._pardiso.factorize(self._AT)
        except (ValueError, pypardiso.pardiso_wrapper.PyPardisoError) as exc:
            raise SingularSystemError(_singular_message(self._A, self._labels, str(exc))) from None

    def close(self) -> None:
        """Release the factorisation's memory (MKL keeps it outside Python's heap)."""
        solver = self.__dict__.pop("_pardiso", None)
        if solver is not None:
            solver.free_memory(everything=False)
        self.__dict__.pop("_lu", None)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def _pardiso_solve(self, rhs: FloatArray, transpose: bool) -> FloatArray:
        solver = self._pardiso
        solver.set_phase(33)
        # iparm(12) = 0 solves with the factorised matrix (A^T); 2 with its transpose (A).
        solver.set_iparm(12, 2 if transpose else 0)
        try:
            result: FloatArray = solver._call_pardiso(self._AT, np.asfortranarray(rhs))
        finally:
            solver.set_iparm(12, 0)
        return result

    def solve_adjoint(self, rhs: FloatArray) -> FloatArray:
        """y with A^T y = rhs; rhs may hold several right-hand sides as columns."""
        rhs = np.asarray(rhs, dtype=np.float64)
        if self._empty:
            return np.zeros(rhs.shape)
        if self.solver == PARDISO:
            y = self._pardiso_solve(rhs, transpose=False)
        else:
            y = np.asarray(self._lu.solve(rhs), dtype=np.float64)
        self._check(self._AT, y, rhs)
        return y

    def solve_forward(self, rhs: FloatArray) -> FloatArray:
        """x with A x = rhs."""
        rhs = np.asarray(rhs, dtype=np.float64)
        if self._empty:
            return np.zeros(rhs.shape)
        if self.solver == PARDISO:
            x = self._pardiso_solve(rhs, transpose=True)
        else:
            x = np.asarray(self._lu.solve(rhs, trans="T"), dtype=np.float64)
        self._check(self._A, x, rhs)
        return x

    def _check(self, matrix: sp.csr_matrix, x: FloatArray, rhs: FloatArray) -> None:
        if not np.isfinite(x).all():
            raise SingularSystemError(_singular_message(self._A, self._labels,
                                                        "the solution is not finite"))
        residual = np.abs(matrix @ x - rhs).max(initial=0.0)
        scale = self._norm * np.abs(x).max(initial=0.0) + np.abs(rhs).max(initial=0.0)
        # Residuals in the subnormal range are rounding, not singularity: amounts like 5e-324
        # underflow to a zero solution with a "relative residual" of 1.
        if residual > max(RESIDUAL_TOLERANCE * scale, _NEGLIGIBLE):
            raise SingularSystemError(_singular_message(
                self._A, self._labels,
                f"the solve's relative residual is {residual / scale:.3g}"))


def loop_diagnosis(technosphere: sp.spmatrix, labels: Sequence[str] | None,
                   limit: int = 8) -> str | None:
    """Name the first loop of activities that consumes at least what it produces.

    Each strongly connected component of the input graph is tested by the spectral radius of
    its input coefficients per unit of output (the loop gain); a gain of 1 or more makes the
    system singular or non-productive.
    """
    A = sp.csr_matrix(technosphere, dtype=np.float64)
    n = A.shape[0]
    diagonal = A.diagonal()
    if (diagonal <= 0).any():
        j = int(np.flatnonzero(diagonal <= 0)[0])
        return f"{_label(labels, j)} has a net output of {float(diagonal[j])!r} of its own product"
    off = A - sp.diags(diagonal)
    inputs = (-off).maximum(0)  # amounts of inputs, as positive numbers
    count, component = connected_components(inputs, directed=True, connection="strong")
    for c in range(count):
        members = np.flatnonzero(component == c)
        if len(members) < 2:
            continue
        block = inputs[members][:, members] @ sp.diags(1.0 / diagonal[members])
        gain = _spectral_radius(block)
        if gain >= 1.0 - 1e-12:
            names = ", ".join(_label(labels, int(j)) for j in members[:limit])
            more = f" and {len(members) - limit} more" if len(members) > limit else ""
            return (f"the loop of {names}{more} needs {gain:.6g} units of its own output "
                    f"per unit produced (it must be below 1)")
    if n == 0:
        return None
    return None


def _spectral_radius(block: sp.spmatrix) -> float:
    size = block.shape[0]
    if size <= 500:
        return float(np.abs(np.linalg.eigvals(block.toarray())).max())
    values = spla.eigs(block.astype(np.float64), k=1, which="LM", return_eigenvectors=False)
    return float(np.abs(values).max())


def _label(labels: Sequence[str] | None, j: int) -> str:
    return repr(labels[j]) if labels is not None else f"column {j}"


def _singular_message(A: sp.spmatrix, labels: Sequence[str] | None, detail: str) -> str:
    loop = loop_diagnosis(A, labels)
    if loop:
        return f"the technosphere matrix is singular: {loop} ({detail})"
    return f"the technosphere matrix is singular ({detail})"


def check_productive(A: sp.spmatrix, totals: FloatArray,
                     labels: Sequence[str] | None) -> None:
    """Raise NonProductiveSystemError when total requirements *totals* (the adjoint solution
    for a right-hand side of ones) show that the system cannot run with positive activity.

    Only meaningful when every off-diagonal entry is an input (no co-product credits)."""
    matrix = sp.csr_matrix(A)
    # Diagonals are positive (checked on construction); any other positive entry is a credit.
    if int((matrix.data > 0).sum()) > int((matrix.diagonal() > 0).sum()):
        return
    if (totals <= 0).any() or not np.isfinite(totals).all():
        loop = loop_diagnosis(matrix, labels)
        j = int(np.flatnonzero((totals <= 0) | ~np.isfinite(totals))[0])
        raise NonProductiveSystemError(
            f"the system is not productive: {loop or _label(labels, j) + ' cannot be produced'}"
        )
