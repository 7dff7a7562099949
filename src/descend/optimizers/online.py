"""Updates that learn from rows, one at a time: Vowpal Wabbit's normalized update."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .._checks import check_positive
from ..losses import gradient_flow
from ._base import Optimizer

__all__ = ["Normalized"]


NormalizedHyperparameters = namedtuple("NormalizedHyperparameters", "invariant")


@njit(cache=True, inline="always")
def normalized_row_step(theta, state, offset, columns, xs, count, n_weights, score, target, d, weight, lr,
                        count_row, invariant, loss, parameters, l1, l2, rates):
    """One row's step of :class:`Normalized` (its docstring has the math) for one output, theta and
    state in place. The row's non-zero features are ``columns[:count]`` with values ``xs[:count]``
    (the intercept last, as a feature of value 1, when it is fitted: the first ``n_weights`` are
    weights), each at ``theta[offset + column]``; ``d`` is the loss's derivative at ``score``,
    ``weight`` the row's importance h; ``count_row`` adds the row to N and T (once a row, for
    the first output); ``invariant`` takes the invariant update (a hyperparameter, see the class);
    ``rates`` a buffer for each feature's rate."""
    sums, scales, totals = state
    g2 = weight * d * d
    norm_x = 0.0
    sensitivity = 0.0
    for q in range(count):
        i = offset + columns[q]
        x = xs[q]
        sums[i] += g2 * x * x
        if abs(x) > scales[i]:  # a larger value than seen: rescale w_i as if it had always been s_i
            if scales[i] > 0.0:
                theta[i] *= scales[i] / abs(x)
            scales[i] = abs(x)
        norm_x += (x / scales[i]) ** 2
        rates[q] = 1.0 / (scales[i] * np.sqrt(sums[i])) if sums[i] > 0.0 else 0.0
        sensitivity += x * x * rates[q]
    if count_row:
        totals[0] += weight * norm_x
        totals[1] += weight
    multiplier = np.sqrt(totals[1] / totals[0]) if totals[0] > 0.0 else 0.0
    a = multiplier * sensitivity  # how far the score moves per unit of update
    if a <= 0.0:
        return
    if invariant:
        update = (gradient_flow(score, target, loss, parameters, lr * weight * a) - score) / a
    else:
        update = -lr * weight * d
    for q in range(count):
        i = offset + columns[q]
        step = multiplier * rates[q]
        w = theta[i] + update * step * xs[q]
        if q < n_weights:  # the penalty's proximal step, at the coordinate's own rate
            j = columns[q]
            w /= 1.0 + lr * step * l2[j]
            threshold = lr * step * l1[j]
            w -= min(max(w, -threshold), threshold)
        theta[i] = w


class Normalized(Optimizer):
    r"""Vowpal Wabbit's default update: adaptive, normalized and invariant. It learns from rows,
    one at a time (a linear model's per-sample steps), not from gradients alone.

    For a row :math:`x` of importance :math:`h` (its sample weight; the intercept is a feature of
    value 1), score :math:`p = w^\top x` and loss derivative :math:`d = \ell'(p, y)`, on each
    feature :math:`i` with :math:`x_i \ne 0` (Ross, Mineiro & Langford 2013, *Normalized online
    learning*, algorithm NAG):

    .. math::

        G_i &\leftarrow G_i + h\, d^2 x_i^2
            \quad\text{(the squared gradients, AdaGrad's sum)} \\
        \text{if } |x_i| > s_i:\ w_i &\leftarrow w_i\, s_i / |x_i|,\quad s_i \leftarrow |x_i|
            \quad\text{(the largest value seen: the feature's scale)} \\
        N &\leftarrow N + h \textstyle\sum_i x_i^2 / s_i^2, \qquad T \leftarrow T + h \\
        \eta_i &= \sqrt{T / N} \,/\, (s_i \sqrt{G_i}) \\
        w_i &\leftarrow w_i + u\, \eta_i\, x_i

    The plain update is :math:`u = -\gamma h d`. The invariant one (``invariant=True``,
    Karampatziakis & Langford 2011, *Online importance weight aware updates*) takes :math:`u =
    (p' - p)/a` with :math:`a = \sum_i \eta_i x_i^2`, how far the score moves per unit of
    :math:`u`, and :math:`p'` the score after the loss's gradient flow for :math:`\gamma h a`
    (:func:`descend.losses.gradient_flow`): a large step never passes the target, and a row of
    importance 2 counts as two copies of it. The squared error and the logistic loss have it in
    closed form; the other losses take the plain update.

    Dividing by :math:`s_i` makes the steps the same whatever each feature's units (rescale a
    column and its weight follows), :math:`\sqrt{G_i}` shrinks the steps of the features seen
    often (AdaGrad), and :math:`\sqrt{T/N}` the steps of rows with many features. So one rate
    suits most data: 0.5, Vowpal Wabbit's default. A penalty acts where a row has features, by
    its proximal step at the coordinate's rate :math:`\gamma\eta_i`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\gamma` > 0.
    invariant : bool
        Take the importance-invariant update (the default), else the plain one.

    Examples
    --------
    Features in other units, the same model (without a penalty, whose size depends on the units):

    >>> import numpy as np
    >>> from descend import GDClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 3))
    >>> y = (X @ [1.0, -2.0, 0.5] > 0).astype(int)
    >>> units = np.array([1.0, 1000.0, 0.001])
    >>> online = dict(optimizer="normalized", batch_size=1, max_iter=1, tol=None, penalty=None, random_state=0)
    >>> a = GDClassifier(**online).fit(X, y)
    >>> b = GDClassifier(**online).fit(X * units, y)
    >>> np.allclose(a.coef_, b.coef_ * units, rtol=1e-12), round(a.score(X, y), 2)
    (True, 0.99)
    """

    name = "normalized"
    Hyperparameters = NormalizedHyperparameters
    row_step = staticmethod(normalized_row_step)
    state_names = ("sum_squares", "feature_scale", "totals")

    def __init__(self, lr=0.5, invariant=True):
        self.lr = check_positive("lr", lr)
        if not isinstance(invariant, (bool, np.bool_)):
            raise ValueError(f"invariant must be True or False, got {invariant!r}")
        self.invariant = bool(invariant)

    def init(self, x):
        return {"step": 0, "sum_squares": np.zeros_like(x), "feature_scale": np.zeros_like(x),
                "totals": np.zeros(2, dtype=x.dtype)}

    def hyperparameters(self):
        return self.Hyperparameters(self.invariant)

    def update(self, x, grad, state, lr=None):
        raise TypeError("the normalized update learns from rows, not from gradients alone: use it in "
                        "GDRegressor or GDClassifier with batch_size=1; minimize() takes an optimizer of "
                        "gradients (descend.optimizers.OPTIMIZER_NAMES)")
