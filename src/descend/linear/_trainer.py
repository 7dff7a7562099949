"""The epoch loop of the linear models: one loop for data in memory, streamed in chunks, or on a cluster.

:meth:`Trainer.fit` runs, for any data source (:mod:`descend.linear._sources`,
:mod:`descend.linear._dask`)::

    resume: the loop's record and the random state from the checkpoint
    summary = source.summary(rng)            (moments, target mean; refuses NaN and inf)
    state   = a fresh model, or the current one continued
    lr0     = learning_rate, or 1/L from the data's curvature; the schedule from it
    for each epoch:
        source.epoch(stepper, rng)           (the only part that differs by source)
        end of epoch: count it, refuse an exploding loss, record loss and rate
        stopping rule: the training loss (or, with early stopping, the validation
                       loss) has not improved by tol for n_iter_no_change epochs
        checkpoint every checkpoint_every epochs and at the end
    early stopping keeps the best epoch's weights; running out of epochs warns

The source is the only thing that differs: it knows how to summarize its
rows, measure their curvature and walk them once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ..exceptions import EXPLOSION_FACTOR, DivergenceError
from ..losses import LOSSES
from ._checkpoint import Checkpoint, loop_state, restore_rng, restore_schedule
from ._rate import initial_rate, make_schedule
from ._state import ModelState
from ._steps import Stepper

__all__ = ["Trainer", "Record"]


@dataclass
class Record:
    """What the loop remembers across epochs: its count, the stopping rule's state, the best epoch
    for early stopping, the first loss (for the divergence rule) and the rows met. A checkpoint holds it."""

    epoch: int = 0
    best_loss: float = math.inf
    best_val: float = math.inf
    no_improvement: int = 0
    best_theta: np.ndarray | None = None
    best_iteration: int | None = None
    first_loss: float | None = None
    rows_seen: int = 0

    def stalled(self, monitored: float, key: str, tol, patience: int) -> bool:
        """The tol rule: True once ``monitored`` has not beaten its best (``key``) by ``tol`` for
        ``patience`` epochs in a row."""
        if tol is not None and monitored > getattr(self, key) - tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        setattr(self, key, min(getattr(self, key), monitored))
        return self.no_improvement >= patience

    def to_dict(self) -> dict:
        return asdict(self)


class _Progress:
    """A rich progress bar counting rows (no bar when the total is unknown)."""

    def __init__(self, name, total):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.name = name
        self.bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), "rows",
                            TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task(name, total=total)
        self.bar.start()

    def advance(self, rows):
        self.bar.advance(self.task, rows)

    def epoch(self, epoch, n_epochs):
        self.bar.update(self.task, description=f"{self.name} epoch {epoch}/{n_epochs}")

    def stop(self):
        self.bar.stop()


class Trainer:
    """Fits a ModelState on a data source with validated ``settings``; ``name`` names the estimator in
    messages, ``params`` are its parameters (for checkpoints), ``engine`` "compiled" or "reference"."""

    def __init__(self, settings, *, name, params, engine="compiled"):
        self.settings, self.name, self.engine = settings, name, engine
        self.checkpoint = (Checkpoint(settings.checkpoint, settings.checkpoint_every, params)
                           if settings.checkpoint is not None else None)

    def fit(self, source, state, rng, *, n_epochs, stopping, resume=False):
        """Train ``state`` (None for a fresh model) for up to ``n_epochs`` epochs over ``source``;
        ``stopping`` applies the stopping rule (fit) or not (partial_fit, one epoch).
        Returns (state, record)."""
        record, document = Record(), None
        if resume:
            document = (self.checkpoint or Checkpoint(None, 1, {})).read(source.fingerprint())
            restore_rng(document, rng)
            record = Record(**loop_state(document))
            if record.epoch >= n_epochs:
                raise ValueError(f"{self.checkpoint.path} holds a fit that ran its {record.epoch} epochs already; "
                                 "raise max_iter to go on")
        summary = source.summary(rng)
        state = self._starting_state(state, summary)
        if document is not None:
            state.restore(document["model"])
        else:
            state.learning_rate = initial_rate(self.settings, LOSSES[summary.loss], state, source,
                                               source.batch_size)
        schedule = make_schedule(self.settings, state.learning_rate, source.steps_per_epoch)
        if document is not None:
            restore_schedule(document, schedule)
        progress = (_Progress(self.name, None if source.rows_per_epoch is None else n_epochs * source.rows_per_epoch)
                    if self.settings.verbose else None)
        stepper = Stepper(state, self.settings, LOSSES[summary.loss], schedule, engine=self.engine,
                          progress=progress)
        try:
            converged = self._epochs(source, stepper, rng, record, n_epochs, stopping)
        finally:
            if progress is not None:
                progress.stop()
        if record.best_theta is not None:  # early stopping keeps the weights of the best validation loss
            state.theta[:] = record.best_theta
        if stopping and not converged and self.settings.tol is not None:
            warnings.warn(f"{self.name} reached max_iter={self.settings.max_iter} epochs before the training "
                          "loss stopped improving; raise max_iter or tol.", _convergence_warning(), stacklevel=4)
        return state, record

    def _starting_state(self, state, summary):
        """A fresh model from the data's summary, or ``state`` continued on data like this."""
        settings = self.settings
        if state is None:
            return ModelState.start(summary, n_out=summary.n_out, loss=summary.loss, optimizer=settings.optimizer,
                                    standardize=settings.standardize, fit_intercept=settings.fit_intercept,
                                    dtype=summary.dtype)
        state.continue_with(settings.optimizer, len(summary.mean), summary.dtype)
        return state

    def _epochs(self, source, stepper, rng, record, n_epochs, stopping):
        """The loop itself; returns whether the stopping rule ended it."""
        settings, state = self.settings, stepper.state
        observe = getattr(stepper.schedule, "observe", None)
        converged = False
        while record.epoch < n_epochs:
            if stepper.progress is not None:
                stepper.progress.epoch(record.epoch + 1, n_epochs)
            loss_sum, weight_sum, rows = source.epoch(stepper, rng)
            if weight_sum == 0:
                raise ValueError("the source gave no rows")
            record.rows_seen += rows
            loss = self._end_epoch(state, record, loss_sum / weight_sum, stepper.last_lr)
            if observe is not None:
                observe(loss)
            validation = source.validation_loss(stepper) if stopping else None
            if validation is not None:
                state.history["val_loss"].append(validation)
                if validation < record.best_val:
                    record.best_theta, record.best_iteration = state.theta.copy(), state.n_iter
                converged = record.stalled(validation, "best_val", settings.tol, settings.n_iter_no_change)
            elif stopping:
                converged = record.stalled(loss, "best_loss", settings.tol, settings.n_iter_no_change)
            if self.checkpoint is not None and self.checkpoint.due(record.epoch, converged or record.epoch == n_epochs):
                self.checkpoint.write(fingerprint=source.fingerprint(), record=record, rng=rng,
                                      schedule=stepper.schedule, state=state)
            if converged:
                break
        return converged

    def _end_epoch(self, state, record, mean_loss, lr):
        """Count the epoch, refuse an exploding loss, and log it; returns the training objective."""
        state.n_iter += 1
        record.epoch += 1
        loss = state.objective(mean_loss, self.settings.penalty)
        first = record.first_loss = loss if record.first_loss is None else record.first_loss
        if loss - first > EXPLOSION_FACTOR * max(1.0, abs(first)):
            raise DivergenceError(
                f"the fit diverged in epoch {state.n_iter}: the training loss grew from {first:.6g} "
                f"to {loss:.6g}. Use a smaller learning_rate or standardize the features.", iteration=state.t)
        state.history["loss"].append(loss)
        state.history["lr"].append(lr)
        return loss


def _convergence_warning():
    from sklearn.exceptions import ConvergenceWarning  # the estimators have loaded scikit-learn already

    return ConvergenceWarning
