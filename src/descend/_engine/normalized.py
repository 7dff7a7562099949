r"""The loop of the normalized update (:class:`descend.optimizers.Normalized`), on dense or CSR rows.

One row at a time, as Vowpal Wabbit learns: the row's non-zero features are
gathered (:func:`row_features`: a dense row's non-zeros, in the steps'
coordinates, or a CSR row's entries, scaled when the model is
standardized), the intercept joins them as a feature of value 1, each
output's score is taken, then the loss's derivative, then
:func:`descend.optimizers.online.normalized_row_step`, the update itself. A row
costs its non-zeros, whatever the number of features. The NumPy twin is
:func:`descend._engine.reference.normalized_steps`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba.extending import overload

from .._compiled import njit
from ..losses import MULTINOMIAL, loss_and_derivative, softmax_cross_entropy
from ..optimizers.online import normalized_row_step
from .kernels import row_of
from .prefetch import FEATURES_AHEAD, prefetch_csr_ahead, prefetch_item
from .problem import SparseData
from .sparse import scaled
from .step import target_of

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401  (in type comments, which ruff does not read)

    from numba.core import types  # noqa: F401  (in type comments)

    from .._typing import FloatArray, IntArray
    from ..optimizers.online import NormalizedHyperparameters
    from .problem import Data, Model, Objective

__all__ = ["normalized_steps", "row_features"]


def prefetch_features(
    data: Data | SparseData, order: IntArray, r: int, theta: FloatArray, state: tuple[FloatArray, ...]
) -> None:
    """Ask, for CSR rows, for the row :data:`~descend._engine.prefetch.ROWS_AHEAD` ahead and for the
    weights and state of the features of the row FEATURES_AHEAD ahead: their misses overlap with this row's work.
    Nothing for dense rows, whose features are every column, read in order."""


# Numba holds an overload's parameters, annotations included, equal to those of the function it returns:
# the annotations of these functions are type comments, which it does not see.
@overload(prefetch_features, inline="always")
def _compiled_prefetch_features(data, order, r, theta, state):
    # type: (types.Type, types.Type, types.Type, types.Type, types.Type) -> Callable[..., None]
    if getattr(data, "instance_class", None) is not SparseData:
        return lambda data, order, r, theta, state: None

    def ahead(data, order, r, theta, state):
        # type: (SparseData, IntArray, int, FloatArray, tuple[FloatArray, ...]) -> None
        indptr, indices, values, _, _ = data
        prefetch_csr_ahead(indptr, indices, values, order, r)
        if r + FEATURES_AHEAD < order.shape[0]:
            i = order[r + FEATURES_AHEAD]
            sums, scales, _ = state
            for q in range(indptr[i], indptr[i + 1]):
                j = indices[q]
                prefetch_item(theta, j)
                prefetch_item(sums, j)
                prefetch_item(scales, j)

    return ahead


def row_features(
    data: Data | SparseData,
    i: int,
    center: FloatArray | None,
    scale: FloatArray | None,
    buffer: FloatArray,
    columns: IntArray,
    xs: FloatArray,
) -> int:
    """Row i's non-zero features into ``columns`` and ``xs`` (in the steps' coordinates); returns how
    many. Dense rows: the non-zeros of the (standardized) row; CSR rows: the stored entries but those
    stored as 0 (hashing keeps a + and a - colliding as an explicit 0): a feature of value 0 is no
    feature, as Vowpal Wabbit's parser drops it, and a column first met at 0 has no scale to divide by."""
    if isinstance(data, SparseData):
        lo, hi = data.indptr[i], data.indptr[i + 1]
        stored = data.values[lo:hi] != 0.0
        count = int(np.count_nonzero(stored))
        columns[:count] = data.indices[lo:hi][stored]
        values = data.values[lo:hi][stored]
        xs[:count] = values if scale is None else values * scale[columns[:count]]
        return count
    row = row_of(data.X, i, center, scale, buffer)
    nonzero = np.flatnonzero(row)
    columns[: len(nonzero)] = nonzero
    xs[: len(nonzero)] = row[nonzero]
    return len(nonzero)


@overload(row_features, inline="always")
def _compiled_row_features(data, i, center, scale, buffer, columns, xs):
    # type: (types.Type, types.Type, types.Type, types.Type, types.Type, types.Type, types.Type) -> Callable[..., int]
    if getattr(data, "instance_class", None) is SparseData:

        def csr_row(data, i, center, scale, buffer, columns, xs):
            # type: (SparseData, int, FloatArray | None, FloatArray | None, FloatArray, IntArray, FloatArray) -> int
            indptr, indices, values, _, _ = data
            count = 0
            for q in range(indptr[i], indptr[i + 1]):
                if values[q] != 0.0:
                    j = indices[q]
                    columns[count] = j
                    xs[count] = scaled(values[q], scale, j)
                    count += 1
            return count

        return csr_row

    def dense_row(data, i, center, scale, buffer, columns, xs):
        # type: (Data, int, FloatArray | None, FloatArray | None, FloatArray, IntArray, FloatArray) -> int
        row = row_of(data[0], i, center, scale, buffer)
        count = 0
        for j in range(row.shape[0]):
            if row[j] != 0.0:
                columns[count] = j
                xs[count] = row[j]
                count += 1
        return count

    return dense_row


@njit(cache=True, nogil=True)
def normalized_steps(
    data: Data | SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    hyperparameters: NormalizedHyperparameters,
    state: tuple[FloatArray, ...],
    lrs: FloatArray,
    weight_mean: float,
    scores_out: FloatArray,
) -> tuple[float, float]:
    """One step of the normalized update per row of ``order`` (rates ``lrs``), every output;
    returns (weighted loss sum, weight sum). ``data`` is an engine Data or SparseData tuple.
    ``scores_out`` (rows of the data, outputs), unless it has no rows, receives each row's scores
    taken before its step: the predictions of progressive validation."""
    theta, center, scale, n_out, fit_intercept = model
    loss, parameters, l1, l2 = objective
    y, weights = data.y, data.weights
    # The multinomial loss has no gradient flow of one score: its outputs take the plain update.
    invariant = hyperparameters.invariant and loss != MULTINOMIAL
    penalized = np.any(l1 != 0.0) or np.any(l2 != 0.0)
    p = l1.shape[0]
    p1 = p + 1
    columns = np.empty(p1, dtype=np.int64)
    xs = np.empty(p1, dtype=theta.dtype)
    rates = np.empty(p1, dtype=theta.dtype)
    buffer = np.empty(p, dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    weighted = weights.shape[0] > 0
    recording = scores_out.shape[0] > 0
    loss_sum = 0.0
    weight_sum = 0.0
    for r in range(order.shape[0]):
        prefetch_features(data, order, r, theta, state)
        i = order[r]
        n_weights = row_features(data, i, center, scale, buffer, columns, xs)
        count = n_weights
        if fit_intercept:
            columns[count] = p
            xs[count] = 1.0
            count += 1
        for k in range(n_out):
            score = theta[k * p1 + p]
            for q in range(n_weights):
                score += theta[k * p1 + columns[q]] * xs[q]
            scores[k] = score
            if recording:
                scores_out[i, k] = score
        weight = weights[i] if weighted else 1.0
        if loss == MULTINOMIAL:
            loss_sum += weight * softmax_cross_entropy(scores, int(target_of(y[i], 0, 1)), dscores)
        else:
            for k in range(n_out):
                value, dscores[k] = loss_and_derivative(scores[k], target_of(y[i], k, n_out), loss, parameters)
                loss_sum += weight * value
        weight_sum += weight
        for k in range(n_out):
            normalized_row_step(
                theta,
                state,
                k * p1,
                columns,
                xs,
                count,
                n_weights,
                scores[k],
                target_of(y[i], k, n_out),
                dscores[k],
                weight / weight_mean,
                lrs[r],
                k == 0,
                invariant,
                hyperparameters.damping,
                loss,
                parameters,
                l1,
                l2,
                rates,
                penalized,
            )
    return loss_sum, weight_sum
