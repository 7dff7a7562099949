"""Gradient descent, with (Nesterov) momentum, and averaged (ASGD)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_nonnegative, check_positive
from .._compiled import njit
from ._base import Optimizer, weight_decayed

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["SGD", "ASGD"]


class SGDHyperparameters(NamedTuple):
    momentum: float
    dampening: float
    weight_decay: float
    nesterov: bool


@njit(cache=True, inline="always")
def sgd_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: SGDHyperparameters,
) -> None:
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

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
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

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "momentum_buffer": np.zeros_like(x) if self.momentum != 0 else np.empty(0, x.dtype)}

    def hyperparameters(self) -> SGDHyperparameters:
        return self.Hyperparameters(self.momentum, self.dampening, self.weight_decay, self.nesterov)

    @property
    def is_plain(self) -> bool:
        """Plain gradient descent: no momentum, no weight decay."""
        return self.momentum == 0 and self.weight_decay == 0


class ASGDHyperparameters(NamedTuple):
    lambd: float
    alpha: float
    t0: float
    weight_decay: float


@njit(cache=True, inline="always")
def asgd_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: ASGDHyperparameters,
) -> None:
    """One step of :class:`ASGD` (its docstring has the math), x and state in place."""
    (ax,) = state
    lambd, alpha, t0, weight_decay = hyperparameters
    # torch keeps eta and mu as state, computed after each step for the next one: the same numbers
    eta = lr if t == 1 else lr / ((1 + lambd * lr * (t - 1)) ** alpha)
    mu = 1.0 if t == 1 else 1 / max(1.0, t - 1 - t0)
    for i in range(x.size):
        d = g[i]
        if weight_decay != 0:
            d = d + weight_decay * x[i]
        x[i] *= 1 - lambd * eta
        x[i] -= eta * d
        if mu != 1:
            ax[i] += (x[i] - ax[i]) * mu
        else:
            ax[i] = x[i]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent: plain steps with a decaying rate, and the running
    mean of the iterates after step :math:`t_0`, which is what a fit returns.

    .. math::

        g_t &\leftarrow g_t + \lambda_w x_{t-1} \\
        \eta_t &= \gamma / (1 + \lambda \gamma (t - 1))^{\alpha} \\
        x_t &= x_{t-1} (1 - \lambda \eta_t) - \eta_t g_t \\
        \bar x_t &= \bar x_{t-1} + \mu_t (x_t - \bar x_{t-1}), \qquad
            \mu_t = 1 / \max(1, t - 1 - t_0)

    Polyak & Juditsky 1992, *Acceleration of stochastic approximation by averaging*; the rates
    are those of Bottou 2012, *Stochastic gradient descent tricks*, sec. 5.3, as torch.optim.ASGD
    takes them. Until step :math:`t_0` (a million by default) the average is the iterate itself.
    ``minimize`` and the linear models return :math:`\bar x` (torch's state ``"ax"``): the
    averaged iterate is the estimate, the iterate only the walk that makes it.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0.
    lambd : float
        Decay term :math:`\lambda` >= 0, of the rate and of x.
    alpha : float
        Power :math:`\alpha` >= 0 of the rate's decay.
    t0 : float
        The step :math:`t_0` >= 0 after which averaging starts.
    weight_decay : float
        L2 weight decay :math:`\lambda_w` >= 0, added to the gradient as :math:`\lambda_w x`.

    Examples
    --------
    With averaging from step 10 on, on a noisy gradient of :math:`|x|^2`: the last iterate jitters
    with the noise, the average of the iterates much less.

    >>> import numpy as np
    >>> from descend import minimize
    >>> from descend.optimizers import ASGD
    >>> rng = np.random.default_rng(0)
    >>> noisy = lambda x: (x @ x, 2 * x + rng.standard_normal(2))
    >>> result = minimize(noisy, [1.0, -2.0], ASGD(lr=0.1, t0=10), max_iter=2000, tol=None)
    >>> bool(np.abs(result.x).max() < 0.05 < np.abs(result.path[-1]).max())
    True
    """

    name = "asgd"
    Hyperparameters = ASGDHyperparameters
    step = staticmethod(asgd_step)
    state_names = ("ax",)

    def __init__(
        self, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.lambd = check_nonnegative("lambd", lambd)
        self.alpha = check_nonnegative("alpha", alpha)
        self.t0 = check_nonnegative("t0", t0)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "ax": np.zeros_like(x)}

    def hyperparameters(self) -> ASGDHyperparameters:
        return self.Hyperparameters(self.lambd, self.alpha, self.t0, self.weight_decay)

    def estimate(self, x: FloatArray, state: dict[str, Any]) -> FloatArray:
        """The averaged iterate: x itself until averaging has started (step t0 + 2, the first with mu < 1).

        Parameters
        ----------
        x : ndarray
            The iterate.
        state : dict
            The optimizer's state.

        Returns
        -------
        ndarray
            ``x`` itself before averaging starts, else a copy of the average ``state["ax"]``.
        """
        return x if state["step"] <= self.t0 + 2 else state["ax"].copy()
