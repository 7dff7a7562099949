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
from typing import TYPE_CHECKING, overload

import numpy as np
from numba.extending import register_jitable

from .choices import CLASSIFICATION_LOSSES, LOG_LINK_LOSSES, REGRESSION_LOSSES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._typing import ArrayLike, FloatArray, FloatOrArray

__all__ = [
    "squared_error",
    "huber",
    "log_loss",
    "hinge",
    "ramp_envelope",
    "margin_ramp",
    "modified_huber",
    "squared_hinge",
    "perceptron",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
    "quantile",
    "poisson",
    "gamma",
    "tweedie",
    "softmax_cross_entropy",
    "loss_and_derivative",
    "gradient_flow",
    "kinks",
    "get_loss",
    "check_targets",
    "class_probabilities",
    "LOG_LINK_LOSSES",
    "Loss",
    "LOSSES",
    "REGRESSION_LOSSES",
    "CLASSIFICATION_LOSSES",
]


@register_jitable
def squared_error(p: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Squared error :math:`\tfrac12 (p - y)^2`, derivative :math:`p - y` (scikit-learn's SGD convention).

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import squared_error
    >>> squared_error(np.array([3.0, 0.0]), np.array([1.0, 1.0]))
    (array([2. , 0.5]), array([ 2., -1.]))
    """
    r = p - y
    return 0.5 * r * r, r


@register_jitable
def huber(p: FloatOrArray, y: FloatOrArray, epsilon: float) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Huber: :math:`\tfrac12 r^2` for :math:`|r| \le \epsilon`, else
    :math:`\epsilon (|r| - \tfrac12 \epsilon)`, with :math:`r = p - y`;
    derivative :math:`\operatorname{clip}(r, -\epsilon, \epsilon)`. Huber 1964,
    *Robust Estimation of a Location Parameter*.

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target.
    epsilon : float
        Where the loss turns from quadratic to linear, :math:`\epsilon > 0`.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import huber
    >>> huber(np.array([3.0, 1.5]), np.array([1.0, 1.0]), 1.0)
    (array([1.5  , 0.125]), array([1. , 0.5]))
    """
    r = p - y
    a = np.abs(r)
    c = np.minimum(a, epsilon)
    return c * (a - 0.5 * c), np.minimum(np.maximum(r, -epsilon), epsilon)


@register_jitable
def log_loss(p: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Logistic loss :math:`\log(1 + e^{-y p})`, derivative
    :math:`-y\, \sigma(-y p)`, for :math:`y = \pm 1`. Both from one
    :math:`e = e^{-|z|}`, :math:`z = y p`, which never overflows:
    :math:`\log(1 + e^{-z}) = \max(-z, 0) + \log(1 + e)` and
    :math:`\sigma(-z) = e / (1 + e)` for :math:`z \ge 0`, :math:`1 / (1 + e)` below.

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target :math:`\pm 1`.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import log_loss
    >>> value, slope = log_loss(np.array([0.0, 2.0, -30.0]), 1.0)
    >>> value.round(4), slope.round(4)
    (array([ 0.6931,  0.1269, 30.    ]), array([-0.5   , -0.1192, -1.    ]))
    """
    z = y * p
    e = np.exp(-np.abs(z))
    numerator = e + (z < 0.0) * (1.0 - e)
    return np.maximum(-z, 0.0) + np.log1p(e), -y * numerator / (1.0 + e)


@register_jitable
def hinge(p: FloatOrArray, y: FloatOrArray, smoothing: float = 0.0) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Hinge :math:`\max(0, 1 - y p)`, subgradient :math:`-y` where
    :math:`y p \le 1` (as scikit-learn's SGD), else 0. Cortes & Vapnik 1995.
    With ``smoothing`` h > 0, its Moreau envelope (:func:`ramp_envelope` of :math:`1 - y p`).

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target :math:`\pm 1`.
    smoothing : float
        Width h >= 0 of the Moreau envelope that smooths the kink; 0 (the default) for the loss itself.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative (a subgradient) in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import hinge
    >>> hinge(np.array([0.5, 2.0]), 1.0)
    (array([0.5, 0. ]), array([-1., -0.]))
    >>> hinge(np.array([0.5, -1.0]), 1.0, 0.1)  # smoothed: u - h/2 beyond h
    (array([0.45, 1.95]), array([-1., -1.]))
    """
    return margin_ramp(1.0 - y * p, y, smoothing)


@register_jitable
def ramp_envelope(u: FloatOrArray, h: float) -> tuple[FloatOrArray, FloatOrArray]:
    r"""The Moreau envelope of :math:`\max(0, u)` of width h, :math:`\min_v \max(0, v) + (u - v)^2 / (2h)`:
    0 for :math:`u \le 0`, :math:`u^2 / (2h)` up to h, :math:`u - h/2` beyond; its slope
    :math:`\operatorname{clip}(u / h, 0, 1)`. Smooth, and below the kinked function by at most h/2:
    what full-batch fits of the losses built on it (hinge, perceptron, epsilon-insensitive; the
    quantile loss has its own) minimize, for smaller and smaller h (descend.linear._trainer).

    Parameters
    ----------
    u : float or ndarray
        Where to take the envelope.
    h : float
        Its width, > 0.

    Returns
    -------
    value : float or ndarray
        The envelope at u, element-wise.
    slope : float or ndarray
        Its derivative, :math:`\operatorname{clip}(u / h, 0, 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import ramp_envelope
    >>> value, slope = ramp_envelope(np.array([-1.0, 0.05, 1.0]), 0.1)
    >>> value.round(4), slope
    (array([-0.    ,  0.0125,  0.95  ]), array([0. , 0.5, 1. ]))
    """
    g = np.minimum(np.maximum(u / h, 0.0), 1.0)
    return g * u - 0.5 * h * g * g, g


@register_jitable
def margin_ramp(u: FloatOrArray, y: FloatOrArray, smoothing: float) -> tuple[FloatOrArray, FloatOrArray]:
    r"""The hinge and the perceptron on their margin shortfall :math:`u = m - y p` (m = 1 and 0):
    :math:`\max(0, u)` and its derivative in the score, :math:`-y` where :math:`u \ge 0` (scikit-learn's
    side of the kink), else 0; with ``smoothing`` h > 0, :func:`ramp_envelope` of u instead.

    Parameters
    ----------
    u : float or ndarray
        The shortfall :math:`m - y p`.
    y : float or ndarray
        The target :math:`\pm 1`.
    smoothing : float
        Width h >= 0 of the Moreau envelope; 0 for the loss itself.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import margin_ramp
    >>> margin_ramp(np.array([0.5, -1.0]), 1.0, 0.0)  # the hinge at y p = 0.5 and 2
    (array([0.5, 0. ]), array([-1., -0.]))
    """
    if smoothing > 0.0:
        value, slope = ramp_envelope(u, smoothing)
        return value, -y * slope
    return np.maximum(0.0, u), -y * (u >= 0.0)


@register_jitable
def modified_huber(p: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Modified Huber: with :math:`u = \max(0, 1 - y p)`, :math:`u^2` for :math:`u \le 2`, else
    :math:`4(u - 1)` (:math:`-4 y p`): the squared hinge, linear beyond :math:`y p < -1`. Derivative
    :math:`-2 y \min(u, 2)`. Zhang 2004, *Solving large scale linear prediction problems using
    stochastic gradient descent algorithms*; scikit-learn's ``"modified_huber"``.

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target :math:`\pm 1`.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import modified_huber
    >>> modified_huber(np.array([-2.0, 0.0, 2.0]), 1.0)
    (array([8., 1., 0.]), array([-4., -2., -0.]))
    """
    u = np.maximum(1.0 - y * p, 0.0)
    c = np.minimum(u, 2.0)
    return c * (2.0 * u - c), -2.0 * y * c


@register_jitable
def squared_hinge(p: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Squared hinge :math:`\max(0, 1 - y p)^2`, derivative :math:`-2 y \max(0, 1 - y p)`.

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target :math:`\pm 1`.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import squared_hinge
    >>> squared_hinge(np.array([0.5, 2.0]), 1.0)
    (array([0.25, 0.  ]), array([-1., -0.]))
    """
    u = np.maximum(1.0 - y * p, 0.0)
    return u * u, -2.0 * y * u


@register_jitable
def perceptron(p: FloatOrArray, y: FloatOrArray, smoothing: float = 0.0) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Perceptron :math:`\max(0, -y p)`, subgradient :math:`-y` where :math:`y p \le 0` (scikit-learn's:
    the hinge at threshold 0). Rosenblatt 1958. Smoothed: :func:`ramp_envelope` of :math:`-y p`.

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target :math:`\pm 1`.
    smoothing : float
        Width h >= 0 of the Moreau envelope that smooths the kink; 0 (the default) for the loss itself.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative (a subgradient) in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import perceptron
    >>> perceptron(np.array([-0.5, 0.5]), 1.0)
    (array([0.5, 0. ]), array([-1., -0.]))
    """
    return margin_ramp(-y * p, y, smoothing)


@register_jitable
def epsilon_insensitive(
    p: FloatOrArray, y: FloatOrArray, epsilon: float, smoothing: float = 0.0
) -> tuple[FloatOrArray, FloatOrArray]:
    r""":math:`\max(0, |p - y| - \epsilon)`, subgradient :math:`\operatorname{sign}(p - y)` outside the
    tube, 0 inside: the loss of support vector regression (Vapnik 1995). Smoothed:
    :func:`ramp_envelope` of :math:`|p - y| - \epsilon` (both kinks smoothed when :math:`\epsilon > 0`).

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target.
    epsilon : float
        Half-width :math:`\epsilon \ge 0` of the tube where the loss is 0.
    smoothing : float
        Width h >= 0 of the Moreau envelope that smooths the kink; 0 (the default) for the loss itself.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative (a subgradient) in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import epsilon_insensitive
    >>> value, slope = epsilon_insensitive(np.array([1.5, 1.05]), 1.0, 0.1)
    >>> value.round(4), slope
    (array([0.4, 0. ]), array([1., 0.]))
    """
    r = p - y
    if smoothing > 0.0:
        value, slope = ramp_envelope(np.abs(r) - epsilon, smoothing)
        return value, np.sign(r) * slope
    return np.maximum(np.abs(r) - epsilon, 0.0), np.sign(r) * (np.abs(r) > epsilon)


@register_jitable
def squared_epsilon_insensitive(p: FloatOrArray, y: FloatOrArray, epsilon: float) -> tuple[FloatOrArray, FloatOrArray]:
    r""":math:`\max(0, |p - y| - \epsilon)^2`, derivative :math:`2 \operatorname{sign}(p - y) \max(0, |p - y|
    - \epsilon)` (scikit-learn's, without a half).

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target.
    epsilon : float
        Half-width :math:`\epsilon \ge 0` of the tube where the loss is 0.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import squared_epsilon_insensitive
    >>> value, slope = squared_epsilon_insensitive(np.array([1.5, 1.05]), 1.0, 0.1)
    >>> value.round(4), slope.round(4)
    (array([0.16, 0.  ]), array([0.8, 0. ]))
    """
    r = p - y
    excess = np.maximum(np.abs(r) - epsilon, 0.0)
    return excess * excess, 2.0 * np.sign(r) * excess


@register_jitable
def quantile(p: FloatOrArray, y: FloatOrArray, tau: float, smoothing: float = 0.0) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Pinball loss of the :math:`\tau`-quantile: :math:`\rho_\tau(r) = \max(\tau r, (\tau - 1) r)` with
    :math:`r = y - p`, whose minimizer over constants is the :math:`\tau`-quantile of y. Subgradient
    :math:`-\tau` where :math:`r > 0`, :math:`1 - \tau` where :math:`r < 0`, and 0 (the smallest
    one) at :math:`r = 0`. Koenker & Bassett 1978, *Regression Quantiles*.

    With ``smoothing`` :math:`h > 0`, its Moreau envelope :math:`\min_u \rho_\tau(u) + (r - u)^2 / (2h)`:
    with :math:`g = \operatorname{clip}(r / h, \tau - 1, \tau)`, the value :math:`g r - h g^2 / 2` and the
    derivative :math:`-g`; quadratic within :math:`h` of the kink, smooth with curvature :math:`1/h`,
    and below the pinball loss by at most :math:`h \max(\tau, 1 - \tau)^2 / 2`. Full-batch fits
    minimize it for smaller and smaller h (descend.linear._trainer).

    Parameters
    ----------
    p : float or ndarray
        The score :math:`p = w^\top x + b`.
    y : float or ndarray
        The target.
    tau : float
        The quantile :math:`\tau`, in (0, 1).
    smoothing : float
        Width h >= 0 of the Moreau envelope that smooths the kink; 0 (the default) for the loss itself.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative (a subgradient) in the score p.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import quantile
    >>> value, slope = quantile(np.array([0.0, 2.0]), 1.0, 0.9)  # under the target costs 9 times more
    >>> value.round(4), slope.round(4)
    (array([0.9, 0.1]), array([-0.9,  0.1]))
    """
    r = y - p
    if smoothing > 0.0:
        g = np.minimum(np.maximum(r / smoothing, tau - 1.0), tau)
        return g * r - 0.5 * smoothing * g * g, -g
    return np.maximum(tau * r, (tau - 1.0) * r), (r < 0.0) * 1.0 - tau * (r != 0.0)


# log(TINY) stands in for log(0) where it is multiplied by a zero count: 0 log 0 = 0.
TINY = 1e-300


@register_jitable
def poisson(eta: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Half the Poisson deviance of the mean :math:`\mu = e^\eta` (log link), :math:`y \log(y / \mu)
    - y + \mu`, with :math:`0 \log 0 = 0`; derivative in the linear predictor :math:`\eta`:
    :math:`\mu - y`. Its mean over the rows is scikit-learn's ``PoissonRegressor`` objective up to a
    constant (McCullagh & Nelder 1989).

    Parameters
    ----------
    eta : float or ndarray
        The linear predictor :math:`\eta = w^\top x + b`, the log of the mean.
    y : float or ndarray
        The target, a count >= 0.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in :math:`\eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import poisson
    >>> value, slope = poisson(np.array([0.0, np.log(2.0)]), 2.0)  # zero at the target's mean
    >>> value.round(4), slope.round(4)
    (array([0.3863, 0.    ]), array([-1.,  0.]))
    """
    mu = np.exp(eta)
    return y * (np.log(np.maximum(y, TINY)) - eta) - y + mu, mu - y


@register_jitable
def gamma(eta: FloatOrArray, y: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Half the Gamma deviance of :math:`\mu = e^\eta`, :math:`\log(\mu / y) + y / \mu - 1`
    (:math:`y > 0`); derivative in :math:`\eta`: :math:`1 - y / \mu`.

    Parameters
    ----------
    eta : float or ndarray
        The linear predictor :math:`\eta = w^\top x + b`, the log of the mean.
    y : float or ndarray
        The target, > 0.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in :math:`\eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import gamma
    >>> value, slope = gamma(np.array([0.0, np.log(2.0)]), 2.0)
    >>> value.round(4), slope.round(4)
    (array([0.3069, 0.    ]), array([-1.,  0.]))
    """
    ratio = y * np.exp(-eta)
    return eta - np.log(y) + ratio - 1.0, 1.0 - ratio


@register_jitable
def tweedie(eta: FloatOrArray, y: FloatOrArray, power: float) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Half the Tweedie deviance of power :math:`q` (not 1 or 2: :func:`poisson`, :func:`gamma`) of
    :math:`\mu = e^\eta`:

    .. math::

        \frac{y^{2-q}}{(1-q)(2-q)} - \frac{y\, \mu^{1-q}}{1-q} + \frac{\mu^{2-q}}{2-q},

    derivative in :math:`\eta`: :math:`\mu^{2-q} - y\, \mu^{1-q}`. :math:`q = 0` is the squared
    error of :math:`\mu`; :math:`1 < q < 2`, the compound Poisson-Gamma of claims and rain, takes
    zeros; :math:`q > 2` positive targets only. Jørgensen 1987.

    Parameters
    ----------
    eta : float or ndarray
        The linear predictor :math:`\eta = w^\top x + b`, the log of the mean.
    y : float or ndarray
        The target (>= 0 for :math:`q < 2`, > 0 from 2 on).
    power : float
        The Tweedie power q, not 1 or 2.

    Returns
    -------
    loss : float or ndarray
        The loss, element-wise.
    derivative : float or ndarray
        Its derivative in :math:`\eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import tweedie
    >>> value, slope = tweedie(np.array([0.0, np.log(4.0)]), 2.0, 1.5)
    >>> value.round(4), slope.round(4)
    (array([0.3431, 0.3431]), array([-1.,  1.]))
    """
    a = np.exp(eta * (1.0 - power))
    b = np.exp(eta * (2.0 - power))
    value = np.power(y, 2.0 - power) / ((1.0 - power) * (2.0 - power)) - y * a / (1.0 - power) + b / (2.0 - power)
    return value, b - y * a


@register_jitable
def softmax_cross_entropy(scores: FloatArray, label: int, out: FloatArray) -> float:
    r"""Multinomial log loss of one sample: :math:`\log \sum_k e^{s_k} - s_y`.

    Writes the derivative :math:`\operatorname{softmax}(s)_k - [k = y]` into
    ``out`` and returns the loss. The largest score is subtracted first so
    that no exponential overflows.

    Parameters
    ----------
    scores : ndarray of shape (n_classes,)
        The scores :math:`s_k` of the classes.
    label : int
        The index y of the true class.
    out : ndarray of shape (n_classes,)
        Written: the derivative of the loss in each score.

    Returns
    -------
    float
        The loss.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import softmax_cross_entropy
    >>> out = np.empty(3)
    >>> round(float(softmax_cross_entropy(np.array([1.0, 2.0, 3.0]), 2, out)), 4)
    0.4076
    >>> out.round(4)  # the probabilities, less 1 at the true class
    array([ 0.09  ,  0.2447, -0.3348])
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
    r"""A loss as the estimators know it.

    ``curvature`` bounds the second derivative in the score (1 for squared
    error and Huber, 1/4 for the logistic loss, 1/2 for the multinomial one,
    Böhning 1992, 2 for the squared hinges and modified Huber); the gradient's
    Lipschitz constant is ``curvature`` times the largest eigenvalue of X'X/n.
    The non-smooth ones (hinge, perceptron, epsilon-insensitive, quantile)
    have none and are given 1. The log-link losses have none either: their
    second derivative in the linear predictor is :math:`\mu^{2-q}` near the
    optimum (:math:`\mu`, the prediction, close to the target), so
    :meth:`for_targets` takes :math:`\max y^{2-q}` (the largest count for
    Poisson, 1 for Gamma), and full-batch gradient descent backtracks from it.
    ``smooth``: the derivative is continuous, so the gradient vanishes at the
    optimum and full-batch fits stop on its norm (the others' fits stop when
    the objective stops falling). ``parameter`` is the one number the loss
    takes (epsilon, the quantile, Tweedie's power), 0 for the others;
    ``power`` the log-link losses' Tweedie power (None for the others).

    Parameters
    ----------
    name : str
        The loss's name, a key of :data:`LOSSES`.
    code : int
        The number by which the compiled engine picks it (:func:`loss_and_derivative`).
    curvature : float
        The bound on its second derivative in the score.
    smooth : bool
        Whether its derivative is continuous.
    parameter : float
        Its one number (epsilon, the quantile, Tweedie's power); 0 for none.
    power : float or None
        The Tweedie power of a log-link loss; None for the others.

    Examples
    --------
    >>> from descend.losses import LOSSES
    >>> LOSSES["log_loss"]
    Loss(name='log_loss', code=2, curvature=0.25, smooth=True, parameter=0.0, power=None)
    >>> LOSSES["poisson"].for_targets(10.0).curvature  # counts up to 10
    10.0
    """

    name: str
    code: int
    curvature: float
    smooth: bool = True
    parameter: float = 0.0
    power: float | None = None

    @property
    def smoothable(self) -> bool:
        """Whether full-batch fits minimize it through smoothed versions (its Moreau envelopes, ever
        closer to it): the losses with kinks."""
        return self.code in (QUANTILE, HINGE, PERCEPTRON, EPSILON_INSENSITIVE)

    @property
    def learns_row_by_row(self) -> bool:
        r"""Whether only per-sample steps learn from it: the perceptron's :math:`\max(0, -y p)` is
        positively homogeneous in the weights, so over the full batch (plus any penalty) it is smallest
        at :math:`w = 0`; Rosenblatt's row-by-row steps, as scikit-learn's ``Perceptron`` takes them,
        are the algorithm. The estimators take ``batch_size=1`` for it when none is given."""
        return self.code == PERCEPTRON

    @property
    def log_link(self) -> bool:
        """Whether the score is the log of the prediction (Poisson, Gamma, Tweedie)."""
        return self.power is not None

    @property
    def quadratic(self) -> bool:
        """Whether the objective is a quadratic in the coefficients (squared error): its slope along any
        direction is then linear in the step, so a line search can go straight to its minimizer."""
        return self.code == SQUARED_ERROR

    def for_targets(self, largest_target: float) -> Loss:
        r"""This loss with the curvature of a log-link loss at targets up to ``largest_target``.

        Parameters
        ----------
        largest_target : float
            The largest target :math:`y` of the data.

        Returns
        -------
        Loss
            A log-link loss with ``curvature`` :math:`\max(|y|, 10^{-12})^{2-q}`; any other loss unchanged.
        """
        if not self.log_link:
            return self
        assert self.power is not None  # a log-link loss has one
        scale = max(abs(float(largest_target)), 1e-12) ** (2.0 - self.power)
        return Loss(self.name, self.code, scale, self.smooth, self.parameter, self.power)


# The codes by which the compiled engine picks a loss (loss_and_derivative below).
(
    SQUARED_ERROR,
    HUBER,
    LOG_LOSS,
    HINGE,
    MULTINOMIAL,
    MODIFIED_HUBER,
    SQUARED_HINGE,
    PERCEPTRON,
    EPSILON_INSENSITIVE,
    SQUARED_EPSILON_INSENSITIVE,
    QUANTILE,
    POISSON,
    GAMMA,
    TWEEDIE,
) = range(14)


@overload
def loss_and_derivative(
    p: float, y: float, code: int, parameters: Sequence[float] | FloatArray
) -> tuple[float, float]: ...
@overload
def loss_and_derivative(
    p: FloatArray, y: FloatOrArray, code: int, parameters: Sequence[float] | FloatArray
) -> tuple[FloatArray, FloatArray]: ...
@overload
def loss_and_derivative(
    p: FloatOrArray, y: FloatArray, code: int, parameters: Sequence[float] | FloatArray
) -> tuple[FloatArray, FloatArray]: ...
@register_jitable
def loss_and_derivative(
    p: FloatOrArray, y: FloatOrArray, code: int, parameters: Sequence[float] | FloatArray
) -> tuple[FloatOrArray, FloatOrArray]:
    """(loss, derivative in the score) of the loss of ``code``, on numbers in compiled code or
    element-wise on arrays: the one place the engine's loops and the NumPy path find a loss.

    Parameters
    ----------
    p : float or ndarray
        The score (the linear predictor for the log-link losses).
    y : float or ndarray
        The target.
    code : int
        The loss's :attr:`Loss.code`.
    parameters : sequence of two floats
        The loss's own number (epsilon, the quantile or the power), then its smoothing (of the
        losses with kinks; 0 for none).

    Returns
    -------
    loss : float or ndarray
        The loss.
    derivative : float or ndarray
        Its derivative in the score.

    Examples
    --------
    >>> from descend.losses import get_loss, loss_and_derivative
    >>> huber = get_loss("huber", epsilon=1.0)
    >>> [float(v) for v in loss_and_derivative(3.0, 1.0, huber.code, (huber.parameter, 0.0))]
    [1.5, 1.0]
    """
    if code == SQUARED_ERROR:
        return squared_error(p, y)
    if code == HUBER:
        return huber(p, y, parameters[0])
    if code == LOG_LOSS:
        return log_loss(p, y)
    if code == HINGE:
        return hinge(p, y, parameters[1])
    if code == MODIFIED_HUBER:
        return modified_huber(p, y)
    if code == SQUARED_HINGE:
        return squared_hinge(p, y)
    if code == PERCEPTRON:
        return perceptron(p, y, parameters[1])
    if code == EPSILON_INSENSITIVE:
        return epsilon_insensitive(p, y, parameters[0], parameters[1])
    if code == SQUARED_EPSILON_INSENSITIVE:
        return squared_epsilon_insensitive(p, y, parameters[0])
    if code == QUANTILE:
        return quantile(p, y, parameters[0], parameters[1])
    if code == POISSON:
        return poisson(p, y)
    if code == GAMMA:
        return gamma(p, y)
    return tweedie(p, y, parameters[0])


@register_jitable
def _log_loss_flow(z: float, time: float) -> float:
    """The solution z' of z' + exp(z') = z + exp(z) + time, by Newton's method: the margin z = y p of
    the logistic loss after its gradient flow (see :func:`gradient_flow`)."""
    if z >= 700.0:
        return z  # a margin this large has no loss left to descend (and exp(z) would overflow)
    c = z + np.exp(z) + time
    # z + exp(z) - c is increasing and convex: Newton's steps from a point where it is positive
    # (log c, or c itself) fall to the root without overshooting it.
    root = np.log(c) if c > 1.0 else c
    for _ in range(60):
        e = np.exp(root)
        step = (root + e - c) / (1.0 + e)
        root -= step
        if abs(step) <= 1e-15 * (1.0 + abs(root)):
            break
    return root


@register_jitable
def gradient_flow(p: float, y: float, code: int, parameters: Sequence[float] | FloatArray, time: float) -> float:
    r"""The score after following the loss's negative gradient for a time :math:`\tau`: the solution
    of :math:`\mathrm{d}p/\mathrm{d}\tau = -\ell'(p, y)` from :math:`p(0) = p`.

    A step of size :math:`\eta` along a row x moves its score by :math:`\eta\, a\, \ell'` (a, how
    much the score moves per unit of step); for large steps that overshoots the target. The update
    that is invariant to importance weights (Karampatziakis & Langford 2011, *Online importance
    weight aware updates*) takes instead the limit of many small steps, the flow above for
    :math:`\tau = \eta a`: it never passes the target, and a row of weight 2 moves the score as two
    copies of it would. In closed form for the squared error, :math:`p' = y + (p - y)e^{-\tau}`;
    for the logistic loss, whose margin :math:`z = yp` follows :math:`z' + e^{z'} = z + e^{z} +
    \tau` (a Lambert W function, solved here by Newton's method); for the Poisson deviance, whose
    :math:`u = e^{-p}` follows :math:`u' = 1 - y u`, :math:`e^{-p'} = 1/y + (e^{-p} - 1/y)e^{-y\tau}`
    (:math:`e^{-p} + \tau` for :math:`y = 0`); for the other losses the first-order step
    :math:`p - \tau \ell'(p, y)`.

    Parameters
    ----------
    p, y : float
        The score and the target (:math:`\pm 1` for the logistic loss).
    code : int
        The loss's :attr:`Loss.code`.
    parameters : sequence of two floats
        As :func:`loss_and_derivative` takes them.
    time : float
        :math:`\tau \ge 0`.

    Returns
    -------
    float
        The score at :math:`\tau`.

    Examples
    --------
    >>> from descend.losses import LOSSES, gradient_flow
    >>> float(gradient_flow(0.0, 1.0, LOSSES["squared_error"].code, (0.0, 0.0), 50.0))  # never past the target
    1.0
    >>> round(float(gradient_flow(0.0, 1.0, LOSSES["squared_error"].code, (0.0, 0.0), 1e-3)), 8)  # p - tau (p - y)
    0.0009995
    """
    if code == SQUARED_ERROR:
        return y + (p - y) * np.exp(-time)
    if code == LOG_LOSS:
        return y * _log_loss_flow(y * p, time)
    if code == POISSON:  # the mean moves towards y and never passes it
        inverse_mean = np.exp(-p)
        if y == 0.0:
            return -np.log(inverse_mean + time)
        return -np.log(1.0 / y + (inverse_mean - 1.0 / y) * np.exp(-y * time))
    return p - time * loss_and_derivative(p, y, code, parameters)[1]


def kinks(y: ArrayLike, code: int, parameter: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Where a loss with kinks bends, as scores, and its slopes on either side: a kink's
    subdifferential is the interval between them.

    The quantile loss bends at :math:`p = y`, the epsilon-insensitive one at :math:`p = y \pm \epsilon`,
    the hinge at :math:`y p = 1` (:math:`p = y` for :math:`y = \pm 1`), the perceptron at :math:`p = 0`.
    Each is linear between its kinks, so the slopes are its derivative part-way to the next one.

    Parameters
    ----------
    y : ndarray
        The targets (-1/+1 for the classifiers' losses).
    code : int
        The loss's :attr:`Loss.code`: QUANTILE, EPSILON_INSENSITIVE, HINGE or PERCEPTRON.
    parameter : float
        The loss's own number (the quantile, epsilon).

    Returns
    -------
    positions, left, right : ndarray
        Of shape ``y.shape + (m,)``, m kinks a row (1, or 2 for epsilon-insensitive): where each is,
        and the loss's derivative just below and just above it.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import get_loss, kinks
    >>> loss = get_loss("quantile", quantile=0.75)
    >>> [a.ravel().tolist() for a in kinks(np.array([2.0]), loss.code, loss.parameter)]  # at y, -q below, 1 - q above
    [[2.0], [-0.75], [0.25]]
    """
    y = np.asarray(y, dtype=np.float64)
    if code == EPSILON_INSENSITIVE:
        positions, half_gap = np.stack([y - parameter, y + parameter], axis=-1), (parameter or 1.0) / 2
    elif code in (QUANTILE, HINGE):
        positions, half_gap = y[..., None], 0.5
    elif code == PERCEPTRON:
        positions, half_gap = np.zeros(y.shape + (1,)), 0.5
    else:
        raise ValueError(f"loss code {code} has no kinks")
    targets, parameters = y[..., None], (float(parameter), 0.0)
    left = loss_and_derivative(positions - half_gap, targets, code, parameters)[1]
    right = loss_and_derivative(positions + half_gap, targets, code, parameters)[1]
    return positions, left, right


#: Every loss by name, with its curvature bound (see :class:`Loss`).
LOSSES = {
    "squared_error": Loss("squared_error", SQUARED_ERROR, 1.0),
    "huber": Loss("huber", HUBER, 1.0),
    "epsilon_insensitive": Loss("epsilon_insensitive", EPSILON_INSENSITIVE, 1.0, smooth=False),
    "squared_epsilon_insensitive": Loss("squared_epsilon_insensitive", SQUARED_EPSILON_INSENSITIVE, 2.0),
    "quantile": Loss("quantile", QUANTILE, 1.0, smooth=False),
    "poisson": Loss("poisson", POISSON, 1.0, power=1.0),
    "gamma": Loss("gamma", GAMMA, 1.0, power=2.0),
    "tweedie": Loss("tweedie", TWEEDIE, 1.0, power=1.5),
    "log_loss": Loss("log_loss", LOG_LOSS, 0.25),
    "hinge": Loss("hinge", HINGE, 1.0, smooth=False),
    "modified_huber": Loss("modified_huber", MODIFIED_HUBER, 2.0),
    "squared_hinge": Loss("squared_hinge", SQUARED_HINGE, 2.0),
    "perceptron": Loss("perceptron", PERCEPTRON, 1.0, smooth=False),
    "multinomial": Loss("multinomial", MULTINOMIAL, 0.5),
}


def class_probabilities(loss: str, scores: FloatArray) -> FloatArray:
    """A classifier's probabilities from its scores: for ``"log_loss"`` the sigmoid of one score (two
    classes) or the softmax of several; for ``"modified_huber"``, as scikit-learn defines them for it
    (Zadrozny & Elkan 2002), (clip(score, -1, 1) + 1) / 2 per class, normalized over the classes for
    more than two (uniform where every score is -1 or less).

    Parameters
    ----------
    loss : {"log_loss", "modified_huber"}
        The loss the scores were fitted with.
    scores : ndarray of shape (n,) or (n, n_classes)
        The decision function: one score (positive for the second class), or one a class.

    Returns
    -------
    ndarray of shape (n, n_classes)
        The probabilities; each row sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.losses import class_probabilities
    >>> class_probabilities("log_loss", np.array([0.0, np.log(3.0)]))
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    if loss == "modified_huber":
        share = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if scores.ndim == 1:
            return np.column_stack([1.0 - share, share])
        total = share.sum(axis=1, keepdims=True)
        empty = total[:, 0] == 0
        share[empty] = 1.0
        total[empty] = share.shape[1]
        return share / total
    if scores.ndim == 1:
        positive = np.exp(-np.logaddexp(0.0, -scores))
        return np.column_stack([1.0 - positive, positive])
    shifted = scores - scores.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def check_targets(loss: Loss, y: ArrayLike, where: Callable[[int], str] | None = None) -> None:
    """Refuse targets outside the loss's domain, naming the first bad one: counts (>= 0) for Poisson
    and Tweedie between 1 and 2, positive values for Gamma and Tweedie from 2 on.

    Parameters
    ----------
    loss : Loss
        The loss (any loss but the log-link ones takes every target).
    y : array-like
        The targets.
    where : callable, optional
        For a 1-D ``y``: a function from a row's place in ``y`` to how the message names it (the
        command line names the row of the file); by default ``y[i]``.

    Raises
    ------
    ValueError
        When a target lies outside the loss's domain.

    Examples
    --------
    >>> from descend.losses import check_targets, get_loss
    >>> check_targets(get_loss("poisson"), [0, 3, 1])
    >>> check_targets(get_loss("gamma"), [2.0, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: loss='gamma' needs positive targets (> 0); y[1] = 0
    """
    if not loss.log_link or loss.power == 0:
        return
    assert loss.power is not None  # a log-link loss has one
    y = np.asarray(y)
    positive = loss.power >= 2
    bad = (y <= 0) if positive else (y < 0)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), y.shape)
        place = f"y[{', '.join(str(int(i)) for i in index)}]" if where is None else where(int(index[0]))
        need = "positive targets (> 0)" if positive else "targets >= 0 (counts, amounts)"
        name = loss.name if loss.name != "tweedie" else f"tweedie with power={loss.power:g}"
        raise ValueError(f"loss={name!r} needs {need}; {place} = {y[index].item():g}")


def get_loss(name: str, *, epsilon: float = 0.1, quantile: float = 0.5, power: float = 1.5) -> Loss:
    """The loss ``name`` with its parameter.

    Parameters
    ----------
    name : str
        A key of :data:`LOSSES`.
    epsilon : float
        For Huber and the (squared) epsilon-insensitive losses.
    quantile : float
        For the pinball loss, ``"quantile"``.
    power : float
        For ``"tweedie"``: 1 is Poisson's deviance, 2 Gamma's (named ``"tweedie"`` all the same).

    Returns
    -------
    Loss
        The loss, its ``parameter`` set.

    Raises
    ------
    KeyError
        For a name not in :data:`LOSSES`.

    Examples
    --------
    >>> from descend.losses import get_loss
    >>> get_loss("quantile", quantile=0.9)
    Loss(name='quantile', code=10, curvature=1.0, smooth=False, parameter=0.9, power=None)
    """
    loss = LOSSES[name]
    if name == "tweedie" and power in (1.0, 2.0):
        loss = LOSSES["poisson" if power == 1.0 else "gamma"]
        return Loss("tweedie", loss.code, loss.curvature, loss.smooth, loss.parameter, loss.power)
    parameter = {
        "huber": epsilon,
        "epsilon_insensitive": epsilon,
        "squared_epsilon_insensitive": epsilon,
        "quantile": quantile,
        "tweedie": power,
    }.get(name, 0.0)
    return Loss(
        loss.name,
        loss.code,
        loss.curvature,
        loss.smooth,
        float(parameter),
        float(power) if name == "tweedie" else loss.power,
    )
