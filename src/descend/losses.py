r"""Losses of a linear model's score: value and derivative, one definition each.

For a score :math:`p = w^\top x + b` and target :math:`y`, each function
returns ``(loss, dloss/dp)``. The gradient of the mean loss follows by the
chain rule, :math:`\nabla_w = \frac1n \sum_i \ell'(p_i, y_i)\, x_i`.

Each function is written once and serves twice: called from Python on NumPy
arrays (element-wise, the readable reference path) and inlined into the
compiled training engine on scalars (``numba.extending.register_jitable``).

Classification targets are :math:`y \in \{-1, +1\}` for the binary losses;
the multinomial loss takes a vector of scores and a class index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba.extending import register_jitable

__all__ = [
    "squared_error",
    "huber",
    "log_loss",
    "hinge",
    "softmax_cross_entropy",
    "Loss",
    "LOSSES",
    "REGRESSION_LOSSES",
    "CLASSIFICATION_LOSSES",
]


@register_jitable
def squared_error(p, y):
    r""":math:`\tfrac12 (p - y)^2`, derivative :math:`p - y` (scikit-learn's SGD convention)."""
    r = p - y
    return 0.5 * r * r, r


@register_jitable
def huber(p, y, epsilon):
    r"""Huber: :math:`\tfrac12 r^2` for :math:`|r| \le \epsilon`, else
    :math:`\epsilon (|r| - \tfrac12 \epsilon)`, with :math:`r = p - y`;
    derivative :math:`\operatorname{clip}(r, -\epsilon, \epsilon)`. Huber 1964,
    *Robust Estimation of a Location Parameter*."""
    r = p - y
    a = np.abs(r)
    c = np.minimum(a, epsilon)
    return c * (a - 0.5 * c), np.minimum(np.maximum(r, -epsilon), epsilon)


@register_jitable
def log_loss(p, y):
    r"""Logistic loss :math:`\log(1 + e^{-y p})`, derivative
    :math:`-y\, \sigma(-y p)`, for :math:`y = \pm 1`. Both from one
    :math:`e = e^{-|z|}`, :math:`z = y p`, which never overflows:
    :math:`\log(1 + e^{-z}) = \max(-z, 0) + \log(1 + e)` and
    :math:`\sigma(-z) = e / (1 + e)` for :math:`z \ge 0`, :math:`1 / (1 + e)` below."""
    z = y * p
    e = np.exp(-np.abs(z))
    numerator = e + (z < 0.0) * (1.0 - e)
    return np.maximum(-z, 0.0) + np.log1p(e), -y * numerator / (1.0 + e)


@register_jitable
def hinge(p, y):
    r"""Hinge :math:`\max(0, 1 - y p)`, subgradient :math:`-y` where
    :math:`y p \le 1` (as scikit-learn's SGD), else 0. Cortes & Vapnik 1995."""
    z = y * p
    return np.maximum(0.0, 1.0 - z), -y * (z <= 1.0)


@register_jitable
def softmax_cross_entropy(scores, label, out):
    r"""Multinomial log loss of one sample: :math:`\log \sum_k e^{s_k} - s_y`.

    Writes the derivative :math:`\operatorname{softmax}(s)_k - [k = y]` into
    ``out`` and returns the loss. The largest score is subtracted first so
    that no exponential overflows.
    """
    top = scores[0]
    for k in range(1, scores.shape[0]):
        top = max(top, scores[k])
    total = 0.0
    for k in range(scores.shape[0]):
        out[k] = np.exp(scores[k] - top)
        total += out[k]
    for k in range(scores.shape[0]):
        out[k] = out[k] / total
    out[label] -= 1.0
    return np.log(total) + top - scores[label]


@dataclass(frozen=True)
class Loss:
    """A loss as the estimators know it.

    ``curvature`` bounds the second derivative in the score (1 for squared
    error and Huber, 1/4 for the logistic loss, 1/2 for the multinomial one,
    Böhning 1992; hinge has none and is given 1): the gradient's Lipschitz
    constant is ``curvature`` times the largest eigenvalue of X'X/n.
    ``smooth``: the derivative is continuous, so the gradient vanishes at the
    optimum and full-batch fits stop on its norm (hinge's does not: its fits
    stop when the objective stops falling).
    """

    name: str
    code: int
    curvature: float
    smooth: bool = True


# The codes by which the compiled engine picks a loss (descend._engine.kernels).
SQUARED_ERROR, HUBER, LOG_LOSS, HINGE, MULTINOMIAL = range(5)

LOSSES = {
    "squared_error": Loss("squared_error", SQUARED_ERROR, 1.0),
    "huber": Loss("huber", HUBER, 1.0),
    "log_loss": Loss("log_loss", LOG_LOSS, 0.25),
    "hinge": Loss("hinge", HINGE, 1.0, smooth=False),
    "multinomial": Loss("multinomial", MULTINOMIAL, 0.5),
}
REGRESSION_LOSSES = ("squared_error", "huber")
CLASSIFICATION_LOSSES = ("log_loss", "hinge")
