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
step k. (With ``jac="2-point"`` or ``"3-point"`` it is also called at the
points around each iterate that finite differences need:
:mod:`descend.gradients`.)

The loop costs little beside ``fun`` and the optimizer's step: the rows of
the result go into arrays allocated ahead and grown by doubling; the
gradient's squared norm :math:`g \cdot g`, one compiled pass, tells both
whether the gradient is finite and, with ``tol``, whether to stop; and a
penalty, bounds, a schedule or callbacks cost nothing when absent.
(``benchmarks/minimize_cases.py`` measures it against a bare loop.)

**Stopping.** ``tol`` is compared with the gradient's norm. With bounds or
an L1 penalty the gradient need not vanish at the minimum: the norm is then
the gradient mapping's, ``(x - x_next) / lr``, with lr the rate of the step
that led to x (the optimizer's before the first), zero exactly at a
constrained or composite minimum (:doc:`/user_guide/convergence`).

**Line search.** ``line_search=True`` is plain gradient descent with a
backtracking (Armijo) line search: from the step's lr, the step is halved
until the objective decreases enough, ``F(x+) <= F(x) - c |x+ - x|^2 / step``
(c = ``ARMIJO_C``). Every trial point costs one call of ``fun``; the
accepted one is reused as the next iterate.

**Divergence.** A value or gradient that stops being finite, or an
objective grown past ``EXPLOSION_FACTOR`` times its starting scale, raises
:class:`~descend.exceptions.DivergenceError`, which keeps the finite part of
the path (``path``, ``loss_history``) for drawing:

>>> from descend import minimize
>>> def fun(x):  # (x - 1)'(x - 1) and its gradient
...     return float((x - 1) @ (x - 1)), 2 * (x - 1)
>>> minimize(fun, [0.0, 0.0], "sgd", lr=1.5)
Traceback (most recent call last):
...
descend.exceptions.DivergenceError: diverged at iteration 14: the objective grew from 2 to 5.36871e+08. Try a smaller learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._checks import check_integer, check_tolerance
from ._compiled import njit
from .exceptions import EXPLOSION_FACTOR, DivergenceError
from .gradients import fun_calls_per_point, value_and_grad
from .optimizers import SGD, Optimizer, get_optimizer
from .penalties import ElasticNet
from .schedules import as_schedule

if TYPE_CHECKING:
    from ._typing import ArrayLike, FloatArray, NDArray

__all__ = ["minimize", "OptimizeResult", "StepInfo"]

# Backtracking line search: sufficient-decrease constant and shrink factor
# (Nocedal & Wright 2006, Algorithm 3.1, with their suggested c = 1e-4).
ARMIJO_C = 1e-4
ARMIJO_SHRINK = 0.5
ARMIJO_MAX_BACKTRACKS = 60


@njit(cache=True)
def squared_norm(g: FloatArray) -> float:
    r""":math:`\|g\|^2 = \sum_i g_i^2`, summed in float64; inf or NaN when a coordinate is.

    Compiled: on a vector of a few coordinates NumPy's ``g.dot(g)`` spends
    three times as long entering its machinery as this takes.
    """
    total = 0.0
    for i in range(g.size):
        total += g[i] * g[i]
    return total


@dataclass
class OptimizeResult:
    r"""What :func:`minimize` returns.

    ``path[k]`` is the iterate after step k (``path[0]`` is ``x0``) and
    ``loss_history[k]`` the objective there, penalty included;
    ``lr_history[k-1]`` is the learning rate of step k. With ``record=False``
    the three hold the last row only.

    Parameters
    ----------
    x : ndarray
        The last iterate, or the optimizer's estimate where that is another point (ASGD's average of
        the iterates, :meth:`descend.optimizers.Optimizer.estimate`); ``fun`` and ``grad`` are there.
    fun : float
        The objective there, penalty included.
    grad : ndarray
        The gradient there (with the L2 part of the penalty).
    n_iter : int
        The number of steps taken.
    n_fev : int
        The number of calls of ``fun`` (finite differences and line-search trials included).
    converged : bool
        Whether the ``tol`` test stopped the run.
    message : str
        Why the run stopped.
    loss_history : ndarray of shape (n_iter + 1,)
        The objective at each iterate.
    path : ndarray of shape (n_iter + 1, n)
        The iterates, ``x0`` first.
    lr_history : ndarray of shape (n_iter,)
        The learning rate of each step.

    Examples
    --------
    Plain gradient descent on :math:`\lVert x \rVert^2` with rate 1/4 halves x at every step:

    >>> from descend import minimize
    >>> result = minimize(lambda x: (x @ x, 2 * x), [3.0, -4.0], "sgd", lr=0.25, max_iter=3, tol=None)
    >>> result
    OptimizeResult(converged=False, message='reached max_iter=3', n_iter=3, fun=0.390625, x=[ 0.375 -0.5  ])
    >>> result.path
    array([[ 3.   , -4.   ],
           [ 1.5  , -2.   ],
           [ 0.75 , -1.   ],
           [ 0.375, -0.5  ]])
    >>> result.loss_history, result.lr_history, result.n_fev
    (array([25.      ,  6.25    ,  1.5625  ,  0.390625]), array([0.25, 0.25, 0.25]), 4)
    """

    x: FloatArray
    fun: float
    grad: FloatArray
    n_iter: int
    n_fev: int
    converged: bool
    message: str
    loss_history: NDArray[np.float64]
    path: FloatArray
    lr_history: NDArray[np.float64]

    def __repr__(self) -> str:
        return (
            f"OptimizeResult(converged={self.converged}, message={self.message!r}, n_iter={self.n_iter}, "
            f"fun={self.fun:.6g}, x={np.array2string(self.x, precision=6, threshold=8)})"
        )


@dataclass(frozen=True)
class StepInfo:
    """What a callback sees after step ``iteration``: the new iterate ``x``,
    the objective ``value`` and gradient norm there, and the ``lr`` used.

    Parameters
    ----------
    iteration : int
        The step just taken, from 1.
    x : ndarray
        The iterate after it (a copy).
    value : float
        The objective there, penalty included.
    grad_norm : float
        The norm of the gradient there.
    lr : float
        The learning rate of the step.

    Examples
    --------
    >>> from descend import minimize
    >>> seen = []
    >>> result = minimize(lambda x: (x @ x, 2 * x), [1.0], "sgd", lr=0.25, max_iter=5, tol=None,
    ...                   callbacks=lambda info: seen.append(info) or info.iteration == 2)
    >>> seen[-1]
    StepInfo(iteration=2, x=array([0.25]), value=0.0625, grad_norm=0.5, lr=0.25)
    >>> result.message
    'stopped by a callback at iteration 2'
    """

    iteration: int
    x: FloatArray
    value: float
    grad_norm: float
    lr: float


def _as_x0(x0: ArrayLike) -> FloatArray:
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


def _as_bounds(
    bounds: tuple[ArrayLike, ArrayLike] | None, x: FloatArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
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


def _as_callbacks(
    callbacks: Iterable[Callable[[StepInfo], bool | None]] | Callable[[StepInfo], bool | None],
) -> list[Callable[[StepInfo], bool | None]]:
    if callable(callbacks):
        return [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {cb!r}")
    return callbacks


def _as_penalty(penalty: object) -> ElasticNet | None:
    if penalty is not None and not isinstance(penalty, ElasticNet):
        raise TypeError(f"penalty must be a descend.penalties object (L1, L2, ElasticNet), got {penalty!r}")
    return penalty


def _check_line_search(line_search: bool, optimizer: Optimizer) -> None:
    # The Armijo rule judges the step x - lr * g; an optimizer with memory or decay takes another step.
    if line_search and not (isinstance(optimizer, SGD) and optimizer.momentum == 0 and optimizer.weight_decay == 0):
        raise ValueError(
            f"line_search is for plain gradient descent: use optimizer='sgd' without momentum "
            f"or weight decay, not {optimizer!r}"
        )


def _check_record(record: object) -> bool:
    if not isinstance(record, (bool, np.bool_)):
        raise TypeError(f"record must be True or False, got {type(record).__name__}: {record!r}")
    return bool(record)


def minimize(
    fun: Callable[[FloatArray], tuple[float, ArrayLike] | float],
    x0: ArrayLike,
    optimizer: str | Optimizer = "adam",
    *,
    jac: bool | str = True,
    schedule: float | Callable[[int], float] | None = None,
    penalty: ElasticNet | None = None,
    bounds: tuple[ArrayLike, ArrayLike] | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    callbacks: Iterable[Callable[[StepInfo], bool | None]] | Callable[[StepInfo], bool | None] = (),
    lr: float | None = None,
    line_search: bool = False,
    record: bool = True,
) -> OptimizeResult:
    """Minimize ``fun`` from ``x0`` by gradient descent (the loop: see the module's docstring).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)`` (``-> value`` when ``jac`` is a name), called once per iterate, in order.
    x0 : array-like, 1-D
        Starting point. Not modified.
    optimizer : str or Optimizer
        A name from :data:`descend.optimizers.OPTIMIZER_NAMES` or an instance.
    jac : True, "autograd", "2-point" or "3-point"
        ``True``: ``fun`` returns the gradient; a name: autograd's or finite differences' (:mod:`descend.gradients`).
    schedule : callable or float, optional
        Learning rate of step t = 1, 2, ... (asked only for the steps taken), overriding the optimizer's; one
        with ``observe(loss)`` (:class:`~descend.schedules.ReduceOnPlateau`) sees each objective first.
    penalty : descend.penalties.ElasticNet (or L1, L2), optional
        Added to the objective: the L2 part joins the gradient, the L1 part is a proximal step after each step.
    bounds : (low, high), optional
        Scalars or arrays: x is projected onto the box after every step. ``x0`` must lie inside.
    max_iter : int
        Most steps to take.
    tol : float or None
        Stop when the gradient's norm falls below ``tol`` (with bounds or an L1 penalty, the gradient
        mapping's: see the module's docstring). ``None`` runs all ``max_iter`` steps.
    callbacks : callable or sequence of callables
        Each is called with a :class:`StepInfo` after every step; ``True`` stops the run.
    lr : float, optional
        Learning rate, overriding a named optimizer's default.
    line_search : bool
        A backtracking (Armijo) line search, for ``optimizer="sgd"`` without momentum or weight decay.
    record : bool
        ``False`` keeps only the last iterate in ``path``, ``loss_history``, ``lr_history`` (a DivergenceError's too).

    Returns
    -------
    OptimizeResult
        The last iterate, why the run stopped, and the rows of the run; ``n_fev`` counts the calls of ``fun``.

    Raises
    ------
    DivergenceError
        When a value or gradient stops being finite, or the objective explodes (see the module's docstring);
        its ``path`` and ``loss_history`` hold the finite iterates up to there.
    ValueError
        For a bad argument (``x0`` empty, not finite or out of the bounds, ``line_search`` with another
        optimizer, ...), or a value or gradient not finite at ``x0``.
    TypeError
        For an argument of the wrong type (``fun`` not callable or not returning a pair, ...).

    Examples
    --------
    >>> from descend import minimize
    >>> def fun(x):  # (x - 1)'(x - 1) and its gradient
    ...     return float((x - 1) @ (x - 1)), 2 * (x - 1)
    >>> result = minimize(fun, [0.0, 0.0], "sgd", lr=0.1)
    >>> result.converged, result.n_iter, result.x.round(6)
    (True, 67, array([1., 1.]))
    >>> minimize(fun, [0.0, 0.0], "sgd", lr=0.1, bounds=(-0.5, 0.5)).x  # projected
    array([0.5, 0.5])
    """
    run = _Run(fun, x0, optimizer, jac, schedule, penalty, bounds, max_iter, tol, callbacks, lr, line_search, record)
    try:
        run.descend()
    except DivergenceError as error:
        # Keep the finite part of the way there: a picture of a divergence needs it.
        error.path, error.loss_history = run.history.path_and_losses()
        raise
    return run.result()


class _History:
    """The rows of the result as the run makes them: iterates, objectives and, when they vary, rates.

    Arrays allocated ahead (room for 1024 rows, or 8 MB of them when x is
    large) and grown by doubling up to ``max_iter + 1`` rows, so a row costs
    two assignments and nothing is stacked at the end; ``rows`` counts the
    rows written. Without ``keep`` every row is written over the first,
    which so holds the last iterate.
    """

    FIRST_ROWS, FIRST_BYTES = 1024, 8 << 20

    def __init__(self, x: FloatArray, value: float, max_iter: int, keep: bool, with_rates: bool) -> None:
        self.keep, self.most = keep, max_iter + 1
        first = max(2, min(self.FIRST_ROWS, self.FIRST_BYTES // x.nbytes))
        size = min(self.most, first) if keep else 1
        self.path = np.empty((size, x.size), dtype=x.dtype)
        self.losses = np.empty(size)
        # rates[r] is the rate of the step that led to row r (rates[0] is unused while keeping).
        self.rates = np.empty(size) if with_rates else None
        self.path[0], self.losses[0] = x, value
        self.rows = 1

    def grow(self) -> tuple[FloatArray, NDArray[np.float64], NDArray[np.float64] | None, int]:
        """Double the room: ``(path, losses, rates, room)``, the new arrays and their length."""
        used, size = len(self.losses), min(2 * len(self.losses), self.most)
        path = np.empty((size, self.path.shape[1]), dtype=self.path.dtype)
        path[:used] = self.path
        losses = np.empty(size)
        losses[:used] = self.losses
        self.path, self.losses = path, losses
        if self.rates is not None:
            rates = np.empty(size)
            rates[:used] = self.rates
            self.rates = rates
        return self.path, self.losses, self.rates, size

    def path_and_losses(self) -> tuple[FloatArray, NDArray[np.float64]]:
        """The rows written: the arrays themselves when full, else copies (so the unused room is let go)."""
        if self.rows == len(self.losses):
            return self.path, self.losses
        return self.path[: self.rows].copy(), self.losses[: self.rows].copy()

    def rates_of(self, steps: int, fixed_rate: float | None) -> NDArray[np.float64]:
        """The rates of the ``steps`` steps taken (of the last one only, without ``keep``)."""
        kept = steps if self.keep else min(steps, 1)
        if self.rates is None:
            return np.full(kept, fixed_rate)
        return self.rates[self.rows - kept : self.rows].copy()


class _Run:
    r"""One call of :func:`minimize`: its checked arguments and the state carried from step to step.

    With :math:`F(x) = f(x) + P(x)` the objective (``fun`` plus the penalty),
    after step k the run holds ``x`` :math:`= x_k`, ``objective``
    :math:`= F(x_k)`, ``full_grad`` :math:`= \nabla f(x_k) + \nabla P_2(x_k)`
    (the smooth, L2 part of the penalty; its L1 part is left to the
    projection) and ``grad_sq`` :math:`= \|\nabla f(x_k) + \nabla P_2(x_k)\|^2`;
    ``history`` holds the rows of the result so far.

    The methods are the lines of the module's pseudo-code: ``evaluate``
    (F and its gradient), ``rate_of_step``, ``mapping_norm`` (the test
    against ``tol`` under a projection), the optimizer's step or
    ``line_search_step`` (each ending in ``project``), ``explosion``;
    ``descend`` strings them together.
    """

    def __init__(
        self,
        fun: Callable[[FloatArray], tuple[float, ArrayLike] | float],
        x0: ArrayLike,
        optimizer: str | Optimizer,
        jac: bool | str,
        schedule: float | Callable[[int], float] | None,
        penalty: ElasticNet | None,
        bounds: tuple[ArrayLike, ArrayLike] | None,
        max_iter: int,
        tol: float | None,
        callbacks: Iterable[Callable[[StepInfo], bool | None]] | Callable[[StepInfo], bool | None],
        lr: float | None,
        line_search: bool,
        record: bool,
    ) -> None:
        """Check the arguments in the order of :func:`minimize`'s signature, then evaluate F at x_0."""
        if not callable(fun):
            raise TypeError(f"fun must be callable, returning (value, gradient); got {type(fun).__name__}")
        self.x = _as_x0(x0)
        self.optimizer = get_optimizer(optimizer, **({} if lr is None else {"lr": lr}))
        self.fun = value_and_grad(fun, jac)
        self.calls_per_point = fun_calls_per_point(jac, self.x.size)
        # Without a schedule every step runs at the optimizer's own rate, read once.
        self.lr_at = self.fixed_rate = None
        if schedule is None:
            self.fixed_rate = self.optimizer.lr
        else:
            self.lr_at = as_schedule(schedule)
        self.penalty = _as_penalty(penalty)
        self.box = _as_bounds(bounds, self.x)
        self.max_iter = check_integer("max_iter", max_iter, low=0)
        self.tol = check_tolerance(tol)
        self.callbacks = _as_callbacks(callbacks)
        _check_line_search(line_search, self.optimizer)
        if self.optimizer.needs_objective and (
            (self.penalty is not None and self.penalty.l1 > 0) or self.box is not None
        ):
            raise ValueError(
                f"{self.optimizer!r} needs a smooth objective: no L1 penalty and no bounds (use "
                "optimizer='sgd' for their proximal and projected steps)"
            )
        self.line_search = line_search
        record = _check_record(record)
        self.observe = getattr(self.lr_at, "observe", None)
        self.has_prox = self.penalty is not None and self.penalty.l1 > 0
        self.projects = self.has_prox or self.box is not None

        self.trials = 0  # points the line search tried, or the optimizer within its steps (L-BFGS)
        self.shape, self.dtype = self.x.shape, self.x.dtype
        self.objective, self.full_grad, self.grad_sq = self.evaluate(self.x, 0)
        self.start_objective = self.objective
        self.explosion_gap = EXPLOSION_FACTOR * max(1.0, abs(self.objective))
        self.state = self.optimizer.init(self.x)
        # The rates vary from step to step under a schedule or a line search; else they are the one fixed_rate.
        self.history = _History(self.x, self.objective, self.max_iter, record, self.lr_at is not None or line_search)
        self.converged, self.message, self.k = False, "", 0

    def descend(self) -> None:
        """Take steps until a stopping rule holds; it sets ``converged`` and ``message``.

        The pseudo-code's loop. What changes from step to step lives in local
        names (an attribute costs a dictionary look-up each time); ``finally``
        hands it back to ``self`` however the loop ends, a DivergenceError too.
        """
        x, objective, grad, grad_sq = self.x, self.objective, self.full_grad, self.grad_sq
        update, state, evaluate, observe = self.optimizer.update, self.state, self.evaluate, self.observe
        needs_objective = self.optimizer.needs_objective
        fixed_rate, tol, max_iter, projects = self.fixed_rate, self.tol, self.max_iter, self.projects
        line_search, callbacks, start, gap = self.line_search, self.callbacks, self.start_objective, self.explosion_gap
        history = self.history
        path, losses, rates, room = history.path, history.losses, history.rates, len(history.losses)
        k, row, advance = 0, 0, int(history.keep)
        # The rate of the last step taken (before the first, the optimizer's): the gradient mapping's, under a
        # projection. The schedule is asked for the rate of a step only once that step is to be taken.
        rate = fixed_rate if fixed_rate is not None else self.optimizer.lr
        try:
            while True:
                if tol is not None and (self.mapping_norm(x, grad, rate) if projects else math.sqrt(grad_sq)) < tol:
                    self.converged, self.message = True, f"gradient norm below tol={tol}"
                    return
                if k == max_iter:
                    self.message = f"reached max_iter={max_iter}"
                    return
                if observe is not None:
                    observe(objective)
                rate = fixed_rate if fixed_rate is not None else self.rate_of_step(k + 1)
                k += 1
                if line_search:
                    found = self.line_search_step(x, objective, grad, rate, k)
                    if found is None:
                        k -= 1
                        self.message = "line search found no decrease (the objective is flat to rounding here)"
                        return
                    rate, x, objective, grad, grad_sq = found
                else:
                    if needs_objective:  # L-BFGS: its iterations and line search evaluate F themselves
                        self.optimizer.minimize_step(self.inner_evaluation(k), x, objective, grad, state, rate)  # type: ignore[attr-defined]  # needs_objective: it has one
                    else:
                        update(x, grad, state, rate)
                    if projects:
                        self.project(x, rate)
                    objective, grad, grad_sq = evaluate(x, k)
                row += advance
                if row == room:
                    path, losses, rates, room = history.grow()
                path[row] = x
                losses[row] = objective
                if rates is not None:
                    rates[row] = rate
                if objective - start > gap:
                    raise self.explosion(k, objective)
                if callbacks and self.a_callback_stops(k, x, objective, grad_sq, rate):
                    self.message = f"stopped by a callback at iteration {k}"
                    return
        finally:
            self.x, self.objective, self.full_grad, self.grad_sq, self.k = x, objective, grad, grad_sq, k
            history.rows = row + 1

    def inner_evaluation(self, k: int) -> Callable[[FloatArray], tuple[float, FloatArray]]:
        """``point -> (F, gradient)`` for an optimizer's own evaluations within step k (L-BFGS's), counted
        in ``trials``."""

        def evaluate(point: FloatArray) -> tuple[float, FloatArray]:
            self.trials += 1
            return self.evaluate(point, k)[:2]

        return evaluate

    def evaluate(self, point: FloatArray, k: int) -> tuple[float, FloatArray, float]:
        r""":math:`(F(p), g, \|g\|^2)` at ``point`` p, with g = :math:`\nabla f(p) + \nabla P_2(p)`: ``fun``, checked.

        A non-finite value or gradient at x_0 (``k == 0``) is bad input, a
        ValueError; at a later iterate the run has diverged. :math:`\|g\|^2`
        is finite exactly when every coordinate of g is, unless it overflows
        (coordinates beyond 1e154): only then are the coordinates looked at.
        """
        out = self.fun(point.copy())
        try:
            value, grad = out
        except (TypeError, ValueError):
            raise TypeError(
                f"fun must return a pair (value, gradient), got {type(out).__name__} (for a fun that "
                f"returns the value alone, pass jac='autograd', '2-point' or '3-point')"
            ) from None
        value = float(value)
        if type(grad) is not np.ndarray or grad.dtype is not self.dtype:
            grad = np.asarray(grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"fun returned a gradient of shape {grad.shape}, but x0 has shape {self.shape}")
        if self.penalty is not None:
            value, grad = value + self.penalty.value(point), grad + self.penalty.smooth_grad(point)
        grad_sq = squared_norm(grad)
        if not (math.isfinite(value) and math.isfinite(grad_sq)):
            self.check_finite(value, grad, k)
        return value, grad, grad_sq

    def check_finite(self, value: float, grad: FloatArray, k: int) -> None:
        """Raise unless ``value`` and every coordinate of ``grad`` are finite: a ValueError at x_0, else divergence."""
        if math.isfinite(value) and np.all(np.isfinite(grad)):
            return
        what = "value" if not math.isfinite(value) else "gradient"
        if k == 0:
            raise ValueError(f"fun returned a non-finite {what} at x0 (value={value})")
        raise DivergenceError(
            f"diverged at iteration {k}: fun returned a non-finite {what} (value={value}). "
            "Try a smaller learning rate.",
            iteration=k,
        )

    def rate_of_step(self, k: int) -> float:
        r"""The learning rate :math:`\gamma_k` of step k under the schedule (without one it is ``fixed_rate``)."""
        assert self.lr_at is not None  # a schedule: else every rate is fixed_rate
        rate = float(self.lr_at(k))
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"the schedule gave learning rate {rate} at step {k}; it must be finite and > 0")
        return rate

    def project(self, point: FloatArray, rate: float) -> None:
        r"""In place: ``point`` :math:`\leftarrow \Pi_{box}(\mathrm{prox}_{\gamma P_1}(point))`.

        The L1 prox (soft-thresholding by :math:`\gamma \alpha_1`), then the
        clip onto the bounds.
        """
        if self.has_prox:
            assert self.penalty is not None  # has_prox: an L1 penalty
            self.penalty.prox(point, rate)
        if self.box is not None:
            np.clip(point, self.box[0], self.box[1], out=point)

    def mapping_norm(self, point: FloatArray, full_grad: FloatArray, rate: float) -> float:
        r"""What ``tol`` is compared with under a projection: zero exactly at a constrained / composite minimum.

        The norm of the gradient mapping :math:`\|x - \Pi(x - \gamma g)\| / \gamma`,
        with :math:`\Pi` the projection above and :math:`\gamma` the rate of the
        last step taken. (Without one it is :math:`\|g\|`,
        which ``descend`` takes from ``grad_sq``.)
        """
        moved = point - rate * full_grad
        self.project(moved, rate)
        return float(np.linalg.norm(point - moved)) / rate

    def line_search_step(
        self, x: FloatArray, objective: float, full_grad: FloatArray, rate: float, k: int
    ) -> tuple[float, FloatArray, float, FloatArray, float] | None:
        r"""Step k by backtracking from ``rate``: ``(rate, x, F, g, |g|^2)`` accepted, or None when none is.

        Trial :math:`x^+ = \Pi(x - \gamma g)`, accepted when
        :math:`F(x^+) \le F(x) - c \|x^+ - x\|^2 / \gamma`, else
        :math:`\gamma \leftarrow \gamma / 2`, at most ``ARMIJO_MAX_BACKTRACKS``
        times. The accepted trial's F and gradient serve as the next iterate's.
        """
        for _ in range(ARMIJO_MAX_BACKTRACKS):
            trial = x - rate * full_grad
            self.project(trial, rate)
            self.trials += 1
            try:
                trial_objective, trial_grad, trial_grad_sq = self.evaluate(trial, k)
            except DivergenceError:  # the trial step overshot into overflow: shorten it
                rate *= ARMIJO_SHRINK
                continue
            moved = trial - x
            if trial_objective <= objective - ARMIJO_C * float(moved @ moved) / rate:
                return rate, trial, trial_objective, trial_grad, trial_grad_sq
            rate *= ARMIJO_SHRINK
        return None

    def explosion(self, k: int, objective: float) -> DivergenceError:
        r"""The error once the objective has exploded, :math:`F(x_k) - F(x_0) > E \cdot \max(1, |F(x_0)|)`.

        E is ``EXPLOSION_FACTOR``: the run is diverging, and waiting for the
        overflow to inf would only lose the trail.
        """
        return DivergenceError(
            f"diverged at iteration {k}: the objective grew from {self.start_objective:.6g} to "
            f"{objective:.6g}. Try a smaller learning rate.",
            iteration=k,
        )

    def a_callback_stops(self, k: int, x: FloatArray, objective: float, grad_sq: float, rate: float) -> bool:
        """Show every callback the step just taken; True when one of them asks to stop."""
        info = StepInfo(k, x.copy(), objective, math.sqrt(grad_sq), rate)
        # A list, not a generator: every callback sees every step, even after one has asked to stop.
        return any([bool(cb(info)) for cb in self.callbacks])

    def result(self) -> OptimizeResult:
        path, losses = self.history.path_and_losses()
        x, objective, grad = self.x, self.objective, self.full_grad
        estimate, extra_calls = self.optimizer.estimate(x, self.state), 0
        if estimate is not x:  # ASGD's average: the estimate is not the walk's last point
            x, extra_calls = estimate, self.calls_per_point
            objective, grad, _ = self.evaluate(x, self.k)
        return OptimizeResult(
            x=x,
            fun=objective,
            grad=grad,
            n_iter=self.k,
            n_fev=(1 + (self.trials if self.line_search else self.k + self.trials)) * self.calls_per_point
            + extra_calls,
            converged=self.converged,
            message=self.message,
            loss_history=losses,
            path=path,
            lr_history=self.history.rates_of(self.k, self.fixed_rate),
        )
