r"""Learning-rate schedules: plain functions of the step count.

A schedule is any callable ``t -> lr`` with ``t = 1, 2, ...`` the step being
taken; a plain ``lambda t: 0.1 / t`` serves as well as the classes here. The
classes add validation, a readable ``repr``, and (all but the restarting
cosine) accept an array of steps, which :func:`rates` uses to give the
millions of per-sample rates of an epoch at NumPy speed. One schedule,
:class:`ReduceOnPlateau`, also watches the loss: :func:`descend.minimize`
calls its ``observe(loss)`` before each step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ._checks import check_choice, check_integer, check_nonnegative, check_positive, is_number
from .choices import SCHEDULE_NAMES

if TYPE_CHECKING:
    from ._typing import FloatArray, NDArray

__all__ = [
    "rates",
    "RATE_BLOCK",
    "Schedule",
    "Constant",
    "StepDecay",
    "Exponential",
    "InverseScaling",
    "Optimal",
    "CosineAnnealing",
    "LinearWarmup",
    "ReduceOnPlateau",
    "SCHEDULE_NAMES",
    "optimal_initial_rate",
    "get_schedule",
    "as_schedule",
]


# A vectorized schedule is asked for this many rates at a time, so that its arrays (the steps, the
# powers) stay in cache: asked for the 262,144 rates of a chunk of per-sample SGD at once, they cost
# 8 ns a step instead of 4, and a 5-epoch fit of 300,000 x 100 took 0.163 s instead of 0.142.
RATE_BLOCK = 1 << 14


def _check_step(t: int | FloatArray) -> int | FloatArray:
    if np.min(t) < 1:
        raise ValueError(f"schedules count steps from 1, got t={np.min(t)}")
    return t


class Schedule:
    """Base class: a callable ``t -> lr`` with a readable ``repr``.

    ``vectorized = True`` promises that ``schedule(array_of_steps)`` returns
    the array of rates. A subclass defines ``__call__(t)``, the rate of step
    ``t`` (from 1); ``repr`` shows the public attributes.

    Examples
    --------
    >>> from descend.schedules import Schedule
    >>> class Halving(Schedule):
    ...     def __init__(self, lr0):
    ...         self.lr0 = lr0
    ...     def __call__(self, t):
    ...         return self.lr0 / 2 ** (t - 1)
    >>> Halving(0.1), Halving(0.1)(3)
    (Halving(lr0=0.1), 0.025)
    """

    vectorized = True

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    r"""A constant rate, :math:`\gamma_t = \gamma_0`.

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.

    Examples
    --------
    >>> from descend.schedules import Constant
    >>> Constant(0.1)(5)
    0.1
    """

    def __init__(self, lr0: float) -> None:
        self.lr0 = check_positive("lr0", lr0)

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        return self.lr0 + 0.0 * np.asarray(t) if np.ndim(t) else self.lr0


class StepDecay(Schedule):
    r"""Step decay: :math:`\gamma_t = \gamma_0 \cdot r^{\lfloor t / s \rfloor}`.

    The rate is multiplied by ``rate`` every ``steps`` steps.

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    rate : float
        The factor r > 0 applied every ``steps`` steps.
    steps : int
        The number of steps s >= 1 between two decays.

    Examples
    --------
    >>> from descend.schedules import StepDecay, rates
    >>> rates(StepDecay(0.1, rate=0.5, steps=2), 1, 5)
    array([0.1  , 0.05 , 0.05 , 0.025, 0.025])
    """

    def __init__(self, lr0: float, rate: float = 0.5, steps: int = 100) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.rate = check_positive("rate", rate)
        self.steps = check_integer("steps", steps, low=1)

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        return self.lr0 * self.rate ** (t // self.steps)


class Exponential(Schedule):
    r"""Exponential decay: :math:`\gamma_t = \gamma_0 e^{-k t}`.

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    k : float
        The decay rate k >= 0 per step.

    Examples
    --------
    >>> from descend.schedules import Exponential, rates
    >>> rates(Exponential(0.1, k=0.5), 1, 3).round(4)
    array([0.0607, 0.0368, 0.0223])
    """

    def __init__(self, lr0: float, k: float = 1e-3) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.k = check_nonnegative("k", k)

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        return self.lr0 * np.exp(-self.k * np.asarray(t, dtype=float))


class InverseScaling(Schedule):
    r"""Inverse scaling: :math:`\gamma_t = \gamma_0 / t^{p}`.

    scikit-learn's ``learning_rate="invscaling"`` (with ``power_t`` = p =
    0.25 by default); p = 1/2 is the :math:`1/\sqrt t` of online convex
    optimization (Zinkevich 2003).

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    power_t : float
        The power p >= 0.

    Examples
    --------
    >>> from descend.schedules import InverseScaling, rates
    >>> rates(InverseScaling(0.1, power_t=0.5), 1, 4).round(4)
    array([0.1   , 0.0707, 0.0577, 0.05  ])
    """

    def __init__(self, lr0: float, power_t: float = 0.25) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.power_t = check_nonnegative("power_t", power_t)

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        return self.lr0 / np.asarray(t, dtype=float) ** self.power_t


class Optimal(Schedule):
    r"""The decay of SGD on a :math:`\lambda`-strongly convex objective:

    .. math::

        \gamma_t = \frac{\gamma_0}{1 + \lambda \gamma_0 (t - 1)}
                 = \frac{1}{\lambda (t_0 + t - 1)}, \quad t_0 = \frac{1}{\lambda \gamma_0},

    which falls as :math:`1/(\lambda t)`, the rate that makes SGD converge at
    :math:`O(1/t)` with an L2 penalty of weight :math:`\lambda` (Bottou 2012,
    *Stochastic Gradient Descent Tricks*). scikit-learn's
    ``learning_rate="optimal"``, with ``alpha`` as :math:`\lambda`; its
    :math:`\gamma_0` is Bottou's heuristic :func:`optimal_initial_rate`.

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    alpha : float
        The L2 penalty's weight :math:`\lambda` > 0.

    Examples
    --------
    >>> from descend.schedules import Optimal, rates
    >>> rates(Optimal(1.0, alpha=0.1), 1, 3).round(4)
    array([1.    , 0.9091, 0.8333])
    """

    def __init__(self, lr0: float, alpha: float) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.alpha = check_positive("alpha", alpha)

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        return self.lr0 / (1.0 + self.alpha * self.lr0 * (np.asarray(t, dtype=float) - 1.0))


def optimal_initial_rate(alpha: float) -> float:
    r"""The first rate of scikit-learn's ``"optimal"`` schedule, :math:`\gamma_0 = \alpha^{-1/4}`.

    Bottou's guess of the size of the weights, :math:`1/\sqrt{\alpha}`, square-rooted, as scikit-learn's
    ``"optimal"`` schedule starts (its ``typw``; the loss's derivative it divides by is at most 1 for
    every loss here).

    Parameters
    ----------
    alpha : float
        The L2 penalty's weight, > 0.

    Returns
    -------
    float
        :math:`\alpha^{-1/4}`.

    Examples
    --------
    >>> from descend.schedules import optimal_initial_rate
    >>> optimal_initial_rate(1e-4)
    10.0
    """
    return float(check_positive("alpha", alpha)) ** -0.25


class CosineAnnealing(Schedule):
    r"""Cosine annealing, optionally with warm restarts (SGDR).

    Within a cycle of length :math:`T_i`, at position :math:`t_{cur}`
    (0 at the first step of the cycle):

    .. math::

        \gamma_t = \eta_{min} + \tfrac12 (\gamma_0 - \eta_{min})
                   \left(1 + \cos\frac{\pi\, t_{cur}}{T_i}\right)

    Without restarts there is one cycle of ``T_max`` steps and the rate stays
    at ``eta_min`` after it. With ``restarts=True`` the rate jumps back to
    :math:`\gamma_0` after each cycle and cycle lengths grow by ``T_mult``:
    :math:`T_i = T_{max} T_{mult}^i`. Loshchilov & Hutter 2017, *SGDR:
    Stochastic Gradient Descent with Warm Restarts*, eq. (5).

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    T_max : int
        The length of the (first) cycle, in steps, >= 1.
    eta_min : float
        The lowest rate :math:`\eta_{min}`, in [0, lr0].
    restarts : bool
        Start a new cycle at :math:`\gamma_0` after each one.
    T_mult : int
        The factor >= 1 by which each cycle is longer than the one before (with restarts).

    Raises
    ------
    ValueError
        For a bad value, or ``eta_min`` above ``lr0``.

    Examples
    --------
    >>> from descend.schedules import CosineAnnealing, rates
    >>> rates(CosineAnnealing(0.1, T_max=4), 1, 6).round(4)
    array([0.1   , 0.0854, 0.05  , 0.0146, 0.    , 0.    ])
    >>> rates(CosineAnnealing(0.1, T_max=2, restarts=True, T_mult=2), 1, 7).round(4)
    array([0.1   , 0.05  , 0.1   , 0.0854, 0.05  , 0.0146, 0.1   ])
    """

    def __init__(self, lr0: float, T_max: int, eta_min: float = 0.0, restarts: bool = False, T_mult: int = 1) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.T_max = check_integer("T_max", T_max, low=1)
        self.eta_min = check_nonnegative("eta_min", eta_min)
        if self.eta_min > self.lr0:
            raise ValueError(f"eta_min ({eta_min}) must not exceed lr0 ({lr0})")
        self.restarts = bool(restarts)
        self.T_mult = check_integer("T_mult", T_mult, low=1)

    @property
    def vectorized(self) -> bool:  # type: ignore[override]  # read-only: restarts decide it
        return not self.restarts

    def _position(self, t: int | FloatArray) -> tuple[int | FloatArray, int]:
        """(t_cur, T_i) for step t."""
        t_cur, period = t - 1, self.T_max
        if not self.restarts:
            return np.minimum(t_cur, period), period
        while t_cur >= period:
            t_cur -= period
            period *= self.T_mult
        return t_cur, period

    @overload
    def __call__(self, t: int) -> float: ...
    @overload
    def __call__(self, t: FloatArray) -> FloatArray: ...
    def __call__(self, t: int | FloatArray) -> float | FloatArray:
        _check_step(t)
        t_cur, period = self._position(t)
        return self.eta_min + 0.5 * (self.lr0 - self.eta_min) * (1 + np.cos(np.pi * t_cur / period))


class LinearWarmup(Schedule):
    r"""Linear warm-up in front of any schedule.

    .. math::

        \gamma_t = \begin{cases}
            \text{after}(1) \cdot t / (w + 1) & t \le w \\
            \text{after}(t - w) & t > w \end{cases}

    The rate climbs in ``warmup_steps`` = w equal steps towards the first
    rate of ``after`` (a schedule, a callable, or a number), which then runs
    from its own step 1 (Goyal et al. 2017, *Accurate, Large Minibatch SGD*,
    section 2.2).

    Parameters
    ----------
    after : schedule, callable or float
        What runs after the warm-up (a number is a :class:`Constant`).
    warmup_steps : int
        The number w >= 1 of warm-up steps.

    Examples
    --------
    >>> from descend.schedules import LinearWarmup, rates
    >>> rates(LinearWarmup(0.1, warmup_steps=3), 1, 5).round(4)
    array([0.025, 0.05 , 0.075, 0.1  , 0.1  ])
    """

    vectorized = False

    def __init__(self, after: float | Callable[[int], float], warmup_steps: int) -> None:
        self.after = as_schedule(after)
        self.warmup_steps = check_integer("warmup_steps", warmup_steps, low=1)

    def __call__(self, t: int) -> float:
        _check_step(t)
        if t <= self.warmup_steps:
            return self.after(1) * t / (self.warmup_steps + 1)
        return self.after(t - self.warmup_steps)


class ReduceOnPlateau(Schedule):
    r"""Lower the rate when a monitored loss stops improving.

    After each ``observe(loss)``: the loss counts as an improvement when it is
    below ``best * (1 - threshold)`` (relative) or ``best - threshold``
    (absolute); after more than ``patience`` observations without one the
    rate is multiplied by ``factor`` (never below ``min_lr``) and
    ``cooldown`` observations are ignored. The same rule as
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` in ``mode="min"``.

    This schedule is stateful: the rate depends on the losses observed, not
    only on ``t``. Use a fresh instance (or :meth:`reset`) for each run.

    Parameters
    ----------
    lr0 : float
        The first rate :math:`\gamma_0` > 0.
    factor : float
        What the rate is multiplied by, in (0, 1).
    patience : int
        Observations without improvement tolerated before the rate falls, >= 0.
    threshold : float
        The least improvement that counts, >= 0.
    threshold_mode : {"rel", "abs"}
        Whether ``threshold`` is relative to the best loss or absolute.
    cooldown : int
        Observations ignored after each fall, >= 0.
    min_lr : float
        The rate never falls below it.

    Raises
    ------
    ValueError
        For a bad value (``factor`` not below 1, an unknown ``threshold_mode``, ...).

    Examples
    --------
    >>> from descend.schedules import ReduceOnPlateau
    >>> schedule = ReduceOnPlateau(1.0, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.0, 2.0]:
    ...     schedule.observe(loss)
    >>> schedule(5)  # two observations without improvement, more than patience
    0.5
    """

    vectorized = False

    def __init__(
        self,
        lr0: float,
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.lr0 = check_positive("lr0", lr0)
        self.factor = check_positive("factor", factor)
        if self.factor >= 1.0:
            raise ValueError(f"factor must be < 1 to lower the rate, got {factor}")
        self.patience = check_integer("patience", patience, low=0)
        self.threshold = check_nonnegative("threshold", threshold)
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.threshold_mode = threshold_mode
        self.cooldown = check_integer("cooldown", cooldown, low=0)
        self.min_lr = check_nonnegative("min_lr", min_lr)
        self.reset()

    def reset(self) -> None:
        """Forget the observed losses and restore ``lr0``."""
        self._lr = self.lr0
        self._best = math.inf
        self._bad = 0
        self._cooldown_left = 0

    def _improves(self, loss: float) -> bool:
        if self.threshold_mode == "rel":
            return loss < self._best * (1.0 - self.threshold)
        return loss < self._best - self.threshold

    def observe(self, loss: float) -> None:
        """Record the monitored loss of the latest step.

        Parameters
        ----------
        loss : float
            The loss; the rate falls after more than ``patience`` losses without improvement.
        """
        loss = float(loss)
        if self._improves(loss):
            self._best = loss
            self._bad = 0
        else:
            self._bad += 1
        if self._cooldown_left > 0:
            self._cooldown_left -= 1
            self._bad = 0
        if self._bad > self.patience:
            self._lr = max(self._lr * self.factor, self.min_lr)
            self._cooldown_left = self.cooldown
            self._bad = 0

    def __call__(self, t: int) -> float:
        _check_step(t)
        return self._lr


# Names for the schedules a user can pick without arguments beyond lr0.
_NAMED: dict[str, Callable[..., Schedule]] = {
    "constant": Constant,
    "invscaling": InverseScaling,
    "step": StepDecay,
    "exponential": Exponential,
    "optimal": Optimal,
}


def get_schedule(name: str, lr0: float, *, total_steps: int | None = None, **options: Any) -> Schedule:
    """A schedule from its name, starting at ``lr0``; ``options`` go to its class.

    Parameters
    ----------
    name : str
        A name of :data:`SCHEDULE_NAMES`.
    lr0 : float
        The first rate.
    total_steps : int, optional
        The length of ``"cosine"``'s single cycle (needed by it, ignored by the others).
    **options
        Passed to the schedule's class; ``"optimal"`` needs ``alpha``.

    Returns
    -------
    Schedule
        The schedule.

    Raises
    ------
    ValueError
        For an unknown name, ``"cosine"`` without ``total_steps``, or ``"optimal"`` without ``alpha``.

    Examples
    --------
    >>> from descend.schedules import get_schedule
    >>> get_schedule("cosine", 0.1, total_steps=100)
    CosineAnnealing(lr0=0.1, T_max=100, eta_min=0.0, restarts=False, T_mult=1)
    >>> get_schedule("invscaling", 0.1)
    InverseScaling(lr0=0.1, power_t=0.25)
    """
    key = check_choice("schedule", name, SCHEDULE_NAMES)
    if key == "optimal" and "alpha" not in options:
        raise ValueError("the 'optimal' schedule needs alpha (the L2 penalty weight it decays with)")
    if key == "cosine":
        if total_steps is None:
            raise ValueError("the 'cosine' schedule needs total_steps")
        return CosineAnnealing(lr0, T_max=total_steps, **options)
    return _NAMED[key](lr0, **options)


def as_schedule(schedule: float | Callable[[int], float]) -> Callable[[int], float]:
    """A number becomes :class:`Constant`; a callable is used as it is.

    Parameters
    ----------
    schedule : float or callable
        A rate, or a callable ``t -> lr``.

    Returns
    -------
    callable
        The schedule.

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> from descend.schedules import as_schedule
    >>> as_schedule(0.05)
    Constant(lr0=0.05)
    """
    if is_number(schedule):
        return Constant(schedule)
    if callable(schedule):
        return schedule
    raise TypeError(f"a schedule must be a number or a callable t -> lr, got {type(schedule).__name__}")


def rates(schedule: Callable[[int], float], first_step: int, count: int) -> NDArray[np.float64]:
    """The rates of steps ``first_step`` to ``first_step + count - 1``, as a float array.

    One call on an array for the schedules that allow it, :data:`RATE_BLOCK` steps at a time;
    else one call per step.

    Parameters
    ----------
    schedule : callable
        A schedule ``t -> lr``.
    first_step : int
        The first step, >= 1.
    count : int
        The number of steps.

    Returns
    -------
    ndarray of shape (count,)
        The rates, float64.

    Examples
    --------
    >>> from descend.schedules import rates
    >>> rates(lambda t: 0.1 / t, 1, 4).round(4)
    array([0.1   , 0.05  , 0.0333, 0.025 ])
    """
    values = np.empty(count)
    if not getattr(schedule, "vectorized", False):
        values[:] = [schedule(t) for t in range(first_step, first_step + count)]
        return values
    for start in range(0, count, RATE_BLOCK):
        stop = min(count, start + RATE_BLOCK)
        # Float steps: a vectorized schedule would convert integer ones to compute its powers anyway.
        values[start:stop] = schedule(np.arange(first_step + start, first_step + stop, dtype=np.float64))  # type: ignore[arg-type]  # vectorized: takes arrays
    return values
