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
from typing import Callable

import numpy as np

from ._checks import check_choice, check_integer, check_nonnegative, check_positive, is_number

__all__ = [
    "rates",
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


def _check_step(t):
    if np.min(t) < 1:
        raise ValueError(f"schedules count steps from 1, got t={np.min(t)}")
    return t


class Schedule:
    """Base class: a callable ``t -> lr`` with a readable ``repr``.

    ``vectorized = True`` promises that ``schedule(array_of_steps)`` returns
    the array of rates.
    """

    vectorized = True

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    r""":math:`\gamma_t = \gamma_0`."""

    def __init__(self, lr0: float):
        self.lr0 = check_positive("lr0", lr0)

    def __call__(self, t):
        _check_step(t)
        return self.lr0 + 0.0 * np.asarray(t) if np.ndim(t) else self.lr0


class StepDecay(Schedule):
    r"""Step decay: :math:`\gamma_t = \gamma_0 \cdot r^{\lfloor t / s \rfloor}`.

    The rate is multiplied by ``rate`` every ``steps`` steps.
    """

    def __init__(self, lr0: float, rate: float = 0.5, steps: int = 100):
        self.lr0 = check_positive("lr0", lr0)
        self.rate = check_positive("rate", rate)
        self.steps = check_integer("steps", steps, low=1)

    def __call__(self, t):
        _check_step(t)
        return self.lr0 * self.rate ** (t // self.steps)


class Exponential(Schedule):
    r"""Exponential decay: :math:`\gamma_t = \gamma_0 e^{-k t}`."""

    def __init__(self, lr0: float, k: float = 1e-3):
        self.lr0 = check_positive("lr0", lr0)
        self.k = check_nonnegative("k", k)

    def __call__(self, t):
        _check_step(t)
        return self.lr0 * np.exp(-self.k * np.asarray(t, dtype=float))


class InverseScaling(Schedule):
    r"""Inverse scaling: :math:`\gamma_t = \gamma_0 / t^{p}`.

    scikit-learn's ``learning_rate="invscaling"`` (with ``power_t`` = p =
    0.25 by default); p = 1/2 is the :math:`1/\sqrt t` of online convex
    optimization (Zinkevich 2003).
    """

    def __init__(self, lr0: float, power_t: float = 0.25):
        self.lr0 = check_positive("lr0", lr0)
        self.power_t = check_nonnegative("power_t", power_t)

    def __call__(self, t):
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
    """

    def __init__(self, lr0: float, alpha: float):
        self.lr0 = check_positive("lr0", lr0)
        self.alpha = check_positive("alpha", alpha)

    def __call__(self, t):
        _check_step(t)
        return self.lr0 / (1.0 + self.alpha * self.lr0 * (np.asarray(t, dtype=float) - 1.0))


def optimal_initial_rate(alpha: float) -> float:
    r"""The first rate of scikit-learn's ``"optimal"`` schedule, :math:`\gamma_0 = \alpha^{-1/4}`.

    Bottou's guess of the size of the weights, :math:`1/\sqrt{\alpha}`, square-rooted, as scikit-learn's
    ``"optimal"`` schedule starts (its ``typw``; the loss's derivative it divides by is at most 1 for
    every loss here)."""
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
    """

    def __init__(self, lr0: float, T_max: int, eta_min: float = 0.0, restarts: bool = False, T_mult: int = 1):
        self.lr0 = check_positive("lr0", lr0)
        self.T_max = check_integer("T_max", T_max, low=1)
        self.eta_min = check_nonnegative("eta_min", eta_min)
        if self.eta_min > self.lr0:
            raise ValueError(f"eta_min ({eta_min}) must not exceed lr0 ({lr0})")
        self.restarts = bool(restarts)
        self.T_mult = check_integer("T_mult", T_mult, low=1)

    @property
    def vectorized(self) -> bool:
        return not self.restarts

    def _position(self, t: int) -> tuple[int, int]:
        """(t_cur, T_i) for step t."""
        t_cur, period = t - 1, self.T_max
        if not self.restarts:
            return np.minimum(t_cur, period), period
        while t_cur >= period:
            t_cur -= period
            period *= self.T_mult
        return t_cur, period

    def __call__(self, t):
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
    """

    vectorized = False

    def __init__(self, after, warmup_steps: int):
        self.after = as_schedule(after)
        self.warmup_steps = check_integer("warmup_steps", warmup_steps, low=1)

    def __call__(self, t):
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
    """

    vectorized = False

    def __init__(self, lr0: float, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: str = "rel", cooldown: int = 0, min_lr: float = 0.0):
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
        """Record the monitored loss of the latest step."""
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

    def __call__(self, t):
        _check_step(t)
        return self._lr


# Names for the schedules a user can pick without arguments beyond lr0.
_NAMED: dict[str, Callable[[float], Schedule]] = {
    "constant": Constant,
    "invscaling": InverseScaling,
    "step": StepDecay,
    "exponential": Exponential,
    "optimal": Optimal,
}

SCHEDULE_NAMES = tuple(_NAMED) + ("cosine",)


def get_schedule(name: str, lr0: float, *, total_steps: int | None = None, **options) -> Schedule:
    """A schedule from its name, starting at ``lr0``; ``options`` go to its class.

    ``"cosine"`` needs ``total_steps`` (the length of its single cycle), ``"optimal"`` the
    penalty weight ``alpha``.
    """
    key = check_choice("schedule", name, SCHEDULE_NAMES)
    if key == "optimal" and "alpha" not in options:
        raise ValueError("the 'optimal' schedule needs alpha (the L2 penalty weight it decays with)")
    if key == "cosine":
        if total_steps is None:
            raise ValueError("the 'cosine' schedule needs total_steps")
        return CosineAnnealing(lr0, T_max=total_steps, **options)
    return _NAMED[key](lr0, **options)


def as_schedule(schedule) -> Callable[[int], float]:
    """A number becomes :class:`Constant`; a callable is used as it is."""
    if is_number(schedule):
        return Constant(schedule)
    if callable(schedule):
        return schedule
    raise TypeError(f"a schedule must be a number or a callable t -> lr, got {type(schedule).__name__}")


def rates(schedule, first_step: int, count: int) -> np.ndarray:
    """The rates of steps ``first_step`` to ``first_step + count - 1``, as a float array.

    One call on an array for the schedules that allow it; else one call per step.
    """
    # Float steps: a vectorized schedule would convert integer ones to compute its powers anyway.
    steps = np.arange(first_step, first_step + count, dtype=np.float64)
    if getattr(schedule, "vectorized", False):
        values = np.broadcast_to(np.asarray(schedule(steps), dtype=float), steps.shape)
    else:
        values = np.array([schedule(int(t)) for t in steps], dtype=float)
    return np.ascontiguousarray(values)
