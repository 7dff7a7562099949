r"""The exact minimizer of a full-batch objective whose loss has kinks, found from the smoothed one.

The quantile, epsilon-insensitive, hinge and perceptron losses are linear between their kinks
(:func:`descend.losses.kinks`). Their full-batch fits minimize smoothed versions, ever closer to
them (:mod:`descend.linear._trainer`); gradient descent gets the objective's value to 1e-6 that
way, but the weights only slowly, for the kinked objective is not strongly convex along the rows
that sit on a kink. Those rows are what the smoothed fit reveals: a row whose smoothed slope lies
strictly inside its kink's subdifferential is on the kink at the optimum, and, under an L1
penalty, the weights that are exactly zero stay zero. With those two sets guessed, the
optimality conditions of the kinked objective (weights :math:`s_i`, :math:`S = \sum_i s_i`, the
loss's slope :math:`g_i` at row i, the rows :math:`\tilde x_i` in the steps' coordinates)

.. math::

    \tfrac1S \sum_i s_i g_i \tilde x_{ij} + \lambda_{2,j} w_j + \lambda_{1,j} \operatorname{sign} w_j = 0
    \quad (w_j \ne 0), \qquad \tfrac1S \sum_i s_i g_i = 0 \quad \text{(the intercept)}, \qquad
    \tilde x_i^\top w + b = \kappa_i \quad (i \text{ on its kink } \kappa_i)

are linear in :math:`(w, b, g_Z)`: off the kinks :math:`g_i` is the loss's known slope, on them
it is unknown. Their solution is the minimizer exactly when every :math:`g_i` of a row on a kink
lies between the kink's one-sided slopes, every other row stays on its side of its kinks, every
weight keeps its sign and every zero weight's gradient lies within :math:`\lambda_{1,j}`: the KKT
conditions, which suffice for a convex objective (:meth:`_Objective.optimal` tests them at any
point, finding the multipliers by bounded least squares where more rows meet than the weights
pin). Where one fails, the sets change one row or weight at a time and the system is solved
again, the weights moving only along exact line searches of the kinked objective
(:meth:`_Objective.line_minimum`), so that every round lowers it: an active-set method, as for
quadratic programs (Nocedal & Wright, *Numerical Optimization*, 2006, ch. 16). At a degenerate
point, where releasing rows one by one could cycle, the move is along the steepest descent, minus
the smallest subgradient (Wolfe 1975). If the sets have not settled within :data:`MAX_ROUNDS`, or
the system would be larger than :data:`MAX_UNKNOWNS`, the fit goes on smoothing instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .._engine.reference import data_matrix, steps_rows, targets
from .._engine.step import penalty_value
from ..losses import kinks, loss_and_derivative

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TypeAlias

    from .._engine.problem import Data, Model, SparseData
    from .._typing import BoolArray, FloatArray, IntArray
    from ..losses import Loss

    #: A move (dw, db) of the weights and the intercept.
    Move: TypeAlias = tuple[FloatArray, float]
    #: How far a solution misses the conditions (_ActiveSet._verdict): each row's slope outside its
    #: kink's interval, each zero weight's gradient past its l1, and the gradient.
    Verdict: TypeAlias = tuple[FloatArray, FloatArray, FloatArray]

__all__ = ["kinked_minimizer", "MAX_ROUNDS", "MAX_UNKNOWNS"]

#: Corrections of the two sets before giving up (each costs a few passes over the rows).
MAX_ROUNDS = 60
#: The largest system (weights + intercept + rows on kinks) solved densely.
MAX_UNKNOWNS = 4000
# A slope this far outside its kink's interval, or a gradient this far past its L1 weight, is a
# violated condition; closer is rounding in the solve.
SLACK = 1e-9
# A score this close to a kink (relative to it) is on it: the solves round to about this.
ON_KINK = 1e-10


def _on_kink(p: FloatArray, kink: FloatArray, tolerance: float = ON_KINK) -> BoolArray:
    """Whether each score lies on its kink, up to the rounding of the solves."""
    return np.abs(p - kink) <= tolerance * (1.0 + np.abs(kink))


class _Standardized:
    """The training rows of an engine Data (or SparseData) in the steps' coordinates, as ``model``
    takes them ((x - center) * scale, or as they are), without forming them all: their scores, X~'c,
    and a few rows (:func:`descend._engine.reference.steps_rows`)."""

    def __init__(self, data: Data | SparseData, rows: IntArray, model: Model, n_features: int) -> None:
        self.data, self.model, self.n_features = data, model, n_features
        X = data_matrix(data, n_features)
        self.rows_used = rows
        self.X = X if np.array_equal(rows, np.arange(X.shape[0])) else X[rows]
        self.center = None if model.center is None else model.center.astype(np.float64)
        self.scale = None if model.scale is None else model.scale.astype(np.float64)

    def scores(self, w: FloatArray, b: float) -> FloatArray:
        v = w if self.scale is None else w * self.scale
        out = np.asarray(self.X @ v, dtype=np.float64).ravel() + b
        return out if self.center is None else out - self.center @ v

    def transposed_times(self, c: FloatArray) -> FloatArray:
        out = np.asarray(self.X.T @ c, dtype=np.float64).ravel()
        if self.center is not None:
            out -= self.center * c.sum()
        return out if self.scale is None else out * self.scale

    def rows(self, index: IntArray) -> FloatArray:
        R = steps_rows(self.data, self.rows_used[index], self.model, self.n_features)
        return R.toarray() if sp.issparse(R) else np.asarray(R, dtype=np.float64)


def kinked_minimizer(
    data: Data | SparseData,
    rows: IntArray,
    model: Model,
    loss: Loss,
    l1: FloatArray,
    l2: FloatArray,
    smoothing: float,
) -> tuple[FloatArray, float] | None:
    """(theta, objective): the weights (as ``model.theta``) minimizing the kinked objective over the
    rows ``rows`` of ``data`` (an engine Data or SparseData, ``model`` as :meth:`Stepper.problem`
    packs it), found from ``model.theta``, the minimizer of the loss smoothed by ``smoothing``, and
    the objective there; None where the active-set method does not settle. ``l1`` and ``l2``: the
    penalty's weights in the steps' coordinates."""
    view = _Standardized(data, rows, model, len(l1))
    s = np.asarray(data.weights[rows], dtype=np.float64) if data.weights.size else np.ones(len(rows))
    target = targets(data.y[rows], model.n_out).astype(np.float64)
    start = model.theta.reshape(model.n_out, -1).astype(np.float64)
    found, objective = start.copy(), 0.0
    for k in range(model.n_out):  # the objective is a sum over the outputs: each minimized on its own
        output = _ActiveSet(view, target[:, k], s, loss, model.fit_intercept, l1, l2)
        solved = output.solve(start[k, :-1], start[k, -1], smoothing)
        value = None if solved is None else output.objective(*solved)
        if solved is None or value is None or value > output.objective(start[k, :-1], start[k, -1]):
            return None
        found[k, :-1], found[k, -1] = solved
        objective += value
    return found.ravel(), objective


class _Objective:
    """One output's kinked objective: its rows, targets and weights, its loss and penalty; its exact
    minimum along a line, and the test of a point's optimality."""

    def __init__(
        self,
        rows: _Standardized,
        target: FloatArray,
        s: FloatArray,
        loss: Loss,
        fit_intercept: bool,
        l1: FloatArray,
        l2: FloatArray,
    ) -> None:
        self.rows, self.target, self.s, self.total = rows, target, s, s.sum()
        self.code, self.parameter, self.fit_intercept = loss.code, loss.parameter, fit_intercept
        n_features = rows.X.shape[1]
        self.l1, self.l2 = (np.array(np.broadcast_to(v, n_features), dtype=np.float64) for v in (l1, l2))
        self.positions, self.left, self.right = kinks(target, loss.code, loss.parameter)

    def slope(self, p: FloatArray, smoothing: float = 0.0) -> FloatArray:
        return loss_and_derivative(p, self.target, self.code, (self.parameter, smoothing))[1]

    def nearest(self, p: FloatArray) -> Iterator[FloatArray]:
        """Each row's nearest kink and the slopes either side of it."""
        pick = np.abs(p[:, None] - self.positions).argmin(axis=1)[:, None]
        return (np.take_along_axis(a, pick, axis=1)[:, 0] for a in (self.positions, self.left, self.right))

    def objective(self, w: FloatArray, b: float) -> float:
        loss = loss_and_derivative(self.rows.scores(w, b), self.target, self.code, (self.parameter, 0.0))[0]
        return float(self.s @ loss) / self.total + penalty_value(np.append(w, b), 1, self.l1, self.l2)

    def optimal(self, w: FloatArray, b: float) -> tuple[bool, Move | None]:
        """Whether (w, b) minimizes the objective, and else the steepest way down from it.

        It does when multipliers for the rows on kinks exist within their kinks' intervals that zero
        the gradient of the free weights and the intercept, and every zero weight's gradient is
        within its l1. The multipliers nearest to that are a bounded least-squares problem (BVLS);
        what remains is the objective's smallest subgradient there, and minus it the direction of
        steepest descent (Wolfe 1975). The test for points where more rows meet than the weights pin
        (ties, one-hot columns), which the square system cannot judge.
        """
        from scipy.optimize import lsq_linear  # scipy.optimize is slow to import; only this needs it

        p = self.rows.scores(w, b)
        near, low, high = self.nearest(p)
        at = (self.s > 0) & _on_kink(p, near)
        off = np.where(at, 0.0, self.s * self.slope(p))
        free = (self.l1 == 0) | (w != 0)
        gradient_off = self.rows.transposed_times(off) / self.total + self.l2 * w + self.l1 * np.sign(w)
        target = -gradient_off[free]
        if self.fit_intercept:
            target = np.append(target, -off.sum() / self.total)
        Z = np.flatnonzero(at)
        if len(Z) > MAX_UNKNOWNS:
            return False, None
        g = off.copy()
        if len(Z):
            A = self._constraints(Z, free).T * (self.s[Z] / self.total)
            fit = lsq_linear(A, target, bounds=(low[Z], high[Z]), method="bvls")
            subgradient = A @ fit.x - target
            g[Z] = self.s[Z] * fit.x
        else:
            subgradient = -target
        dw = np.zeros(len(w))
        dw[free] = -subgradient[: int(free.sum())]
        steepest = dw, (-subgradient[-1] if self.fit_intercept else 0.0)
        if np.linalg.norm(subgradient) > 1e-9 * max(1.0, np.linalg.norm(target)):  # type: ignore[operator]  # NumPy stubs: max(float, floating)
            return False, steepest
        gradient = self.rows.transposed_times(g) / self.total + self.l2 * w
        return bool(np.all(np.abs(gradient[~free]) <= self.l1[~free] * (1 + SLACK) + SLACK)), steepest

    def _side_slopes(self, p: FloatArray, kappa: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
        """The loss's slope at each row, one-sided at a kink: the side p is on (the lower one at it)."""
        slope = self.slope(p)
        at = p == kappa
        slope[at] = low[at]
        return slope

    def line_minimum(
        self, w: FloatArray, b: float, dw: FloatArray, db: float, limit: float = 1.0
    ) -> tuple[float, BoolArray]:
        """The t in [0, limit] minimizing the objective at (w + t dw, b + t db), exactly, and the weights
        that reach zero there: along a line the objective is convex and piecewise quadratic, its
        derivative jumping up where a row crosses a kink or a weight crosses zero."""
        p, q = self.rows.scores(w, b), self.rows.scores(dw, db)
        live = (q != 0) & (self.s > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            at_rows = np.where(live[:, None], (self.positions - p[:, None]) / q[:, None], -1.0)
            at_weights = np.where((dw != 0) & (self.l1 > 0), -w / dw, -1.0)
        jumps_rows = (self.s * np.abs(q))[:, None] * (self.right - self.left) / self.total
        times = np.concatenate([at_rows.ravel(), at_weights])
        jumps = np.concatenate([np.broadcast_to(jumps_rows, at_rows.shape).ravel(), 2 * self.l1 * np.abs(dw)])
        inside = (times > 1e-12) & (times < limit)
        order = np.argsort(times[inside], kind="stable")
        times, jumps = times[inside][order], jumps[inside][order]
        curvature = float(self.l2 @ (dw * dw))
        # the derivative on the first piece, measured in its middle, then extrapolated to t = 0
        t = 0.5 * (times[0] if len(times) else min(limit, 1.0))
        slope = (
            float((self.s * q) @ self.slope(p + t * q)) / self.total
            + float(self.l1 @ (dw * np.sign(w + t * dw)))
            + float(self.l2 @ (dw * (w + t * dw)))
        )
        before = slope - curvature * t + np.concatenate([[0.0], np.cumsum(jumps)])  # F' = before_k + c t
        ends = np.append(times, limit)
        with np.errstate(invalid="ignore"):  # curvature 0 times an infinite limit
            rising = np.flatnonzero(before + np.nan_to_num(curvature * ends, nan=0.0) >= 0)
        if len(rising) == 0:
            return limit, np.zeros(len(w), dtype=bool)
        k = rising[0]
        start = times[k - 1] if k > 0 else 0.0
        best = max(start, -before[k] / curvature) if curvature > 0 else start
        if limit == 1.0 and best > 1.0 - 1e-9:
            best = 1.0  # the solution itself, up to the rounding of the extrapolation
        stopped = (at_weights > 0) & np.isclose(at_weights, best, rtol=1e-12, atol=0.0)
        return float(best), stopped

    def _constraints(self, Z: IntArray, free: BoolArray) -> FloatArray:
        """The rows ``Z`` as constraints on the free weights and the intercept: [x~_A, 1]."""
        R = self.rows.rows(Z)[:, np.flatnonzero(free)]
        return np.column_stack([R, np.ones(len(Z))]) if self.fit_intercept else R


class _ActiveSet(_Objective):
    """The active-set method on one output's objective (the module docstring)."""

    def solve(self, w: FloatArray, b: float, smoothing: float) -> Move | None:
        """(w, b) satisfying the KKT conditions (the module docstring), or None.

        Each round solves the conditions for the current sets and returns the solution if it
        satisfies them all. If not, it moves from the current point towards the solution as far as
        the objective falls (:meth:`line_minimum`, exact), so that every round lowers it, and takes
        the sets again where it stopped: rows that reached a kink join. Where the solution satisfies
        its own sets but a row's slope is out of its kink's interval, that row alone leaves, towards
        the side it points to (or the zero weight whose gradient is farthest past l1 may move), as
        active-set methods make their changes. Where the rows left on kinks pin the weights too
        loosely for a solution (no L2 part: a linear program's edge), the move is along the edge.
        """
        p = self.rows.scores(w, b)
        kappa, low, high = self.nearest(p)
        smoothed = self.slope(p, smoothing)
        on_kink = (self.s > 0) & (smoothed > low) & (smoothed < high)
        slope = self._side_slopes(p, kappa, low, high)
        free, sign, released = (self.l1 == 0) | (w != 0), np.sign(w), None
        if not self._worth_trying(on_kink, p, kappa, slope, free, sign, b):
            return None
        for _ in range(MAX_ROUNDS):
            on_kink = self._independent(on_kink, p, kappa, free)
            solved = self._conditions(on_kink, kappa, slope, free, sign, b)
            direction: Move | None
            verdict: Verdict | None
            direction, limit, verdict = None, np.inf, None
            if solved is None and released is not None:
                direction = self._edge(on_kink, free, released, slope, low)
            elif solved is not None:
                w_new, b_new, g = solved
                verdict = self._verdict(w_new, b_new, g, on_kink, slope, low, high, free, sign)
                if verdict is None:
                    return w_new, b_new
                size = max(np.abs(w).max(initial=0.0), abs(b), 1.0)
                if max(np.abs(w_new - w).max(initial=0.0), abs(b_new - b)) > 1e-12 * size:
                    direction, limit = (w_new - w, b_new - b), 1.0
            t, stopped = (0.0, None) if direction is None else self.line_minimum(w, b, *direction, limit=limit)  # type: ignore[misc]  # mypy: *(union of 2-tuples)
            if not 0.0 < t < np.inf:
                # Nothing to move to, no descent towards it, or already there, where releasing rows
                # one by one could cycle among the many sets of a degenerate point: steepest descent.
                optimal, direction = self.optimal(w, b)
                if optimal or direction is None:
                    return (w, b) if optimal else None
                limit, verdict = np.inf, None
                t, stopped = self.line_minimum(w, b, *direction, limit=limit)
                if not 0.0 < t < np.inf:
                    return None
            assert direction is not None  # t > 0: there was a direction to move along
            w, b = w + t * direction[0], b + t * direction[1]
            w[stopped] = 0.0
            p, kappa, low, high, on_kink, slope, free, sign = self._regroup(w, b, on_kink, kappa, low, high)
            released = None
            if verdict is not None and limit == 1.0 and t == 1.0:  # at the solution: one change
                released = self._one_change(verdict, g, on_kink, slope, low, high, free, sign)
        return None

    def _worth_trying(
        self,
        on_kink: BoolArray,
        p: FloatArray,
        kappa: FloatArray,
        slope: FloatArray,
        free: BoolArray,
        sign: FloatArray,
        b: float,
    ) -> bool | np.bool_:
        """Whether the rows in the smoothing's reach could be those on the kinks at the optimum, and
        the system small enough to solve densely. They could if they are not far more (distinct) than
        can meet at a point, or, if they are, when the point their independent rows pin puts nearly
        all of them on their kinks: a degenerate optimum (weights near zero for a class that no
        line separates, one-hot columns). Else it is too early, the smoothing still wide."""
        room = int(free.sum()) + int(self.fit_intercept)
        Z = np.flatnonzero(on_kink)
        if room > MAX_UNKNOWNS or len(Z) > MAX_UNKNOWNS:
            return False
        if len(Z) <= 2 * room + 8:
            return True
        distinct = np.unique(np.column_stack([self.rows.rows(Z), kappa[Z]]), axis=0)  # repeated rows meet too
        if len(distinct) <= 2 * room + 8:
            return True
        solved = self._conditions(self._independent(on_kink, p, kappa, free), kappa, slope, free, sign, b)
        if solved is None:
            return False
        at = self.rows.scores(solved[0], solved[1])[Z]
        return np.mean(_on_kink(at, kappa[Z], tolerance=1e-9)) >= 0.9

    @staticmethod
    def _one_change(
        verdict: Verdict,
        g: FloatArray,
        on_kink: BoolArray,
        slope: FloatArray,
        low: FloatArray,
        high: FloatArray,
        free: BoolArray,
        sign: FloatArray,
    ) -> int | None:
        """The row whose slope is farthest outside its kink's interval leaves to that side (returned),
        or else the zero weight whose gradient is farthest past its l1 becomes free (in place)."""
        outside, excess, gradient = verdict
        if outside.max() > SLACK:
            released = int(outside.argmax())
            on_kink[released] = False
            slope[released] = low[released] if g[released] < low[released] else high[released]
            return released
        if excess.max() > SLACK:
            worst = int(excess.argmax())
            free[worst], sign[worst] = True, -np.sign(gradient[worst])
        return None

    def _verdict(
        self,
        w: FloatArray,
        b: float,
        g: FloatArray,
        on_kink: BoolArray,
        slope: FloatArray,
        low: FloatArray,
        high: FloatArray,
        free: BoolArray,
        sign: FloatArray,
    ) -> Verdict | None:
        """None if the solution (w, b, slopes g) of the conditions for these sets satisfies them all
        (or, at a degenerate point, :meth:`optimal` finds other multipliers that do); else how far
        each row's slope is outside its kink's interval, each zero weight's gradient past its l1, and
        the gradient."""
        p = self.rows.scores(w, b)
        gradient = self.rows.transposed_times(self.s * g) / self.total + self.l2 * w
        outside = np.where(on_kink, np.maximum(low - g, g - high), 0.0)
        near, near_low, near_high = self.nearest(p)
        at_kink = _on_kink(p, near)
        crossed = (
            ~on_kink & (self.s > 0) & (self.slope(p) != slope) & ~(at_kink & (slope >= near_low) & (slope <= near_high))
        )
        flipped = free & (self.l1 > 0) & (np.sign(w) != sign)
        excess = np.where(free, 0.0, np.abs(gradient) - self.l1 * (1 + SLACK))
        if crossed.any() or flipped.any():
            return outside, excess, gradient
        if (outside.max() <= SLACK and excess.max() <= SLACK) or self.optimal(w, b)[0]:
            return None
        return outside, excess, gradient

    def _regroup(
        self, w: FloatArray, b: float, on_kink: BoolArray, kappa: FloatArray, low: FloatArray, high: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray, FloatArray, BoolArray, FloatArray]:
        """The sets at the point (w, b) reached: the rows on kinks stay (heading to their kinks), rows
        that reached one join; the others' slopes are their sides'; the weights not zero are free."""
        p = self.rows.scores(w, b)
        near, near_low, near_high = self.nearest(p)
        hit = ~on_kink & (self.s > 0) & _on_kink(p, near)
        kappa, low, high = (np.where(on_kink, a, n) for a, n in ((kappa, near), (low, near_low), (high, near_high)))
        on_kink = on_kink | hit
        return (
            p,
            kappa,
            low,
            high,
            on_kink,
            self._side_slopes(p, kappa, low, high),
            (self.l1 == 0) | (w != 0),
            np.sign(w),
        )

    def _edge(
        self, on_kink: BoolArray, free: BoolArray, released: int, slope: FloatArray, low: FloatArray
    ) -> Move | None:
        """The direction that keeps the rows ``on_kink`` on their kinks and moves the row ``released``
        to the side of its slope (the lower side if it is ``low``); None unless it is one line."""
        Z, A = np.flatnonzero(on_kink), np.flatnonzero(free)
        R = self.rows.rows(np.append(Z, released))[:, A]
        if self.fit_intercept:
            R = np.column_stack([R, np.ones(len(R))])
        if R.shape[1] != len(Z) + 1:
            return None
        _, singular, vt = np.linalg.svd(R[:-1])
        if len(singular) < len(Z) or singular[-1] <= 1e-10 * singular[0]:
            return None
        d = vt[-1]
        toward = R[-1] @ d
        if toward == 0.0:
            return None
        d = d if (toward < 0) == (slope[released] == low[released]) else -d
        dw = np.zeros(len(free))
        dw[A] = d[: len(A)]
        return dw, (d[-1] if self.fit_intercept else 0.0)

    def _independent(self, on_kink: BoolArray, p: FloatArray, kappa: FloatArray, free: BoolArray) -> BoolArray:
        """``on_kink`` reduced to rows whose constraints are independent, nearest their kinks first, at
        most as many as the free weights and the intercept: more cannot meet at one point unless some
        repeat others (ties: repeated rows, or one-hot columns), and those are satisfied with them.
        Rows left out keep the slope of their side, and come back if a solution puts them across.
        Where some free weight has no L2 part and too few rows remain to pin it (the solution would
        not exist), the nearest other rows complete a vertex, as a linear program's solution is one."""
        room = int(free.sum()) + int(self.fit_intercept)
        Z = np.flatnonzero(on_kink)
        Z = Z[np.argsort(np.abs(p[Z] - kappa[Z]), kind="stable")]
        basis, kept = self._span(Z, free, room, np.zeros((0, room)), [])
        if len(kept) < room and np.any(self.l2[free] == 0):
            distance = np.where(on_kink | (self.s == 0), np.inf, np.abs(p - kappa))
            nearest = np.argpartition(distance, min(4 * room, len(p) - 1))[: 4 * room]
            nearest = nearest[np.argsort(distance[nearest], kind="stable")]
            basis, kept = self._span(nearest[np.isfinite(distance[nearest])], free, room, basis, kept)
        chosen = np.zeros_like(on_kink)
        chosen[kept] = True
        return chosen

    def _span(
        self, candidates: IntArray, free: BoolArray, room: int, basis: FloatArray, kept: list[int]
    ) -> tuple[FloatArray, list[int]]:
        """Add to ``kept`` (whose constraints' orthonormal basis is ``basis``) the candidates, in order,
        whose constraints are independent of those before, up to ``room``."""
        for index, row in zip(candidates, self._constraints(candidates, free)):
            if len(kept) == room:
                break
            residual = row - basis.T @ (basis @ row)
            norm = np.linalg.norm(residual)
            if norm > 1e-9 * max(np.linalg.norm(row), 1.0):  # type: ignore[operator]  # NumPy stubs: max(floating, float)
                basis = np.vstack([basis, residual / norm])
                kept.append(index)
        return basis, kept

    def _conditions(
        self, on_kink: BoolArray, kappa: FloatArray, slope: FloatArray, free: BoolArray, sign: FloatArray, b: float
    ) -> tuple[FloatArray, float, FloatArray] | None:
        """Solve the optimality conditions for the weights in ``free``, the intercept and the slopes
        of the rows ``on_kink``; returns (w, b, every row's slope), or None if they have no solution."""
        Z, A = np.flatnonzero(on_kink), np.flatnonzero(free)
        a, i, z = len(A), int(self.fit_intercept), len(Z)
        if a + i + z > MAX_UNKNOWNS:
            return None
        off = np.where(on_kink, 0.0, self.s * slope)
        R, sZ = self.rows.rows(Z)[:, A], self.s[Z] / self.total
        M, rhs = np.zeros((a + i + z, a + i + z)), np.zeros(a + i + z)
        M[:a, :a] = np.diag(self.l2[A])
        M[:a, a + i :] = R.T * sZ
        M[a + i :, :a] = R
        rhs[:a] = -self.l1[A] * sign[A] - self.rows.transposed_times(off)[A] / self.total
        rhs[a + i :] = kappa[Z] - (0.0 if i else b)
        if i:
            M[a, a + i :], M[a + i :, a], rhs[a] = sZ, 1.0, -off.sum() / self.total
        x = np.linalg.lstsq(M, rhs, rcond=None)[0]
        if not np.all(np.isfinite(x)) or np.linalg.norm(M @ x - rhs) > 1e-9 * max(1.0, np.linalg.norm(rhs)):  # type: ignore[operator]  # NumPy stubs: max(float, floating)
            return None
        w = np.zeros(len(free))
        w[A] = x[:a]
        g = slope.copy()
        g[Z] = x[a + i :]
        return w, (x[a] if i else b), g
