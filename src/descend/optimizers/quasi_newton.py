r"""Quasi-Newton steps: L-BFGS, for :func:`descend.minimize` (torch.optim.LBFGS's algorithm, each step
up to ``max_iter`` iterations under its line search) and for the full batch of the linear models (their
own line search, :mod:`descend.linear._steps`). Both take their directions from one two-loop recursion,
:meth:`LBFGS.direction`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_integer, check_nonnegative, check_positive
from ._base import Optimizer

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn, TypeAlias

    from .._typing import FloatArray

    #: The objective: a point -> (its value, its gradient).
    Evaluate: TypeAlias = Callable[[FloatArray], tuple[float, FloatArray]]
    #: L-BFGS's memory: the pairs (s, y) and their y's, oldest first.
    Memory: TypeAlias = list[tuple[FloatArray, FloatArray, float]]

__all__ = ["LBFGS"]

LINE_SEARCHES = (None, "strong_wolfe")


class LBFGSHyperparameters(NamedTuple):
    history_size: int


class LBFGS(Optimizer):
    r"""L-BFGS: quasi-Newton steps from the last few moves and gradient changes, under a line search.

    From the last ``history_size`` moves :math:`s_k = x_{k+1} - x_k` and gradient changes
    :math:`y_k = \nabla F(x_{k+1}) - \nabla F(x_k)` (a pair is kept when :math:`y_k^\top s_k` is
    positive), the two-loop recursion (Nocedal 1980, *Updating quasi-Newton matrices with limited
    storage*; Liu & Nocedal 1989) makes the direction :math:`d = -H \nabla F(x)`, H the BFGS
    approximation of the inverse Hessian started from :math:`H_0 = s^\top y / y^\top y` of the
    latest pair:

    .. math::

        q &\leftarrow -\nabla F, \qquad
            \alpha_i = \rho_i\, s_i^\top q,\quad q \leftarrow q - \alpha_i y_i
            \quad (i = k-1, \dots, k-m),\qquad \rho_i = 1 / y_i^\top s_i \\
        r &\leftarrow H_0\, q, \qquad
            r \leftarrow r + (\alpha_i - \rho_i\, y_i^\top r)\, s_i \quad (i = k-m, \dots, k-1),
            \qquad d = r

    **In** :func:`descend.minimize` each step is torch.optim.LBFGS's ``step``, and equal to it:
    up to ``max_iter`` iterations :math:`x \leftarrow x + t d`, the first of the run with
    :math:`t = \gamma \min(1, 1/\|\nabla F\|_1)` and the others :math:`t = \gamma`, or with
    ``line_search_fn="strong_wolfe"`` the step that meets the strong Wolfe conditions (cubic
    interpolation, Nocedal & Wright, *Numerical optimization*, algorithms 3.5-3.6, as minFunc and
    torch search); an iteration ends the step when :math:`\|\nabla F\|_\infty \le`
    ``tolerance_grad``, when the move or the objective's change is below ``tolerance_change``, or
    after ``max_eval`` evaluations. It needs the objective's values, a smooth objective: no L1
    penalty, no bounds.

    **In the linear models** (their full batch, ``batch_size=None``; the default there for a
    smooth loss without an L1 part) the step :math:`\theta + \eta d` starts at :math:`\eta = 1` and
    is halved until the objective falls by :math:`10^{-4}\, \eta\, |\nabla F^\top d|` below the
    largest of its last 10 values (a non-monotone Armijo rule, Grippo, Lampariello & Lucidi 1986).
    For squared error the objective is a quadratic, whose slope along d is linear in the step, so
    the step then moves on to where that slope vanishes, :math:`\eta^* = -\nabla F^\top d /
    d^\top H d` with :math:`d^\top H d = (\nabla F(\theta + \eta d) - \nabla F(\theta))^\top d /
    \eta`: with such exact steps L-BFGS on a quadratic takes conjugate directions (Nocedal & Wright,
    section 7.2), and a ridge fit of 2^20 hashed columns took 75 passes where the Armijo step took 404.
    Their first direction is the gradient times the inverse of the curvature measured on the data.
    Only ``history_size`` matters there. It is a gradient method: each step is a pass over the data.

    Parameters
    ----------
    lr : float
        The step :math:`\gamma` > 0 of an iteration without line search (the initial step of the
        line search).
    max_iter : int
        Iterations per step of ``minimize``, >= 1.
    max_eval : int or None
        Evaluations of the objective per step, >= 1; None is ``max_iter * 5 // 4``.
    tolerance_grad : float
        End a step when the gradient's largest entry is at most this, >= 0.
    tolerance_change : float
        End a step when the move's largest entry, or the objective's change, is below this, >= 0.
    history_size : int
        The pairs (s, y) kept, >= 1. torch's 100 by default; the name ``"lbfgs"`` keeps 10, as
        scipy's L-BFGS-B does, and so do the linear models when they choose it themselves.
    line_search_fn : None or "strong_wolfe"
        The line search of ``minimize``'s iterations: none (fixed steps), or the strong Wolfe conditions.

    Examples
    --------
    Rosenbrock's valley in three steps of up to 20 iterations (torch's ``tolerance_change`` of 1e-9
    would end each step's iterations early, once the objective changes less than that):

    >>> from descend import minimize
    >>> from descend.functions import get_function
    >>> from descend.optimizers import LBFGS
    >>> rosenbrock = get_function("rosenbrock")
    >>> optimizer = LBFGS(line_search_fn="strong_wolfe", tolerance_change=1e-15)
    >>> result = minimize(rosenbrock, rosenbrock.start, optimizer, max_iter=10)
    >>> result.converged, result.n_iter, result.x
    (True, 3, array([1., 1.]))

    The exact least-squares solution, with a condition number of 1e12, in the linear models:

    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 30)) * np.logspace(-3, 3, 30)
    >>> y = X @ rng.standard_normal(30)
    >>> model = GDRegressor(optimizer="lbfgs", penalty=None, tol=1e-10).fit(X, y)
    >>> exact = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]
    >>> bool(np.allclose(model.predict(X), np.c_[X, np.ones(200)] @ exact, rtol=1e-8)), model.n_iter_ < 200
    (True, True)
    """

    name = "lbfgs"
    Hyperparameters = LBFGSHyperparameters
    state_names = ()
    needs_objective = True

    def __init__(
        self,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        self.lr = check_positive("lr", lr)
        self.max_iter = check_integer("max_iter", max_iter, low=1)
        self.max_eval = None if max_eval is None else check_integer("max_eval", max_eval, low=1)
        self.tolerance_grad = check_nonnegative("tolerance_grad", tolerance_grad)
        self.tolerance_change = check_nonnegative("tolerance_change", tolerance_change)
        self.history_size = check_integer("history_size", history_size, low=1)
        if line_search_fn not in LINE_SEARCHES:
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        self.line_search_fn = line_search_fn

    def init(self, x: FloatArray) -> dict[str, Any]:
        return {"step": 0}

    def hyperparameters(self) -> LBFGSHyperparameters:
        return self.Hyperparameters(self.history_size)

    def direction(self, memory: Memory, gradient: FloatArray, first_step: float) -> FloatArray:
        """:math:`d = -H \\nabla F` by the two-loop recursion (the class docstring; Nocedal & Wright,
        *Numerical Optimization*, algorithm 7.4) over ``memory``, the pairs (s, y) oldest first, each
        with its :math:`\\rho = 1 / y^\\top s` and the latest's :math:`H_0`; with none,
        ``-first_step`` times the gradient.

        Parameters
        ----------
        memory : list of (ndarray, ndarray, float)
            The kept moves s, gradient changes y and their :math:`y^\top s`.
        gradient : ndarray
            :math:`\\nabla F` at the weights.
        first_step : float
            The step along the gradient when the memory is empty.

        Returns
        -------
        ndarray
            The direction, a new array.
        """
        from scipy.linalg import get_blas_funcs  # here: scipy.linalg takes a while to import

        if not memory:
            return -first_step * gradient
        # BLAS's axpy and dot, in place: on 2^20 weights NumPy's temporaries took twice as long.
        axpy, dot = get_blas_funcs(("axpy", "dot"), (gradient,))
        q = -gradient
        alphas = []
        for s, y, ys in reversed(memory):
            alpha = dot(s, q) * (1.0 / ys)
            q = axpy(y, q, a=-alpha)
            alphas.append(alpha)
        s, y, ys = memory[-1]
        r = q * (ys / dot(y, y))  # H0 = y's / y'y
        for (s, y, ys), alpha in zip(memory, reversed(alphas)):
            r = axpy(s, r, a=alpha - dot(y, r) * (1.0 / ys))
        return r

    def remember(self, memory: Memory, moved: FloatArray, change: FloatArray, threshold: float | None = None) -> Memory:
        """``memory`` with the pair (moved, change) and its :math:`y^\top s` added (the oldest dropped past
        ``history_size``), unless :math:`y^\\top s` is at most ``threshold`` (default: 1e-12
        :math:`y^\\top y`, so that H stays positive definite).

        Parameters
        ----------
        memory : list of (ndarray, ndarray, float)
            The kept pairs.
        moved, change : ndarray
            The step's move s and the gradient's change y.
        threshold : float, optional
            The least :math:`y^\\top s` of a pair kept.

        Returns
        -------
        list of (ndarray, ndarray, float)
            The pairs to keep.
        """
        ys = float(change @ moved)
        if ys > (1e-12 * float(change @ change) if threshold is None else threshold):
            return (memory + [(moved, change, ys)])[-self.history_size :]
        return memory

    def update(self, x: FloatArray, grad: FloatArray, state: dict[str, Any], lr: float | None = None) -> NoReturn:
        raise TypeError(
            "L-BFGS needs the objective's values as well as its gradient: minimize() gives them "
            "(minimize_step), and so do GDRegressor and GDClassifier on the full batch "
            "(batch_size=None)"
        )

    def minimize_step(
        self,
        evaluate: Evaluate,
        x: FloatArray,
        value: float,
        grad: FloatArray,
        state: dict[str, Any],
        lr: float | None = None,
    ) -> None:
        """One step of torch.optim.LBFGS (the class docstring): up to ``max_iter`` iterations on
        ``x``, in place, from ``value`` and ``grad`` at x; ``evaluate(point)`` gives (value,
        gradient) there. ``state`` keeps the memory between steps, as torch's does.

        Parameters
        ----------
        evaluate : callable
            ``point -> (value, gradient)``, the objective.
        x : ndarray
            The parameters, changed in place.
        value : float
            The objective at x.
        grad : ndarray
            Its gradient at x.
        state : dict
            From :meth:`init`, changed in place.
        lr : float, optional
            The step of this step's iterations; None means ``self.lr``.
        """
        lr = self.lr if lr is None else lr
        max_eval = self.max_iter * 5 // 4 if self.max_eval is None else self.max_eval
        state["step"] += 1
        if np.abs(grad).max() <= self.tolerance_grad:
            return
        loss, flat_grad = value, grad
        memory = state.setdefault("memory", [])
        n_iter, current_evals = 0, 1
        d, t = state.get("d"), state.get("t")
        while n_iter < self.max_iter:
            n_iter += 1
            state["n_iter"] = state.get("n_iter", 0) + 1
            if state["n_iter"] == 1:
                d = -flat_grad
                memory.clear()
            else:
                assert d is not None and t is not None  # kept by the step before
                memory[:] = self.remember(memory, d * t, flat_grad - state["prev_flat_grad"], threshold=1e-10)
                d = self.direction(memory, flat_grad, 1.0)
            state["prev_flat_grad"] = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -self.tolerance_change:
                break
            evals = 0
            if self.line_search_fn == "strong_wolfe":
                loss, flat_grad, t, evals = strong_wolfe(
                    evaluate,
                    x,
                    t,
                    d,
                    loss,
                    flat_grad,
                    gtd,
                    tolerance_change=self.tolerance_change,
                    max_ls=max_eval - current_evals,
                )
                x += t * d
                small_gradient = np.abs(flat_grad).max() <= self.tolerance_grad
            else:
                x += t * d
                small_gradient = False
                if n_iter != self.max_iter:
                    loss, flat_grad = evaluate(x)
                    small_gradient = np.abs(flat_grad).max() <= self.tolerance_grad
                    evals = 1
            current_evals += evals
            if (
                n_iter == self.max_iter
                or current_evals >= max_eval
                or small_gradient
                or np.abs(d * t).max() <= self.tolerance_change
                or abs(loss - prev_loss) < self.tolerance_change
            ):
                break
        state["d"], state["t"] = d, t


def cubic_minimum(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, within
    ``bounds`` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(position, low), high)
    return (low + high) / 2.0


def strong_wolfe(
    evaluate: Evaluate,
    x: FloatArray,
    t: float,
    d: FloatArray,
    f: float,
    g: FloatArray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, FloatArray, float, int]:
    """(value, gradient, step, evaluations) of a step t along d from x that meets the strong Wolfe
    conditions, :math:`F(x + td) \\le F(x) + c_1 t g^\\top d` and :math:`|\\nabla F(x + td)^\\top d|
    \\le c_2 |g^\\top d|`: a bracket by growing steps, then zoomed by cubic interpolation (Nocedal &
    Wright, algorithms 3.5 and 3.6, in torch.optim.LBFGS's form, step for step)."""
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(x + t * d)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev: float
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:  # bracketing
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        previous = t
        t = cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new, gtd_new
        f_new, g_new = evaluate(x + t * d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:  # zoom
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(x + t * d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = (
                    bracket[low],
                    bracket_f[low],
                    bracket_g[low],
                    bracket_gtd[low],
                )
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals
