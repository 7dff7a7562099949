r"""Steps by the gradient's sign: Rprop (each coordinate's step size learned from sign changes) and
Lion (the sign of an interpolated momentum). Neither step depends on the gradient's size."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_interval, check_nonnegative, check_positive
from .._compiled import njit
from ._base import Optimizer, check_betas

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["Rprop", "Lion"]


class RpropHyperparameters(NamedTuple):
    eta_minus: float
    eta_plus: float
    step_size_min: float
    step_size_max: float


@njit(cache=True, inline="always")
def rprop_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: RpropHyperparameters,
) -> None:
    """One step of :class:`Rprop` (its docstring has the math), x and state in place."""
    prev, step_size = state
    eta_minus, eta_plus, step_size_min, step_size_max = hyperparameters
    for i in range(x.size):
        if t == 1:  # every step size starts at the learning rate (torch: state["step_size"] = lr)
            step_size[i] = lr
        d = g[i]
        product = d * prev[i]
        if product > 0:
            factor = eta_plus
        elif product < 0:
            factor = eta_minus
        else:
            factor = 1.0
        step_size[i] = min(max(step_size[i] * factor, step_size_min), step_size_max)
        if factor == eta_minus:  # the sign flipped: the last step went too far; no move this time
            d = 0.0
        if d > 0:
            x[i] -= step_size[i]
        elif d < 0:
            x[i] += step_size[i]
        prev[i] = d


class Rprop(Optimizer):
    r"""Rprop: each coordinate moves by its own step size along the gradient's sign; the step
    size grows while the sign holds and shrinks when it flips.

    .. math::

        \eta_{t,i} &= \operatorname{clip}\bigl(\eta_{t-1,i}\,
            \begin{cases} \eta^+ & g_{t,i}\, g_{t-1,i} > 0 \\
                          \eta^- & g_{t,i}\, g_{t-1,i} < 0 \\
                          1 & \text{otherwise} \end{cases},\;
            \eta_{\min}, \eta_{\max}\bigr), \qquad \eta_{0,i} = \gamma \\
        g_{t,i} &\leftarrow 0 \quad \text{where the sign flipped} \\
        x_t &= x_{t-1} - \eta_t \operatorname{sign}(g_t)

    A coordinate whose sign flipped takes no step, and its gradient is remembered as 0, so
    that the next step counts as neither growth nor shrinkage (Riedmiller & Braun 1993, *A
    direct adaptive method for faster backpropagation learning: the RPROP algorithm*; the
    variant without weight-backtracking, Igel & Hüsken 2000's Rprop−, as torch.optim.Rprop).
    Meant for the full batch: a mini-batch's signs are noise.

    Parameters
    ----------
    lr : float
        The initial step size :math:`\gamma` of every coordinate, > 0 (the learning rate of the
        first step; after it the step sizes are the state's).
    etas : (float, float)
        :math:`(\eta^-, \eta^+)`, with :math:`0 < \eta^- < 1 < \eta^+`.
    step_sizes : (float, float)
        :math:`(\eta_{\min}, \eta_{\max})`, the bounds of each step size, 0 <= min <= max.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Rprop
    >>> opt = Rprop(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     opt.update(x, 2 * x, state)  # on |x|^2: steps of 0.1, 0.12, 0.144 against the sign
    >>> x
    array([ 0.636, -1.636])
    """

    name = "rprop"
    Hyperparameters = RpropHyperparameters
    step = staticmethod(rprop_step)
    state_names = ("prev", "step_size")

    def __init__(
        self,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
    ) -> None:
        self.lr = check_positive("lr", lr)
        try:
            eta_minus, eta_plus = etas
        except (TypeError, ValueError):
            raise ValueError(f"etas must be a pair (eta_minus, eta_plus), got {etas!r}") from None
        eta_minus = check_interval("etas[0]", eta_minus, 0.0, 1.0, closed="neither")
        eta_plus = check_positive("etas[1]", eta_plus)
        if not eta_plus > 1.0:
            raise ValueError(f"etas[1] must be a finite number > 1, got {etas[1]!r}")
        self.etas = (eta_minus, eta_plus)
        try:
            low, high = step_sizes
        except (TypeError, ValueError):
            raise ValueError(f"step_sizes must be a pair (min, max), got {step_sizes!r}") from None
        low, high = check_nonnegative("step_sizes[0]", low), check_nonnegative("step_sizes[1]", high)
        if low > high:
            raise ValueError(f"step_sizes must be (min, max) with min <= max, got {step_sizes!r}")
        self.step_sizes = (low, high)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "prev": np.zeros_like(x), "step_size": np.zeros_like(x)}

    def hyperparameters(self) -> RpropHyperparameters:
        return self.Hyperparameters(*self.etas, *self.step_sizes)


class LionHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    weight_decay: float
    decoupled_weight_decay: bool
    initial_lr: float


@njit(cache=True, inline="always")
def lion_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: LionHyperparameters,
) -> None:
    """One step of :class:`Lion` (its docstring has the math), x and state in place."""
    (m,) = state
    beta1, beta2, weight_decay, decoupled_weight_decay, initial_lr = hyperparameters
    decay = weight_decay / initial_lr if decoupled_weight_decay else weight_decay
    shrink = 1.0 - lr * decay
    for i in range(x.size):
        x[i] *= shrink
        c = m[i] * beta1 + (1.0 - beta1) * g[i]
        if c > 0:
            x[i] -= lr
        elif c < 0:
            x[i] += lr
        m[i] = m[i] * beta2 + (1.0 - beta2) * g[i]


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum): the sign of an interpolation of momentum and gradient, with
    a slower momentum kept for the next step.

    .. math::

        x_{t-1} &\leftarrow x_{t-1}\,(1 - \gamma\lambda) \\
        c_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        x_t &= x_{t-1} - \gamma \operatorname{sign}(c_t) \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2)\, g_t

    Chen et al. 2023, *Symbolic discovery of optimization algorithms*, algorithm 2. Every
    coordinate moves by exactly :math:`\gamma` (or not at all), so its rate is typically 3 to 10
    times smaller than AdamW's, and its weight decay as many times larger. The arithmetic is that
    of ``lion_pytorch.Lion`` (lucidrains' package, the one people install), which tests hold
    equal step for step.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in [0, 1): the interpolation of the step, the momentum's decay.
    weight_decay : float
        Decoupled weight decay :math:`\lambda` >= 0, applied to x before the step.
    decoupled_weight_decay : bool
        Divide the weight decay by the initial learning rate (so that the decay per step follows
        the schedule's shape, not its size), as ``lion_pytorch`` does.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Lion
    >>> opt = Lion(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # each coordinate moves by the learning rate
    >>> x
    array([ 0.9, -1.9])
    """

    name = "lion"
    Hyperparameters = LionHyperparameters
    step = staticmethod(lion_step)
    state_names = ("exp_avg",)

    def __init__(
        self,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(x)}

    def hyperparameters(self) -> LionHyperparameters:
        return self.Hyperparameters(*self.betas, self.weight_decay, self.decoupled_weight_decay, self.lr)
