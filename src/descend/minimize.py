r"""The generic loop: minimize any differentiable function by gradient descent.

.. code-block:: text

    x_0 given
    for k = 1, 2, ..., max_iter:
        f_k-1, g_k-1 = fun(x_k-1)                     (+ the penalty's value and L2 gradient)
        stop if |g_k-1| < tol
        x_k = optimizer step from x_k-1 with g_k-1 and lr = schedule(k)
        x_k = prox of the L1 penalty, then projection onto the bounds

``fun`` is called once at each iterate, in order, so an objective may change
from call to call (online learning); the gradient returned by call k drives
step k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ._checks import check_integer, check_tolerance
from .exceptions import EXPLOSION_FACTOR, DivergenceError
from .optimizers import SGD, Optimizer, get_optimizer
from .penalties import ElasticNet
from .schedules import as_schedule

__all__ = ["minimize", "OptimizeResult", "StepInfo"]

# Backtracking line search: sufficient-decrease constant and shrink factor
# (Nocedal & Wright 2006, Algorithm 3.1, with their suggested c = 1e-4).
ARMIJO_C = 1e-4
ARMIJO_SHRINK = 0.5
ARMIJO_MAX_BACKTRACKS = 60


@dataclass
class OptimizeResult:
    """What :func:`minimize` returns.

    ``path[k]`` is the iterate after step k (``path[0]`` is ``x0``) and
    ``loss_history[k]`` the objective there, penalty included;
    ``lr_history[k-1]`` is the learning rate of step k.
    """

    x: np.ndarray
    fun: float
    grad: np.ndarray
    n_iter: int
    n_fev: int
    converged: bool
    message: str
    loss_history: np.ndarray
    path: np.ndarray
    lr_history: np.ndarray

    def __repr__(self) -> str:
        return (
            f"OptimizeResult(converged={self.converged}, message={self.message!r}, n_iter={self.n_iter}, "
            f"fun={self.fun:.6g}, x={np.array2string(self.x, precision=6, threshold=8)})"
        )


@dataclass(frozen=True)
class StepInfo:
    """What a callback sees after step ``iteration``: the new iterate ``x``,
    the objective ``value`` and gradient norm there, and the ``lr`` used."""

    iteration: int
    x: np.ndarray
    value: float
    grad_norm: float
    lr: float


def _as_x0(x0) -> np.ndarray:
    x = np.array(x0, copy=True)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"x0 must be an array of numbers, got dtype {x.dtype}")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim == 0:
        x = x.reshape(1)
    if x.ndim != 1:
        raise ValueError(f"x0 must be a 1-D array, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("x0 is empty")
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x)).tolist()
        raise ValueError(f"x0 contains NaN or inf at index {bad}")
    return x


def _as_bounds(bounds, x: np.ndarray):
    if bounds is None:
        return None
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}") from None
    low = np.broadcast_to(np.asarray(low, dtype=float), x.shape)
    high = np.broadcast_to(np.asarray(high, dtype=float), x.shape)
    if np.isnan(low).any() or np.isnan(high).any():
        raise ValueError("bounds contain NaN")
    if np.any(low > high):
        i = int(np.flatnonzero(low > high)[0])
        raise ValueError(f"bounds have low > high at index {i}: low={low[i]}, high={high[i]}")
    if np.any(x < low) or np.any(x > high):
        raise ValueError(f"x0 = {x} lies outside the bounds [{low}, {high}]")
    return low, high


def _as_callbacks(callbacks) -> list[Callable]:
    if callable(callbacks):
        return [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {cb!r}")
    return callbacks


def _as_penalty(penalty) -> ElasticNet | None:
    if penalty is not None and not isinstance(penalty, ElasticNet):
        raise TypeError(f"penalty must be a descend.penalties object (L1, L2, ElasticNet), got {penalty!r}")
    return penalty


def _check_line_search(line_search: bool, optimizer: Optimizer) -> None:
    # The Armijo rule judges the step x - lr * g; an optimizer with memory or decay takes another step.
    if line_search and not (
        isinstance(optimizer, SGD) and optimizer.momentum == 0 and optimizer.weight_decay == 0
    ):
        raise ValueError(
            f"line_search is for plain gradient descent: use optimizer='sgd' without momentum "
            f"or weight decay, not {optimizer!r}"
        )


def minimize(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0,
    optimizer: str | Optimizer = "adam",
    *,
    schedule=None,
    penalty: ElasticNet | None = None,
    bounds=None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    callbacks: Iterable[Callable[[StepInfo], bool | None]] | Callable = (),
    lr: float | None = None,
    line_search: bool = False,
) -> OptimizeResult:
    """Minimize ``fun`` from ``x0`` by gradient descent.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``. Called once per iterate, in order.
    x0 : array-like, 1-D
        Starting point. Not modified.
    optimizer : str or Optimizer
        A name from :data:`descend.optimizers.OPTIMIZER_NAMES` or an instance.
    schedule : callable or float, optional
        Learning rate of step t (t = 1, 2, ...); overrides the optimizer's lr.
        An object with an ``observe(loss)`` method (such as
        :class:`~descend.schedules.ReduceOnPlateau`) is shown the objective
        of each iterate before the next rate is asked for.
    penalty : descend.penalties.ElasticNet (or L1, L2), optional
        Added to the objective; the L2 part joins the gradient, the L1 part
        is applied by its proximal step after each optimizer step.
    bounds : (low, high), optional
        Scalars or arrays; after every step x is projected onto the box
        (projected gradient descent). ``x0`` must lie inside.
    max_iter : int
        Most steps to take.
    tol : float or None
        Stop when the gradient norm falls below ``tol`` (with bounds or an L1
        penalty: the norm of the gradient mapping ``(x - x_next) / lr``, zero
        exactly at a constrained / composite minimum). ``None`` runs all
        ``max_iter`` steps.
    callbacks : callable or sequence of callables
        Each is called with a :class:`StepInfo` after every step; returning
        ``True`` stops the run.
    lr : float, optional
        Learning rate, overriding a named optimizer's default.
    line_search : bool
        Plain gradient descent with a backtracking (Armijo) line search: from
        the step's lr, halve the step until the objective decreases enough,
        ``F(x+) <= F(x) - c |x+ - x|^2 / step``. Needs ``optimizer="sgd"``
        without momentum or weight decay; every trial point costs one call of
        ``fun`` (the accepted one is reused as the next iterate).

    Returns
    -------
    OptimizeResult

    Raises
    ------
    DivergenceError
        When a value or gradient stops being finite, or the objective grows
        past ``EXPLOSION_FACTOR`` times its starting scale.
    """
    run = _Run(fun, x0, optimizer, schedule, penalty, bounds, max_iter, tol, callbacks, lr, line_search)
    try:
        run.descend()
    except DivergenceError as error:
        # Keep the finite part of the way there: a picture of a divergence needs it.
        error.path, error.loss_history = np.array(run.path), np.array(run.losses)
        raise
    return run.result()


class _Run:
    r"""One call of :func:`minimize`: its checked arguments and the state carried from step to step.

    With :math:`F(x) = f(x) + P(x)` the objective (``fun`` plus the penalty),
    after step k the run holds ``x`` :math:`= x_k`, ``objective``
    :math:`= F(x_k)`, ``full_grad`` :math:`= \nabla f(x_k) + \nabla P_2(x_k)`
    (the smooth, L2 part of the penalty; its L1 part is left to the
    projection), and the rows of the result so far: ``path``, ``losses``
    and ``rates``.

    The methods are the lines of the module's pseudo-code: ``evaluate``
    (F and its gradient), ``rate_of_step``, ``stationarity`` (the test
    against ``tol``), ``plain_step`` or ``line_search_step`` (each ending in
    ``project``), ``check_divergence``; ``descend`` strings them together.
    """

    def __init__(self, fun, x0, optimizer, schedule, penalty, bounds, max_iter, tol, callbacks, lr, line_search):
        """Check the arguments in the order of :func:`minimize`'s signature, then evaluate F at x_0."""
        if not callable(fun):
            raise TypeError(f"fun must be callable, returning (value, gradient); got {type(fun).__name__}")
        self.fun = fun
        self.x = _as_x0(x0)
        self.optimizer = get_optimizer(optimizer, **({} if lr is None else {"lr": lr}))
        # Without a schedule every step runs at the optimizer's own rate, read once.
        self.lr_at = self.optimizer_rate = None
        if schedule is None:
            self.optimizer_rate = self.optimizer.lr
        else:
            self.lr_at = as_schedule(schedule)
        self.penalty = _as_penalty(penalty)
        self.box = _as_bounds(bounds, self.x)
        self.max_iter = check_integer("max_iter", max_iter, low=0)
        self.tol = check_tolerance(tol)
        self.callbacks = _as_callbacks(callbacks)
        _check_line_search(line_search, self.optimizer)
        self.line_search = line_search
        self.observe = getattr(self.lr_at, "observe", None)
        self.has_prox = self.penalty is not None and self.penalty.l1 > 0

        self.n_fev = 0
        self.objective, self.full_grad = self.evaluate(self.x, 0)
        self.start_objective = self.objective
        self.start_scale = max(1.0, abs(self.objective))
        self.state = self.optimizer.init(self.x)
        self.path, self.losses, self.rates = [self.x.copy()], [self.objective], []
        self.converged, self.message, self.k = False, "", 0

    def descend(self) -> None:
        """Take steps until a stopping rule holds; it sets ``converged`` and ``message``."""
        while True:
            if self.observe is not None:
                self.observe(self.objective)
            rate = self.rate_of_step(self.k + 1)
            if self.tol is not None and self.stationarity(self.x, self.full_grad, rate) < self.tol:
                self.converged, self.message = True, f"gradient norm below tol={self.tol}"
                return
            if self.k == self.max_iter:
                self.message = f"reached max_iter={self.max_iter}"
                return
            self.k += 1
            if self.line_search:
                rate = self.line_search_step(rate)
                if rate is None:
                    self.k -= 1
                    self.message = "line search found no decrease (the objective is flat to rounding here)"
                    return
            else:
                self.plain_step(rate)
            self.path.append(self.x.copy())
            self.losses.append(self.objective)
            self.rates.append(rate)
            self.check_divergence()
            if self.callbacks and self.a_callback_stops(rate):
                self.message = f"stopped by a callback at iteration {self.k}"
                return

    def evaluate(self, point: np.ndarray, k: int) -> tuple[float, np.ndarray]:
        r""":math:`(F(p), \nabla f(p) + \nabla P_2(p))` at ``point`` p: ``fun`` there, checked, plus the penalty.

        A non-finite value or gradient at x_0 (``k == 0``) is bad input, a
        ValueError; at a later iterate the run has diverged.
        """
        self.n_fev += 1
        out = self.fun(point.copy())
        try:
            value, grad = out
        except (TypeError, ValueError):
            raise TypeError(f"fun must return a pair (value, gradient), got {type(out).__name__}") from None
        value = float(value)
        grad = np.asarray(grad, dtype=point.dtype)
        if grad.shape != point.shape:
            raise ValueError(f"fun returned a gradient of shape {grad.shape}, but x0 has shape {point.shape}")
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            what = "value" if not math.isfinite(value) else "gradient"
            if k == 0:
                raise ValueError(f"fun returned a non-finite {what} at x0 (value={value})")
            raise DivergenceError(
                f"diverged at iteration {k}: fun returned a non-finite {what} (value={value}). "
                "Try a smaller learning rate.",
                iteration=k,
            )
        if self.penalty is None:
            return value, grad
        return value + self.penalty.value(point), grad + self.penalty.smooth_grad(point)

    def rate_of_step(self, k: int) -> float:
        r"""The learning rate :math:`\gamma_k` of step k: the schedule's, else the optimizer's."""
        rate = self.optimizer_rate if self.lr_at is None else float(self.lr_at(k))
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"the schedule gave learning rate {rate} at step {k}; it must be finite and > 0")
        return rate

    def project(self, point: np.ndarray, rate: float) -> None:
        r"""In place: ``point`` :math:`\leftarrow \Pi_{box}(\mathrm{prox}_{\gamma P_1}(point))`.

        The L1 prox (soft-thresholding by :math:`\gamma \alpha_1`), then the
        clip onto the bounds.
        """
        if self.has_prox:
            self.penalty.prox(point, rate)
        if self.box is not None:
            np.clip(point, self.box[0], self.box[1], out=point)

    def stationarity(self, point: np.ndarray, full_grad: np.ndarray, rate: float) -> float:
        r"""What ``tol`` is compared with: zero exactly at a (constrained, composite) minimum.

        Unconstrained and without L1: :math:`\|g\|`. Otherwise the norm of the
        gradient mapping :math:`\|x - \Pi(x - \gamma g)\| / \gamma`, with
        :math:`\Pi` the projection above.
        """
        if not self.has_prox and self.box is None:
            return float(np.linalg.norm(full_grad))
        moved = point - rate * full_grad
        self.project(moved, rate)
        return float(np.linalg.norm(point - moved)) / rate

    def plain_step(self, rate: float) -> None:
        r"""Step k: :math:`x_k = \Pi(\text{optimizer step from } x_{k-1})`, then F and its gradient there."""
        self.optimizer.update(self.x, self.full_grad, self.state, rate)
        self.project(self.x, rate)
        self.objective, self.full_grad = self.evaluate(self.x, self.k)

    def line_search_step(self, rate: float) -> float | None:
        r"""Step k by backtracking from ``rate``; the rate accepted, or None when none is.

        Trial :math:`x^+ = \Pi(x - \gamma g)`, accepted when
        :math:`F(x^+) \le F(x) - c \|x^+ - x\|^2 / \gamma`, else
        :math:`\gamma \leftarrow \gamma / 2`, at most ``ARMIJO_MAX_BACKTRACKS``
        times. The accepted trial's F and gradient serve as the next iterate's.
        """
        for _ in range(ARMIJO_MAX_BACKTRACKS):
            trial = self.x - rate * self.full_grad
            self.project(trial, rate)
            try:
                trial_objective, trial_grad = self.evaluate(trial, self.k)
            except DivergenceError:  # the trial step overshot into overflow: shorten it
                rate *= ARMIJO_SHRINK
                continue
            moved = trial - self.x
            if trial_objective <= self.objective - ARMIJO_C * float(moved @ moved) / rate:
                self.x, self.objective, self.full_grad = trial, trial_objective, trial_grad
                return rate
            rate *= ARMIJO_SHRINK
        return None

    def check_divergence(self) -> None:
        r"""Raise DivergenceError once the objective has exploded.

        That is :math:`F(x_k) - F(x_0) > E \cdot \max(1, |F(x_0)|)`, with E =
        ``EXPLOSION_FACTOR``: the run is diverging, and waiting for the
        overflow to inf would only lose the trail.
        """
        if self.objective - self.start_objective > EXPLOSION_FACTOR * self.start_scale:
            raise DivergenceError(
                f"diverged at iteration {self.k}: the objective grew from {self.start_objective:.6g} to "
                f"{self.objective:.6g}. Try a smaller learning rate.",
                iteration=self.k,
            )

    def a_callback_stops(self, rate: float) -> bool:
        """Show every callback the step just taken; True when one of them asks to stop."""
        info = StepInfo(self.k, self.x.copy(), self.objective, float(np.linalg.norm(self.full_grad)), rate)
        # A list, not a generator: every callback sees every step, even after one has asked to stop.
        return any([bool(cb(info)) for cb in self.callbacks])

    def result(self) -> OptimizeResult:
        return OptimizeResult(
            x=self.x,
            fun=self.objective,
            grad=self.full_grad,
            n_iter=self.k,
            n_fev=self.n_fev,
            converged=self.converged,
            message=self.message,
            loss_history=np.array(self.losses),
            path=np.array(self.path),
            lr_history=np.array(self.rates),
        )
