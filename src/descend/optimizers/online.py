"""Online learning's updates: FTRL-Proximal (of gradients, per coordinate, sparse by design) and Vowpal
Wabbit's normalized update (which learns from rows, one at a time)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_nonnegative, check_number, check_positive
from .._compiled import njit
from ..losses import gradient_flow
from ._base import Optimizer

if TYPE_CHECKING:
    from typing import Any, NoReturn

    from .._typing import FloatArray, IntArray, NDArray

__all__ = ["FTRL", "Normalized"]


class NormalizedHyperparameters(NamedTuple):
    invariant: bool
    damping: float


@njit(cache=True, inline="always")
def normalized_row_step(
    theta: FloatArray,
    state: tuple[FloatArray, ...],
    offset: int,
    columns: IntArray,
    xs: FloatArray,
    count: int,
    n_weights: int,
    score: float,
    target: float,
    d: float,
    weight: float,
    lr: float,
    count_row: bool,
    invariant: bool,
    damping: float,
    loss: int,
    parameters: NDArray[np.float64],
    l1: NDArray[np.float64],
    l2: NDArray[np.float64],
    rates: FloatArray,
    penalized: bool | np.bool_ = True,
) -> None:
    """One row's step of :class:`Normalized` (its docstring has the math) for one output, theta and
    state in place. The row's non-zero features are ``columns[:count]`` with values ``xs[:count]``
    (the intercept last, as a feature of value 1, when it is fitted: the first ``n_weights`` are
    weights), each at ``theta[offset + column]``; ``d`` is the loss's derivative at ``score``,
    ``weight`` the row's importance h; ``count_row`` adds the row to N and T (once a row, for
    the first output); ``invariant`` takes the invariant update and ``damping`` its delta
    (hyperparameters, see the class); ``rates`` a buffer for each feature's rate; ``penalized`` False
    when ``l1`` and ``l2`` are 0 everywhere (their reads are then left out: two random reads a feature fewer)."""
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
        squares = sums[i] + damping * scales[i] * scales[i]
        rates[q] = 1.0 / (scales[i] * np.sqrt(squares)) if squares > 0.0 else 0.0
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
        if penalized and q < n_weights:  # the penalty's proximal step, at the coordinate's own rate
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
        \eta_i &= \sqrt{T / N} \,/\, \bigl(s_i \sqrt{G_i + \delta s_i^2}\bigr) \\
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

    The damping :math:`\delta \ge 0` starts each feature's sum as if it had already seen
    :math:`\delta` squared derivatives of a full-scale value (AdaGrad's initial accumulator, which
    TensorFlow's Adagrad and FTRL start at 0.1): a feature seen once or twice moves its weight a
    little, not all the way its first gradient says, so that a rare word does not take the noise of
    the few rows it is in for signal. It is in units of the loss derivative squared, so it keeps the
    update free of the features' units. :math:`\delta = 0`, the default, is Vowpal Wabbit's update;
    the linear models' defaults take :math:`\delta = 10` at :math:`\gamma = 1`
    (:mod:`descend.linear`'s settings say why).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\gamma` > 0.
    invariant : bool
        Take the importance-invariant update (the default), else the plain one.
    damping : float
        :math:`\delta` >= 0, the squared derivatives each feature's sum starts from (in units of
        its scale); 0 is Vowpal Wabbit's update.

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

    def __init__(self, lr: float = 0.5, invariant: bool = True, damping: float = 0.0) -> None:
        self.lr = check_positive("lr", lr)
        if not isinstance(invariant, (bool, np.bool_)):
            raise ValueError(f"invariant must be True or False, got {invariant!r}")
        self.invariant = bool(invariant)
        self.damping = check_nonnegative("damping", damping)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {
            "step": 0,
            "sum_squares": np.zeros_like(x),
            "feature_scale": np.zeros_like(x),
            "totals": np.zeros(2, dtype=x.dtype),
        }

    def hyperparameters(self) -> NormalizedHyperparameters:
        return self.Hyperparameters(self.invariant, self.damping)

    def update(self, x: FloatArray, grad: FloatArray, state: dict[str, Any], lr: float | None = None) -> NoReturn:
        raise TypeError(
            "the normalized update learns from rows, not from gradients alone: use it in "
            "GDRegressor or GDClassifier with batch_size=1; minimize() takes an optimizer of "
            "gradients (descend.optimizers.OPTIMIZER_NAMES)"
        )


class FTRLHyperparameters(NamedTuple):
    learning_rate_power: float
    l1: float
    l2: float
    l2_shrinkage: float
    beta: float


@njit(cache=True, inline="always")
def ftrl_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: FTRLHyperparameters,
) -> None:
    """One step of :class:`FTRL` (its docstring has the math), x and state in place."""
    n, z = state
    power, l1, l2, l2_shrinkage, beta = hyperparameters
    l2_total = l2 + beta / (2.0 * lr)
    square_root = power == -0.5  # the default: a square root costs a fraction of a power (20x SGD's step else)
    for i in range(x.size):
        d = g[i]
        d_used = d + (2 * l2_shrinkage) * x[i]
        n_new = n[i] + d * d
        root_new = np.sqrt(n_new) if square_root else n_new ** (-power)
        root_old = np.sqrt(n[i]) if square_root else n[i] ** (-power)
        z[i] += d_used - ((root_new - root_old) / lr) * x[i]
        quadratic = root_new / lr + 2 * l2_total
        clipped = min(max(z[i], -l1), l1)
        x[i] = (clipped - z[i]) / quadratic
        n[i] = n_new


class FTRL(Optimizer):
    r"""FTRL-Proximal: "follow the regularized leader", per coordinate, with its L1 and L2 in closed
    form; the optimizer of large-scale click prediction, sparse by design.

    With :math:`n_i` the sum of the squared gradients (from ``initial_accumulator_value``), :math:`c`
    = ``-learning_rate_power`` (1/2: AdaGrad's rates) and :math:`\gamma` the learning rate, on each
    coordinate:

    .. math::

        n_i' &= n_i + g_i^2, \qquad
            \sigma_i = \bigl(n_i'^{\,c} - n_i^{\,c}\bigr) / \gamma \\
        z_i &\leftarrow z_i + g_i + 2\lambda_s x_i - \sigma_i x_i \\
        x_i &\leftarrow \begin{cases} 0 & |z_i| \le \lambda_1 \\
            -\bigl(z_i - \operatorname{sign}(z_i)\lambda_1\bigr) \big/
            \bigl(n_i'^{\,c}/\gamma + 2\lambda_2 + \beta/\gamma\bigr) & \text{otherwise} \end{cases}

    McMahan et al. 2013, *Ad click prediction: a view from the trenches*, algorithm 1 (per-coordinate
    rates :math:`\beta + \sqrt{n_i}` over :math:`\gamma`), with the learning-rate power and the L2
    shrinkage :math:`\lambda_s` of TensorFlow's ``tf.keras.optimizers.Ftrl``, whose update this is
    step for step (``tests/make_ftrl_reference.py`` made the reference once with TensorFlow).
    The L1 part makes exact zeros: a weight stays 0 until its accumulated gradient passes
    :math:`\lambda_1`. The linear models' lazy steps on sparse rows (their default there) step only the
    coordinates a row touches, so that a step costs the row's non-zeros; elsewhere z and n stay as
    they are.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma` > 0 (Keras's ``learning_rate``).
    learning_rate_power : float
        :math:`-c` <= 0: the rate decays as :math:`n^{-c}`.
    initial_accumulator_value : float
        The start of every :math:`n_i`, >= 0.
    l1_regularization_strength : float
        :math:`\lambda_1` >= 0.
    l2_regularization_strength : float
        :math:`\lambda_2` >= 0.
    l2_shrinkage_regularization_strength : float
        :math:`\lambda_s` >= 0, an L2 penalty on the weights added to the gradient.
    beta : float
        :math:`\beta` >= 0, added to the per-coordinate rates' denominators.

    Examples
    --------
    The L1 part keeps a coordinate at exactly zero while its accumulated gradient stays below
    :math:`\lambda_1` (the middle one, whose target is 0.01); the others reach their targets:

    >>> import numpy as np
    >>> from descend import minimize
    >>> from descend.optimizers import FTRL
    >>> target = np.array([1.0, 0.01, -2.0])
    >>> fun = lambda x: (0.5 * np.sum((x - target) ** 2), x - target)
    >>> result = minimize(fun, np.zeros(3), FTRL(lr=0.5, l1_regularization_strength=10.0), max_iter=500, tol=None)
    >>> result.x.round(3)
    array([ 1.,  0., -2.])
    """

    name = "ftrl"
    Hyperparameters = FTRLHyperparameters
    step = staticmethod(ftrl_step)
    state_names = ("accumulator", "linear")

    def __init__(
        self,
        lr: float = 1e-3,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
    ) -> None:
        self.lr = check_positive("lr", lr)
        power = check_number("learning_rate_power", learning_rate_power)
        if not (math.isfinite(power) and power <= 0):
            raise ValueError(f"learning_rate_power must be a finite number <= 0, got {learning_rate_power!r}")
        self.learning_rate_power = power
        self.initial_accumulator_value = check_nonnegative("initial_accumulator_value", initial_accumulator_value)
        self.l1_regularization_strength = check_nonnegative("l1_regularization_strength", l1_regularization_strength)
        self.l2_regularization_strength = check_nonnegative("l2_regularization_strength", l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = check_nonnegative(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength
        )
        self.beta = check_nonnegative("beta", beta)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "accumulator": np.full_like(x, self.initial_accumulator_value), "linear": np.zeros_like(x)}

    def hyperparameters(self) -> FTRLHyperparameters:
        return self.Hyperparameters(
            self.learning_rate_power,
            self.l1_regularization_strength,
            self.l2_regularization_strength,
            self.l2_shrinkage_regularization_strength,
            self.beta,
        )
