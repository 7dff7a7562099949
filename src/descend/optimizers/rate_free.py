r"""Learning-rate-free steps: Prodigy estimates the distance to the solution, and with it the rate,
as it goes. Its learning rate stays at 1 (a multiplier of the estimate), and ``learning_rate="auto"``
searches nothing for it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_integer, check_interval, check_nonnegative, check_number, check_positive
from .._compiled import njit
from ._base import Optimizer, check_betas

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["Prodigy"]


class ProdigyHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    beta3: float
    eps: float
    weight_decay: float
    decouple: bool
    use_bias_correction: bool
    safeguard_warmup: bool
    d0: float
    d_coef: float
    growth_rate: float
    slice_p: int


@njit(cache=True, inline="always")
def prodigy_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: ProdigyHyperparameters,
) -> None:
    """One step of :class:`Prodigy` (its docstring has the math), x and state in place."""
    exp_avg, exp_avg_sq, s, p0, scalars = state
    (
        beta1,
        beta2,
        beta3,
        eps,
        decay,
        decouple,
        use_bias_correction,
        safeguard_warmup,
        d0,
        d_coef,
        growth_rate,
        slice_p,
    ) = hyperparameters
    d, d_max, d_numerator, k = scalars[0, 0], scalars[0, 1], scalars[0, 2], scalars[0, 3]
    if use_bias_correction:
        bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1))
    else:
        bias_correction = 1.0
    dlr = d * lr * bias_correction
    d_numerator *= beta3
    s_rate = (d / d0) * d if safeguard_warmup else (d / d0) * dlr
    dot = 0.0
    d_denom = 0.0
    for i in range(x.size):
        gi = g[i]
        if decay != 0 and not decouple:
            gi = gi + decay * x[i]
        if i % slice_p == 0:
            dot += gi * (p0[i] - x[i])
        if beta1 > 0:
            exp_avg[i] = exp_avg[i] * beta1 + (d * (1 - beta1)) * gi
        exp_avg_sq[i] = exp_avg_sq[i] * beta2 + (d * d * (1 - beta2)) * gi * gi
        if i % slice_p == 0:
            s[i] = s[i] * beta3 + s_rate * gi
            d_denom += abs(s[i])
    if d_denom == 0:  # nothing learned of the distance yet: no step (the reference's early return)
        return
    d_numerator = d_numerator + (d / d0) * dlr * dot
    d_hat = d_coef * d_numerator / d_denom
    if d == d0:
        d = max(d, d_hat)
    d_max = max(d_max, d_hat)
    d = min(d_max, d * growth_rate)
    scalars[0, 0], scalars[0, 1], scalars[0, 2], scalars[0, 3] = d, d_max, d_numerator, k + 1
    for i in range(x.size):
        denom = np.sqrt(exp_avg_sq[i]) + d * eps
        if decay != 0 and decouple:
            x[i] = x[i] + (-decay * dlr) * x[i]
        if beta1 > 0:
            x[i] = x[i] + (-dlr) * (exp_avg[i] / denom)
        else:
            gi = g[i] + decay * x[i] if decay != 0 and not decouple else g[i]
            x[i] = x[i] + (-dlr * d) * (gi / denom)


class Prodigy(Optimizer):
    r"""Prodigy: Adam's steps at a rate :math:`d_k` that estimates the distance from the start to
    the solution, learned from the gradients; no learning rate to tune.

    With :math:`x_0` the start, :math:`\hat\gamma_k = d_k \gamma` (times Adam's bias correction
    with ``use_bias_correction``) and :math:`\beta_3 = \sqrt{\beta_2}` unless given:

    .. math::

        m_{k+1} &= \beta_1 m_k + (1 - \beta_1)\, d_k g_k, \qquad
            v_{k+1} = \beta_2 v_k + (1 - \beta_2)\, d_k^2 g_k^2 \\
        r_{k+1} &= \beta_3 r_k + \tfrac{d_k}{d_0} \hat\gamma_k \langle g_k, x_0 - x_k\rangle, \qquad
            s_{k+1} = \beta_3 s_k + \tfrac{d_k}{d_0} \hat\gamma_k g_k \\
        \hat d_{k+1} &= c\, r_{k+1} / \|s_{k+1}\|_1, \qquad
            d_{k+1} = \min\bigl(\max(d_k, \hat d_{k+1}),\ d_k\, \rho\bigr) \\
        x_{k+1} &= x_k - \hat\gamma_k\, m_{k+1} / (\sqrt{v_{k+1}} + d_{k+1} \epsilon)

    (:math:`c` ``d_coef``, :math:`\rho` ``growth_rate``; the max runs over every :math:`\hat d` so
    far, and at the first step :math:`d` jumps to :math:`\hat d` when larger). With
    ``safeguard_warmup``, :math:`s` grows by :math:`\tfrac{d_k}{d_0} d_k g_k` (no rate in it);
    with :math:`\beta_1 = 0`, the step is :math:`\hat\gamma_k d_{k+1}\, g_k / (\sqrt{v_{k+1}} + d_{k+1}\epsilon)`.
    Weight decay is decoupled (:math:`x \leftarrow x - \lambda\hat\gamma_k x`) or, with
    ``decouple=False``, added to the gradient. ``slice_p`` > 1 estimates the distance from
    every slice_p-th coordinate only. Mishchenko & Defazio 2024, *Prodigy: an expeditiously
    adaptive parameter-free learner*, algorithm 4 (Adam version), as the authors' package
    ``prodigyopt`` computes it. If every :math:`s` is zero (a zero gradient), the step is skipped.

    On the linear models' lazy steps over sparse rows, the distance is estimated from the
    coordinates each step touches.

    Parameters
    ----------
    lr : float
        A multiplier :math:`\gamma` > 0 of the estimated rate: 1, unless a schedule shapes it.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    beta3 : float or None
        :math:`\beta_3` in [0, 1) for the distance's sums; None is :math:`\sqrt{\beta_2}`.
    eps : float
        :math:`\epsilon` > 0.
    weight_decay : float
        :math:`\lambda` >= 0.
    decouple : bool
        Decoupled weight decay (AdamW's) or added to the gradient.
    use_bias_correction : bool
        Adam's bias correction in :math:`\hat\gamma_k`.
    safeguard_warmup : bool
        Leave the rate out of :math:`s`'s growth (steadier when a warm-up schedule is used).
    d0 : float
        The initial estimate :math:`d_0` > 0.
    d_coef : float
        The coefficient :math:`c` > 0 of the estimate.
    growth_rate : float
        The largest factor :math:`\rho` > 0 by which d grows in a step (inf: no bound).
    slice_p : int
        Estimate from every slice_p-th coordinate (>= 1).

    Examples
    --------
    No rate to choose: from :math:`d_0 = 10^{-6}` the estimate grows to the scale of the problem.

    >>> import numpy as np
    >>> from descend import minimize
    >>> from descend.optimizers import Prodigy
    >>> result = minimize(lambda x: (x @ x, 2 * x), [10.0, -20.0], Prodigy(), max_iter=300)
    >>> bool(abs(result.x).max() < 1e-3)
    True
    """

    name = "prodigy"
    Hyperparameters = ProdigyHyperparameters
    step = staticmethod(prodigy_step)
    state_names = ("exp_avg", "exp_avg_sq", "s", "p0", "scalars")
    #: No learning rate to search: ``learning_rate="auto"`` takes ``lr``, 1.
    rate_free = True

    def __init__(
        self,
        lr: float = 1.0,
        betas: tuple[float, float] = (0.9, 0.999),
        beta3: float | None = None,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decouple: bool = True,
        use_bias_correction: bool = False,
        safeguard_warmup: bool = False,
        d0: float = 1e-6,
        d_coef: float = 1.0,
        growth_rate: float = float("inf"),
        slice_p: int = 1,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.beta3 = None if beta3 is None else check_interval("beta3", beta3, 0.0, 1.0, closed="left")
        self.eps = check_positive("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.decouple = bool(decouple)
        self.use_bias_correction = bool(use_bias_correction)
        self.safeguard_warmup = bool(safeguard_warmup)
        self.d0 = check_positive("d0", d0)
        self.d_coef = check_positive("d_coef", d_coef)
        growth_rate = check_number("growth_rate", growth_rate)
        if not growth_rate > 0 or math.isnan(growth_rate):
            raise ValueError(f"growth_rate must be a number > 0 (inf: no bound), got {growth_rate!r}")
        self.growth_rate = growth_rate
        self.slice_p = check_integer("slice_p", slice_p, low=1)

    def init(self, x: FloatArray) -> dict[str, Any]:
        # d, its largest estimate, the distance's numerator and the steps taken, in a (1, 4) array: one
        # row, never taken for the weights' own coordinates by the lazy sparse steps.
        scalars = np.array([[self.d0, self.d0, 0.0, 0.0]], dtype=x.dtype)
        return {
            "step": 0,
            "exp_avg": np.zeros_like(x),
            "exp_avg_sq": np.zeros_like(x),
            "s": np.zeros_like(x),
            "p0": np.array(x, copy=True),
            "scalars": scalars,
        }

    def hyperparameters(self) -> ProdigyHyperparameters:
        beta3 = math.sqrt(self.betas[1]) if self.beta3 is None else self.beta3
        return self.Hyperparameters(
            *self.betas,
            beta3,
            self.eps,
            self.weight_decay,
            self.decouple,
            self.use_bias_correction,
            self.safeguard_warmup,
            self.d0,
            self.d_coef,
            self.growth_rate,
            self.slice_p,
        )
