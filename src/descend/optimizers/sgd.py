"""Gradient descent, with (Nesterov) momentum."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .._checks import check_nonnegative, check_positive
from ._base import Optimizer, weight_decayed

__all__ = ["SGD"]


SGDHyperparameters = namedtuple("SGDHyperparameters", "momentum dampening weight_decay nesterov")


@njit(cache=True, inline="always")
def sgd_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`SGD` (its docstring has the math), x and state in place."""
    (buf,) = state
    momentum, dampening, weight_decay, nesterov = hyperparameters
    # Plain gradient descent skips the branches below: the compiled engine's mini-batch SGD steps
    # take this path (per-sample plain SGD of one output has a loop of its own in the engine).
    if momentum == 0 and weight_decay == 0:
        for i in range(x.size):
            x[i] -= lr * g[i]
        return
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        if momentum != 0:
            if t == 1:
                buf[i] = d
            else:
                buf[i] = buf[i] * momentum + (1 - dampening) * d
            d = d + momentum * buf[i] if nesterov else buf[i]
        x[i] -= lr * d


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\
                             \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases} \\
        d_t &= \begin{cases} g_t + \mu b_t & \text{nesterov} \\
                             b_t & \text{otherwise} \end{cases}
               \quad (d_t = g_t \text{ when } \mu = 0) \\
        x_t &= x_{t-1} - \gamma d_t

    with momentum :math:`\mu` and dampening :math:`\tau`. With
    :math:`\tau = 0` this is Polyak's heavy ball (Polyak 1964, *Some methods
    of speeding up the convergence of iteration methods*); the Nesterov form
    is Sutskever, Martens, Dahl & Hinton 2013, *On the importance of
    initialization and momentum in deep learning*, eq. (3)-(4).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    momentum : float
        Momentum :math:`\mu` in [0, 1); 0 is plain gradient descent.
    dampening : float
        Dampening :math:`\tau` of the momentum buffer: :math:`b_t = \mu b_{t-1} + (1 - \tau) g_t`.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    nesterov : bool
        Nesterov momentum: step along :math:`g_t + \mu b_t` (needs momentum > 0 and no dampening).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import SGD
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # one step on f(x) = |x|^2
    >>> x
    array([ 0.8, -1.6])
    """

    name = "sgd"
    Hyperparameters = SGDHyperparameters
    step = staticmethod(sgd_step)
    state_names = ("momentum_buffer",)

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.lr = check_positive("lr", lr)
        self.momentum = check_nonnegative("momentum", momentum)
        self.dampening = check_nonnegative("dampening", dampening)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum > 0 and zero dampening, "
                f"got momentum={momentum}, dampening={dampening}"
            )

    def init(self, x):
        return {"step": 0, "momentum_buffer": np.zeros_like(x) if self.momentum != 0 else np.empty(0, x.dtype)}

    def hyperparameters(self):
        return self.Hyperparameters(self.momentum, self.dampening, self.weight_decay, self.nesterov)

    @property
    def is_plain(self) -> bool:
        """Plain gradient descent: no momentum, no weight decay."""
        return self.momentum == 0 and self.weight_decay == 0
