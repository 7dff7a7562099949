"""The algorithm of :mod:`descend._engine.kernels`, in NumPy, to be read.

One batch at a time: standardize its rows, score them, take the losses'
derivatives by the same :mod:`descend.losses` definitions and sum the
gradient (:func:`gradient_sum`); then normalize it, add the L2 part, let the
optimizer's own ``update`` step (the same compiled rule the kernels inline)
and soft-threshold for the L1 part (:func:`apply_gradient`). The tests hold
it equal to the compiled kernels to 1e-12.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..losses import MULTINOMIAL, gradient_flow, loss_and_derivative, softmax_cross_entropy
from ..penalties import soft_threshold
from .blocks import SparseProducts
from .problem import SparseData

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from .._typing import FloatArray, IntArray, Matrix, NDArray
    from ..optimizers import Normalized, Optimizer
    from .problem import Data, Model, Objective

__all__ = [
    "batch_steps",
    "gradient_sum",
    "csr_gradient_sum",
    "apply_gradient",
    "stationarity",
    "targets",
    "steps_rows",
    "data_matrix",
    "normalized_steps",
]


def _batch_losses(scores: FloatArray, y: FloatArray, objective: Objective) -> tuple[FloatArray, FloatArray]:
    """Loss per row and derivative per row and output."""
    n_out = scores.shape[1]
    if objective.loss == MULTINOMIAL:
        derivative = np.zeros_like(scores)
        loss = np.array(
            [softmax_cross_entropy(s, int(label), d) for s, label, d in zip(scores, y, derivative, strict=True)]
        )
        return loss, derivative
    loss, derivative = loss_and_derivative(scores, targets(y, n_out), objective.loss, objective.parameters)
    return loss.sum(axis=1), derivative


def targets(y: FloatArray, n_out: int) -> FloatArray:
    """The target of each row for each output, (n, n_out), from y as the steps take it: several
    regression outputs' columns as they are; one output's y; for one-vs-rest, output k separates
    class k (+1) from the rest (-1)."""
    if y.ndim == 2:
        return y
    return y[:, None] if n_out == 1 else np.where(y[:, None] == np.arange(n_out), 1.0, -1.0)


def data_matrix(data: Data | SparseData, n_features: int) -> Matrix:
    """The rows of an engine Data tuple as one matrix: its dense X, or the CSR matrix of a SparseData."""
    if isinstance(data, SparseData):
        return sp.csr_matrix((data.values, data.indices, data.indptr), shape=(len(data.indptr) - 1, n_features))
    return data.X


def steps_rows(data: Data | SparseData, rows: IntArray | Sequence[int], model: Model, n_features: int) -> Matrix:
    """The rows ``rows`` in the steps' coordinates: a dense array, or CSR (scaled, never centered)."""
    if isinstance(data, SparseData):
        X = data_matrix(data, n_features)[rows]
        if model.center is not None:  # centered rows are dense: fine for the reference, small data
            return (X.toarray() - model.center) * model.scale
        return X if model.scale is None else X.multiply(model.scale).tocsr()
    return data.X[rows] if model.center is None else (data.X[rows] - model.center) * model.scale  # type: ignore[operator]  # center => scale


def csr_gradient_sum(
    X: Matrix,
    y: FloatArray,
    weights: FloatArray,
    model: Model,
    objective: Objective,
    products: SparseProducts | None = None,
) -> tuple[float, float, FloatArray]:
    r"""(weighted loss sum, weight sum, summed gradient) over the rows of the CSR matrix ``X`` (targets
    ``y``, ``weights`` or empty) by two sparse matrix products, :math:`X w` and :math:`X^\top d`,
    centering implicitly: the rows stay sparse. scipy's products take a third of the time of a
    compiled loop that scores and scatters row by row (120,000 hashed documents, 2^20 columns: 20
    against 64 ms), so the engine takes this for the full batch of sparse rows. ``products``, a
    :class:`descend._engine.blocks.SparseProducts` of X, may take them on several threads (the same
    numbers); by default, scipy's on this one."""
    params = model.theta.reshape(model.n_out, -1)
    coef = params[:, :-1] if model.scale is None else params[:, :-1] * model.scale  # on the raw columns
    products = SparseProducts(X) if products is None else products  # one thread: scipy's own
    scores = products.times(coef.T) + params[:, -1]
    if model.center is not None:
        scores -= coef @ model.center
    loss, derivative = _batch_losses(scores, y, objective)
    weighted = weights.size > 0
    if weighted:
        derivative *= weights[:, None]
    grad = products.transpose_times(derivative).T
    total = derivative.sum(axis=0)
    if model.center is not None:
        grad -= np.outer(total, model.center)
    if model.scale is not None:
        grad *= model.scale
    weight_sum = float(weights.sum()) if weighted else float(X.shape[0])
    return float(weights @ loss if weighted else loss.sum()), weight_sum, np.column_stack([grad, total]).ravel()


def gradient_sum(
    data: Data | SparseData, rows: IntArray, model: Model, objective: Objective
) -> tuple[float, float, FloatArray]:
    """(weighted loss sum, weight sum, summed gradient) over ``rows``, before normalization or penalty."""
    if isinstance(data, SparseData):
        X = data_matrix(data, len(objective.l1))[rows]
        return csr_gradient_sum(
            X, data.y[rows], data.weights[rows] if data.weights.size else data.weights, model, objective
        )
    y, weights = data.y, data.weights
    params = model.theta.reshape(model.n_out, -1)  # rows are outputs, last column the intercept
    Xb = steps_rows(data, rows, model, len(objective.l1))
    wb = weights[rows] if weights.size else np.ones(len(rows))
    loss, derivative = _batch_losses(np.asarray(Xb @ params[:, :-1].T) + params[:, -1], y[rows], objective)
    derivative = derivative * wb[:, None]
    grad = np.column_stack([np.asarray(Xb.T @ derivative).T, derivative.sum(axis=0)])
    return float(wb @ loss), float(wb.sum()), grad.ravel()


def stationarity(theta: FloatArray, grad: FloatArray, n_out: int, l1: NDArray[np.float64]) -> float:
    """The norm of the minimum-norm subgradient (see kernels._stationarity)."""
    params, g = theta.reshape(n_out, -1), grad.reshape(n_out, -1).copy()
    weights, gw = params[:, :-1], g[:, :-1]
    shrunk = gw - np.clip(gw, -l1, l1)
    g[:, :-1] = np.where(l1 > 0, np.where(weights != 0, gw + l1 * np.sign(weights), shrunk), gw)
    return float(np.sqrt(np.sum(g * g)))


def apply_gradient(
    model: Model,
    objective: Objective,
    optimizer: Optimizer,
    state: dict[str, Any],
    grad: FloatArray,
    norm: float,
    lr: float,
) -> float:
    """The optimizer's step from the summed gradient ``grad`` normalized by ``norm``, then the L1
    prox; returns the stationarity of the weights before the step. ``optimizer.update`` counts the
    step in ``state["step"]``."""
    params = model.theta.reshape(model.n_out, -1)
    g = grad.reshape(model.n_out, -1) * norm
    g[:, :-1] += objective.l2 * params[:, :-1]
    if not model.fit_intercept:
        g[:, -1] = 0.0
    measured = stationarity(model.theta, g.ravel(), model.n_out, objective.l1)
    optimizer.update(model.theta, g.ravel(), state, lr)
    if np.any(objective.l1 > 0):
        params[:, :-1] = soft_threshold(params[:, :-1], lr * objective.l1)
    return measured


def _touched(data: Data | SparseData, rows: IntArray, model: Model, n_features: int) -> IntArray:
    """Positions in theta of the weights the rows' non-zeros touch (every output), then the intercepts."""
    columns = np.unique(steps_rows(data, rows, model, n_features).indices)
    p1 = n_features + 1
    return np.concatenate(
        [np.concatenate([k * p1 + columns for k in range(model.n_out)]), np.arange(model.n_out) * p1 + n_features]
    )


def apply_gradient_lazily(
    model: Model,
    objective: Objective,
    optimizer: Optimizer,
    state: dict[str, Any],
    grad: FloatArray,
    norm: float,
    lr: float,
    positions: IntArray,
    n_weights: int,
) -> None:
    """:func:`apply_gradient` on ``positions`` only (the first ``n_weights`` of them weights, the rest
    intercepts): the semantics of sparse gradients, as descend._engine.sparse takes them."""
    p1 = len(objective.l1) + 1
    x = model.theta[positions]
    g = grad[positions] * norm
    g[:n_weights] += objective.l2[positions[:n_weights] % p1] * x[:n_weights]
    if not model.fit_intercept:
        g[n_weights:] = 0.0
    part = {
        key: (value[positions] if isinstance(value, np.ndarray) and value.shape == model.theta.shape else value)
        for key, value in state.items()
    }
    optimizer.update(x, g, part, lr)
    x[:n_weights] = soft_threshold(x[:n_weights], lr * objective.l1[positions[:n_weights] % p1])
    model.theta[positions] = x
    for key, value in state.items():
        if isinstance(value, np.ndarray) and value.shape == model.theta.shape:
            value[positions] = part[key]
    state["step"] = part["step"]


def batch_steps(
    data: Data | SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    optimizer: Optimizer,
    state: dict[str, Any],
    lrs: FloatArray,
    batch_size: int,
    weight_mean: float,
    lazy: bool = False,
    intercept_decay: float = 1.0,
) -> tuple[float, float, float]:
    """Steps over the rows ``order`` in batches; returns (weighted loss sum, weight sum, stationarity),
    the last measured when one batch holds all the rows (else -1). ``lazy`` (sparse rows): each
    step on the touched coordinates only; ``intercept_decay`` multiplies the intercepts' gradients
    (descend._engine.sparse.INTERCEPT_DECAY for its per-sample plain SGD)."""
    loss_sum = weight_sum = 0.0
    measured = -1.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start : start + batch_size]
        part, weights, grad = gradient_sum(data, rows, model, objective)
        grad[len(objective.l1) :: len(objective.l1) + 1] *= intercept_decay
        loss_sum += part
        weight_sum += weights
        norm = 1.0 / (len(rows) * weight_mean)
        if lazy:
            if len(rows) >= len(order):  # the full batch's stationarity, every coordinate's gradient
                full = (grad * norm).reshape(model.n_out, -1)
                full[:, :-1] += objective.l2 * model.theta.reshape(model.n_out, -1)[:, :-1]
                full[:, -1] *= float(model.fit_intercept)
                measured = stationarity(model.theta, full.ravel(), model.n_out, objective.l1)
            positions = _touched(data, rows, model, len(objective.l1))
            apply_gradient_lazily(
                model, objective, optimizer, state, grad, norm, lrs[step], positions, len(positions) - model.n_out
            )
            continue
        at = apply_gradient(model, objective, optimizer, state, grad, norm, lrs[step])
        if len(rows) >= len(order):
            measured = at
    return loss_sum, weight_sum, measured


def normalized_steps(
    data: Data | SparseData,
    order: IntArray,
    model: Model,
    objective: Objective,
    optimizer: Normalized,
    state: dict[str, Any],
    lrs: FloatArray,
    weight_mean: float,
    scores_out: FloatArray | None = None,
) -> tuple[float, float]:
    """The normalized update (:class:`descend.optimizers.Normalized`), one row of ``order`` at a time,
    as the paper's algorithm reads, on the row's non-zero features and the intercept; returns
    (weighted loss sum, weight sum) and counts the steps in ``state["step"]``. ``scores_out``, if
    given, receives each row's scores before its step (row i in ``scores_out[i]``)."""
    n_out, p = model.n_out, len(objective.l1)
    params = model.theta.reshape(n_out, p + 1)
    sums, scales = (state[name].reshape(n_out, p + 1) for name in ("sum_squares", "feature_scale"))
    totals = state["totals"]  # N, T
    invariant = optimizer.invariant and objective.loss != MULTINOMIAL
    loss_sum = weight_sum = 0.0
    for i, lr in zip(order, lrs, strict=True):
        if isinstance(data, SparseData):  # a CSR row's entries as stored: a repeated column stays repeated
            entries = slice(data.indptr[i], data.indptr[i + 1])
            stored = data.values[entries] != 0  # but a stored 0 is no feature (as Vowpal Wabbit's parser drops it)
            columns = data.indices[entries][stored].astype(np.int64)
            x = data.values[entries][stored]
            x = x if model.scale is None else x * model.scale[columns]
        else:
            row = np.asarray(steps_rows(data, [i], model, p))[0]
            columns = np.flatnonzero(row)
            x = row[columns]
        if model.fit_intercept:  # the intercept: a feature of value 1
            columns, x = np.append(columns, p), np.append(x, 1.0)
        scores = params[:, columns] @ x
        if scores_out is not None:
            scores_out[i] = scores
        loss, derivative = _batch_losses(scores[None, :], data.y[[i]], objective)
        weight = data.weights[i] if data.weights.size else 1.0
        loss_sum += weight * loss[0]
        weight_sum += weight
        h = weight / weight_mean
        target = targets(data.y[[i]], n_out)[0]
        n_weights = len(columns) - int(model.fit_intercept)
        for k in range(n_out):
            d = derivative[0, k]
            # Feature by feature, as the paper writes it (a repeated column is met again, its sums grown).
            eta = np.zeros(len(columns))
            norm_x = 0.0
            for q, (j, value) in enumerate(zip(columns, x, strict=True)):
                sums[k, j] += h * d * d * value * value
                if abs(value) > scales[k, j]:  # a larger value than seen: w_j as if it had always been this scale
                    if scales[k, j] > 0:
                        params[k, j] *= scales[k, j] / abs(value)
                    scales[k, j] = abs(value)
                norm_x += (value / scales[k, j]) ** 2
                squares = sums[k, j] + optimizer.damping * scales[k, j] ** 2
                eta[q] = 1.0 / (scales[k, j] * np.sqrt(squares)) if squares > 0 else 0.0
            if k == 0:
                totals += [h * norm_x, h]
            eta *= np.sqrt(totals[1] / totals[0]) if totals[0] > 0 else 0.0
            a = np.sum(eta * x * x)
            if a <= 0:
                continue
            if invariant:
                update = (
                    gradient_flow(scores[k], target[k], objective.loss, objective.parameters, lr * h * a) - scores[k]
                ) / a
            else:
                update = -lr * h * d
            for q, (j, value) in enumerate(zip(columns, x, strict=True)):
                w = params[k, j] + update * eta[q] * value
                if q < n_weights:  # the penalty's proximal step, at the coordinate's own rate
                    shrink = lr * eta[q]
                    w = soft_threshold(w / (1.0 + shrink * objective.l2[j]), shrink * objective.l1[j])
                params[k, j] = w
        state["step"] += 1
    return loss_sum, weight_sum
