r"""How rows become optimizer steps: the bridge from a model's state to the engine's kernels.

A :class:`Stepper` is made once per fit. A data source hands it rows
(:meth:`Stepper.steps`), a Gram matrix (:meth:`Stepper.gram_step`), a summed
gradient (:meth:`Stepper.gradient_step`) or, for plain gradient descent on
the full batch, a way to evaluate the objective (:meth:`Stepper.line_search_step`);
it asks the schedule for the learning rates of the steps to come, packs the
state into the engine's named tuples, runs the compiled kernel (or the NumPy
reference), counts the steps in the optimizer state, and refuses a loss or
weights that stopped being finite. An epoch's result is an :data:`Epoch`.

Plain gradient descent on the full batch takes its steps by the rule of
SpaRSA (Wright, Nowak & Figueiredo 2009, *Sparse Reconstruction by Separable
Approximation*): the proximal gradient step :math:`\theta^+ =
\operatorname{prox}_{\eta\lambda_1}(\theta - \eta \nabla f(\theta))` first
tries the Barzilai-Borwein step of the previous move :math:`s` and gradient
change :math:`y`, :math:`\eta = s^\top s / s^\top y` (Barzilai & Borwein 1988:
the inverse of the curvature along the last move, which follows the local
curvature where :math:`1/L` is the global bound's), and halves it until the
objective F (penalty included) falls below the largest of its last
:data:`WINDOW` values by :math:`\sigma \lVert \theta^+ - \theta \rVert^2 / (2\eta)`
(a non-monotone test, Grippo, Lampariello & Lucidi 1986). On the issue's data
sets it took 5 to 8 times fewer epochs than the same steps grown by 1.5.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .._engine import blocks, classes, hogwild, kernels, normalized, reference, sparse
from .._engine.problem import Model, Objective, SparseData
from .._engine.step import penalty_value
from .._threads import one_blas_thread
from ..exceptions import DivergenceError
from ..losses import MULTINOMIAL
from ..optimizers import LBFGS, SGD, Normalized
from ..schedules import rates


class ProgressBar(Protocol):
    """The trainer's progress bar, which the stepper advances by the rows it steps on."""

    def advance(self, rows: int) -> None: ...

    def epoch(self, epoch: int, n_epochs: int) -> None: ...


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from .._engine.problem import Data, Gram
    from .._typing import FloatArray, IntArray, Matrix
    from ..losses import Loss
    from ._settings import Settings
    from ._state import ModelState

    #: What the kernels take (:meth:`Stepper.problem`): (model, objective, the optimizer's
    #: hyperparameters, a named tuple, and its state arrays).
    Problem: TypeAlias = tuple[Model, Objective, Any, tuple[FloatArray, ...]]
    #: theta -> (weighted loss sum, weight sum, summed gradient) over some rows.
    Evaluator: TypeAlias = Callable[[FloatArray], tuple[float, float, FloatArray]]
    #: L-BFGS's memory: pairs (s, y) of moves and gradient changes, each with its y's.
    Pairs: TypeAlias = list[tuple[FloatArray, FloatArray, float]]
    #: The line search's objective at a point (Stepper._smooth_part): (F, f's gradient, the loss sum,
    #: the weight sum, the summed loss gradient).
    SmoothPart: TypeAlias = tuple[float, FloatArray, float, float, FloatArray]

__all__ = ["Stepper", "Epoch", "compiled_steps", "ScaledValues", "free_coordinates", "CHUNK_ROWS", "WINDOW"]

# Rows per call of the compiled engine: often enough to update a progress bar
# and to notice a divergence, rarely enough to cost nothing.
CHUNK_ROWS = 1 << 18
# The line search's test: the objective may exceed its best of the last WINDOW epochs, not their
# worst, and must fall below that by SIGMA |move|^2 / (2 step) (SpaRSA's choices).
WINDOW = 10
SIGMA = 1e-4

#: What one epoch (or a part of one) gives the epoch loop: the weighted loss sum and weight sum of
#: the rows met (the loss at each batch's weights), the number of rows, and on the full batch the
#: stationarity of the weights before the last step (the norm of the objective's minimum-norm
#: subgradient, see descend._engine.kernels), else -1.
Epoch = namedtuple("Epoch", "loss_sum weight_sum rows stationarity")


def compiled_steps(
    data: Data | SparseData,
    order: IntArray,
    problem: Problem,
    t: int,
    lrs: FloatArray,
    batch_size: int,
    weight_mean: float,
    plain: bool,
    lazy: bool = True,
    scaled_values: FloatArray | None = None,
    scores_out: FloatArray | None = None,
    shared: bool = False,
) -> tuple[float, float, float]:
    """The compiled steps over the rows ``order``, after ``t`` steps, for ``problem`` = (model,
    objective, hyperparameters, state arrays); ``plain`` picks per-sample plain SGD's own loop, and
    on sparse rows ``lazy`` the step on the touched coordinates only (descend._engine.sparse).
    ``scaled_values``, for sparse rows scaled but not centered, are their values times their columns'
    scales (:class:`ScaledValues`): the kernels then take them as unscaled rows, the same products made
    once a fit rather than once a step. ``scores_out`` (the normalized update's only) receives each
    row's scores before its step; ``shared``, threads step on the same weights (Hogwild!). Returns
    (weighted loss sum, weight sum, stationarity)."""
    model, objective, hyperparameters, arrays = problem
    if isinstance(hyperparameters, Normalized.Hyperparameters):  # one row a step, on its features
        if scores_out is None:
            scores_out = np.empty((0, model.n_out))
        return (
            *normalized.normalized_steps(
                data, order, model, objective, hyperparameters, arrays, lrs, weight_mean, scores_out
            ),
            -1.0,
        )
    if isinstance(data, SparseData):
        lazy = lazy and model.center is None  # a centered row is dense
        if lazy and plain and model.scale is None:  # the same penalty weight everywhere: the lazy loop
            return (*sparse.lazy_sgd_steps(data, order, model, objective, lrs, weight_mean, shared), -1.0)
        if scaled_values is not None:
            data, model = data._replace(values=scaled_values), model._replace(scale=None)
            if lazy and plain:  # a penalty weight per coordinate: the steps on the row's coordinates
                return (*sparse.touched_sgd_steps(data, order, model, objective, lrs, weight_mean, shared), -1.0)
        return sparse.batch_steps(
            data, order, model, objective, hyperparameters, arrays, t, lrs, batch_size, weight_mean, lazy
        )
    if plain:
        return (*kernels.plain_sgd_steps(data, order, model, objective, lrs, weight_mean), -1.0)
    return kernels.batch_steps(data, order, model, objective, hyperparameters, arrays, t, lrs, batch_size, weight_mean)


class ScaledValues:
    """The non-zeros of standardized sparse rows, each times its column's scale, made once a fit: a
    row's step then reads the scale of none of its features, which on 2^20 hashed columns costs a cache
    miss a non-zero (an epoch of Adam on 32 rows a step took 1.3 times as long scaled as unscaled).
    ``of(data, model)`` gives them for rows scaled but not centered (None for others), a copy of the
    values kept while the rows and the scales are the same arrays (an epoch's rows are; a stream's
    blocks are new each time)."""

    def __init__(self) -> None:
        self._kept: tuple[FloatArray, FloatArray, FloatArray] | None = None  # (values, scale, values times scale)

    def of(self, data: Data | SparseData, model: Model) -> FloatArray | None:
        if not isinstance(data, SparseData) or model.scale is None or model.center is not None:
            return None
        if self._kept is None or self._kept[0] is not data.values or self._kept[1] is not model.scale:
            self._kept = (data.values, model.scale, data.values * model.scale[data.indices])
        return self._kept[2]


def free_coordinates(X: Matrix, n_out: int, theta: FloatArray, memory: Pairs) -> IntArray | None:
    """The coordinates of ``theta`` (``n_out`` outputs) that L-BFGS can move on the full batch of the CSR
    rows ``X``: each output's coefficients of the columns that occur in X, and its intercept; None for
    all of them.

    A column without a non-zero (centered or scaled, still zeros) adds nothing to the loss's
    gradient, so its coefficient's gradient is the L2 part's, 0 at 0: from 0 it never moves, and
    the two-loop recursion's vectors carry zeros there. Skipping them changes no iterate: on 2^20
    hashed columns of which 7% occur, it takes a pass from 100 to 83 ms. A warm start whose unused
    coefficients are not all 0 keeps every coordinate, and so do the ``memory`` pairs of a checkpoint
    made over every coordinate."""
    width = X.shape[1] + 1
    occurs = np.append(np.bincount(X.indices, minlength=X.shape[1]) > 0, True)
    if occurs.all():
        return None
    free = np.flatnonzero(np.tile(occurs, n_out))
    unused = np.ones(n_out * width, dtype=bool)
    unused[free] = False
    if np.any(theta[unused] != 0) or any(len(s) != len(free) for s, _, _ in memory):
        return None
    return free


def _accept(
    reference: float,
    value: float,
    trial_value: float,
    gradient: FloatArray,
    trial_gradient: FloatArray,
    moved: FloatArray,
    eta: float,
) -> bool:
    """The line search's test (module docstring) of the move ``moved`` made with step ``eta`` from a
    point whose objective is ``value``: ``trial_value`` <= ``reference`` - SIGMA |d|^2 / (2 eta).

    Near the optimum the objectives differ by less than their rounding and the test fails for
    every step: there the test on gradients takes over, (g+ - g)'d <= |d|^2 / eta (the step is
    at most the inverse of the curvature along the move), which rounds far less (the switch of
    Becker, Candes & Grant 2011, TFOCS, section 5.3)."""
    step = moved @ moved
    if not _within_rounding(value, trial_value):
        return trial_value <= reference - SIGMA * step / (2 * eta)  # type: ignore[return-value]  # NumPy stubs: vector @ vector
    return (trial_gradient - gradient) @ moved <= step / eta  # type: ignore[return-value]  # as above


def _within_rounding(value: float, trial_value: float) -> bool:
    """Whether two objectives differ by less than their rounding can tell (near the optimum)."""
    return abs(trial_value - value) <= 1e-10 * max(abs(value), 1e-300)


def _flat_but_closer(
    value: float, trial_value: float, gradient: FloatArray, trial_gradient: FloatArray, direction: FloatArray
) -> bool:
    """Near the optimum, where two objectives differ by less than their rounding, a step is taken
    when the slope along it has shrunk: the test of values can no longer tell (see :func:`_accept`)."""
    return _within_rounding(value, trial_value) and abs(float(trial_gradient @ direction)) <= abs(
        float(gradient @ direction)
    )


def _exact_step(gradient: FloatArray, trial_gradient: FloatArray, direction: FloatArray, eta: float) -> float | None:
    """The minimizer along ``direction`` of a quadratic objective, from its gradients at the start and
    at the step ``eta``: the slope there is linear in the step, g(t)'d = g'd + t c with c = d'Hd =
    (g(eta) - g)'d / eta, so the slope vanishes at t = -g'd / c; None where c is not positive."""
    curvature = float((trial_gradient - gradient) @ direction) / eta
    return -float(gradient @ direction) / curvature if curvature > 0 else None


class Stepper:
    """Steps on ``state`` (a ModelState) for the objective of ``loss`` (a descend.losses.Loss) and
    ``penalty``; ``engine`` is ``"compiled"`` or ``"reference"``; ``progress`` counts rows (or None)."""

    def __init__(
        self,
        state: ModelState,
        settings: Settings,
        loss: Loss,
        schedule: Callable[[int], float] | None,
        *,
        engine: str = "compiled",
        progress: ProgressBar | None = None,
        line_search: bool = False,
        step_size: float | None = None,
        memory: Pairs | FloatArray | None = None,
        n_threads: int = 1,
    ) -> None:
        self.state, self.settings, self.loss, self.schedule = state, settings, loss, schedule
        self.engine, self.progress, self.n_threads = engine, progress, n_threads
        self.last_lr = float("nan")  # the rate of the latest step, for the history
        #: Full-batch steps under a line search: ``step_size`` the next step to try, ``recent`` the
        #: objective's last WINDOW values, ``memory`` L-BFGS's pairs (s, y) with their y's (all go into
        #: checkpoints, y's made again from the pair as remember() makes it).
        self.line_search, self.step_size = line_search, step_size
        self.recent: list[float] = []
        self.memory: Pairs
        if memory is None or isinstance(memory, list):
            self.memory = list(memory or [])
        else:  # a checkpoint's array, rows s1, y1, s2, y2...
            self.memory = [
                (memory[k], memory[k + 1], float(memory[k + 1] @ memory[k])) for k in range(0, len(memory), 2)
            ]
        self.smoothing = 0.0  # the quantile loss's smoothing (descend.losses.quantile): 0, none
        # (theta, the smooth part's value and gradient there): saves an evaluation an epoch
        self._at: tuple[FloatArray, SmoothPart] | None = None
        #: The coordinates L-BFGS moves (an index array; everything when None): see free_coordinates.
        self.free: IntArray | None = None
        self._free_known = False
        self.scaled_values = ScaledValues()
        # the sparse rows of the full batch: (data, rows, X, y, weights, products)
        self._gathered: tuple[SparseData, IntArray, Matrix, FloatArray, FloatArray, blocks.SparseProducts] | None = None

    def smooth_with(self, smoothing: float) -> None:
        """Minimize from now on the loss smoothed by ``smoothing``: a new objective, so the line
        search forgets the values and the gradient it remembered."""
        self.smoothing, self._at, self.recent, self.memory = float(smoothing), None, [], []

    # ------------------------------------------------------------ packing
    def problem(self, sparse_rows: bool = False) -> Problem:
        """(model, objective, hyperparameters, state arrays) as the kernels take them, made anew
        at each call: a restored or averaged state may have new arrays."""
        state = self.state
        # Without standardization (center 0, scale 1) the kernels take the rows as they are;
        # sparse rows are centered only when the fit's steps are dense (see _sources._summary).
        center, scale = (state.center, state.scale) if state.standardized else (None, None)
        if sparse_rows and center is not None and not center.any():
            center = None
        model = Model(state.theta, center, scale, state.n_out, self.settings.fit_intercept)
        l1, l2 = state.penalty_weights(self.settings.penalty)
        objective = Objective(self.loss.code, np.array([self.loss.parameter, self.smoothing]), l1, l2)
        optimizer = state.optimizer
        arrays = tuple([state.optimizer_state[name] for name in optimizer.state_names])
        return model, objective, optimizer.hyperparameters(), arrays

    def rates(self, count: int) -> FloatArray:
        """The learning rates of the next ``count`` steps, refused unless finite and > 0."""
        assert self.schedule is not None  # only a stepper that measures (Trainer._warn_short's) has none
        lrs = rates(self.schedule, self.state.t + 1, count)
        # Two reductions, no temporaries: a NaN makes the minimum NaN, an infinity the maximum.
        if count and not (lrs.min() > 0 and math.isfinite(lrs.max())):
            bad = lrs[~(np.isfinite(lrs) & (lrs > 0))][0]
            raise ValueError(
                f"the schedule gave learning rate {bad} at a step of epoch {self.state.n_iter + 1}; "
                "it must be finite and > 0"
            )
        return lrs

    # --------------------------------------------------------------- steps
    def plain(self, batch_size: int) -> bool:
        """Whether steps of ``batch_size`` rows are per-sample plain SGD on one output, which has a
        compiled loop of its own (:func:`descend._engine.kernels.plain_sgd_steps`)."""
        optimizer = self.state.optimizer
        return (
            batch_size == 1
            and self.state.n_out == 1
            and self.loss.code != MULTINOMIAL
            and isinstance(optimizer, SGD)
            and optimizer.is_plain
        )

    def steps(
        self,
        data: Data | SparseData,
        order: IntArray,
        batch_size: int,
        weight_mean: float,
        scores_out: FloatArray | None = None,
    ) -> Epoch:
        """Steps over the rows ``order`` of ``data`` (an engine Data tuple), ``batch_size`` rows each
        (``scores_out``: see :func:`compiled_steps`)."""
        plain = self.plain(batch_size)
        sparse_rows, lazy = isinstance(data, SparseData), self.settings.sparse_updates == "lazy"
        chunk = max(batch_size, (CHUNK_ROWS // batch_size) * batch_size)
        loss_sum = weight_sum = 0.0
        stationarity = -1.0
        for start in range(0, len(order), chunk):
            rows = order[start : start + chunk]
            n_steps = -(-len(rows) // batch_size)
            lrs = self.rates(n_steps)
            if self.engine == "reference" and isinstance(self.state.optimizer, Normalized):
                model, objective, _, _ = self.problem(sparse_rows)
                part, weights = reference.normalized_steps(
                    data,
                    rows,
                    model,
                    objective,
                    self.state.optimizer,
                    self.state.optimizer_state,
                    lrs,
                    weight_mean,
                    scores_out,
                )
            elif self.engine == "reference":  # Optimizer.update counts its steps itself
                model, objective, _, _ = self.problem(sparse_rows)
                # What compiled_steps runs as sparse.lazy_sgd_steps: the dense steps, but for the intercept's.
                lazy = lazy and model.center is None
                lazy_plain = lazy and sparse_rows and plain and model.scale is None
                part, weights, stationarity = reference.batch_steps(
                    data,
                    rows,
                    model,
                    objective,
                    self.state.optimizer,
                    self.state.optimizer_state,
                    lrs,
                    batch_size,
                    weight_mean,
                    lazy and sparse_rows and not lazy_plain,
                    sparse.INTERCEPT_DECAY if lazy_plain else 1.0,
                )
            else:
                part, weights, stationarity = self._compiled(
                    data, rows, lrs, batch_size, weight_mean, plain, lazy, scores_out
                )
                self.state.optimizer_state["step"] += n_steps
            loss_sum += part
            weight_sum += weights
            self.check_finite(loss_sum)
            self.last_lr = float(lrs[-1])
            self.advance(len(rows))
        return Epoch(loss_sum, weight_sum, len(order), stationarity)

    def _compiled(
        self,
        data: Data | SparseData,
        rows: IntArray,
        lrs: FloatArray,
        batch_size: int,
        weight_mean: float,
        plain: bool,
        lazy: bool,
        scores_out: FloatArray | None,
    ) -> tuple[float, float, float]:
        """:func:`compiled_steps` over ``rows``: on this thread, or on ``n_threads``: one-vs-rest outputs
        shared out (descend._engine.classes), per-sample steps by Hogwild! where it applies
        (descend._engine.hogwild), dense batches of several blocks by blocks (descend._engine.blocks)."""
        sparse_rows = isinstance(data, SparseData)
        problem = self.problem(sparse_rows)
        model, objective, hyperparameters, arrays = problem
        scaled, t = self.scaled_values.of(data, model), self.state.t

        def run(
            order: IntArray,
            rates: FloatArray,
            shared: bool = False,
            data: Data | SparseData = data,
            problem: Problem = problem,
        ) -> tuple[float, float, float]:
            return compiled_steps(
                data, order, problem, t, rates, batch_size, weight_mean, plain, lazy, scaled, scores_out, shared
            )

        row_steps = isinstance(self.state.optimizer, Normalized)
        if (
            self.n_threads > 1
            and batch_size < len(rows)
            and not row_steps
            and objective.loss != MULTINOMIAL
            and classes.allows(self.state.optimizer, model, arrays)
        ):
            return (*classes.class_steps(run, data, problem, rows, lrs, self.n_threads), -1.0)
        if (
            self.n_threads > 1
            and batch_size == 1
            and len(rows) > 1
            and hogwild.allows(row_steps, model, arrays, sparse_rows, lazy)
        ):
            return (
                *hogwild.shared_steps(lambda order, rates: run(order, rates, True)[:2], rows, lrs, self.n_threads),
                -1.0,
            )
        if not isinstance(data, SparseData) and not row_steps and batch_size >= 2 * blocks.BLOCK_ROWS:
            return blocks.batch_steps(data, rows, problem, t, lrs, batch_size, weight_mean, self.n_threads)
        return run(rows, lrs)

    def gram_step(self, gram: Gram, n_rows: int) -> Epoch:
        """One full-batch squared-error step from ``gram`` (an engine Gram tuple of ``n_rows`` rows)."""
        lr = float(self.rates(1)[0])
        model, objective, hyperparameters, arrays = self.problem()
        loss_sum, stationarity = kernels.gram_step(gram, model, objective, hyperparameters, arrays, self.state.t, lr)
        self.state.optimizer_state["step"] += 1
        self.check_finite(loss_sum)
        self.last_lr = lr
        self.advance(n_rows)
        return Epoch(loss_sum, gram.weight_sum, n_rows, stationarity)

    def gradient_step(self, grad: FloatArray, norm: float) -> float:
        """One step from a gradient summed elsewhere (a cluster's partitions), scaled by ``norm``;
        returns the stationarity of the weights before it."""
        lr = float(self.rates(1)[0])
        model, objective, hyperparameters, arrays = self.problem()
        stationarity = kernels.apply_gradient(model, objective, hyperparameters, arrays, self.state.t, grad, norm, lr)
        self.state.optimizer_state["step"] += 1
        self.last_lr = lr
        return stationarity

    # --------------------------------------------------------- line search
    def rows_evaluator(self, data: Data | SparseData, rows: IntArray) -> Evaluator:
        """theta -> (weighted loss sum, weight sum, summed gradient) over ``rows`` of ``data``. Sparse
        rows go through two sparse matrix products (:func:`descend._engine.reference.csr_gradient_sum`),
        their matrix gathered once a fit (an epoch asks again for the same rows)."""
        if isinstance(data, SparseData):
            if self._gathered is None or self._gathered[0] is not data or self._gathered[1] is not rows:
                X = reference.data_matrix(data, len(self.state.center))
                if len(rows) != X.shape[0] or np.any(rows != np.arange(len(rows))):
                    X = X[rows]
                y, weights = data.y[rows], (data.weights[rows] if data.weights.size else data.weights)
                self._gathered = (data, rows, X, y, weights, blocks.SparseProducts(X, self.n_threads))
            _, _, X, y, weights, products = self._gathered
            if not self._free_known and isinstance(self.state.optimizer, LBFGS):
                self.free, self._free_known = free_coordinates(X, self.state.n_out, self.state.theta, self.memory), True

            def evaluate_csr(theta: FloatArray) -> tuple[float, float, FloatArray]:
                model, objective, _, _ = self.problem(True)
                return reference.csr_gradient_sum(X, y, weights, model._replace(theta=theta), objective, products)

            return evaluate_csr

        def evaluate(theta: FloatArray) -> tuple[float, float, FloatArray]:
            model, objective, _, _ = self.problem(False)
            if self.engine == "reference":
                return reference.gradient_sum(data, rows, model._replace(theta=theta), objective)
            return blocks.gradient_sum(data, rows, model._replace(theta=theta), objective, self.n_threads)

        return evaluate

    def gram_evaluator(self, gram: Gram) -> Evaluator:
        """theta -> (weighted loss sum, weight sum, summed gradient) of a squared-error full batch."""

        def evaluate(theta: FloatArray) -> tuple[float, float, FloatArray]:
            loss_sum, grad = kernels.gram_gradient(gram, theta)
            return loss_sum, gram.weight_sum, grad

        return evaluate

    def _smooth_part(self, theta: FloatArray, evaluate: Evaluator) -> SmoothPart:
        """(F, f's gradient, the loss sum, the weight sum, the summed loss gradient) at ``theta``: f is the
        mean loss plus the penalty's L2 part, F adds its L1 part, in the steps' coordinates."""
        loss_sum, weight_sum, grad_sum = evaluate(theta)
        l1, l2 = self.state.penalty_weights(self.settings.penalty)
        params = theta.reshape(self.state.n_out, -1)
        gradient = (grad_sum / weight_sum).reshape(self.state.n_out, -1)
        gradient[:, :-1] += l2 * params[:, :-1]
        if not self.settings.fit_intercept:
            gradient[:, -1] = 0.0
        value = loss_sum / weight_sum + penalty_value(theta, self.state.n_out, l1, l2)
        return value, gradient.ravel(), loss_sum, weight_sum, grad_sum

    def _trial(
        self, theta: FloatArray, grad_sum: FloatArray, weight_sum: float, eta: float
    ) -> tuple[FloatArray, float]:
        """The optimizer's (plain gradient descent's) step of size ``eta`` from ``theta``, then the L1
        prox, on a copy; returns it and the stationarity of ``theta``."""
        model, objective, hyperparameters, arrays = self.problem()
        trial = theta.copy()
        if self.engine == "reference":
            state = dict(self.state.optimizer_state)  # update() counts steps: a trial is not one yet
            stationarity = reference.apply_gradient(
                model._replace(theta=trial), objective, self.state.optimizer, state, grad_sum, 1.0 / weight_sum, eta
            )
        else:
            stationarity = kernels.apply_gradient(
                model._replace(theta=trial),
                objective,
                hyperparameters,
                arrays,
                self.state.t,
                grad_sum,
                1.0 / weight_sum,
                eta,
            )
        return trial, stationarity

    def line_search_step(self, evaluate: Evaluator, n_rows: int) -> Epoch:
        """One step on the full batch: L-BFGS's (:meth:`quasi_newton_step`), or a proximal gradient
        step, its size found by the module docstring's rule; ``evaluate(theta)`` gives (loss sum,
        weight sum, gradient sum) at theta. BLAS on one thread (descend._threads.one_blas_thread):
        its products over the weights must not depend on its threads."""
        with one_blas_thread():
            return self._searched_step(evaluate, n_rows)

    def _searched_step(self, evaluate: Evaluator, n_rows: int) -> Epoch:
        theta = self.state.theta
        if self._at is None or not np.array_equal(self._at[0], theta):
            self._at = (theta.copy(), self._smooth_part(theta, evaluate))
        if isinstance(self.state.optimizer, LBFGS):
            return self.quasi_newton_step(evaluate, n_rows)
        value, gradient, _, weight_sum, grad_sum = self._at[1]
        reference = max(self.recent + [value])
        eta = self.step_size
        assert eta is not None  # a line search starts from a step (Trainer._run: 1/L)
        while True:
            trial, stationarity = self._trial(theta, grad_sum, weight_sum, eta)
            moved = trial - theta
            at_trial = self._smooth_part(trial, evaluate)
            if _accept(reference, value, at_trial[0], gradient, at_trial[1], moved, eta) or not np.any(moved):
                break
            eta *= 0.5
        theta[:] = trial
        self._at = (trial, at_trial)
        self.recent = (self.recent + [at_trial[0]])[-WINDOW:]
        self.step_size = self._barzilai_borwein(moved, at_trial[1] - gradient, eta)
        self.state.optimizer_state["step"] += 1
        self.last_lr = eta
        self.check_finite(at_trial[2])
        self.advance(n_rows)
        return Epoch(at_trial[2], at_trial[3], n_rows, stationarity)

    def quasi_newton_step(self, evaluate: Evaluator, n_rows: int) -> Epoch:
        """One L-BFGS step (:class:`descend.optimizers.LBFGS`: its docstring has the rule) from the
        weights whose objective ``self._at`` holds; no L1 part, so the gradient is the objective's."""
        theta = self.state.theta
        assert self._at is not None and self.step_size is not None  # _searched_step measured it; Trainer._run: 1/L
        value, full_gradient, _, _, _ = self._at[1]
        stationarity = float(np.sqrt(full_gradient @ full_gradient))
        free = slice(None) if self.free is None else self.free
        gradient = full_gradient[free]  # the rest is 0 (free_coordinates)
        optimizer = self.state.optimizer
        assert isinstance(optimizer, LBFGS)  # _searched_step calls this for L-BFGS only
        direction = optimizer.direction(self.memory, gradient, self.step_size)
        slope = float(gradient @ direction)
        if not slope < 0:  # rounding made H indefinite along the gradient: start the memory afresh
            self.memory = []
            direction = -self.step_size * gradient
            slope = float(gradient @ direction)

        def moved_by(step: float) -> FloatArray:
            point = theta.copy()
            point[free] += step * direction
            return point

        reference = max(self.recent + [value])
        eta = 1.0
        while True:
            trial = moved_by(eta)
            at_trial = self._smooth_part(trial, evaluate)
            if (
                at_trial[0] <= reference + SIGMA * eta * slope
                or _flat_but_closer(value, at_trial[0], gradient, at_trial[1][free], direction)
                or not np.any(trial != theta)
            ):
                break
            eta *= 0.5
        if self.loss.quadratic:  # on to the minimizer along the direction
            exact = _exact_step(gradient, at_trial[1][free], direction, eta)
            if exact is not None and abs(exact - eta) > 1e-3 * eta:
                closer = moved_by(exact)
                at_closer = self._smooth_part(closer, evaluate)
                if at_closer[0] <= at_trial[0]:  # as it must, but for rounding near the optimum
                    eta, trial, at_trial = exact, closer, at_closer
        moved, change = trial[free] - theta[free], at_trial[1][free] - gradient
        self.memory = optimizer.remember(self.memory, moved, change)
        curvature = float(moved @ change)
        if curvature > 0:
            self.step_size = float(moved @ moved) / curvature  # the steepest descent's, if the memory is dropped
        theta[:] = trial
        self._at = (trial, at_trial)
        self.recent = (self.recent + [at_trial[0]])[-WINDOW:]
        self.state.optimizer_state["step"] += 1
        self.last_lr = eta
        self.check_finite(at_trial[2])
        self.advance(n_rows)
        return Epoch(at_trial[2], at_trial[3], n_rows, stationarity)

    def _barzilai_borwein(self, moved: FloatArray, change: FloatArray, eta: float) -> float:
        """The next step to try: s's / s'y of the move s and the gradient's change y, kept within a
        factor 1e10 of the first rate; where the curvature along the move is not positive (no move, or
        rounding at the optimum), the last step doubled."""
        curvature = float(moved @ change)
        step = float(moved @ moved) / curvature if curvature > 0 else 2 * eta
        first = self.state.learning_rate
        return min(max(step, 1e-10 * first), 1e10 * first)

    def stationarity(self, evaluate: Evaluator) -> float:
        """The stationarity of the current weights over the rows ``evaluate`` sums (one pass)."""
        _, gradient, _, _, _ = self._smooth_part(self.state.theta, evaluate)
        l1 = self.state.penalty_weights(self.settings.penalty)[0]
        return reference.stationarity(self.state.theta, gradient, self.state.n_out, l1)

    def mean_loss(self, data: Data | SparseData, rows: IntArray) -> float:
        """The weighted mean loss of the rows ``rows`` at the current weights (no penalty)."""
        sparse_rows = isinstance(data, SparseData)
        model, objective, _, _ = self.problem(sparse_rows)
        if isinstance(data, SparseData):
            return float(sparse.mean_loss(data, rows, model, objective))
        return float(kernels.mean_loss(data, rows, model, objective))

    # ---------------------------------------------------------- reporting
    def advance(self, n_rows: int) -> None:
        if self.progress is not None:
            self.progress.advance(n_rows)

    def check_finite(self, loss: float) -> None:
        """A DivergenceError unless ``loss`` and the weights are finite."""
        if not (math.isfinite(loss) and np.all(np.isfinite(self.state.theta))):
            raise DivergenceError(
                f"the fit diverged at step {self.state.t} (epoch {self.state.n_iter + 1}): the loss or the "
                "coefficients stopped being finite. Use learning_rate='auto' (the default), a smaller "
                "learning_rate, or standardize the features.",
                iteration=self.state.t,
            )
