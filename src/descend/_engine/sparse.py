r"""The engine's loops on sparse rows (CSR): each row costs its non-zeros, not the number of features.

A row's score is :math:`\sum_{k} \theta_{j_k} s_{j_k} x_{j_k}` over its
non-zeros (``scale`` :math:`s` when the model is standardized), and its
gradient has the same non-zeros plus the intercept. Centering would fill the
rows in; when every step is on every coordinate anyway (the full batch, or
``lazy`` False) the model may be centered all the same, implicitly: the
scores lose :math:`\sum_j \theta_j s_j \mu_j` (:func:`center_shifts`) and
the gradient :math:`s_j \mu_j` times the intercept's (:func:`center_gradient`),
so that the steps are the dense fit's. What the penalty and the optimizer do
to the coordinates a batch does not touch decides the cost of a step:

* :func:`lazy_sgd_steps`, per-sample plain gradient descent with the same
  L2 and L1 weight on every coordinate (no scaling): exact, in O(non-zeros)
  a step. Between two touches a coordinate only decays, :math:`u \leftarrow
  \max(a_t u - b_t, 0)` on :math:`u = |\theta_j|` with :math:`a_t = 1 -
  \eta_t\lambda_2` and :math:`b_t = \eta_t\lambda_1`, and such maps compose to
  :math:`\max(A u - B, 0)`: one running pair (A, B) for all coordinates, and
  the pair each coordinate was last brought up to date at, apply every
  pending step at once. That is the scaled-weight trick (Shalev-Shwartz et al.
  2007, Pegasos) for L2 and the cumulative penalty of Tsuruoka, Tsujii &
  Ananiadou 2009 for L1, joined exactly. The intercept moves at
  :data:`INTERCEPT_DECAY` times the rate, as scikit-learn's SGD moves it on
  sparse data: the other difference from the dense steps.
* :func:`touched_sgd_steps`, per-sample plain gradient descent on standardized
  rows, whose penalty weights differ by coordinate (the penalty is on the
  original coefficients): :func:`batch_steps`' lazy steps, in a loop of their own.
* :func:`batch_steps`, any optimizer and batch: the batch's gradient is
  summed over its rows' non-zeros; then either the step is taken on every
  coordinate (``lazy`` False: the dense fit's steps exactly, O(features) a
  step) or only on the coordinates the batch touched and the intercepts
  (``lazy`` True, the default of the estimators: the semantics of
  ``torch.optim.SparseAdam``, whose moments move only where the gradient is
  non-zero; the L2 and L1 parts act there too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba.core import types
from numba.extending import overload

from .._compiled import njit
from ..losses import MULTINOMIAL, loss_and_derivative, softmax_cross_entropy
from .prefetch import FEATURES_AHEAD, prefetch_csr_ahead, prefetch_item
from .rules import take_step
from .step import finish_step, stationarity, target_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._typing import BoolArray, FloatArray, IntArray, NDArray
    from .problem import Model, Objective, SparseData

__all__ = ["lazy_sgd_steps", "touched_sgd_steps", "batch_steps", "mean_loss", "INTERCEPT_DECAY"]

FAST = {"reassoc", "nsz", "arcp", "contract"}
# Below this the running product of decays is renormalized (every coordinate brought up to date).
TINY = 1e-200
# Per-sample plain SGD on sparse rows moves the intercept at this fraction of the rate: scikit-learn's
# SPARSE_INTERCEPT_DECAY. Every row touches the intercept, while a column touches few: at the rates
# that suit the weights, its steps would make it swing from row to row.
INTERCEPT_DECAY = 0.01


@njit(cache=True, inline="always")
def _weights_ahead(indptr: IntArray, indices: IntArray, order: IntArray, r: int, theta: FloatArray) -> None:
    """Ask for the weights of the row :data:`FEATURES_AHEAD` positions after ``r`` (each a cache miss on
    2^20 hashed columns), so that their misses overlap with the work on the rows before: on case (u)'s
    120,000 shuffled documents a bare loop of per-sample SGD's steps went from 63 to 48 ms (the best of
    12), :func:`lazy_sgd_steps` from 57 to 52 ms (the best of 9, in three processes each)."""
    if r + FEATURES_AHEAD < order.shape[0]:
        ahead = order[r + FEATURES_AHEAD]
        for k in range(indptr[ahead], indptr[ahead + 1]):
            prefetch_item(theta, indices[k])


@njit(cache=True, inline="always")
def _catch_up(theta: FloatArray, j: int, A: float, B: float, stamps: NDArray[np.float64]) -> None:
    """Bring coordinate j through the decays since its last touch, whose composed map is
    (A, B) after (stamps[j, 0], stamps[j, 1]): |theta_j| <- max(A' |theta_j| - B', 0)."""
    shrink = A / stamps[j, 0]
    offset = B - shrink * stamps[j, 1]
    w = theta[j]
    size = abs(w) * shrink - offset
    theta[j] = (size if size > 0.0 else 0.0) * (1.0 if w >= 0.0 else -1.0)
    stamps[j, 0], stamps[j, 1] = A, B


@njit(cache=True, fastmath=FAST, nogil=True)
def lazy_sgd_steps(
    data: SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    lrs: FloatArray,
    weight_mean: float,
    shared: bool = False,
) -> tuple[float, float]:
    """Per-sample plain SGD on one output with uniform penalty weights, in O(non-zeros) a step (see
    the module docstring); the steps of the dense ``plain_sgd_steps`` but for the intercept's
    :data:`INTERCEPT_DECAY`. Returns (weighted loss sum, weight sum).

    The intercept, which every row moves, is held in a register and written at the end: ``shared``
    (threads stepping on the same weights, descend._engine.hogwild), by adding this call's change
    to it, so that no thread's change is lost; else by storing it, the same number."""
    theta, _, _, _, _ = model
    _, _, l1, _ = objective
    if l1.shape[0] > 0 and l1[0] > 0.0:
        return _cumulative_penalty_steps(data, order, model, objective, lrs, weight_mean, shared)
    return _scaled_weight_steps(data, order, model, objective, lrs, weight_mean, shared)


@njit(cache=True, inline="always")
def _store_intercept(theta: FloatArray, p: int, start: float, intercept: float, shared: bool) -> None:
    """The intercept moved from ``start`` to ``intercept`` by this call, into theta[p] (lazy_sgd_steps)."""
    if shared:
        theta[p] += intercept - start
    else:
        theta[p] = intercept


@njit(cache=True, fastmath=FAST, nogil=True)
def _scaled_weight_steps(
    data: SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    lrs: FloatArray,
    weight_mean: float,
    shared: bool,
) -> tuple[float, float]:
    """L2 only: the weights are held as theta = s v, so the decay of all of them is s <- (1 - lr l2) s,
    and a step changes v on the row's non-zeros alone."""
    indptr, indices, values, y, weights = data
    theta, _, _, _, fit_intercept = model
    loss, parameters, _, l2 = objective
    p = theta.shape[0] - 1
    l2c = l2[0] if p > 0 else 0.0
    s = 1.0  # theta[:p] holds v
    start = intercept = theta[p]
    weighted = weights.shape[0] > 0
    loss_sum = 0.0
    weight_sum = 0.0
    n_rows = order.shape[0]
    for r in range(n_rows):
        prefetch_csr_ahead(indptr, indices, values, order, r)  # shuffled rows lie anywhere (see prefetch)
        _weights_ahead(indptr, indices, order, r, theta)
        i = order[r]
        lo, hi = indptr[i], indptr[i + 1]
        dot = 0.0
        for k in range(lo, hi):
            dot += theta[indices[k]] * values[k]
        weight = weights[i] if weighted else 1.0
        value, d = loss_and_derivative(s * dot + intercept, target_of(y[i], 0, 1), loss, parameters)
        loss_sum += weight * value
        weight_sum += weight
        d = weight * d / weight_mean
        lr = lrs[r]
        s *= 1.0 - lr * l2c
        if abs(s) < 1e-9:  # fold s into v before v grows past what a float keeps exactly
            for j in range(p):
                theta[j] *= s
            s = 1.0
        step = lr * d / s
        for k in range(lo, hi):
            theta[indices[k]] -= step * values[k]
        if fit_intercept:
            intercept -= INTERCEPT_DECAY * lr * d
    for j in range(p):
        theta[j] *= s
    _store_intercept(theta, p, start, intercept, shared)
    return loss_sum, weight_sum


@njit(cache=True, fastmath=FAST, nogil=True)
def touched_sgd_steps(
    data: SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    lrs: FloatArray,
    weight_mean: float,
    shared: bool = False,
) -> tuple[float, float]:
    """Per-sample plain SGD on one output whose penalty weights differ from coordinate to coordinate
    (standardized rows, given as their values times their columns' scales): the steps of
    :func:`batch_steps` with ``lazy`` at one row a step, the gradient, the L2 part and the L1 prox on
    the row's coordinates and the intercept alone, without its gathering and scattering (which cost
    five times the step). ``shared`` as in :func:`lazy_sgd_steps`. Returns (weighted loss sum, weight sum).

    The weights and penalty weights of the row two ahead are asked for early (:func:`_weights_ahead`).
    A row that lists a column twice (not in canonical form) takes each
    coordinate's step once, on its summed gradient, as the batch does; ``seen`` marks them."""
    indptr, indices, values, y, weights = data
    theta, _, _, _, fit_intercept = model
    loss, parameters, l1, l2 = objective
    p = theta.shape[0] - 1
    has_l1 = bool(np.any(l1 > 0.0))
    seen = np.zeros(p, dtype=np.bool_)
    start = intercept = theta[p]
    weighted = weights.shape[0] > 0
    loss_sum = 0.0
    weight_sum = 0.0
    n_rows = order.shape[0]
    for r in range(n_rows):
        prefetch_csr_ahead(indptr, indices, values, order, r)
        _weights_ahead(indptr, indices, order, r, theta)
        _weights_ahead(indptr, indices, order, r, l2)
        i = order[r]
        lo, hi = indptr[i], indptr[i + 1]
        score = intercept
        increasing = True
        last = -1
        for k in range(lo, hi):
            j = indices[k]
            increasing = increasing and j > last
            last = j
            score += theta[j] * values[k]
        weight = weights[i] if weighted else 1.0
        value, d = loss_and_derivative(score, target_of(y[i], 0, 1), loss, parameters)
        loss_sum += weight * value
        weight_sum += weight
        d = weight * d / weight_mean
        lr = lrs[r]
        if increasing:  # each column once: the step of each coordinate in one go
            for k in range(lo, hi):
                j = indices[k]
                w = theta[j] - lr * (d * values[k] + l2[j] * theta[j])
                if has_l1:
                    threshold = lr * l1[j]
                    w -= min(max(w, -threshold), threshold)
                theta[j] = w
        else:
            _repeated_columns_step(theta, indices, values, lo, hi, d, lr, l1, l2, has_l1, seen)
        if fit_intercept:
            intercept -= lr * d
    _store_intercept(theta, p, start, intercept, shared)
    return loss_sum, weight_sum


@njit(cache=True, inline="always")
def _repeated_columns_step(
    theta: FloatArray,
    indices: IntArray,
    values: FloatArray,
    lo: int,
    hi: int,
    d: float,
    lr: float,
    l1: NDArray[np.float64],
    l2: NDArray[np.float64],
    has_l1: bool,
    seen: BoolArray,
) -> None:
    """:func:`touched_sgd_steps`' step on a row that may list a column more than once: the L2 part
    once a coordinate, the gradient of every entry, then the L1 prox once a coordinate."""
    for k in range(lo, hi):
        j = indices[k]
        if not seen[j]:
            seen[j] = True
            theta[j] -= lr * l2[j] * theta[j]
    for k in range(lo, hi):
        theta[indices[k]] -= lr * d * values[k]
    for k in range(lo, hi):
        j = indices[k]
        if seen[j]:
            seen[j] = False
            if has_l1:
                threshold = lr * l1[j]
                theta[j] -= min(max(theta[j], -threshold), threshold)


@njit(cache=True, fastmath=FAST, nogil=True)
def _cumulative_penalty_steps(
    data: SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    lrs: FloatArray,
    weight_mean: float,
    shared: bool,
) -> tuple[float, float]:
    """With an L1 part: each coordinate remembers the composed decay it was last brought up to
    date at, and takes the decays since then when the next row touches it."""
    indptr, indices, values, y, weights = data
    theta, _, _, _, fit_intercept = model
    loss, parameters, l1, l2 = objective
    p = theta.shape[0] - 1
    l1c, l2c = l1[0], l2[0]
    A, B = 1.0, 0.0  # the decays since the start of this call, composed
    stamps = np.empty((p, 2))  # per coordinate, the (A, B) it is up to date at: together in memory
    stamps[:, 0] = 1.0
    stamps[:, 1] = 0.0
    start = intercept = theta[p]
    weighted = weights.shape[0] > 0
    loss_sum = 0.0
    weight_sum = 0.0
    n_rows = order.shape[0]
    for r in range(n_rows):
        prefetch_csr_ahead(indptr, indices, values, order, r)  # shuffled rows lie anywhere (see prefetch)
        _weights_ahead(indptr, indices, order, r, theta)
        i = order[r]
        lo, hi = indptr[i], indptr[i + 1]
        score = intercept
        for k in range(lo, hi):
            j = indices[k]
            _catch_up(theta, j, A, B, stamps)
            score += theta[j] * values[k]
        weight = weights[i] if weighted else 1.0
        value, d = loss_and_derivative(score, target_of(y[i], 0, 1), loss, parameters)
        loss_sum += weight * value
        weight_sum += weight
        d = weight * d / weight_mean
        lr = lrs[r]
        a, b = 1.0 - lr * l2c, lr * l1c
        A, B = a * A, a * B + b
        for k in range(lo, hi):  # the step on the row's coordinates, as the dense loop takes it
            j = indices[k]
            w = theta[j] - lr * (d * values[k] + l2c * theta[j])
            theta[j] = w - min(max(w, -b), b)
            stamps[j, 0], stamps[j, 1] = A, B
        if fit_intercept:
            intercept -= INTERCEPT_DECAY * lr * d
        if A < TINY:
            for j in range(p):
                _catch_up(theta, j, A, B, stamps)
            A, B = 1.0, 0.0
            stamps[:, 0] = 1.0
            stamps[:, 1] = 0.0
    for j in range(p):
        _catch_up(theta, j, A, B, stamps)
    _store_intercept(theta, p, start, intercept, shared)
    return loss_sum, weight_sum


@njit(cache=True, inline="always")
def _row_scores(
    indptr: IntArray,
    indices: IntArray,
    values: FloatArray,
    i: int,
    theta: FloatArray,
    scale: FloatArray | None,
    n_out: int,
    shifts: NDArray[np.float64],
    scores: NDArray[np.float64],
) -> None:
    """The row's score for each output into ``scores`` (``shifts``: see :func:`center_shifts`)."""
    p1 = theta.shape[0] // n_out
    if n_out == 1:
        score = theta[p1 - 1] - shifts[0]
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            score += theta[j] * scaled(values[q], scale, j)
        scores[0] = score
        return
    for k in range(n_out):
        scores[k] = theta[k * p1 + p1 - 1] - shifts[k]
    for q in range(indptr[i], indptr[i + 1]):
        j = indices[q]
        x = scaled(values[q], scale, j)
        for k in range(n_out):
            scores[k] += theta[k * p1 + j] * x


@njit(cache=True, inline="always")
def _row_loss(
    y: float | FloatArray,
    scores: NDArray[np.float64],
    n_out: int,
    loss: int,
    parameters: NDArray[np.float64],
    dscores: NDArray[np.float64],
) -> float:
    """The row's loss; its derivative in each output's score into dscores."""
    if loss == MULTINOMIAL:
        return softmax_cross_entropy(scores, int(target_of(y, 0, 1)), dscores)
    total = 0.0
    for k in range(n_out):
        value, dscores[k] = loss_and_derivative(scores[k], target_of(y, k, n_out), loss, parameters)
        total += value
    return total


def scaled(value: float, scale: FloatArray | None, j: int) -> float:
    """A non-zero of column j in the steps' coordinates: times ``scale[j]``, or as it is when the
    model is not standardized (scale None, settled when a kernel is compiled)."""
    return value if scale is None else value * scale[j]


# Numba holds an overload's parameters, annotations included, equal to those of the function it returns:
# the annotations of these functions are type comments, which it does not see.
@overload(scaled, inline="always")
def _compiled_scaled(value, scale, j):
    # type: (types.Type, types.Type, types.Type) -> Callable[..., float]
    if isinstance(scale, types.NoneType):
        return lambda value, scale, j: value
    return lambda value, scale, j: value * scale[j]


def center_shifts(
    theta: FloatArray, center: FloatArray | None, scale: FloatArray | None, n_out: int, shifts: NDArray[np.float64]
) -> None:
    r"""Per output, into ``shifts``: :math:`\sum_j \theta_j s_j \mu_j`, what centering takes off each
    score, so that the scores of centered rows come from the sparse rows as they are (zeros
    without a center)."""
    shifts[:] = 0.0
    if center is not None:
        assert scale is not None  # a center comes with its scale
        p1 = theta.shape[0] // n_out
        for k in range(n_out):
            shifts[k] = theta[k * p1 : (k + 1) * p1 - 1] @ (scale * center)


@overload(center_shifts)
def _compiled_center_shifts(theta, center, scale, n_out, shifts):
    # type: (types.Type, types.Type, types.Type, types.Type, types.Type) -> Callable[..., None]
    if isinstance(center, types.NoneType):

        def no_shifts(theta, center, scale, n_out, shifts):
            # type: (FloatArray, None, FloatArray | None, int, NDArray[np.float64]) -> None
            pass  # the caller's zeros stay

        return no_shifts

    def shifts_of(theta, center, scale, n_out, shifts):
        # type: (FloatArray, FloatArray, FloatArray | None, int, NDArray[np.float64]) -> None
        p1 = theta.shape[0] // n_out
        for k in range(n_out):
            total = 0.0
            for j in range(p1 - 1):
                total += theta[k * p1 + j] * scaled(center[j], scale, j)
            shifts[k] = total

    return shifts_of


def center_gradient(grad: FloatArray, center: FloatArray | None, scale: FloatArray | None, n_out: int) -> None:
    r"""Make a gradient summed over sparse rows as they are the gradient over the centered rows:
    :math:`g_j \mathrel{-}= s_j \mu_j g_b` (:math:`g_b`, the intercept's, is the sum of the rows'
    loss derivatives), O(features). Nothing without a center."""
    if center is not None:
        assert scale is not None  # a center comes with its scale
        p1 = grad.shape[0] // n_out
        for k in range(n_out):
            grad[k * p1 : (k + 1) * p1 - 1] -= scale * center * grad[(k + 1) * p1 - 1]


@overload(center_gradient)
def _compiled_center_gradient(grad, center, scale, n_out):
    # type: (types.Type, types.Type, types.Type, types.Type) -> Callable[..., None]
    if isinstance(center, types.NoneType):
        return lambda grad, center, scale, n_out: None

    def centered(grad, center, scale, n_out):
        # type: (FloatArray, FloatArray, FloatArray | None, int) -> None
        p1 = grad.shape[0] // n_out
        for k in range(n_out):
            total = grad[(k + 1) * p1 - 1]
            for j in range(p1 - 1):
                grad[k * p1 + j] -= scaled(center[j], scale, j) * total

    return centered


@njit(cache=True, inline="always")
def _add_batch(
    data: SparseData,
    order: IntArray,
    lo: int,
    hi: int,
    theta: FloatArray,
    scale: FloatArray | None,
    n_out: int,
    shifts: NDArray[np.float64],
    loss: int,
    parameters: NDArray[np.float64],
    grad: FloatArray,
    scores: NDArray[np.float64],
    dscores: NDArray[np.float64],
    track: bool,
    touched: IntArray,
    mark: BoolArray,
    count: int,
) -> tuple[float, float, int]:
    """Rows order[lo:hi]: their gradients, times their weights, into grad; with ``track``, the columns
    they touch into ``touched[:count]`` (``mark`` remembers which). Returns (loss sum, weight sum, count)."""
    indptr, indices, values, y, weights = data
    p1 = theta.shape[0] // n_out
    weighted = weights.shape[0] > 0
    loss_sum = 0.0
    weight_sum = 0.0
    for r in range(lo, hi):
        prefetch_csr_ahead(indptr, indices, values, order, r)
        i = order[r]
        _row_scores(indptr, indices, values, i, theta, scale, n_out, shifts, scores)
        weight = weights[i] if weighted else 1.0
        loss_sum += weight * _row_loss(y[i], scores, n_out, loss, parameters, dscores)
        weight_sum += weight
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            x = scaled(values[q], scale, j)
            if n_out == 1:  # the common case, without the inner loop
                grad[j] += weight * dscores[0] * x
            else:
                for k in range(n_out):
                    grad[k * p1 + j] += weight * dscores[k] * x
            if track and not mark[j]:
                mark[j] = True
                touched[count] = j
                count += 1
        for k in range(n_out):
            grad[k * p1 + p1 - 1] += weight * dscores[k]
    return loss_sum, weight_sum, count


def _gather(array: FloatArray, work: FloatArray, positions: IntArray, m: int, size: int) -> FloatArray:
    """An optimizer's state array at ``positions[:m]``, copied into ``work``: an element-wise one
    (the weights' size) follows the weights; a scalar one (NAdam's product), an unused (empty) one,
    or a row of numbers (Prodigy's, 2-D: never mistaken for the weights) is taken whole."""
    if array.ndim == 2 or array.shape[0] != size:
        return array
    work[:m] = array[positions[:m]]
    return work[:m]


@overload(_gather)
def _compiled_gather(array, work, positions, m, size):
    # type: (types.Array[Any], types.Type, types.Type, types.Type, types.Type) -> Callable[..., FloatArray]
    if array.ndim == 2:
        return lambda array, work, positions, m, size: array

    def gather(array, work, positions, m, size):
        # type: (FloatArray, FloatArray, IntArray, int, int) -> FloatArray
        if array.shape[0] != size:
            return array[:]
        for q in range(m):
            work[q] = array[positions[q]]
        return work[:m]

    return gather


def gathered(
    state: tuple[FloatArray, ...], work: tuple[FloatArray, ...], positions: IntArray, m: int, size: int
) -> tuple[FloatArray, ...]:
    """The state arrays at ``positions[:m]`` (:func:`_gather` of each), in the buffers ``work``."""
    return tuple(_gather(a, w, positions, m, size) for a, w in zip(state, work))


def _unrolled(signature: str, item: str, arity: int, *, statements: bool = False) -> Callable[..., Any]:
    """A function of ``signature`` that returns the tuple of ``item`` for i = 0 .. arity - 1 (or,
    with ``statements``, runs each ``item`` in turn): one function per arity, as Numba cannot build
    a tuple of varying types (an optimizer's state arrays) in a loop."""
    items = [item.format(i=i) for i in range(arity)]
    body = "\n".join(f"    {line}" for line in items) if statements else f"    return ({', '.join(items)},)"
    namespace: dict[str, Any] = {"_gather": _gather, "_scatter": _scatter, "np": np}
    exec(f"def unrolled({signature}):\n{body}\n", namespace)
    return namespace["unrolled"]


@overload(gathered)
def _compiled_gathered(state, work, positions, m, size):
    # type: (types.BaseTuple, types.Type, types.Type, types.Type, types.Type) -> Callable[..., tuple[FloatArray, ...]]
    return _unrolled(
        "state, work, positions, m, size", "_gather(state[{i}], work[{i}], positions, m, size)", len(state)
    )


def _scatter(array: FloatArray, part: FloatArray, positions: IntArray, m: int, size: int) -> None:
    if array.ndim == 1 and array.shape[0] == size:
        array[positions[:m]] = part[:m]


@overload(_scatter)
def _compiled_scatter(array, part, positions, m, size):
    # type: (types.Array[Any], types.Type, types.Type, types.Type, types.Type) -> Callable[..., None]
    if array.ndim == 2:  # taken whole, changed in place
        return lambda array, part, positions, m, size: None

    def scatter(array, part, positions, m, size):
        # type: (FloatArray, FloatArray, IntArray, int, int) -> None
        if array.shape[0] == size:
            for q in range(m):
                array[positions[q]] = part[q]

    return scatter


def put_back(
    state: tuple[FloatArray, ...], parts: tuple[FloatArray, ...], positions: IntArray, m: int, size: int
) -> None:
    """The gathered state arrays back into the state (the element-wise ones)."""
    for array, part in zip(state, parts):
        _scatter(array, part, positions, m, size)


@overload(put_back)
def _compiled_put_back(state, parts, positions, m, size):
    # type: (types.BaseTuple, types.Type, types.Type, types.Type, types.Type) -> Callable[..., None]
    return _unrolled(
        "state, parts, positions, m, size",
        "_scatter(state[{i}], parts[{i}], positions, m, size)",
        len(state),
        statements=True,
    )


def work_buffers(state: tuple[FloatArray, ...], size: int) -> tuple[FloatArray, ...]:
    """A buffer of ``size`` for each state array, to gather a step's coordinates into (made once a call)."""
    return tuple(np.empty(size, dtype=a.dtype) for a in state)


@overload(work_buffers)
def _compiled_work_buffers(state, size):
    # type: (types.BaseTuple, types.Type) -> Callable[..., tuple[FloatArray, ...]]
    return _unrolled("state, size", "np.empty(size, dtype=state[{i}].dtype)", len(state))


@njit(cache=True)
def _lazy_step(
    theta: FloatArray,
    grad: FloatArray,
    positions: IntArray,
    touched: IntArray,
    count: int,
    n_out: int,
    norm: float,
    l1: NDArray[np.float64],
    l2: NDArray[np.float64],
    fit_intercept: bool,
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    work: tuple[FloatArray, ...],
    x_work: FloatArray,
    g_work: FloatArray,
    t: int,
    lr: float,
) -> None:
    """The optimizer's step on ``positions[:m]`` only, m = (count + 1) n_out: the weights of the
    columns ``touched[:count]`` for each output, then the intercepts. The normalized gradient plus
    the L2 part there, the step on the gathered coordinates and state, the L1 prox on those
    weights; scattered back. The ``*work`` buffers hold the gathered values, so that a step
    allocates nothing."""
    size = theta.shape[0]
    n_weights = count * n_out
    m = n_weights + n_out
    for k in range(n_out):
        for c in range(count):
            q = k * count + c
            x_work[q] = theta[positions[q]]
            g_work[q] = grad[positions[q]] * norm + l2[touched[c]] * x_work[q]
    for q in range(n_weights, m):
        x_work[q] = theta[positions[q]]
        g_work[q] = grad[positions[q]] * norm if fit_intercept else 0.0
    x = x_work[:m]
    parts = gathered(state, work, positions, m, size)
    take_step(hyperparameters, x, g_work[:m], parts, float(t), lr)
    for k in range(n_out):
        for c in range(count):
            q = k * count + c
            threshold = lr * l1[touched[c]]
            x[q] = x[q] - min(max(x[q], -threshold), threshold)
    for q in range(m):
        theta[positions[q]] = x[q]
    put_back(state, parts, positions, m, size)


@njit(cache=True, nogil=True)
def batch_steps(
    data: SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    t: int,
    lrs: FloatArray,
    batch_size: int,
    weight_mean: float,
    lazy: bool,
) -> tuple[float, float, float]:
    """Steps over the rows ``order`` in batches of ``batch_size``; returns (weighted loss sum, weight sum,
    stationarity), as :func:`descend._engine.kernels.batch_steps` does for dense rows. ``lazy``: the
    step only on the coordinates each batch touched (module docstring)."""
    theta, center, scale, n_out, fit_intercept = model
    loss, parameters, l1, l2 = objective
    p = l1.shape[0]
    p1 = p + 1
    n_rows = order.shape[0]
    grad = np.zeros(theta.shape[0], dtype=theta.dtype)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    touched = np.empty(p, dtype=np.int64)
    mark = np.zeros(p, dtype=np.bool_)
    shifts = np.zeros(n_out)
    if lazy:  # the buffers of the lazy steps, made once
        positions = np.empty(theta.shape[0], dtype=np.int64)
        x_work, g_work = np.empty_like(theta), np.empty_like(theta)
        work = work_buffers(state, theta.shape[0])
    else:
        positions = np.empty(0, dtype=np.int64)
        x_work, g_work = np.empty(0, dtype=theta.dtype), np.empty(0, dtype=theta.dtype)
        work = work_buffers(state, 0)
    has_l1 = np.any(l1 > 0)
    measure = batch_size >= n_rows
    measured = -1.0
    loss_sum = 0.0
    weight_sum = 0.0
    step = 0
    for batch_start in range(0, n_rows, batch_size):
        batch_end = min(batch_start + batch_size, n_rows)
        center_shifts(theta, center, scale, n_out, shifts)
        part, weights_met, count = _add_batch(
            data,
            order,
            batch_start,
            batch_end,
            theta,
            scale,
            n_out,
            shifts,
            loss,
            parameters,
            grad,
            scores,
            dscores,
            lazy,
            touched,
            mark,
            0,
        )
        center_gradient(grad, center, scale, n_out)
        loss_sum += part
        weight_sum += weights_met
        norm = 1.0 / ((batch_end - batch_start) * weight_mean)
        if not lazy:
            measured = finish_step(
                theta,
                grad,
                n_out,
                fit_intercept,
                norm,
                l1,
                has_l1,
                l2,
                hyperparameters,
                state,
                t + step + 1,
                lrs[step],
                measure,
            )
            grad[:] = 0.0
        else:
            for k in range(n_out):
                for q in range(count):
                    positions[k * count + q] = k * p1 + touched[q]
                positions[count * n_out + k] = k * p1 + p
            if measure:  # the full batch's stationarity, every coordinate's gradient
                full = grad * norm
                for k in range(n_out):
                    for j in range(p):
                        full[k * p1 + j] += l2[j] * theta[k * p1 + j]
                    if not fit_intercept:
                        full[k * p1 + p] = 0.0
                measured = stationarity(theta, full, n_out, l1)
            _lazy_step(
                theta,
                grad,
                positions,
                touched,
                count,
                n_out,
                norm,
                l1,
                l2,
                fit_intercept,
                hyperparameters,
                state,
                work,
                x_work,
                g_work,
                t + step + 1,
                lrs[step],
            )
            for q in range(count * n_out + n_out):
                grad[positions[q]] = 0.0
        for q in range(count):
            mark[touched[q]] = False
        step += 1
    return loss_sum, weight_sum, measured


@njit(cache=True)
def mean_loss(data: SparseData, rows: IntArray, model: Model, objective: Objective) -> float:
    """Weighted mean loss over ``rows`` (no penalty)."""
    indptr, indices, values, y, weights = data
    theta, center, scale, n_out, _ = model
    loss, parameters, _, _ = objective
    shifts = np.zeros(n_out)
    center_shifts(theta, center, scale, n_out, shifts)
    scores = np.zeros(n_out)
    dscores = np.zeros(n_out)
    weighted = weights.shape[0] > 0
    total = 0.0
    weight_sum = 0.0
    n_rows = rows.shape[0]
    for r in range(n_rows):
        prefetch_csr_ahead(indptr, indices, values, rows, r)
        i = rows[r]
        _row_scores(indptr, indices, values, i, theta, scale, n_out, shifts, scores)
        weight = weights[i] if weighted else 1.0
        total += weight * _row_loss(y[i], scores, n_out, loss, parameters, dscores)
        weight_sum += weight
    return total / weight_sum
