r"""What a fit learns of its data before the first step.

* :func:`summarize`: one pass over the training rows that both refuses NaN
  and infinity and finds each column's weighted mean and standard deviation
  (Welford's update, weighted: West 1979, *Updating mean and variance
  estimates: an improved method*), so that X is read once, not once per
  question.
* :func:`weighted_gram` and :func:`standardized_gram`: :math:`\tilde X^\top W
  \tilde X` of :math:`\tilde X = [X, 1]`, for the automatic learning rate
  (its largest eigenvalue) and for squared error on the full batch (the
  whole epoch from it).
* :func:`max_row_norm`: the largest standardized row, the curvature of the
  worst single row, for the automatic rate of mini-batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

import numpy as np

from .._compiled import njit
from ..curvature import power_iteration

if TYPE_CHECKING:
    from typing import TypeVar

    from .._typing import FloatArray, IntArray, Matrix, NDArray

    T = TypeVar("T")

__all__ = [
    "summarize",
    "summarize_sparse",
    "check_sparse_finite",
    "weighted_gram",
    "standardized_gram",
    "max_row_norm",
    "sparse_row_norms",
    "largest_eigenvalue",
    "sample_rows",
    "CURVATURE_ROWS",
]

# The curvature for learning_rate="auto" is measured on at most this many rows.
CURVATURE_ROWS = 100_000


def sample_rows(rows: IntArray, at_most: int = CURVATURE_ROWS) -> IntArray:
    """At most ``at_most`` of ``rows``, in order, the same ones every time (the spectrum of X'X/n,
    for one, settles long before n rows)."""
    if rows.shape[0] <= at_most:
        return rows
    return np.sort(np.random.default_rng(0).choice(rows, at_most, replace=False))


@njit(cache=True, nogil=True)
def _moments(
    X: FloatArray, weights: FloatArray, rows: IntArray
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """(weighted mean, weighted variance, finite) of each column over ``rows``, in one pass.

    ``finite`` is False when some value of these rows is NaN or infinite,
    whatever its weight (``x * 0`` is NaN exactly for those). Rows of weight 0
    count for finiteness only."""
    p = X.shape[1]
    weighted = weights.shape[0] > 0
    mean = np.zeros(p)
    m2 = np.zeros(p)
    probe = np.zeros(p)
    weight_sum = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        weight = weights[i] if weighted else 1.0
        if weight > 0:
            weight_sum += weight
            share = weight / weight_sum
            for j in range(p):
                x = X[i, j]
                delta = x - mean[j]
                mean[j] += share * delta
                m2[j] += weight * delta * (x - mean[j])
                probe[j] += x * 0.0
        else:
            for j in range(p):
                probe[j] += X[i, j] * 0.0
    finite = True
    for j in range(p):
        finite &= probe[j] == 0.0
        m2[j] = max(m2[j], 0.0) / weight_sum if weight_sum > 0 else 0.0
    return mean, m2, finite


def summarize(X: FloatArray, weights: FloatArray, rows: IntArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted column means and standard deviations over ``rows`` of X, refusing NaN and infinity
    (a ValueError in scikit-learn's words: "Input X contains NaN.")."""
    mean, variance, finite = _moments(X, weights, rows)
    if not finite:
        values = X[rows]
        kind = "NaN" if np.isnan(values).any() else f"infinity or a value too large for {X.dtype!r}"
        raise ValueError(f"Input X contains {kind}.")
    return mean, np.sqrt(variance)


@njit(cache=True, nogil=True)
def _sparse_moments(
    indptr: IntArray, indices: IntArray, values: FloatArray, weights: FloatArray, rows: IntArray, p: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """(weighted sum, weighted sum of squares, weight sum) of each column over ``rows``, implicit
    zeros included, in one pass over the rows' non-zeros."""
    weighted = weights.shape[0] > 0
    total = np.zeros(p)
    squares = np.zeros(p)
    weight_sum = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        weight = weights[i] if weighted else 1.0
        weight_sum += weight
        for k in range(indptr[i], indptr[i + 1]):
            x = values[k]
            total[indices[k]] += weight * x
            squares[indices[k]] += weight * x * x
    return total, squares, weight_sum


@overload
def check_sparse_finite(X: Matrix) -> None: ...
@overload
def check_sparse_finite(X: Matrix, result: T) -> T: ...
def check_sparse_finite(X: Matrix, result: T | None = None) -> T | None:
    """Refuse a CSR X with NaN or infinity among its non-zeros (in scikit-learn's words); else
    return ``result``."""
    if not _finite(X.data):
        kind = "NaN" if np.isnan(X.data).any() else f"infinity or a value too large for {X.dtype!r}"
        raise ValueError(f"Input X contains {kind}.")
    return result


@njit(cache=True, nogil=True)
def _finite(values: FloatArray) -> bool:
    probe = 0.0
    for k in range(values.shape[0]):
        probe += values[k] * 0.0
    return probe == 0.0


def summarize_sparse(X: Matrix, weights: FloatArray, rows: IntArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted column means and standard deviations of a CSR X over ``rows``, zeros included,
    refusing NaN and infinity in its non-zeros."""
    check_sparse_finite(X)
    total, squares, weight_sum = _sparse_moments(X.indptr, X.indices, X.data, weights, rows, X.shape[1])
    mean = total / weight_sum
    return mean, np.sqrt(np.maximum(squares / weight_sum - mean * mean, 0.0))


def largest_eigenvalue(gram: NDArray[np.float64]) -> float:
    """The largest eigenvalue of a weighted Gram matrix divided by its weight sum (its last entry):
    the curvature of the mean squared error in the standardized coordinates."""
    normalized = gram / gram[-1, -1]
    return power_iteration(lambda v: normalized @ v, normalized.shape[0])


def weighted_gram(
    X: FloatArray, weights: FloatArray, rows: IntArray, y: FloatArray | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    r""":math:`\tilde X^\top W \tilde X` over ``rows`` for :math:`\tilde X = [X, 1]`, and with
    ``y`` also :math:`\tilde X^\top W y` and :math:`y^\top W y`. Built block by block, so
    that no copy of X is made beyond a block (none at all for unweighted, all rows)."""
    p = X.shape[1]
    gram = np.zeros((p + 1, p + 1))
    xty = np.zeros(p + 1)
    yty = 0.0
    whole = rows.shape[0] == X.shape[0] and np.array_equal(rows, np.arange(X.shape[0]))
    if whole and weights.size == 0:
        gram[:p, :p] = X.T @ X
        gram[:p, p] = gram[p, :p] = X.sum(axis=0)
        gram[p, p] = X.shape[0]
        if y is not None:
            xty[:p], xty[p], yty = X.T @ y, y.sum(), float(y @ y)
        return gram, xty, yty
    for start in range(0, rows.shape[0], 8192):
        block_rows = rows[start : start + 8192]
        Xb = X[block_rows]
        wb = weights[block_rows] if weights.size else np.ones(len(block_rows), dtype=X.dtype)
        weighted = Xb * wb[:, None]
        gram[:p, :p] += Xb.T @ weighted
        gram[:p, p] += weighted.sum(axis=0)
        gram[p, p] += wb.sum()
        if y is not None:
            yb = y[block_rows]
            xty[:p] += weighted.T @ yb
            xty[p] += wb @ yb
            yty += float((wb * yb) @ yb)
    gram[p, :p] = gram[:p, p]
    return gram, xty, yty


def standardized_gram(
    gram: NDArray[np.float64], xty: NDArray[np.float64], center: FloatArray, scale: FloatArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The Gram matrix and X~'Wy of the standardized [(X - center) * scale, 1], from those of [X, 1]."""
    p = len(center)
    A = np.eye(p + 1)
    A[np.arange(p), np.arange(p)] = scale
    A[p, :p] = -center * scale
    return A.T @ gram @ A, A.T @ xty


@njit(cache=True)
def max_row_norm(
    X: FloatArray, weights: FloatArray, rows: IntArray, center: FloatArray, scale: FloatArray, weight_mean: float
) -> float:
    """max_i s_i / mean(s) * (|x_i|^2 + 1) over standardized rows: the curvature of one row's
    loss, for 1/L of a mini-batch."""
    weighted = weights.shape[0] > 0
    largest = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        total = 1.0
        for j in range(X.shape[1]):
            z = (X[i, j] - center[j]) * scale[j]
            total += z * z
        if weighted:
            total *= weights[i] / weight_mean
        largest = max(largest, total)
    return largest


@njit(cache=True)
def _sparse_row_norms(
    indptr: IntArray,
    indices: IntArray,
    values: FloatArray,
    weights: FloatArray,
    rows: IntArray,
    scale: FloatArray,
    center: FloatArray,
    weight_mean: float,
) -> tuple[float, float]:
    """(largest, mean) of s_i / mean(s) * (|x_i|^2 + 1) over the rows, as max_row_norm; with
    ``center``, of the centered rows s (x - mu), whose squared norm is |s x|^2 - 2 (s x).(s mu) +
    |s mu|^2, from the row's non-zeros and |s mu|^2 alone."""
    weighted = weights.shape[0] > 0
    centered = center.shape[0] > 0
    shift = 0.0
    if centered:
        for j in range(center.shape[0]):
            shift += (scale[j] * center[j]) ** 2
    largest = 0.0
    total_sum = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        total = 1.0 + shift
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            z = values[k] * scale[j]
            total += z * z
            if centered:
                total -= 2.0 * z * scale[j] * center[j]
        if weighted:
            total *= weights[i] / weight_mean
        largest = max(largest, total)
        total_sum += total
    return largest, total_sum / max(rows.shape[0], 1)


def sparse_row_norms(
    X: Matrix,
    weights: FloatArray,
    rows: IntArray,
    scale: FloatArray,
    weight_mean: float,
    center: FloatArray | None = None,
) -> tuple[float, float]:
    """(largest, mean) squared norm of the rows of a CSR X whose columns are scaled by ``scale`` and,
    if given, centered at ``center`` (implicitly: X stays sparse), each row weighted as in
    :func:`max_row_norm`. The largest is the curvature of the worst single row; the (weighted) mean is
    the trace of the standardized Gram matrix over the weight sum, which bounds its largest eigenvalue
    (the matrix is positive semi-definite) and, unlike the largest row, is the same for rows weighted
    by k as for rows repeated k times."""
    center = np.empty(0) if center is None else center
    return _sparse_row_norms(X.indptr, X.indices, X.data, weights, rows, scale, center, weight_mean)
