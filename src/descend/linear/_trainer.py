r"""The epoch loop of the linear models: one loop for data in memory, streamed in chunks, or on a cluster.

:meth:`Trainer.fit` runs, for any data source (:mod:`descend.linear._sources`,
:mod:`descend.linear._dask`)::

    resume: the loop's record and the random state from the checkpoint
            (a fit that had stopped comes back as it was)
    summary = source.summary(rng)            (moments, target mean; refuses NaN and inf)
    state   = a fresh model, or the current one continued
    lr0     = learning_rate, or "auto" (descend.linear._rate); the schedule from it
    for each epoch:
        source.epoch(stepper, rng)           (the only part that differs by source)
        end of epoch: count it, refuse an exploding loss, record loss and rate
        stopping rule (below)
        checkpoint every checkpoint_every epochs and at the end
    early stopping keeps the best epoch's weights; ending short of tol warns, saying how short

The stopping rules, both judged against ``tol``:

* **on the full batch** (a smooth loss, no early stopping): the norm of the
  objective's minimum-norm subgradient at the weights, relative to its value
  at the start, :math:`\lVert G(\theta_k) \rVert \le \mathrm{tol}\,
  \lVert G(\theta_0) \rVert`. It is zero exactly at the optimum, with or
  without an L1 part, as the optimality tests of exact solvers are;
* **on mini-batches** (or hinge's kinks, or a validation loss): a relative
  plateau, the monitored loss not below :math:`(1 - \mathrm{tol})` times its
  best for ``n_iter_no_change`` epochs in a row. A fit that runs out of
  epochs measures its full-batch gradient once, for the warning.

The quantile, hinge, perceptron and epsilon-insensitive losses have kinks,
and gradient descent on the full batch would circle them. Their full-batch
fits minimize instead the loss's Moreau envelope of width h
(:func:`descend.losses.quantile`, :func:`descend.losses.ramp_envelope`), a
smooth function below the loss by at most h/2, by the line search, to the gradient
rule above; then h shrinks tenfold, the line search starts afresh from the
weights reached, and so on from h = the target's mean absolute deviation
down to tol times that (:data:`SMOOTHING_SHRINK`): the last problem is within
tol/2 of the spread of the target of the true one, and each starts close to
its optimum (continuation, as Nesterov's smoothing is used in practice).
For data in memory, the end of each stage (and every :data:`EXACT_EVERY`
epochs) tries for the kinked objective's exact minimizer, from the rows the
smoothed one puts on the kinks (:mod:`descend.linear._kinks`); found, it ends
the fit.

The source is the only thing that differs: it knows how to summarize its
rows, measure their curvature and walk them once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import EXPLOSION_FACTOR, DivergenceError
from ..optimizers import LBFGS, SGD, Optimizer
from ._checkpoint import Checkpoint, loop_state, restore_rng, restore_schedule
from ._rate import initial_rate, make_schedule, normalized_for_target
from ._state import ModelState
from ._steps import Stepper

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

    from .._typing import FloatArray
    from ..losses import Loss
    from ._settings import Settings
    from ._sources import Source
    from ._state import DataSummary
    from ._steps import Pairs

__all__ = ["Trainer", "Record", "rate_text"]

# The quantile loss's smoothing shrinks by this factor at each stage of a full-batch fit, once the
# stage's gradient is STAGE_TOL of the one it started from, down to FINAL_SMOOTHING * tol times the
# target's spread, whose stage goes on to tol. Measured on 2,000 x 10 (quantiles 0.1, 0.5, 0.9, with
# and without L1): 250 to 800 epochs, objectives within 1e-6 of the linear program's (before the exact
# minimizer, below, ended most fits far earlier).
SMOOTHING_SHRINK = 10.0
STAGE_TOL = 1e-3
FINAL_SMOOTHING = 100.0
# The exact minimizer (descend.linear._kinks) is sought at the end of each stage and every EXACT_EVERY
# epochs within one: degenerate problems (ties, one-hot columns) can stall a stage long before its end.
EXACT_EVERY = 25


@dataclass
class Record:
    """What the loop remembers across epochs: its count, the stopping rule's state, the best epoch
    for early stopping, the first loss (for the divergence rule) and the rows met. A checkpoint holds it."""

    epoch: int = 0
    best_loss: float = math.inf
    best_val: float = math.inf
    no_improvement: int = 0
    best_theta: FloatArray | None = None
    best_iteration: int | None = None
    first_loss: float | None = None
    rows_seen: int = 0
    first_stationarity: float | None = None  # the gradient rule's reference, at the starting weights
    stationarity: float | None = None  # the latest measured
    step_size: float | None = None  # the line search's next step to try
    recent: list[float] | None = None  # the line search's last objectives
    stopped: bool = False  # the stopping rule ended the fit: resuming it changes nothing
    smoothing: float | None = None  # the quantile loss's current smoothing (full batch)
    final_smoothing: float | None = None  # and the one its last stage minimizes with
    stage_first: float | None = None  # the stationarity the current stage started from
    memory: Pairs | FloatArray | None = None  # L-BFGS's (s, y, y's); in a checkpoint rows s1, y1, s2, y2...

    def plateaued(self, monitored: float, key: str, tol: float | None, patience: int) -> bool:
        """The plateau rule: True once ``monitored`` has not fallen below (1 - tol) times its best
        (``key``) for ``patience`` epochs in a row."""
        best = getattr(self, key)
        if tol is not None and best < math.inf and monitored > best - tol * abs(best):
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        setattr(self, key, min(best, monitored))
        return self.no_improvement >= patience

    def gradient_small(self, stationarity: float, tol: float | None) -> bool:
        """The full batch's rule: True once the stationarity is at most tol times its first value."""
        if self.first_stationarity is None:
            self.first_stationarity = stationarity
        self.stationarity = stationarity
        return tol is not None and stationarity <= tol * self.first_stationarity

    def to_dict(self) -> dict[str, Any]:
        document = asdict(replace(self, memory=None))
        pairs = self.memory
        if isinstance(pairs, list):
            pairs = np.array([row for s, y, _ in pairs for row in (s, y)]) if pairs else None
        document["memory"] = pairs
        return document


def rate_text(rows_per_second: float | None, bytes_per_row: float | None = None) -> str:
    """A streamed fit's pace as its progress bar shows it: ``"2.49M rows/s, 524 MB/s"``, the bytes those
    rows take in the files (``bytes_per_row``, None: rows only); empty before there is a pace."""
    if rows_per_second is None:
        return ""
    text = f"{_count(rows_per_second)} rows/s"
    if bytes_per_row:
        megabytes = rows_per_second * bytes_per_row / 1e6
        text += f", {megabytes:.3g} MB/s" if megabytes < 1000 else f", {megabytes:,.0f} MB/s"
    return text


def _count(value: float) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


class _Progress:
    """A rich progress bar counting rows (no bar when the total is unknown); for a source read from
    files (``bytes_per_row`` known: a stream), its pace in rows/s and MB/s of the files."""

    def __init__(self, name: str, total: int | None, bytes_per_row: float | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
        from rich.text import Text

        class Pace(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed if task.finished else task.speed
                return Text(rate_text(speed, bytes_per_row), style="progress.data.speed")

        self.name = name
        columns: list[str | ProgressColumn] = [
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            "rows",
        ]
        if bytes_per_row is not None:
            columns.append(Pace())
        self.bar = Progress(*columns, TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task(name, total=total)
        self.bar.start()

    def advance(self, rows: int) -> None:
        self.bar.advance(self.task, rows)

    def epoch(self, epoch: int, n_epochs: int) -> None:
        self.bar.update(self.task, description=f"{self.name} epoch {epoch}/{n_epochs}")

    def stop(self) -> None:
        self.bar.stop()


class Trainer:
    """Fits a ModelState on a data source with validated ``settings``; ``name`` names the estimator in
    messages, ``params`` are its parameters (for checkpoints), ``engine`` "compiled" or "reference"."""

    def __init__(self, settings: Settings, *, name: str, params: dict[str, Any], engine: str = "compiled") -> None:
        self.settings, self.name, self.engine = settings, name, engine
        self.checkpoint = (
            Checkpoint(settings.checkpoint, settings.checkpoint_every, params)
            if settings.checkpoint is not None
            else None
        )

    def fit(
        self,
        source: Source,
        state: ModelState | None,
        rng: np.random.RandomState,
        *,
        n_epochs: int,
        stopping: bool,
        resume: bool = False,
    ) -> tuple[ModelState, Record]:
        """Train ``state`` (None for a fresh model) for up to ``n_epochs`` epochs over ``source``;
        ``stopping`` applies the stopping rules (fit) or not (partial_fit, one epoch).
        Returns (state, record)."""
        document: dict[str, Any] | None
        record, document = Record(), None
        if resume:
            document = (self.checkpoint or Checkpoint(None, 1, {})).read(source.fingerprint())
            restore_rng(document, rng)
            record = Record(**loop_state(document))
        summary = source.summary(rng)
        loss = self.settings.loss_for(summary.loss).for_targets(summary.target_max)
        if record.smoothing is None and loss.smoothable:
            spread = max(summary.target_spread, 1e-12)
            record.smoothing, record.final_smoothing = spread, spread * FINAL_SMOOTHING * (self.settings.tol or 1e-6)
        state = self._starting_state(state, summary)
        unit = summary.target_spread or float(np.max(np.abs(summary.target_mean)))  # one row: its target
        # A resumed fit too: its data, its damping.
        normalized_for_target(self.settings, loss, state, unit, summary.target_rms or unit)
        if document is not None:
            state.restore(document["model"])
        else:
            state.learning_rate = initial_rate(
                self.settings, loss, state, source, source.batch_size, self.engine, target_spread=unit
            )
        if record.stopped or record.epoch >= n_epochs:
            self._say_nothing_to_resume(record, state)
        else:
            self._run(source, state, loss, rng, record, n_epochs, stopping, document)
        if record.best_theta is not None:  # early stopping keeps the weights of the best validation loss
            state.theta[:] = record.best_theta
        # An online fit (one pass, chosen by batch_size="auto") is not judged by a stopping rule.
        if stopping and not record.stopped and self.settings.tol is not None and not self.settings.online:
            self._warn_short(source, state, loss, record)
        return state, record

    def _run(
        self,
        source: Source,
        state: ModelState,
        loss: Loss,
        rng: np.random.RandomState,
        record: Record,
        n_epochs: int,
        stopping: bool,
        document: dict[str, Any] | None,
    ) -> None:
        """The schedule, the stepper and the progress bar around the epochs."""
        settings = self.settings
        schedule = make_schedule(settings, state.learning_rate, source.steps_per_epoch)
        if document is not None:
            restore_schedule(document, schedule)
        plain_sgd = settings.learning_rate == "auto" and isinstance(state.optimizer, SGD) and state.optimizer.is_plain
        line_search = (
            source.full_batch and (loss.smooth or loss.smoothable) and (plain_sgd or isinstance(state.optimizer, LBFGS))
        )
        if line_search and record.step_size is None:
            record.step_size, record.recent = state.learning_rate, []  # the first epoch tries 1/L
        progress = (
            _Progress(
                self.name,
                None if source.rows_per_epoch is None else n_epochs * source.rows_per_epoch,
                getattr(source, "bytes_per_row", None),
            )
            if settings.verbose
            else None
        )
        stepper = Stepper(
            state,
            settings,
            loss,
            schedule,
            engine=self.engine,
            progress=progress,
            line_search=line_search,
            step_size=record.step_size,
            memory=record.memory,
            n_threads=settings.n_threads,
        )
        smoothed = line_search and not loss.smooth
        if smoothed:
            assert record.smoothing is not None  # fit() set it for a loss with kinks
            stepper.smooth_with(record.smoothing)
        stepper.recent = list(record.recent or [])
        rule = (
            "gradient"
            if (source.full_batch and (loss.smooth or smoothed) and not settings.early_stopping)
            else "plateau"
        )
        try:
            self._epochs(source, stepper, rng, record, n_epochs, stopping, rule)
        finally:
            if progress is not None:
                progress.stop()

    def _say_nothing_to_resume(self, record: Record, state: ModelState) -> None:
        assert self.checkpoint is not None  # a fresh record always has epochs to run: this one was resumed
        if record.stopped:
            what = f"its stopping rule ended at epoch {record.epoch}: its model is returned unchanged"
        else:
            what = f"ran all its {record.epoch} epochs: its model is returned unchanged; raise max_iter to go on"
        warnings.warn(f"{self.checkpoint.path} holds a fit that {what}", UserWarning, stacklevel=5)

    def _warn_short(self, source: Source, state: ModelState, loss: Loss, record: Record) -> None:
        """The ConvergenceWarning of a fit that ended short of tol, saying how short."""
        settings, history = self.settings, state.history
        where = f"{self.name} reached max_iter={settings.max_iter} epochs"
        if record.first_stationarity is not None and record.stationarity is not None:
            ratio = record.stationarity / record.first_stationarity if record.first_stationarity > 0 else 0.0
            message = (
                f"{where} with the gradient's norm at {ratio:.1e} of its first value, above tol={settings.tol:g}: "
                "the fit stopped short of the optimum. Raise max_iter, or try another optimizer or "
                "learning_rate."
            )
        else:
            monitored = history["val_loss"] if history["val_loss"] else history["loss"]
            k = min(settings.n_iter_no_change, len(monitored) - 1)
            if k > 0:
                change = (monitored[-1] - monitored[-k - 1]) / max(abs(monitored[-1]), 1e-300)
                moved = (
                    f"{'fell' if change < 0 else 'rose'} by {abs(change):.1e} (relative) over its last {k} "
                    f"epochs, more than tol={settings.tol:g}"
                )
            else:  # one epoch: nothing to compare it with yet
                moved = (
                    f"had a single epoch, too few for the stopping rule to judge: it compares the last "
                    f"n_iter_no_change={settings.n_iter_no_change} epochs"
                )
            measured = source.stationarity(Stepper(state, settings, loss, None, engine=self.engine))
            message = (
                f"{where} while the {'validation' if history['val_loss'] else 'training'} loss {moved}"
                + ("" if measured is None else f"; the full batch's gradient norm is {measured:.2e}")
                + ". Raise max_iter or tol, or use a decaying schedule."
            )
        warnings.warn(message, _convergence_warning(), stacklevel=5)

    def _starting_state(self, state: ModelState | None, summary: DataSummary) -> ModelState:
        """A fresh model from the data's summary, or ``state`` continued on data like this."""
        settings = self.settings
        assert isinstance(settings.optimizer, Optimizer)  # for_data settled "auto"
        if state is None:
            return ModelState.start(
                summary,
                n_out=summary.n_out,
                loss=summary.loss,
                optimizer=settings.optimizer,
                standardize=settings.standardized_steps,
                fit_intercept=settings.fit_intercept,
                dtype=summary.dtype,
            )
        state.continue_with(settings.optimizer, len(summary.mean), summary.dtype)
        return state

    def _epochs(
        self,
        source: Source,
        stepper: Stepper,
        rng: np.random.RandomState,
        record: Record,
        n_epochs: int,
        stopping: bool,
        rule: str,
    ) -> None:
        """The loop itself; ``rule`` is "gradient" or "plateau" (the module docstring)."""
        settings, state = self.settings, stepper.state
        observe = getattr(stepper.schedule, "observe", None)
        while record.epoch < n_epochs and not record.stopped:
            if stepper.progress is not None:
                stepper.progress.epoch(record.epoch + 1, n_epochs)
            epoch = source.epoch(stepper, rng)
            if epoch.weight_sum == 0:
                raise ValueError("the source gave no rows")
            record.rows_seen += epoch.rows
            record.step_size, record.recent = stepper.step_size, list(stepper.recent)
            record.memory = stepper.memory  # the list itself: a checkpoint stacks it (Record.to_dict)
            loss = self._end_epoch(state, record, epoch.loss_sum / epoch.weight_sum, stepper.last_lr)
            if observe is not None:
                observe(loss)
            validation = source.validation_loss(stepper) if stopping else None
            if validation is not None:
                state.history["val_loss"].append(validation)
                if validation < record.best_val:
                    record.best_theta, record.best_iteration = state.theta.copy(), state.n_iter
                record.stopped = record.plateaued(validation, "best_val", settings.tol, settings.n_iter_no_change)
            elif stopping and rule == "gradient" and stepper.smoothing > 0:
                record.stopped = self._smoothing_stage(source, record, stepper, epoch.stationarity)
            elif stopping and rule == "gradient":
                record.stopped = record.gradient_small(epoch.stationarity, settings.tol)
            elif stopping:
                record.stopped = record.plateaued(loss, "best_loss", settings.tol, settings.n_iter_no_change)
            if self.checkpoint is not None and self.checkpoint.due(
                record.epoch, record.stopped or record.epoch == n_epochs
            ):
                self.checkpoint.write(
                    fingerprint=source.fingerprint(),
                    loop=record.to_dict(),
                    rng=rng,
                    schedule=stepper.schedule,
                    state=state,
                )

    def _smoothing_stage(self, source: Source, record: Record, stepper: Stepper, stationarity: float) -> bool:
        """The gradient rule of a smoothed fit (the module docstring): a stage ends at STAGE_TOL of the
        stationarity it started from, the last at tol of the first. At the end of each stage, and every
        EXACT_EVERY epochs, a source that can tries for the exact minimizer (descend.linear._kinks).
        Returns whether the fit is done."""
        assert record.smoothing is not None and record.final_smoothing is not None  # fit() set them: a smoothed fit
        done = record.gradient_small(stationarity, self.settings.tol)
        if record.stage_first is None:
            record.stage_first = stationarity
        stage_over = stationarity <= STAGE_TOL * record.stage_first
        if (done or stage_over or record.epoch % EXACT_EVERY == 0) and self._exact_minimizer(source, record, stepper):
            return True
        if record.smoothing <= record.final_smoothing:
            return done
        if stage_over:
            record.smoothing = max(record.smoothing / SMOOTHING_SHRINK, record.final_smoothing)
            record.stage_first = None
            stepper.smooth_with(record.smoothing)
        return False

    def _exact_minimizer(self, source: Source, record: Record, stepper: Stepper) -> bool:
        """Move to the kinked objective's exact minimizer where the source finds it; whether it did."""
        found = source.kinked_minimizer(stepper)
        if found is None:
            return False
        theta, objective = found
        stepper.state.theta[:] = theta
        stepper.smooth_with(0.0)
        record.smoothing = record.stationarity = 0.0
        stepper.state.history["loss"][-1] = objective  # the epoch's objective, now the kinked one's minimum
        return True

    def _end_epoch(self, state: ModelState, record: Record, mean_loss: float, lr: float) -> float:
        """Count the epoch, refuse an exploding loss, and log it; returns the training objective."""
        state.n_iter += 1
        record.epoch += 1
        loss = state.objective(mean_loss, self.settings.penalty)
        first = record.first_loss = loss if record.first_loss is None else record.first_loss
        if loss - first > EXPLOSION_FACTOR * max(1.0, abs(first)):
            raise DivergenceError(
                f"the fit diverged in epoch {state.n_iter}: the training loss grew from {first:.6g} "
                f"to {loss:.6g}. Use a smaller learning_rate or standardize the features.",
                iteration=state.t,
            )
        state.history["loss"].append(loss)
        state.history["lr"].append(lr)
        return loss


def _convergence_warning() -> type[Warning]:
    from sklearn.exceptions import ConvergenceWarning  # the estimators have loaded scikit-learn already

    return ConvergenceWarning
