"""Per-coordinate adaptive steps, without momentum's bias correction: AdaGrad, RMSprop, Adadelta, Adafactor."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_interval, check_nonnegative, check_number, check_positive
from .._compiled import njit
from ._base import Optimizer, check_shape, lerp, weight_decayed

if TYPE_CHECKING:
    from typing import Any

    from .._typing import FloatArray

__all__ = ["Adagrad", "RMSprop", "Adadelta", "Adafactor"]


class AdagradHyperparameters(NamedTuple):
    lr_decay: float
    weight_decay: float
    eps: float


@njit(cache=True, inline="always")
def adagrad_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdagradHyperparameters,
) -> None:
    """One step of :class:`Adagrad` (its docstring has the math), x and state in place."""
    (s,) = state
    lr_decay, weight_decay, eps = hyperparameters
    clr = lr / (1 + (t - 1) * lr_decay)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        s[i] += d * d
        x[i] -= clr * d / (np.sqrt(s[i]) + eps)


class Adagrad(Optimizer):
    r"""AdaGrad: per-coordinate steps shrink with the gradients seen so far.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        \tilde\gamma_t &= \gamma / (1 + (t - 1)\,\eta) \\
        s_t &= s_{t-1} + g_t^2, \qquad s_0 = \text{initial\_accumulator\_value} \\
        x_t &= x_{t-1} - \tilde\gamma_t \, g_t / (\sqrt{s_t} + \epsilon)

    with learning-rate decay :math:`\eta`. Duchi, Hazan & Singer 2011,
    *Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization*, JMLR 12.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    lr_decay : float
        The rate at step t is :math:`\gamma / (1 + (t - 1)\,\text{lr\_decay})`.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    initial_accumulator_value : float
        Starting value of the sum of squared gradients.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.

    Examples
    --------
    >>> from descend.optimizers import Adagrad
    >>> Adagrad(lr=0.01)  # doctest: +ELLIPSIS
    Adagrad(lr=0.01, ...)
    """

    name = "adagrad"
    Hyperparameters = AdagradHyperparameters
    step = staticmethod(adagrad_step)
    state_names = ("sum",)

    def __init__(
        self,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.lr_decay = check_nonnegative("lr_decay", lr_decay)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.initial_accumulator_value = check_nonnegative("initial_accumulator_value", initial_accumulator_value)
        self.eps = check_nonnegative("eps", eps)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(x, self.initial_accumulator_value)}

    def hyperparameters(self) -> AdagradHyperparameters:
        return self.Hyperparameters(self.lr_decay, self.weight_decay, self.eps)


class RMSpropHyperparameters(NamedTuple):
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool


@njit(cache=True, inline="always")
def rmsprop_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: RMSpropHyperparameters,
) -> None:
    """One step of :class:`RMSprop` (its docstring has the math), x and state in place."""
    square_avg, grad_avg, buf = state
    alpha, eps, weight_decay, momentum, centered = hyperparameters
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        square_avg[i] = square_avg[i] * alpha + (1 - alpha) * d * d
        if centered:
            grad_avg[i] += (1 - alpha) * (d - grad_avg[i])
            avg = np.sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + eps
        else:
            avg = np.sqrt(square_avg[i]) + eps
        if momentum > 0:
            buf[i] = buf[i] * momentum + d / avg
            x[i] -= lr * buf[i]
        else:
            x[i] -= lr * d / avg


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t
            \quad\text{(centered only)} \\
        \sigma_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ if centered, else }
            \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g_t / \sigma_t, \qquad
            x_t = x_{t-1} - \gamma b_t \quad (\mu > 0) \\
        x_t &= x_{t-1} - \gamma g_t / \sigma_t \quad (\mu = 0)

    Hinton, Srivastava & Swersky 2012, *Neural Networks for Machine Learning*,
    lecture 6e; the centered form is Graves 2013, *Generating Sequences With
    Recurrent Neural Networks*, eq. (38)-(45).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    alpha : float
        Smoothing constant :math:`\alpha` of the running mean of squared gradients.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    momentum : float
        Momentum on the scaled step, in [0, 1); 0 (the default) is plain RMSprop.
    centered : bool
        Divide by the running variance of the gradient (the mean square less the squared mean) instead.

    Examples
    --------
    >>> from descend.optimizers import RMSprop
    >>> RMSprop(lr=0.01)  # doctest: +ELLIPSIS
    RMSprop(lr=0.01, ...)
    """

    name = "rmsprop"
    Hyperparameters = RMSpropHyperparameters
    step = staticmethod(rmsprop_step)
    state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.alpha = check_interval("alpha", alpha, 0.0, 1.0)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum = check_nonnegative("momentum", momentum)
        self.centered = bool(centered)

    def init(self, x: FloatArray) -> dict[str, Any]:
        empty = np.empty(0, x.dtype)
        return {
            "step": 0,
            "square_avg": np.zeros_like(x),
            "grad_avg": np.zeros_like(x) if self.centered else empty,
            "momentum_buffer": np.zeros_like(x) if self.momentum > 0 else empty,
        }

    def hyperparameters(self) -> RMSpropHyperparameters:
        return self.Hyperparameters(self.alpha, self.eps, self.weight_decay, self.momentum, self.centered)


class AdadeltaHyperparameters(NamedTuple):
    rho: float
    eps: float
    weight_decay: float


@njit(cache=True, inline="always")
def adadelta_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdadeltaHyperparameters,
) -> None:
    """One step of :class:`Adadelta` (its docstring has the math), x and state in place."""
    v, u = state
    rho, eps, weight_decay = hyperparameters
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        v[i] = v[i] * rho + (1 - rho) * d * d
        delta = np.sqrt(u[i] + eps) / np.sqrt(v[i] + eps) * d
        u[i] = u[i] * rho + (1 - rho) * delta * delta
        x[i] -= lr * delta


class Adadelta(Optimizer):
    r"""Adadelta: steps in the units of the parameters, no tuning of a rate.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        x_t &= x_{t-1} - \gamma\, \Delta x_t

    Zeiler 2012, *ADADELTA: An Adaptive Learning Rate Method*, Algorithm 1
    (torch's lr :math:`\gamma` scales the step; 1.0 is the paper's method).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    rho : float
        Decay rate :math:`\rho` of the running means of squared gradients and squared updates.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.

    Examples
    --------
    >>> from descend.optimizers import Adadelta
    >>> Adadelta(lr=0.01)  # doctest: +ELLIPSIS
    Adadelta(lr=0.01, ...)
    """

    name = "adadelta"
    Hyperparameters = AdadeltaHyperparameters
    step = staticmethod(adadelta_step)
    state_names = ("square_avg", "acc_delta")

    def __init__(self, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        self.lr = check_positive("lr", lr)
        self.rho = check_interval("rho", rho, 0.0, 1.0)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(x), "acc_delta": np.zeros_like(x)}

    def hyperparameters(self) -> AdadeltaHyperparameters:
        return self.Hyperparameters(self.rho, self.eps, self.weight_decay)


class AdafactorHyperparameters(NamedTuple):
    beta2_decay: float
    eps1: float
    eps2: float
    d: float
    weight_decay: float
    rows: int
    cols: int


@njit(cache=True, inline="always")
def adafactor_step(
    x: FloatArray,
    g: FloatArray,
    state: tuple[FloatArray, ...],
    t: float,
    lr: float,
    hyperparameters: AdafactorHyperparameters,
) -> None:
    """One step of :class:`Adafactor` (its docstring has the math), x and state in place: on a vector
    (``rows`` 0), or on the ``rows`` x ``cols`` matrix x holds row by row, its second moment factored."""
    variance, row_var, col_var = state
    beta2_decay, eps1, eps2, d, weight_decay, rows, cols = hyperparameters
    n = x.size
    one_minus_beta2 = t**beta2_decay
    rho = min(lr, 1 / (t**0.5))
    x_sq = 0.0
    for i in range(n):
        x_sq += x[i] * x[i]
    alpha = max(eps2, np.sqrt(x_sq) / (n**0.5)) * rho
    if weight_decay != 0:
        shrink = 1 - lr * weight_decay
        for i in range(n):
            x[i] *= shrink
    floor = eps1 * eps1
    if rows == 0:
        u_sq = 0.0
        for i in range(n):
            variance[i] = lerp(variance[i], g[i] * g[i], one_minus_beta2)
            u = g[i] / np.sqrt(max(variance[i], floor))
            u_sq += u * u
        scale = -alpha / max(1.0, np.sqrt(u_sq) / ((n**0.5) * d))
        for i in range(n):
            x[i] += g[i] / np.sqrt(max(variance[i], floor)) * scale
        return
    # The factored second moment: the rows' and the columns' mean squares (torch: a norm, squared).
    for r in range(rows):
        total = 0.0
        for c in range(cols):
            total += g[r * cols + c] * g[r * cols + c]
        row_var[r] = lerp(row_var[r], np.sqrt(total) ** 2 / cols, one_minus_beta2)
    for c in range(cols):
        total = 0.0
        for r in range(rows):
            total += g[r * cols + c] * g[r * cols + c]
        col_var[c] = lerp(col_var[c], np.sqrt(total) ** 2 / rows, one_minus_beta2)
    row_mean = 0.0
    for r in range(rows):
        row_mean += row_var[r]
    row_mean = max(row_mean / rows, eps1)
    u_sq = 0.0
    for r in range(rows):
        for c in range(cols):
            u = g[r * cols + c] / np.sqrt(max(row_var[r] * col_var[c] / row_mean, floor))
            u_sq += u * u
    scale = -alpha / max(1.0, np.sqrt(u_sq) / ((n**0.5) * d))
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            x[i] += g[i] / np.sqrt(max(row_var[r] * col_var[c] / row_mean, floor)) * scale


class Adafactor(Optimizer):
    r"""Adafactor: RMSprop-like steps whose size is relative to the parameters' own scale, with an
    increasing decay of the second moment and the update's RMS clipped.

    On a vector x of n coordinates:

    .. math::

        \hat\beta_{2,t} &= 1 - t^{c}, \qquad
            \rho_t = \min(\gamma, 1/\sqrt t), \qquad
            \alpha_t = \max\bigl(\epsilon_2, \operatorname{RMS}(x_{t-1})\bigr)\, \rho_t \\
        x_{t-1} &\leftarrow x_{t-1} (1 - \gamma\lambda) \\
        v_t &= \hat\beta_{2,t} v_{t-1} + (1 - \hat\beta_{2,t})\, g_t^2 \\
        u_t &= g_t / \sqrt{\max(v_t, \epsilon_1^2)} \\
        x_t &= x_{t-1} - \alpha_t\, u_t / \max\bigl(1, \operatorname{RMS}(u_t) / d\bigr)

    with :math:`\operatorname{RMS}(u) = \|u\|_2 / \sqrt n` and the decay exponent :math:`c`
    (``beta2_decay``). On a matrix (``shape=(A, B)``: the matrix a vector x holds row by row) the
    second moment is factored, A + B numbers instead of AB: the rows' and the columns' mean squares
    :math:`r_t, c_t` take :math:`v_t`'s update, and :math:`v_t = r_t c_t^\top / \operatorname{mean}(r_t)`
    (the mean at least :math:`\epsilon_1`). Shazeer & Stern 2018, *Adafactor: Adaptive learning rates with sublinear
    memory cost*, algorithms 2 and 4, with torch.optim.Adafactor's choices (the relative step
    :math:`\rho_t` bounded by the learning rate, no momentum). Every step moves x by about
    :math:`\alpha_t`, a fraction of its own RMS: from x = 0 the first steps are :math:`\epsilon_2`
    small.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma` > 0, the largest relative step :math:`\rho_t`.
    beta2_decay : float
        :math:`c` <= 0, the decay's exponent (-0.8: the second moment forgets less with time).
    eps : (float or None, float)
        :math:`(\epsilon_1, \epsilon_2)`, each >= 0: the floor of the second moment's root (None: the
        machine epsilon of float64) and of the parameters' RMS.
    d : float
        The clipping threshold :math:`d` >= 1 of the update's RMS.
    weight_decay : float
        Decoupled weight decay :math:`\lambda` >= 0.
    shape : (int, int) or None
        The matrix (rows, cols) that x holds row by row, whose second moment is factored; None: a
        vector, one second moment a coordinate (the linear models' coefficients).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Adafactor
    >>> opt = Adafactor(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # a step of 0.1 RMS(x) along g / |g|, clipped to RMS 1
    >>> x.round(4)
    array([ 0.8419, -1.8419])
    """

    name = "adafactor"
    Hyperparameters = AdafactorHyperparameters
    step = staticmethod(adafactor_step)
    state_names = ("variance", "row_var", "col_var")

    def __init__(
        self,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        shape: tuple[int, int] | None = None,
    ) -> None:
        self.lr = check_positive("lr", lr)
        beta2_decay = check_number("beta2_decay", beta2_decay)
        if not beta2_decay <= 0:
            raise ValueError(f"beta2_decay must be a finite number <= 0, got {beta2_decay!r}")
        self.beta2_decay = beta2_decay
        try:
            eps1, eps2 = eps
        except (TypeError, ValueError):
            raise ValueError(f"eps must be a pair (eps1 or None, eps2), got {eps!r}") from None
        self.eps = (None if eps1 is None else check_nonnegative("eps[0]", eps1), check_nonnegative("eps[1]", eps2))
        self.d = check_number("d", d)
        if not (math.isfinite(self.d) and self.d >= 1):
            raise ValueError(f"d must be a finite number >= 1, got {d!r}")
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.shape = check_shape(shape)

    @property
    def whole_matrix(self) -> bool:  # type: ignore[override]  # read-only here: nothing sets it
        """Factored (a shape given): a step needs the whole matrix."""
        return self.shape is not None

    def for_coefficients(self, n_out: int, n_columns: int) -> Adafactor:
        """Itself; a shape given must be the coefficient matrix's, (``n_out``, ``n_columns``).

        Parameters
        ----------
        n_out : int
            The model's outputs.
        n_columns : int
            The coefficients of each.

        Returns
        -------
        Adafactor
            ``self``.
        """
        if self.shape is not None and self.shape != (n_out, n_columns):
            raise ValueError(
                f"Adafactor's shape={self.shape} is not the model's coefficient matrix, ({n_out}, {n_columns})"
            )
        return self

    def init(self, x: FloatArray) -> dict[str, Any]:
        empty = np.empty(0, x.dtype)
        if self.shape is None:
            return {"step": 0, "variance": np.zeros_like(x), "row_var": empty, "col_var": empty}
        rows, cols = self.shape
        if rows * cols != x.size:
            raise ValueError(f"Adafactor's shape={self.shape} holds {rows * cols} numbers, x has {x.size}")
        return {"step": 0, "variance": empty, "row_var": np.zeros(rows, x.dtype), "col_var": np.zeros(cols, x.dtype)}

    def hyperparameters(self) -> AdafactorHyperparameters:
        eps1 = float(np.finfo(np.float64).eps) if self.eps[0] is None else self.eps[0]
        rows, cols = self.shape if self.shape is not None else (0, 0)
        return self.Hyperparameters(self.beta2_decay, eps1, self.eps[1], self.d, self.weight_decay, rows, cols)
