r"""The learning rate of a fit: ``learning_rate="auto"`` and the named schedules.

``"auto"`` for gradient descent (SGD, momentum, Nesterov) is :math:`1/L`,
with L the smoothness of the objective measured on the data: the largest
eigenvalue of :math:`\tilde X^\top W \tilde X / \sum w` (standardized rows,
weighted) times the loss's curvature bound, plus the L2 penalty's. Below
:math:`2/L` gradient descent cannot diverge (:mod:`descend.curvature`), so
the defaults are safe even on unscaled features. Plain gradient descent on
the full batch starts from it and then finds its steps by a line search
(:mod:`descend.linear._steps`).

The normalized update (:class:`descend.optimizers.Normalized`) divides
each step by the scale of its feature and of its row, so its steps move a
score by about the rate whatever the features' units. Given by its name,
``"auto"`` takes its own rate in the units of the score: times the
target's spread (its mean absolute deviation) for a regression loss on the
target's own scale, as is for the margins of a classifier and the log of a
log link. Its damping, in units of the loss derivative squared, counts
rows' worth of log loss's derivative at even odds; for squared error it is
then in units of the target's deviation squared (:func:`normalized_for_target`).
Its steps are then the same for prices in dollars or in cents.

For the adaptive optimizers (Adagrad, RMSprop, Adadelta, the Adam family),
whose step moves each coordinate by about the learning rate whatever the
gradient's size, the unit is the scale of the optimum's coordinates in the
standardized space, which the data alone do not tell. ``"auto"`` therefore
runs a short search (:func:`searched_rate`) when the optimizer is given by
its name (an instance, ``Adam(lr=0.05)``, keeps its own rate): each of :data:`SEARCH_RATES`
trains a copy of the starting model for :data:`SEARCH_EPOCHS` epochs on at
most :data:`SEARCH_ROWS` rows of the training data (with the fit's batch
size), and the rate whose objective ends lowest is kept (on a tie, the
smaller). On more rows, the trials are cut (:func:`search_plan`) to cost at
most :data:`SEARCH_SHARE` of the shortest fit that may follow: one pass of
Adagrad over 120,000 documents took its search from 17 times the pass to
about a quarter of it, choosing the same rate. Measured on Default, iris and Boston (BENCHMARKS.md), Adam, AMSGrad,
RAdam and Adamax then reach the optimum within their 1000 epochs; RMSprop,
NAdam and Adadelta, whose constant-rate steps keep circling it, warn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import DivergenceError
from ..losses import REGRESSION_LOSSES
from ..optimizers import LBFGS, SGD, Normalized
from ..schedules import Constant, get_schedule, optimal_initial_rate
from ._steps import Stepper

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..losses import Loss
    from ._settings import Settings
    from ._sources import Source
    from ._state import ModelState

__all__ = [
    "initial_rate",
    "searched_rate",
    "search_plan",
    "make_schedule",
    "SEARCH_RATES",
    "SEARCH_EPOCHS",
    "SEARCH_ROWS",
    "SEARCH_SHARE",
]

SEARCH_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
SEARCH_EPOCHS = 20
SEARCH_ROWS = 10_000
# On more rows than SEARCH_ROWS, the trials step through at most this share of the rows of the
# shortest fit that can follow (max_iter epochs, or the n_iter_no_change + 1 the plateau rule needs):
# fewer epochs of each trial, and fewer rows, down to one epoch. A trial costs more than its rows (a
# copy of the state, the loss measured after): the search of one Adagrad pass over 120,000 hashed
# documents took 0.34 of the pass's time at 0.15, 0.25 at 0.1 (the same rate chosen).
SEARCH_SHARE = 0.1
# The size of log loss's derivative at even odds, the start of a classifier's fit: the normalized
# update's damping (descend.linear._settings.ONLINE_DAMPING) counts squared derivatives of that size.
# On case (u)'s 120,000 hashed documents (benchmarks/user_cases.py), one pass's held-out R^2 with the
# damping times (rms deviation / EVEN_ODDS_DERIVATIVE)^2 = 40 var(y): 0.741, against 0.725 with
# times the spread squared (10 (mean absolute deviation)^2); 0.377 against 0.341 with noise of
# variance 1 added to the target, 0.748 against 0.733 with the rows binary (Ridge(): 0.747, 0.393,
# 0.594). Tried from 24 to 80 var(y): within 0.002 on the first, 0.005 on the binary rows, and from 0.369
# to 0.385 on the noisier target, the larger dampings better.
EVEN_ODDS_DERIVATIVE = 0.5


def initial_rate(
    settings: Settings,
    loss: Loss,
    state: ModelState,
    source: Source,
    batch_size: int,
    engine: str = "compiled",
    target_spread: float = 1.0,
) -> float:
    """The first learning rate: ``settings.learning_rate`` when a number, else as the module docstring says
    (``target_spread``, the summary's, is the normalized update's unit for a regression loss: the
    mean absolute deviation of the target, or of the first rows of a stream, which set it for the rest;
    the target itself when a first row has no deviation).

    ``source`` gives the largest eigenvalue of the standardized Gram matrix and the largest row
    norm (``source.curvature``) of the ``source.curvature_rows`` rows the estimate is about, and
    for the search a sample of its rows.
    """
    if settings.learning_rate != "auto":
        return float(settings.learning_rate)
    if settings.schedule == "optimal":
        return optimal_initial_rate(_optimal_alpha(settings))
    optimizer = state.optimizer
    if isinstance(optimizer, Normalized):
        if state.t > 0:  # rows that come in chunks: the unit their first rows gave holds
            return state.learning_rate
        return optimizer.lr * _score_unit(settings, loss, target_spread)
    if not isinstance(optimizer, (SGD, LBFGS)):  # an instance's rate is the one its maker chose
        searched = settings.optimizer_named and not optimizer.rate_free
        return searched_rate(settings, loss, state, source, engine) if searched else optimizer.lr
    n = source.curvature_rows
    mini_batches = batch_size < n
    # One sample a step needs only the largest row (Gower's formula below at b = 1).
    eigenvalue, row_norm = source.curvature(state, eigenvalue=batch_size > 1 or not mini_batches, row_norm=mini_batches)
    if mini_batches:
        # Expected smoothness of a mini-batch of size b (Gower et al. 2019,
        # "SGD: General Analysis and Improved Rates", Proposition 3.8):
        # L_b = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max.
        b = batch_size
        assert row_norm is not None and (eigenvalue is not None or b == 1)  # each measured as asked above
        L = (
            n * (b - 1) / (b * (n - 1)) * loss.curvature * (eigenvalue if eigenvalue is not None else 0.0)
            + (n - b) / (b * (n - 1)) * loss.curvature * row_norm
        )
    else:
        assert eigenvalue is not None  # asked for the full batch
        L = loss.curvature * eigenvalue
    L += state.penalty_weights(settings.penalty)[1].max(initial=0.0)  # the L2 part's curvature
    rate = 1.0 / max(L, 1e-12)
    if mini_batches:
        # Momentum multiplies the step (and the gradient noise) by 1 / (1 - momentum)
        # in the long run; on noisy batches, take that back.
        assert isinstance(optimizer, SGD)  # L-BFGS takes the full batch (for_data)
        rate *= 1.0 - optimizer.momentum
    return rate


def _on_target_scale(settings: Settings, loss: Loss) -> bool:
    """Whether the normalized update's rate is in the target's units: a regression loss on the target's
    scale, the update named (or chosen by ``"auto"``)."""
    return loss.name in REGRESSION_LOSSES and not loss.log_link and settings.optimizer_named


def _score_unit(settings: Settings, loss: Loss, target_spread: float) -> float:
    """The normalized update's unit of the score (the module docstring): the target's spread where
    :func:`_on_target_scale`; else 1."""
    unit = float(target_spread) if target_spread > 0 else 1.0
    return unit if _on_target_scale(settings, loss) else 1.0


def normalized_for_target(
    settings: Settings, loss: Loss, state: ModelState, target_spread: float, target_rms: float
) -> None:
    """At the start of a fit, ``state.optimizer`` (the normalized update) with its damping in the units
    of the loss derivative when ``"auto"`` puts its rate in the score's (:func:`_score_unit`). The
    damping counts squared derivatives, and was set for log loss, whose derivative at even odds is
    +-1/2 (:data:`EVEN_ODDS_DERIVATIVE`): the same number of rows' worth for squared error, whose
    derivative at the mean target is the target's deviation, is the damping times (rms deviation /
    (1/2))^2. Other regression losses on the target's scale take the spread squared. A rate given by
    the user leaves the damping as it is; a fit that goes on keeps its own."""
    optimizer = state.optimizer
    if not (isinstance(optimizer, Normalized) and state.t == 0 and optimizer.damping > 0):
        return
    if settings.learning_rate != "auto" or not _on_target_scale(settings, loss):
        return
    if loss.name == "squared_error":
        unit = (target_rms if target_rms > 0 else 1.0) / EVEN_ODDS_DERIVATIVE
    else:
        unit = _score_unit(settings, loss, target_spread)
    state.optimizer = Normalized(optimizer.lr, optimizer.invariant, optimizer.damping * unit * unit)


def searched_rate(settings: Settings, loss: Loss, state: ModelState, source: Source, engine: str = "compiled") -> float:
    """The rate of :data:`SEARCH_RATES` whose short run on a sample ends at the lowest objective (see
    the module docstring); the optimizer's own rate if every one diverges."""
    sample_rows, epochs = search_plan(settings, source.rows_per_epoch or source.curvature_rows)
    data, rows = source.sample(sample_rows)
    if source.full_batch:
        batch = len(rows)
    else:
        assert isinstance(settings.batch_size, int)  # for_data settled it: mini-batches
        batch = min(settings.batch_size, len(rows))
    weight_mean = float(data.weights[rows].mean()) if data.weights.size else 1.0
    best_rate, best = state.optimizer.lr, np.inf
    for rate in SEARCH_RATES:
        trial = state.copy()
        stepper = Stepper(trial, settings, loss, Constant(rate), engine=engine)
        shuffle = np.random.RandomState(0)  # every rate sees the same batches
        try:
            for _ in range(epochs):
                stepper.steps(data, shuffle.permutation(rows) if batch < len(rows) else rows, batch, weight_mean)
            score = trial.objective(stepper.mean_loss(data, rows), settings.penalty)
        except DivergenceError:
            continue
        if score < best:
            best_rate, best = rate, score
    return best_rate


def search_plan(settings: Settings, n_rows: int) -> tuple[int, int]:
    """(rows, epochs) of each trial of the search on ``n_rows`` training rows: :data:`SEARCH_ROWS` and
    :data:`SEARCH_EPOCHS`, cut on more rows so that the trials together cost at most
    :data:`SEARCH_SHARE` of the shortest fit (in rows stepped through)."""
    if n_rows <= SEARCH_ROWS:
        return SEARCH_ROWS, SEARCH_EPOCHS
    shortest = settings.max_iter if settings.tol is None else min(settings.max_iter, settings.n_iter_no_change + 1)
    per_trial = SEARCH_SHARE * n_rows * shortest / len(SEARCH_RATES)
    rows = int(max(1, min(SEARCH_ROWS, per_trial)))
    return rows, int(min(SEARCH_EPOCHS, max(1, per_trial // rows)))


def make_schedule(settings: Settings, lr0: float, steps_per_epoch: int) -> Callable[[int], float]:
    """The schedule of ``settings.schedule`` starting at ``lr0``; the named ones count in epochs:
    ``"step"`` halves the rate every 10 epochs, ``"exponential"`` divides it by e every 10,
    ``"cosine"`` makes one cycle over ``max_iter`` epochs. A callable is used as it is."""
    name = settings.schedule
    if not isinstance(name, str):
        return name
    if name == "cosine":
        return get_schedule("cosine", lr0, total_steps=settings.max_iter * steps_per_epoch)
    if name == "step":
        return get_schedule("step", lr0, steps=10 * steps_per_epoch)
    if name == "exponential":
        return get_schedule("exponential", lr0, k=1.0 / (10 * steps_per_epoch))
    if name == "optimal":
        return get_schedule("optimal", lr0, alpha=_optimal_alpha(settings))
    return get_schedule(name, lr0)


def _optimal_alpha(settings: Settings) -> float:
    """The penalty weight the ``"optimal"`` schedule decays with: ``alpha``, as scikit-learn's."""
    alpha = 0.0 if settings.penalty is None else settings.penalty.alpha
    if alpha <= 0:
        raise ValueError(
            f"schedule='optimal' decays as 1 / (alpha t): it needs a penalty with alpha > 0, got {settings.penalty!r}"
        )
    return alpha
