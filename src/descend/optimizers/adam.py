"""The Adam family: momentum on the gradient over a running RMS, bias-corrected (Adam, AdamW, NAdam, Adamax, RAdam)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_nonnegative, check_positive
from .._compiled import njit
from ._base import Optimizer, check_betas, weight_decayed

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["Adam", "AdamW", "NAdam", "Adamax", "RAdam", "SparseAdam"]


class AdamHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    amsgrad: bool
    decoupled_weight_decay: bool


@njit(cache=True, inline="always")
def adam_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdamHyperparameters,
) -> None:
    """One step of :class:`Adam` (its docstring has the math), x and state in place."""
    m, v, v_max = state
    beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay = hyperparameters
    step_size = lr / (1 - beta1**t)
    bias_correction2_sqrt = (1 - beta2**t) ** 0.5
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        if amsgrad:
            v_max[i] = max(v_max[i], v[i])
            v_hat = v_max[i]
        else:
            v_hat = v[i]
        x[i] -= step_size * m[i] / (np.sqrt(v_hat) / bias_correction2_sqrt + eps)


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, scaled by a running RMS, bias-corrected.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ if amsgrad, else } v_t \\
        x_t &= x_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
               \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Kingma & Ba 2015, *Adam: A Method for Stochastic Optimization*,
    Algorithm 1 (with :math:`\epsilon` added after the bias correction, as
    torch does); AMSGrad is Reddi, Kale & Kumar 2018, *On the Convergence of
    Adam and Beyond*, Algorithm 2; decoupled weight decay is Loshchilov &
    Hutter 2019 (see :class:`AdamW`).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    amsgrad : bool
        Divide by the largest second moment seen so far (AMSGrad).
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Adam
    >>> opt = Adam(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # the first step moves each coordinate by lr
    >>> x
    array([ 0.9, -1.9])
    >>> from descend import minimize
    >>> from descend.functions import Rosenbrock
    >>> minimize(Rosenbrock(), [-1.5, 2.0], Adam(lr=0.05), max_iter=10_000, tol=1e-8).x.round(6)
    array([1., 1.])
    """

    name = "adam"
    Hyperparameters = AdamHyperparameters
    step = staticmethod(adam_step)
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {
            "step": 0,
            "exp_avg": np.zeros_like(x),
            "exp_avg_sq": np.zeros_like(x),
            "max_exp_avg_sq": np.zeros_like(x) if self.amsgrad else np.empty(0, x.dtype),
        }

    def hyperparameters(self) -> AdamHyperparameters:
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay, self.amsgrad, self.decoupled_weight_decay)


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    The decay shrinks the weights directly, :math:`x \leftarrow (1 -
    \gamma\lambda)\,x`, before the Adam step, instead of entering the
    gradient (where Adam's scaling would weaken it for coordinates with large
    gradients). Loshchilov & Hutter 2019, *Decoupled Weight Decay
    Regularization*, Algorithm 2. The rest is :class:`Adam`.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        Decoupled weight decay :math:`\lambda` >= 0: :math:`x \leftarrow (1 - \gamma\lambda) x` before the step.
    amsgrad : bool
        Divide by the largest second moment seen so far (AMSGrad).

    Examples
    --------
    >>> from descend.optimizers import AdamW
    >>> AdamW(lr=0.01)  # doctest: +ELLIPSIS
    AdamW(lr=0.01, ...)
    """

    name = "adamw"

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


class NAdamHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    momentum_decay: float
    decoupled_weight_decay: bool


@njit(cache=True, inline="always")
def nadam_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: NAdamHyperparameters,
) -> None:
    """One step of :class:`NAdam` (its docstring has the math), x and state in place."""
    m, v, mu_product = state
    beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay = hyperparameters
    bias_correction2 = 1 - beta2**t
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product[0] = mu_product[0] * mu
    grad_coefficient = -lr * (1.0 - mu) / (1.0 - mu_product[0])
    momentum_coefficient = -lr * mu_next / (1.0 - mu_product[0] * mu_next)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        denom = np.sqrt(v[i] / bias_correction2) + eps
        x[i] += grad_coefficient * d / denom
        x[i] += momentum_coefficient * m[i] / denom


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a momentum schedule.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        x_t &= x_{t-1} - \gamma \left(
            \frac{(1 - \mu_t)\, g_t}{1 - \prod_{i \le t} \mu_i}
            + \frac{\mu_{t+1}\, m_t}{1 - \prod_{i \le t+1} \mu_i} \right)
            \Big/ \left(\sqrt{v_t / (1 - \beta_2^t)} + \epsilon\right)

    with momentum decay :math:`\psi`. Dozat 2016, *Incorporating Nesterov
    Momentum into Adam*, Algorithm 2.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    momentum_decay : float
        :math:`\psi`, the decay of the momentum schedule :math:`\mu_t = \beta_1 (1 - 0.5 \cdot 0.96^{t\psi})`.
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> from descend.optimizers import NAdam
    >>> NAdam(lr=0.01)  # doctest: +ELLIPSIS
    NAdam(lr=0.01, ...)
    """

    name = "nadam"
    Hyperparameters = NAdamHyperparameters
    step = staticmethod(nadam_step)
    state_names = ("exp_avg", "exp_avg_sq", "mu_product")

    def __init__(
        self,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum_decay = check_nonnegative("momentum_decay", momentum_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        # mu_product, the running product of the momentum schedule, is kept in float64 whatever
        # x's dtype (as torch's scalar state), in a one-element array that the step updates in place.
        return {"step": 0, "mu_product": np.ones(1), "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def hyperparameters(self) -> NAdamHyperparameters:
        return self.Hyperparameters(
            *self.betas, self.eps, self.weight_decay, self.momentum_decay, self.decoupled_weight_decay
        )


class AdamaxHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float


@njit(cache=True, inline="always")
def adamax_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdamaxHyperparameters,
) -> None:
    """One step of :class:`Adamax` (its docstring has the math), x and state in place."""
    m, u = state
    beta1, beta2, eps, weight_decay = hyperparameters
    clr = lr / (1 - beta1**t)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        m[i] += (1 - beta1) * (d - m[i])
        u[i] = max(u[i] * beta2, abs(d) + eps)
        x[i] -= clr * m[i] / u[i]


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        x_t &= x_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}

    Kingma & Ba 2015, *Adam: A Method for Stochastic Optimization*, section
    7.1, Algorithm 2 (with :math:`\epsilon` inside the max, as torch does).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.

    Examples
    --------
    >>> from descend.optimizers import Adamax
    >>> Adamax(lr=0.01)  # doctest: +ELLIPSIS
    Adamax(lr=0.01, ...)
    """

    name = "adamax"
    Hyperparameters = AdamaxHyperparameters
    step = staticmethod(adamax_step)
    state_names = ("exp_avg", "exp_inf")

    def __init__(
        self,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_inf": np.zeros_like(x)}

    def hyperparameters(self) -> AdamaxHyperparameters:
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay)


class RAdamHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled_weight_decay: bool


@njit(cache=True, inline="always")
def radam_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: RAdamHyperparameters,
) -> None:
    """One step of :class:`RAdam` (its docstring has the math), x and state in place."""
    m, v = state
    beta1, beta2, eps, weight_decay, decoupled_weight_decay = hyperparameters
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
    rect = 0.0
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        m_hat = m[i] / bias_correction1
        if rho_t > 5.0:
            x[i] -= m_hat * lr * (bias_correction2**0.5 / (np.sqrt(v[i]) + eps)) * rect
        else:
            x[i] -= m_hat * lr


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on once its variance is tame.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t) \\
        \rho_\infty &= 2 / (1 - \beta_2) - 1, \qquad
        \rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        x_t &= \begin{cases}
            x_{t-1} - \gamma\, \hat m_t\, r_t\, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}
                & \rho_t > 5 \\
            x_{t-1} - \gamma\, \hat m_t & \text{otherwise} \end{cases} \\
        r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                           {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}

    Liu, Jiang, He, Chen, Liu, Gao & Han 2020, *On the Variance of the
    Adaptive Learning Rate and Beyond*, Algorithm 2.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> from descend.optimizers import RAdam
    >>> RAdam(lr=0.01)  # doctest: +ELLIPSIS
    RAdam(lr=0.01, ...)
    """

    name = "radam"
    Hyperparameters = RAdamHyperparameters
    step = staticmethod(radam_step)
    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def hyperparameters(self) -> RAdamHyperparameters:
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay, self.decoupled_weight_decay)


class SparseAdamHyperparameters(NamedTuple):
    beta1: float
    beta2: float
    eps: float


@njit(cache=True, inline="always")
def sparse_adam_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: SparseAdamHyperparameters,
) -> None:
    """One step of :class:`SparseAdam` (its docstring has the math), x and state in place."""
    m, v = state
    beta1, beta2, eps = hyperparameters
    step_size = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    for i in range(x.size):
        d = g[i]
        if d == 0:  # not in the sparse gradient: neither the moments nor x move
            continue
        m_old, v_old = m[i], v[i]
        dm = (d - m_old) * (1 - beta1)
        dv = (d * d - v_old) * (1 - beta2)
        m[i] = m_old + dm
        v[i] = v_old + dv
        x[i] += -step_size * ((dm + m_old) / (np.sqrt(dv + v_old) + eps))


class SparseAdam(Optimizer):
    r"""Adam for sparse gradients: the moments and the parameters move only where the gradient has
    a value (its non-zeros here); elsewhere nothing decays.

    For each coordinate i with :math:`g_{t,i} \ne 0`:

    .. math::

        m_{t,i} &= m_{t-1,i} + (1 - \beta_1)(g_{t,i} - m_{t-1,i}), \qquad
            v_{t,i} = v_{t-1,i} + (1 - \beta_2)(g_{t,i}^2 - v_{t-1,i}) \\
        x_{t,i} &= x_{t-1,i} - \gamma \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
            \frac{m_{t,i}}{\sqrt{v_{t,i}} + \epsilon}

    with t the count of all steps (the bias correction is global, as torch.optim.SparseAdam's),
    and the other coordinates left as they are. Unlike :class:`Adam`'s, :math:`\epsilon` is added
    before the bias correction of :math:`v`. Kingma & Ba 2015, *Adam*, made lazy as in
    ``torch.optim.SparseAdam``, which tests hold equal step for step on gradients with zeros
    (given to torch as sparse tensors). The linear models' lazy steps on sparse rows
    (``sparse_update="lazy"``) gather the coordinates a batch touches and take any optimizer's
    step there; with ``optimizer="sparse_adam"`` that step is this one.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float
        :math:`\epsilon` > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import SparseAdam
    >>> opt = SparseAdam(lr=0.1)
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> state = opt.init(x)
    >>> opt.update(x, np.array([2.0, 0.0, 6.0]), state)  # no gradient on the second coordinate
    >>> x.round(6), state["exp_avg"]
    (array([ 0.9, -2. ,  2.9]), array([0.2, 0. , 0.6]))
    """

    name = "sparse_adam"
    Hyperparameters = SparseAdamHyperparameters
    step = staticmethod(sparse_adam_step)
    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr = check_positive("lr", lr)
        self.betas = check_betas(betas)
        self.eps = check_positive("eps", eps)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def hyperparameters(self) -> SparseAdamHyperparameters:
        return self.Hyperparameters(*self.betas, self.eps)
