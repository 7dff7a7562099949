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
    if not callable(fun):
        raise TypeError(f"fun must be callable, returning (value, gradient); got {type(fun).__name__}")
    x = _as_x0(x0)
    optimizer = get_optimizer(optimizer, **({} if lr is None else {"lr": lr}))
    lr_at = optimizer_rate = None
    if schedule is None:
        optimizer_rate = optimizer.lr
    else:
        lr_at = as_schedule(schedule)
    if penalty is not None and not isinstance(penalty, ElasticNet):
        raise TypeError(f"penalty must be a descend.penalties object (L1, L2, ElasticNet), got {penalty!r}")
    box = _as_bounds(bounds, x)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    if tol is not None and not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0 or None, got {tol!r}")
    callbacks = _as_callbacks(callbacks)
    if line_search and not (
        isinstance(optimizer, SGD) and optimizer.momentum == 0 and optimizer.weight_decay == 0
    ):
        raise ValueError(
            f"line_search is for plain gradient descent: use optimizer='sgd' without momentum "
            f"or weight decay, not {optimizer!r}"
        )
    observe = getattr(lr_at, "observe", None)
    has_prox = penalty is not None and penalty.l1 > 0

    n_fev = 0

    def evaluate(point: np.ndarray, k: int) -> tuple[float, np.ndarray, float, np.ndarray]:
        """fun at ``point``, checked, plus the penalty: (value, grad, objective, full grad)."""
        nonlocal n_fev
        n_fev += 1
        out = fun(point.copy())
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
        if penalty is None:
            return value, grad, value, grad
        return value, grad, value + penalty.value(point), grad + penalty.smooth_grad(point)

    def step_rate(k: int) -> float:
        rate = optimizer_rate if lr_at is None else float(lr_at(k))
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"the schedule gave learning rate {rate} at step {k}; it must be finite and > 0")
        return rate

    def project(point: np.ndarray, rate: float) -> None:
        if has_prox:
            penalty.prox(point, rate)
        if box is not None:
            np.clip(point, box[0], box[1], out=point)

    def stationarity(point: np.ndarray, full_grad: np.ndarray, rate: float) -> float:
        if not has_prox and box is None:
            return float(np.linalg.norm(full_grad))
        moved = point - rate * full_grad
        project(moved, rate)
        return float(np.linalg.norm(point - moved)) / rate

    _, _, objective, full_grad = evaluate(x, 0)
    start_scale = max(1.0, abs(objective))
    start_objective = objective
    state = optimizer.init(x)
    path, losses, rates = [x.copy()], [objective], []
    converged, message, k = False, "", 0

    try:
        while True:
            if observe is not None:
                observe(objective)
            rate = step_rate(k + 1)
            if tol is not None and stationarity(x, full_grad, rate) < tol:
                converged, message = True, f"gradient norm below tol={tol}"
                break
            if k == max_iter:
                message = f"reached max_iter={max_iter}"
                break
            k += 1
            if line_search:
                found = False
                for _ in range(ARMIJO_MAX_BACKTRACKS):
                    trial = x - rate * full_grad
                    project(trial, rate)
                    try:
                        _, _, trial_objective, trial_grad = evaluate(trial, k)
                    except DivergenceError:  # the trial step overshot into overflow: shorten it
                        rate *= ARMIJO_SHRINK
                        continue
                    moved = trial - x
                    if trial_objective <= objective - ARMIJO_C * float(moved @ moved) / rate:
                        found = True
                        break
                    rate *= ARMIJO_SHRINK
                if not found:
                    k -= 1
                    message = "line search found no decrease (the objective is flat to rounding here)"
                    break
                x, objective, full_grad = trial, trial_objective, trial_grad
            else:
                optimizer.update(x, full_grad, state, rate)
                project(x, rate)
                _, _, objective, full_grad = evaluate(x, k)
            path.append(x.copy())
            losses.append(objective)
            rates.append(rate)
            if objective - start_objective > EXPLOSION_FACTOR * start_scale:
                raise DivergenceError(
                    f"diverged at iteration {k}: the objective grew from {start_objective:.6g} to "
                    f"{objective:.6g}. Try a smaller learning rate.",
                    iteration=k,
                )
            if callbacks:
                info = StepInfo(k, x.copy(), objective, float(np.linalg.norm(full_grad)), rate)
                if any([bool(cb(info)) for cb in callbacks]):
                    message = f"stopped by a callback at iteration {k}"
                    break
    except DivergenceError as error:
        # Keep the finite part of the way there: a picture of a divergence needs it.
        error.path, error.loss_history = np.array(path), np.array(losses)
        raise

    return OptimizeResult(
        x=x,
        fun=objective,
        grad=full_grad,
        n_iter=k,
        n_fev=n_fev,
        converged=converged,
        message=message,
        loss_history=np.array(losses),
        path=np.array(path),
        lr_history=np.array(rates),
    )
