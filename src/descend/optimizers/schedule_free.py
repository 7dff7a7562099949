r"""Schedule-free steps (Defazio et al. 2024): no learning-rate schedule to choose, and the average
of the iterates, kept online, is the estimate.

Three sequences: :math:`z` takes plain steps (SGD's, or AdamW's scaled ones), :math:`x` is the
running (weighted) average of the :math:`z`, and the gradient is taken at :math:`y`, an
interpolation of the two. ``minimize`` and the linear models step :math:`y` and return :math:`x`
(:meth:`Optimizer.estimate`): the reference package's ``optimizer.eval()``, without the
``train()``/``eval()`` calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_integer, check_interval, check_nonnegative, check_number, check_positive
from .._compiled import njit
from ._base import Optimizer, check_betas, lerp

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["SGDScheduleFree", "AdamWScheduleFree"]


@njit(cache=True, inline="always")
def _scheduled_rate(t: float, lr: float, warmup_steps: int) -> float:
    """The rate of step t: a linear warm-up over ``warmup_steps`` steps, then ``lr``."""
    k = t - 1
    return lr * ((k + 1) / warmup_steps if k < warmup_steps else 1.0)


@njit(cache=True, inline="always")
def _average_weight(
    t: float,
    rate: float,
    r: float,
    weight_lr_power: float,
    weight_sum: FloatArray,
    lr_max: FloatArray,
    i: int,
    last_top: float,
    last_weight: float,
) -> tuple[float, float, float]:
    """(c_{t+1}, top, weight) for coordinate i, its running sums moved on: c_{t+1} is the weight of
    this step's z in the average x. The weights depend on the coordinate only through its lr_max,
    which a step on every coordinate shares: the last (top, weight) saves the power."""
    top = max(rate, lr_max[i])
    lr_max[i] = top
    weight = last_weight if top == last_top else (t**r) * (top**weight_lr_power)
    weight_sum[i] = weight_sum[i] + weight
    return (weight / weight_sum[i] if weight_sum[i] != 0 else 0.0), top, weight


class ScheduleFree(Optimizer):
    """What the schedule-free optimizers share: their averaging's hyperparameters, checked, and the
    estimate, the average x, found from y and z. A subclass says which of its numbers is the
    interpolation :math:`\beta` (``_interpolation``)."""

    def _check_averaging(
        self, lr: float, weight_decay: float, warmup_steps: int, r: float, weight_lr_power: float
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.warmup_steps = check_integer("warmup_steps", warmup_steps, low=0)
        self.r = check_number("r", r)
        self.weight_lr_power = check_number("weight_lr_power", weight_lr_power)

    def _interpolation(self) -> float:
        """:math:`\beta`, the weight of x in y = (1 - beta) z + beta x."""
        raise NotImplementedError

    def estimate(self, x: FloatArray, state: dict[str, Any]) -> FloatArray:
        """The average :math:`x = y + (1 - 1/\\beta)(z - y)` (before the first step, y itself), as the
        reference's ``eval()`` computes it, ``y.lerp_(z, 1 - 1/beta)``.

        Parameters
        ----------
        x : ndarray
            The iterate y, where the gradients are taken.
        state : dict
            The optimizer's state.

        Returns
        -------
        ndarray
            The average x, a new array (``x`` itself before the first step).
        """
        if state["step"] == 0:
            return x
        w, z = 1 - 1 / self._interpolation(), state["z"]
        return x + w * (z - x) if abs(w) < 0.5 else z - (z - x) * (1 - w)


class SGDScheduleFreeHyperparameters(NamedTuple):
    momentum: float
    weight_decay: float
    warmup_steps: int
    r: float
    weight_lr_power: float


@njit(cache=True, inline="always")
def sgd_schedulefree_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: SGDScheduleFreeHyperparameters,
) -> None:
    """One step of :class:`SGDScheduleFree` (its docstring has the math); x is y, in place."""
    z, weight_sum, lr_max = state
    momentum, weight_decay, warmup_steps, r, weight_lr_power = hyperparameters
    rate = _scheduled_rate(t, lr, warmup_steps)
    top, weight = np.nan, 0.0
    for i in range(x.size):
        c, top, weight = _average_weight(t, rate, r, weight_lr_power, weight_sum, lr_max, i, top, weight)
        d = g[i]
        if weight_decay != 0:
            d = d + weight_decay * x[i]
        y = lerp(x[i], z[i], c)
        x[i] = y + rate * (momentum * (1 - c) - 1) * d
        z[i] = z[i] - rate * d


class SGDScheduleFree(ScheduleFree):
    r"""Schedule-free SGD: plain steps on :math:`z`, their online average :math:`x` returned, the
    gradient taken between the two.

    .. math::

        \gamma_t &= \gamma \min(1, t / T_w), \qquad
            c_{t+1} = \frac{t^r \max_{s \le t} \gamma_s^{p}}{\sum_{s \le t} s^r \max_{u \le s}
            \gamma_u^{p}} \\
        g_t &\leftarrow g_t + \lambda y_t \\
        z_{t+1} &= z_t - \gamma_t g_t \\
        x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1} z_{t+1} \\
        y_{t+1} &= (1 - \beta)\, z_{t+1} + \beta x_{t+1}

    (:math:`T_w` the warm-up steps, :math:`p` the weight's power of the rate). Defazio, Yang,
    Mehta, Mishchenko, Khaled & Cutkosky 2024, *The road less scheduled*, algorithm 1, as the
    authors' package ``schedulefree`` computes it: it keeps :math:`y` and :math:`z` and finds
    :math:`x` from them, :math:`x = y + (1 - 1/\beta)(z - y)`.

    The weights and their sums are kept per coordinate, so that a step on some coordinates only
    (the linear models' lazy steps on sparse rows) averages each coordinate over its own steps;
    a step on every coordinate keeps them all equal, the reference's single numbers.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (1, the reference's default).
    momentum : float
        The interpolation :math:`\beta`, in (0, 1).
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, at y.
    warmup_steps : int
        :math:`T_w` >= 0, the steps of the linear warm-up.
    r : float
        The power of t in the averaging weights (0: every step alike).
    weight_lr_power : float
        The power :math:`p` of the largest rate so far in the averaging weights.

    Examples
    --------
    On a noisy gradient of :math:`|x|^2`, at a constant rate, plain SGD's last iterate jitters with
    the noise; the schedule-free average closes in on the minimum without a decaying schedule:

    >>> import numpy as np
    >>> from descend import minimize
    >>> rng = np.random.default_rng(0)
    >>> noisy = lambda x: (x @ x, 2 * x + rng.standard_normal(2))
    >>> free = minimize(noisy, [1.0, -2.0], "sgd_schedulefree", lr=0.1, max_iter=2000, tol=None)
    >>> plain = minimize(noisy, [1.0, -2.0], "sgd", lr=0.1, max_iter=2000, tol=None)
    >>> bool(np.abs(free.x).max() < 0.05 < np.abs(plain.x).max())
    True
    """

    name = "sgd_schedulefree"
    Hyperparameters = SGDScheduleFreeHyperparameters
    step = staticmethod(sgd_schedulefree_step)
    state_names = ("z", "weight_sum", "lr_max")

    def __init__(
        self,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
    ) -> None:
        self._check_averaging(lr, weight_decay, warmup_steps, r, weight_lr_power)
        self.momentum = check_interval("momentum", momentum, 0.0, 1.0, closed="neither")

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "z": np.array(x, copy=True), "weight_sum": np.zeros_like(x), "lr_max": np.full_like(x, -1.0)}

    def hyperparameters(self) -> SGDScheduleFreeHyperparameters:
        return self.Hyperparameters(self.momentum, self.weight_decay, self.warmup_steps, self.r, self.weight_lr_power)

    def _interpolation(self) -> float:
        return self.momentum


class AdamWScheduleFreeHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    warmup_steps: int
    r: float
    weight_lr_power: float


@njit(cache=True, inline="always")
def adamw_schedulefree_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdamWScheduleFreeHyperparameters,
) -> None:
    """One step of :class:`AdamWScheduleFree` (its docstring has the math); x is y, in place."""
    z, v, weight_sum, lr_max = state
    beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power = hyperparameters
    rate = _scheduled_rate(t, lr, warmup_steps)
    bias_correction2 = 1 - beta2**t
    top, weight = np.nan, 0.0
    for i in range(x.size):
        c, top, weight = _average_weight(t, rate, r, weight_lr_power, weight_sum, lr_max, i, top, weight)
        v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i]
        d = g[i] / (np.sqrt(v[i] / bias_correction2) + eps)
        if weight_decay != 0:
            d = d + weight_decay * x[i]
        y = lerp(x[i], z[i], c)
        x[i] = y + rate * (beta1 * (1 - c) - 1) * d
        z[i] = z[i] - rate * d


class AdamWScheduleFree(ScheduleFree):
    r"""Schedule-free AdamW: :class:`SGDScheduleFree`'s averaging over AdamW's scaled steps.

    .. math::

        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad
            d_t = g_t / \bigl(\sqrt{v_t / (1 - \beta_2^t)} + \epsilon\bigr) + \lambda y_t \\
        z_{t+1} &= z_t - \gamma_t d_t \\
        x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1} z_{t+1} \\
        y_{t+1} &= (1 - \beta_1)\, z_{t+1} + \beta_1 x_{t+1}

    with :math:`\gamma_t` and :math:`c_{t+1}` as in :class:`SGDScheduleFree`. Defazio et al. 2024,
    *The road less scheduled*, algorithm 1 with Adam's second moment (its section 4), as the
    package ``schedulefree``'s ``AdamWScheduleFree`` computes it (the weight decay at y, after the
    scaling).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`: the interpolation, in (0, 1), and the second moment's decay, in [0, 1).
    eps : float
        :math:`\epsilon` >= 0, added to the denominator.
    weight_decay : float
        Weight decay :math:`\lambda` >= 0.
    warmup_steps : int
        The steps of the linear warm-up, >= 0.
    r : float
        The power of t in the averaging weights.
    weight_lr_power : float
        The power of the largest rate so far in the averaging weights.

    Examples
    --------
    >>> from descend import minimize
    >>> from descend.optimizers import AdamWScheduleFree
    >>> result = minimize(lambda x: (x @ x, 2 * x), [1.0, -2.0], AdamWScheduleFree(lr=0.05, warmup_steps=10),
    ...                   max_iter=1000, tol=None)
    >>> bool(abs(result.x).max() < 0.01)
    True
    """

    name = "adamw_schedulefree"
    Hyperparameters = AdamWScheduleFreeHyperparameters
    step = staticmethod(adamw_schedulefree_step)
    state_names = ("z", "exp_avg_sq", "weight_sum", "lr_max")

    def __init__(
        self,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
    ) -> None:
        self._check_averaging(lr, weight_decay, warmup_steps, r, weight_lr_power)
        self.betas = check_betas(betas)
        if self.betas[0] == 0:
            raise ValueError(f"betas[0] must lie in (0, 1), got {betas[0]!r}")
        self.eps = check_nonnegative("eps", eps)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {
            "step": 0,
            "z": np.array(x, copy=True),
            "exp_avg_sq": np.zeros_like(x),
            "weight_sum": np.zeros_like(x),
            "lr_max": np.full_like(x, -1.0),
        }

    def hyperparameters(self) -> AdamWScheduleFreeHyperparameters:
        return self.Hyperparameters(
            *self.betas, self.eps, self.weight_decay, self.warmup_steps, self.r, self.weight_lr_power
        )

    def _interpolation(self) -> float:
        return self.betas[0]
