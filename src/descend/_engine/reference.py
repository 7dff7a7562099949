"""The algorithm of :func:`descend._engine.kernels.batch_steps`, in NumPy, to be read.

One batch at a time: standardize its rows, score them, take the losses'
derivatives by the same :mod:`descend.losses` definitions, form the
gradient, let the optimizer's own ``update`` step (the same compiled rule
the kernels inline), then soft-threshold for the L1 part. The tests hold it
equal to the compiled kernels to 1e-12.
"""

from __future__ import annotations

import numpy as np

from ..losses import HINGE, HUBER, LOG_LOSS, MULTINOMIAL, SQUARED_ERROR, hinge, huber, log_loss
from ..losses import softmax_cross_entropy, squared_error
from ..penalties import soft_threshold

__all__ = ["batch_steps"]

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


def batch_steps(data, order, model, objective, optimizer, state, lrs, batch_size, weight_mean):
    """Steps over the rows ``order`` in batches; returns (weighted loss sum, weight sum).

    ``optimizer.update`` counts the steps in ``state["step"]``.
    """
    X, y, weights = data
    params = model.theta.reshape(model.n_out, -1)  # a view: rows are outputs, last column the intercept
    l1, l2 = objective.l1, objective.l2
    loss_sum = weight_sum = 0.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start:start + batch_size]
        Xb = (X[rows] - model.center) * model.scale
        wb = weights[rows] if weights.size else np.ones(len(rows))
        scores = Xb @ params[:, :-1].T + params[:, -1]
        loss, derivative = _batch_losses(scores, y[rows], objective)
        loss_sum += float(wb @ loss)
        weight_sum += float(wb.sum())

        derivative = derivative * wb[:, None]
        grad = np.empty_like(params)
        grad[:, :-1] = derivative.T @ Xb / (len(rows) * weight_mean) + l2 * params[:, :-1]
        grad[:, -1] = derivative.sum(axis=0) / (len(rows) * weight_mean) if model.fit_intercept else 0.0
        optimizer.update(model.theta, grad.ravel(), state, lrs[step])
        if np.any(l1 > 0):
            params[:, :-1] = soft_threshold(params[:, :-1], lrs[step] * l1)
    return loss_sum, weight_sum
