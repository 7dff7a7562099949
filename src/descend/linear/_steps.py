"""How rows become optimizer steps: the bridge from a model's state to the engine's kernels.

A :class:`Stepper` is made once per fit. A data source hands it rows
(:meth:`Stepper.steps`), a Gram matrix (:meth:`Stepper.gram_step`) or a
summed gradient (:meth:`Stepper.gradient_step`); it asks the schedule for
the learning rates of the steps to come, packs the state into the engine's
named tuples, runs the compiled kernel (or the NumPy reference), counts the
steps in the optimizer state, and refuses a loss or weights that stopped
being finite.
"""

from __future__ import annotations

import math

import numpy as np

from .._engine import kernels, reference
from .._engine.problem import Model, Objective
from ..exceptions import DivergenceError
from ..losses import MULTINOMIAL
from ..optimizers import SGD
from ..schedules import rates

__all__ = ["Stepper", "compiled_steps", "CHUNK_ROWS"]

# Rows per call of the compiled engine: often enough to update a progress bar
# and to notice a divergence, rarely enough to cost nothing.
CHUNK_ROWS = 1 << 16


def compiled_steps(data, order, problem, t, lrs, batch_size, weight_mean, plain):
    """The compiled steps over the rows ``order``, after ``t`` steps, for ``problem`` = (model,
    objective, hyperparameters, state arrays); ``plain`` picks per-sample plain SGD's own loop.
    Returns (weighted loss sum, weight sum)."""
    model, objective, hyperparameters, arrays = problem
    if plain:
        return kernels.plain_sgd_steps(data, order, model, objective, lrs, weight_mean)
    return kernels.batch_steps(data, order, model, objective, hyperparameters, arrays, t, lrs, batch_size, weight_mean)


class Stepper:
    """Steps on ``state`` (a ModelState) for the objective of ``loss`` (a descend.losses.Loss) and
    ``penalty``; ``engine`` is ``"compiled"`` or ``"reference"``; ``progress`` counts rows (or None)."""

    def __init__(self, state, settings, loss, schedule, *, engine="compiled", progress=None):
        self.state, self.settings, self.loss, self.schedule = state, settings, loss, schedule
        self.engine, self.progress = engine, progress
        self.last_lr = float("nan")  # the rate of the latest step, for the history

    # ------------------------------------------------------------ packing
    def problem(self):
        """(model, objective, hyperparameters, state arrays) as the kernels take them, made anew
        at each call: a restored or averaged state may have new arrays."""
        state = self.state
        model = Model(state.theta, state.center, state.scale, state.n_out, self.settings.fit_intercept,
                      state.standardized)
        l1, l2 = state.penalty_weights(self.settings.penalty)
        objective = Objective(self.loss.code, self.settings.epsilon, l1, l2)
        optimizer = state.optimizer
        arrays = tuple([state.optimizer_state[name] for name in optimizer.state_names])
        return model, objective, optimizer.hyperparameters(), arrays

    def rates(self, count: int) -> np.ndarray:
        """The learning rates of the next ``count`` steps, refused unless finite and > 0."""
        lrs = rates(self.schedule, self.state.t + 1, count)
        if not np.all(np.isfinite(lrs) & (lrs > 0)):
            bad = lrs[~(np.isfinite(lrs) & (lrs > 0))][0]
            raise ValueError(f"the schedule gave learning rate {bad} at a step of epoch {self.state.n_iter + 1}; "
                             "it must be finite and > 0")
        return lrs

    # --------------------------------------------------------------- steps
    def plain(self, batch_size) -> bool:
        """Whether steps of ``batch_size`` rows are per-sample plain SGD on one output, which has a
        compiled loop of its own (:func:`descend._engine.kernels.plain_sgd_steps`)."""
        optimizer = self.state.optimizer
        return (batch_size == 1 and self.state.n_out == 1 and self.loss.code != MULTINOMIAL
                and isinstance(optimizer, SGD) and optimizer.is_plain)

    def steps(self, data, order, batch_size, weight_mean):
        """Steps over the rows ``order`` of ``data`` (an engine Data tuple), ``batch_size`` rows each;
        returns their (weighted loss sum, weight sum), the loss at each batch's weights."""
        plain = self.plain(batch_size)
        chunk = max(batch_size, (CHUNK_ROWS // batch_size) * batch_size)
        loss_sum = weight_sum = 0.0
        for start in range(0, len(order), chunk):
            rows = order[start:start + chunk]
            n_steps = -(-len(rows) // batch_size)
            lrs = self.rates(n_steps)
            if self.engine == "reference":  # Optimizer.update counts its steps itself
                model, objective, _, _ = self.problem()
                part, weights = reference.batch_steps(data, rows, model, objective, self.state.optimizer,
                                                      self.state.optimizer_state, lrs, batch_size, weight_mean)
            else:
                part, weights = compiled_steps(data, rows, self.problem(), self.state.t, lrs, batch_size,
                                               weight_mean, plain)
                self.state.optimizer_state["step"] += n_steps
            loss_sum += part
            weight_sum += weights
            self.check_finite(loss_sum)
            self.last_lr = float(lrs[-1])
            self.advance(len(rows))
        return loss_sum, weight_sum

    def gram_step(self, gram, n_rows):
        """One full-batch squared-error step from ``gram`` (an engine Gram tuple of ``n_rows`` rows);
        returns the mean loss at the weights before it."""
        lr = float(self.rates(1)[0])
        model, objective, hyperparameters, arrays = self.problem()
        loss_sum = kernels.gram_step(gram, model, objective, hyperparameters, arrays, self.state.t, lr)
        self.state.optimizer_state["step"] += 1
        self.check_finite(loss_sum)
        self.last_lr = lr
        self.advance(n_rows)
        return loss_sum / gram.weight_sum

    def gradient_step(self, grad, norm):
        """One step from a gradient summed elsewhere (a cluster's partitions), scaled by ``norm``."""
        lr = float(self.rates(1)[0])
        model, objective, hyperparameters, arrays = self.problem()
        kernels.apply_gradient(model, objective, hyperparameters, arrays, self.state.t, grad, norm, lr)
        self.state.optimizer_state["step"] += 1
        self.last_lr = lr

    def mean_loss(self, data, rows) -> float:
        """The weighted mean loss of the rows ``rows`` at the current weights (no penalty)."""
        model, objective, _, _ = self.problem()
        return float(kernels.mean_loss(data, rows, model, objective))

    # ---------------------------------------------------------- reporting
    def advance(self, n_rows):
        if self.progress is not None:
            self.progress.advance(n_rows)

    def check_finite(self, loss):
        """A DivergenceError unless ``loss`` and the weights are finite."""
        if not (math.isfinite(loss) and np.all(np.isfinite(self.state.theta))):
            raise DivergenceError(
                f"the fit diverged at step {self.state.t} (epoch {self.state.n_iter + 1}): the loss or the "
                "coefficients stopped being finite. Use learning_rate='auto' (the default), a smaller "
                "learning_rate, or standardize the features.",
                iteration=self.state.t,
            )
