r"""The engine's loops, compiled with Numba (``cache=True``), in float32 when X is float32.

Every kernel takes the named tuples of :mod:`descend._engine.problem`
(``data``, ``model``, ``objective``) and, for a step, the optimizer's
``hyperparameters`` (whose type picks the step: :mod:`descend._engine.rules`)
with its tuple of ``state`` arrays and ``t``, the number of steps taken
before. The step count and the optimizer state are the caller's: a kernel
updates ``theta`` and the state arrays in place and returns sums.

The kernels read the rows where they lie, in the order given, and ask the
processor for the row a few steps ahead while they work on this one
(:mod:`descend._engine.prefetch`), so that the cache misses of shuffled rows
overlap instead of queueing. :func:`plain_sgd_steps` is per-sample plain
gradient descent, the hot loop of SGD, on its own. For squared error on the full batch, :func:`gram_step`
takes the same step from the weighted Gram matrix, so an epoch costs
:math:`O(p^2)` instead of a pass over the data. :func:`gradient_sum` and
:func:`apply_gradient` split a full-batch step in two for a cluster: sums
over partitions on the workers, the step on the client.

:mod:`descend._engine.reference` is the same algorithm in NumPy; the tests
hold the two equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba.core import types
from numba.extending import overload

from .._compiled import njit
from ..losses import MULTINOMIAL, loss_and_derivative, softmax_cross_entropy
from .prefetch import ROWS_AHEAD, prefetch_row
from .step import finish_step, target_of

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401  (in type comments, which ruff does not read)
    from typing import Any

    from .._typing import FloatArray, IntArray, NDArray
    from .problem import Data, Gram, Model, Objective

__all__ = [
    "batch_steps",
    "plain_sgd_steps",
    "gram_gradient",
    "gram_step",
    "gradient_sum",
    "apply_gradient",
    "mean_loss",
    "row_of",
]

# The loop may reorder sums and fuse multiply-adds, so that dot products vectorize;
# not "nnan"/"ninf": NaN and inf must still propagate, to be caught as divergence.
FAST = {"reassoc", "nsz", "arcp", "contract"}


# The helpers below take arrays one by one: a kernel unpacks its named tuples once, at the top.
# Every array handed to an inlined function costs Numba a reference count per call, which is
# nothing per step or per block, and too much per coordinate (see optimizers.weight_decayed).


# ------------------------------------------------------------- one row
@njit(cache=True, inline="always")
def _dot(theta: FloatArray, offset: int, x: FloatArray) -> float:
    """theta[offset:offset + len(x)] . x, vectorized (summation order free)."""
    total = 0.0
    for j in range(x.shape[0]):
        total += theta[offset + j] * x[j]
    return total


@njit(cache=True, inline="always")
def _row_loss(
    x: FloatArray,
    y: float | FloatArray,
    theta: FloatArray,
    n_out: int,
    loss: int,
    parameters: NDArray[np.float64],
    scores: NDArray[np.float64],
    dscores: NDArray[np.float64],
) -> float:
    """Loss of one row; its derivative in each output's score into dscores."""
    p1 = x.shape[0] + 1
    if loss == MULTINOMIAL:
        for k in range(n_out):
            scores[k] = _dot(theta, k * p1, x) + theta[k * p1 + p1 - 1]
        return softmax_cross_entropy(scores, int(target_of(y, 0, 1)), dscores)
    total = 0.0
    for k in range(n_out):
        score = _dot(theta, k * p1, x) + theta[k * p1 + p1 - 1]
        value, dscores[k] = loss_and_derivative(score, target_of(y, k, n_out), loss, parameters)
        total += value
    return total


@njit(cache=True, inline="always")
def _add_row_gradient(grad: FloatArray, x: FloatArray, weight: float, dscores: NDArray[np.float64], n_out: int) -> None:
    """grad += weight * dloss/dscore_k * (x, 1) for each output k: one row's share of a batch gradient."""
    p1 = x.shape[0] + 1
    for k in range(n_out):
        d = weight * dscores[k]
        offset = k * p1
        for j in range(p1 - 1):
            grad[offset + j] += d * x[j]
        grad[offset + p1 - 1] += d


@njit(cache=True, inline="always")
def _add_batch(
    X: FloatArray,
    y: FloatArray,
    weights: FloatArray,
    order: IntArray,
    lo: int,
    hi: int,
    center: FloatArray | None,
    scale: FloatArray | None,
    buffer: FloatArray,
    theta: FloatArray,
    n_out: int,
    loss: int,
    parameters: NDArray[np.float64],
    grad: FloatArray,
    scores: NDArray[np.float64],
    dscores: NDArray[np.float64],
) -> tuple[float, float]:
    """Rows order[lo:hi], one batch: their gradients, times their weights, added to grad; returns
    (weighted loss sum, weight sum). A call per batch, not per row: each call of an inlined
    function that takes arrays costs Numba reference counts."""
    weighted = weights.shape[0] > 0
    n_rows = order.shape[0]
    loss_sum = 0.0
    weight_sum = 0.0
    if n_out == 1 and loss != MULTINOMIAL:
        # The common case written out: one score and one derivative, no loop over outputs,
        # which LLVM vectorizes (3x faster than the general loop below).
        p: int = X.shape[1]
        for r in range(lo, hi):
            if r + ROWS_AHEAD < n_rows:
                prefetch_row(X, order[r + ROWS_AHEAD])
            i = order[r]
            x = row_of(X, i, center, scale, buffer)
            weight = weights[i] if weighted else 1.0
            value, d = loss_and_derivative(_dot(theta, 0, x) + theta[p], target_of(y[i], 0, 1), loss, parameters)
            loss_sum += weight * value
            weight_sum += weight
            d *= weight
            for j in range(p):
                grad[j] += d * x[j]
            grad[p] += d
        return loss_sum, weight_sum
    for r in range(lo, hi):
        if r + ROWS_AHEAD < n_rows:
            prefetch_row(X, order[r + ROWS_AHEAD])
        i = order[r]
        x = row_of(X, i, center, scale, buffer)
        weight = weights[i] if weighted else 1.0
        loss_sum += weight * _row_loss(x, y[i], theta, n_out, loss, parameters, scores, dscores)
        weight_sum += weight
        _add_row_gradient(grad, x, weight, dscores, n_out)
    return loss_sum, weight_sum


def row_of(
    X: FloatArray, i: int, center: FloatArray | None, scale: FloatArray | None, buffer: FloatArray
) -> FloatArray:
    """Row i of X in the steps' coordinates: (x - center) * scale written into ``buffer``, or X's
    own row when ``center`` is None. In compiled code, which of the two is settled when a kernel
    is compiled, from center's type, so that the loop over rows has no branch and no copy for rows
    taken as they are (a branch there cost 30% of a per-sample step, measured)."""
    if center is None:
        return X[i]
    assert scale is not None  # a center comes with its scale
    buffer[:] = (X[i] - center) * scale
    return buffer


# Numba holds an overload's parameters, annotations included, equal to those of the function it returns:
# the annotations of these functions are type comments, which it does not see.
@overload(row_of, inline="always")
def _compiled_row_of(X, i, center, scale, buffer):
    # type: (types.Type, types.Type, types.Type, types.Type, types.Type) -> Callable[..., FloatArray]
    if isinstance(center, types.NoneType):
        return lambda X, i, center, scale, buffer: X[i]

    def standardized(X, i, center, scale, buffer):
        # type: (FloatArray, int, FloatArray, FloatArray, FloatArray) -> FloatArray
        for j in range(X.shape[1]):
            buffer[j] = (X[i, j] - center[j]) * scale[j]
        return buffer

    return standardized


# ---------------------------------------------------------------- steps
@njit(cache=True, fastmath=FAST, nogil=True)
def batch_steps(
    data: Data,
    order: IntArray,
    model: Model,
    objective: Objective,
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    t: int,
    lrs: FloatArray,
    batch_size: int,
    weight_mean: float,
) -> tuple[float, float, float]:
    """Steps over the rows ``order`` in batches of ``batch_size``; returns (weighted loss sum, weight sum,
    stationarity).

    Step k (counted from 0 here) is the optimizer's step ``t + k + 1``, with
    learning rate ``lrs[k]``; the gradient of a batch is normalized by its
    size times ``weight_mean``. The loss is summed over the rows as they are
    met, at the parameters of their batch. When one batch holds all the rows,
    the stationarity of the weights before its step is measured (the full
    batch's; see :func:`descend._engine.step.stationarity`), else it is -1. Runs without the GIL,
    so that a stream can read its next piece meanwhile.
    """
    X, y, weights = data
    theta, center, scale, n_out, fit_intercept = model
    loss, parameters, l1, l2 = objective
    n_rows = order.shape[0]
    grad = np.zeros(theta.shape[0], dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    buffer = np.empty(X.shape[1], dtype=X.dtype)
    has_l1 = np.any(l1 > 0)
    measure = batch_size >= n_rows
    stationarity = -1.0
    loss_sum = 0.0
    weight_sum = 0.0
    step = 0
    for batch_start in range(0, n_rows, batch_size):
        batch_end = min(batch_start + batch_size, n_rows)
        for j in range(grad.shape[0]):
            grad[j] = 0.0
        part, weights_met = _add_batch(
            X,
            y,
            weights,
            order,
            batch_start,
            batch_end,
            center,
            scale,
            buffer,
            theta,
            n_out,
            loss,
            parameters,
            grad,
            scores,
            dscores,
        )
        loss_sum += part
        weight_sum += weights_met
        stationarity = finish_step(
            theta,
            grad,
            n_out,
            fit_intercept,
            1.0 / ((batch_end - batch_start) * weight_mean),
            l1,
            has_l1,
            l2,
            hyperparameters,
            state,
            t + step + 1,
            lrs[step],
            measure,
        )
        step += 1
    return loss_sum, weight_sum, stationarity


@njit(cache=True, fastmath=FAST, nogil=True)
def plain_sgd_steps(
    data: Data, order: IntArray, model: Model, objective: Objective, lrs: FloatArray, weight_mean: float
) -> tuple[float, float]:
    """Per-sample plain gradient descent on one output, the hot loop of SGD: sgd_step's update
    x -= lr * g with the gradient g = d x + l2 w formed on the fly, then the L1 part's soft
    threshold, in one pass over the weights that also scores the next row with them.

    A loop of its own: as a branch inside :func:`batch_steps` it slowed the batched steps down
    twofold. Scoring the next row in the pass that updates the weights reads them once a row, not
    twice (a tenth of an epoch over 1,000,000 x 100, measured); the sums are the same. Returns
    (weighted loss sum, weight sum)."""
    X, y, weights = data
    theta, center, scale, _, fit_intercept = model
    loss, parameters, l1, l2 = objective
    p: int = X.shape[1]
    n = order.shape[0]
    current, ahead = np.empty(p, dtype=X.dtype), np.empty(p, dtype=X.dtype)
    weighted = weights.shape[0] > 0
    has_l1 = np.any(l1 > 0)
    per_weight = 1.0 / weight_mean  # a multiplication on each row's critical path, not a division
    loss_sum = 0.0
    weight_sum = 0.0
    if n == 0:
        return loss_sum, weight_sum
    x = row_of(X, order[0], center, scale, current)
    score = _dot(theta, 0, x)
    for r in range(n):
        if r + ROWS_AHEAD < n:
            prefetch_row(X, order[r + ROWS_AHEAD])
        i = order[r]
        weight = weights[i] if weighted else 1.0
        weight_sum += weight
        value, d = loss_and_derivative(score + theta[p], target_of(y[i], 0, 1), loss, parameters)
        loss_sum += weight * value
        d = weight * d * per_weight
        lr = lrs[r]
        x_next = row_of(X, order[r + 1] if r + 1 < n else i, center, scale, ahead)
        score = 0.0
        for j in range(p):
            w = theta[j] - lr * (d * x[j] + l2[j] * theta[j])
            if has_l1:
                threshold = lr * l1[j]
                w -= min(max(w, -threshold), threshold)
            theta[j] = w
            score += w * x_next[j]
        if fit_intercept:
            theta[p] -= lr * d
        x = x_next
        current, ahead = ahead, current
    return loss_sum, weight_sum


@njit(cache=True)
def gram_gradient(gram: Gram, theta: FloatArray) -> tuple[float, FloatArray]:
    """(weighted loss sum, gradient sum) of squared error at ``theta`` from the weighted Gram matrix of
    the standardized [X, 1]: with G = X~'WX~ and c = X~'Wy, the gradient G theta - c and the loss
    (theta'G theta - 2 theta'c + y'Wy) / 2, both before any normalization or penalty."""
    matrix, xty, yty, _ = gram
    p1 = theta.shape[0]
    grad = np.zeros(p1, dtype=theta.dtype)
    quadratic = 0.0
    linear = 0.0
    for j in range(p1):
        total = 0.0
        for i in range(p1):
            total += matrix[j, i] * theta[i]
        quadratic += theta[j] * total
        linear += theta[j] * xty[j]
        grad[j] = total - xty[j]
    return 0.5 * (quadratic - 2.0 * linear + yty), grad


@njit(cache=True)
def gram_step(
    gram: Gram,
    model: Model,
    objective: Objective,
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    t: int,
    lr: float,
) -> tuple[float, float]:
    """One full-batch squared-error step (the optimizer's step ``t + 1``) from the Gram matrix (see
    :func:`gram_gradient`); returns (weighted loss sum at theta before the step, its stationarity)."""
    theta = model.theta
    _, _, l1, l2 = objective
    loss_sum, grad = gram_gradient(gram, theta)
    stationarity = finish_step(
        theta,
        grad,
        1,
        model.fit_intercept,
        1.0 / gram.weight_sum,
        l1,
        np.any(l1 > 0),
        l2,
        hyperparameters,
        state,
        t + 1,
        lr,
        True,
    )
    return loss_sum, stationarity


@njit(cache=True, fastmath=FAST, nogil=True)
def gradient_sum(data: Data, rows: IntArray, model: Model, objective: Objective) -> tuple[float, float, FloatArray]:
    """(weighted loss sum, weight sum, summed gradient) over the rows ``rows`` of the data, at
    ``model.theta``, before any normalization or penalty (see :func:`apply_gradient`): a full batch's,
    or a cluster partition's share of one, summed over partitions. The rows go through the same
    row sums as :func:`batch_steps`."""
    X, y, weights = data
    theta, center, scale, n_out, _ = model
    loss, parameters, _, _ = objective
    grad = np.zeros(theta.shape[0], dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    buffer = np.empty(X.shape[1], dtype=X.dtype)
    loss_sum, weight_sum = _add_batch(
        X,
        y,
        weights,
        rows,
        0,
        rows.shape[0],
        center,
        scale,
        buffer,
        theta,
        n_out,
        loss,
        parameters,
        grad,
        scores,
        dscores,
    )
    return loss_sum, weight_sum, grad


@njit(cache=True)
def apply_gradient(
    model: Model,
    objective: Objective,
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    t: int,
    grad: FloatArray,
    norm: float,
    lr: float,
) -> float:
    """The step of :func:`batch_steps` (the optimizer's step ``t + 1``) from an already summed
    gradient ``grad``, normalized by ``norm``; returns the stationarity of the weights before it."""
    theta = model.theta
    _, _, l1, l2 = objective
    return finish_step(
        theta,
        grad.astype(theta.dtype),
        model.n_out,
        model.fit_intercept,
        norm,
        l1,
        np.any(l1 > 0),
        l2,
        hyperparameters,
        state,
        t + 1,
        lr,
        True,
    )


@njit(cache=True)
def mean_loss(data: Data, rows: IntArray, model: Model, objective: Objective) -> float:
    """Weighted mean loss over ``rows`` (no penalty)."""
    X, y, weights = data
    theta, center, scale, n_out, _ = model
    loss, parameters, _, _ = objective
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    buffer = np.empty(X.shape[1], dtype=X.dtype)
    weighted = weights.shape[0] > 0
    total = 0.0
    weight_sum = 0.0
    for r in range(rows.shape[0]):
        if r + ROWS_AHEAD < rows.shape[0]:
            prefetch_row(X, rows[r + ROWS_AHEAD])
        i = rows[r]
        x = row_of(X, i, center, scale, buffer)
        weight = weights[i] if weighted else 1.0
        total += weight * _row_loss(x, y[i], theta, n_out, loss, parameters, scores, dscores)
        weight_sum += weight
    return total / weight_sum
