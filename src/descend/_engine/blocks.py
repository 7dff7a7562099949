r"""The full batch on every core, the same to the last bit for any number of threads.

A sum of floating-point numbers depends on the order it is taken in. So that a fit with
``n_jobs=8`` gives the coefficients of ``n_jobs=1`` exactly, the work is cut by the data, never by
the threads: the threads only decide who computes which piece, and the pieces are put together in
one fixed order.

* **Dense rows.** The rows of a full batch (or of a batch larger than :data:`BLOCK_ROWS`) are cut
  into blocks of :data:`BLOCK_ROWS` consecutive rows; each block's loss and gradient is summed by
  :func:`descend._engine.kernels.gradient_sum`, on whichever thread, and the blocks' sums are added
  in block order: :math:`g = ((g_1 + g_2) + g_3) + \dots` A batch of one block is summed as it
  always was.
* **Sparse rows.** The gradient of a CSR full batch is two products, :math:`s = X w` and
  :math:`g = X^\top d` (:func:`descend._engine.reference.csr_gradient_sum`). Each score
  :math:`s_i` is one row's sum, and each :math:`g_j` one column's: computed whole by one thread, in
  the order scipy takes it (row by row for :math:`X w`; for :math:`X^\top d`, a column's entries
  row by row, read from the CSC copy of X), they are scipy's results bit for bit, whatever the
  threads (tested). :class:`SparseProducts` holds the CSC copy (as much memory as X again) and runs
  the products on ``n_threads`` threads; on one thread it runs scipy's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._compiled import njit
from .._threads import run_all, shares
from . import kernels

if TYPE_CHECKING:
    from .._typing import FloatArray, IntArray, Matrix
    from .problem import Data, Model, Objective, Problem

__all__ = ["BLOCK_ROWS", "row_blocks", "gradient_sum", "batch_steps", "SparseProducts"]

# Rows per block: enough that a block's sum costs far more than handing it to a thread (8,192 rows of
# 100 features: about a millisecond), few enough that a million rows make 120 blocks to share out.
BLOCK_ROWS = 8192


def row_blocks(n_rows: int) -> list[tuple[int, int]]:
    """The blocks (start, stop) of :data:`BLOCK_ROWS` rows that ``n_rows`` rows are cut into."""
    return [(start, min(start + BLOCK_ROWS, n_rows)) for start in range(0, max(n_rows, 1), BLOCK_ROWS)]


def gradient_sum(
    data: Data, rows: IntArray, model: Model, objective: Objective, n_threads: int = 1
) -> tuple[float, float, FloatArray]:
    """(weighted loss sum, weight sum, summed gradient) over the dense rows ``rows``, as
    :func:`descend._engine.kernels.gradient_sum` gives it, summed by blocks (module docstring) on
    ``n_threads`` threads."""
    blocks = row_blocks(len(rows))
    if len(blocks) == 1:
        return kernels.gradient_sum(data, rows, model, objective)

    def share(first: int, last: int) -> list[tuple[float, float, FloatArray]]:
        return [kernels.gradient_sum(data, rows[start:stop], model, objective) for start, stop in blocks[first:last]]

    parts = [
        part
        for shared in run_all(
            [lambda a=a, b=b: share(a, b) for a, b in shares(len(blocks), n_threads)],  # type: ignore[misc]  # mypy: a lambda with defaults
            n_threads,
        )
        for part in shared
    ]
    loss_sum, weight_sum, grad = parts[0]
    grad = grad.copy()
    for part_loss, part_weight, part_grad in parts[1:]:
        loss_sum += part_loss
        weight_sum += part_weight
        grad += part_grad
    return loss_sum, weight_sum, grad


def batch_steps(
    data: Data,
    order: IntArray,
    problem: Problem,
    t: int,
    lrs: FloatArray,
    batch_size: int,
    weight_mean: float,
    n_threads: int = 1,
) -> tuple[float, float, float]:
    """The steps of :func:`descend._engine.kernels.batch_steps` over the dense rows ``order``, each
    batch's gradient summed by :func:`gradient_sum` on ``n_threads``, then the step of
    :func:`descend._engine.kernels.apply_gradient`: for batches of several blocks, the same for any
    number of threads. Returns (weighted loss sum, weight sum, stationarity)."""
    model, objective, hyperparameters, state = problem
    loss_sum = weight_sum = 0.0
    stationarity = -1.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        batch = order[start : start + batch_size]
        part, weights, grad = gradient_sum(data, batch, model, objective, n_threads)
        measured = kernels.apply_gradient(
            model, objective, hyperparameters, state, t + step, grad, 1.0 / (len(batch) * weight_mean), float(lrs[step])
        )
        stationarity = measured if batch_size >= len(order) else -1.0
        loss_sum += part
        weight_sum += weights
    return loss_sum, weight_sum, stationarity


# No fastmath: a product then a sum, each rounded, as scipy's compiled products take them. The positions
# and columns are unsigned: Numba then reads an array without first testing for a negative index, a
# third of the time of this loop (the speed of scipy's own; with signed ones, 1.6 times it).
@njit(cache=True, nogil=True)
def _csr_times(
    indptr: IntArray, indices: IntArray, values: FloatArray, W: FloatArray, out: FloatArray, first: int, last: int
) -> None:
    """out[i] = sum over row i's entries of value * W[column], for the rows first..last - 1;
    ``indices`` unsigned."""
    n_out = W.shape[1]
    for i in range(first, last):
        start = np.uint64(indptr[i])
        length = np.uint64(indptr[i + 1]) - start
        for k in range(n_out):
            total = 0.0
            for e in range(length):
                q = start + e
                total += values[q] * W[indices[q], k]
            out[i, k] = total


def _unsigned(indices: IntArray) -> IntArray:
    """The same bits as unsigned integers (column numbers are never negative)."""
    return indices.view(np.uint32 if indices.dtype.itemsize == 4 else np.uint64)


class SparseProducts:
    """The products :math:`X W` and :math:`X^\\top D` of the CSR matrix ``X`` with dense matrices of
    a few columns, on ``n_threads`` threads, equal to scipy's bit for bit (module docstring)."""

    def __init__(self, X: Matrix, n_threads: int = 1) -> None:
        self.X, self.n_threads = X, n_threads
        self._columns: Matrix | None = None  # X as CSC, made at the first transposed product

    def times(self, W: FloatArray) -> FloatArray:
        """X @ W, (n, k) for W (p, k)."""
        if self.n_threads == 1:
            return np.asarray(self.X @ W)
        W = np.ascontiguousarray(W, dtype=np.result_type(self.X.dtype, W.dtype))
        out = np.empty((self.X.shape[0], W.shape[1]), dtype=W.dtype)
        X = self.X
        indices = _unsigned(X.indices)
        run_all(
            [
                lambda a=a, b=b: _csr_times(X.indptr, indices, X.data, W, out, a, b)  # type: ignore[misc]  # mypy: a lambda with defaults
                for a, b in _nnz_shares(X.indptr, self.n_threads)
            ],
            self.n_threads,
        )
        return out

    def transpose_times(self, D: FloatArray) -> FloatArray:
        """X.T @ D, (p, k) for D (n, k)."""
        if self.n_threads == 1:
            return np.asarray(self.X.T @ D)
        if self._columns is None:
            self._columns = self.X.tocsc()
            self._columns.sort_indices()  # each column's entries row by row: scipy's order of the sum
        C = self._columns
        D = np.ascontiguousarray(D, dtype=np.result_type(C.dtype, D.dtype))
        out = np.empty((C.shape[1], D.shape[1]), dtype=D.dtype)
        indices = _unsigned(C.indices)
        run_all(
            [
                lambda a=a, b=b: _csr_times(C.indptr, indices, C.data, D, out, a, b)  # type: ignore[misc]  # mypy: a lambda with defaults
                for a, b in _nnz_shares(C.indptr, self.n_threads)
            ],
            self.n_threads,
        )
        return out


def _nnz_shares(indptr: IntArray, n_threads: int) -> list[tuple[int, int]]:
    """The rows of a compressed matrix cut into ``n_threads`` consecutive shares of about equal
    numbers of entries."""
    n_rows = len(indptr) - 1
    cuts = np.searchsorted(indptr, np.linspace(0, indptr[-1], n_threads + 1)[1:-1], side="left")
    bounds = np.unique(np.concatenate([[0], cuts, [n_rows]])).astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
