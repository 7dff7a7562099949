"""The algorithm of :mod:`descend._engine.kernels`, in NumPy, to be read.

One batch at a time: standardize its rows, score them, take the losses'
derivatives by the same :mod:`descend.losses` definitions and sum the
gradient (:func:`gradient_sum`); then normalize it, add the L2 part, let the
optimizer's own ``update`` step (the same compiled rule the kernels inline)
and soft-threshold for the L1 part (:func:`apply_gradient`). The tests hold
it equal to the compiled kernels to 1e-12.
"""

from __future__ import annotations

import numpy as np

from ..losses import HINGE, HUBER, LOG_LOSS, MULTINOMIAL, SQUARED_ERROR, hinge, huber, log_loss
from ..losses import softmax_cross_entropy, squared_error
from ..penalties import soft_threshold

__all__ = ["batch_steps", "gradient_sum", "apply_gradient", "stationarity"]

_ELEMENTWISE = {SQUARED_ERROR: squared_error, LOG_LOSS: log_loss, HINGE: hinge}


def _batch_losses(scores, y, objective):
    """Loss per row and derivative per row and output."""
    n_out = scores.shape[1]
    if objective.loss == MULTINOMIAL:
        derivative = np.zeros_like(scores)
        loss = np.array([softmax_cross_entropy(s, int(label), d)
                         for s, label, d in zip(scores, y, derivative, strict=True)])
        return loss, derivative
    target = y[:, None] if n_out == 1 else np.where(y[:, None] == np.arange(n_out), 1.0, -1.0)
    if objective.loss == HUBER:
        loss, derivative = huber(scores, target, objective.epsilon)
    else:
        loss, derivative = _ELEMENTWISE[objective.loss](scores, target)
    return loss.sum(axis=1), derivative


def gradient_sum(data, rows, model, objective):
    """(weighted loss sum, weight sum, summed gradient) over ``rows``, before normalization or penalty."""
    X, y, weights = data
    params = model.theta.reshape(model.n_out, -1)  # rows are outputs, last column the intercept
    Xb = X[rows] if model.center is None else (X[rows] - model.center) * model.scale
    wb = weights[rows] if weights.size else np.ones(len(rows))
    loss, derivative = _batch_losses(Xb @ params[:, :-1].T + params[:, -1], y[rows], objective)
    derivative = derivative * wb[:, None]
    grad = np.column_stack([derivative.T @ Xb, derivative.sum(axis=0)])
    return float(wb @ loss), float(wb.sum()), grad.ravel()


def stationarity(theta, grad, n_out, l1):
    """The norm of the minimum-norm subgradient (see kernels._stationarity)."""
    params, g = theta.reshape(n_out, -1), grad.reshape(n_out, -1).copy()
    weights, gw = params[:, :-1], g[:, :-1]
    shrunk = gw - np.clip(gw, -l1, l1)
    g[:, :-1] = np.where(l1 > 0, np.where(weights != 0, gw + l1 * np.sign(weights), shrunk), gw)
    return float(np.sqrt(np.sum(g * g)))


def apply_gradient(model, objective, optimizer, state, grad, norm, lr):
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


def batch_steps(data, order, model, objective, optimizer, state, lrs, batch_size, weight_mean):
    """Steps over the rows ``order`` in batches; returns (weighted loss sum, weight sum, stationarity),
    the last measured when one batch holds all the rows (else -1)."""
    loss_sum = weight_sum = 0.0
    measured = -1.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start:start + batch_size]
        part, weights, grad = gradient_sum(data, rows, model, objective)
        loss_sum += part
        weight_sum += weights
        at = apply_gradient(model, objective, optimizer, state, grad, 1.0 / (len(rows) * weight_mean), lrs[step])
        if len(rows) >= len(order):
            measured = at
    return loss_sum, weight_sum, measured
