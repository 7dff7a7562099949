"""An estimator's parameters, checked once at the start of a fit.

scikit-learn's contract: ``__init__`` stores its arguments untouched and
``fit`` validates them. :func:`fit_settings` does that validation and turns
the parameters into what the training loop uses (an optimizer object, a
penalty object), so that nothing after it checks a parameter again.

``optimizer="auto"`` and ``batch_size="auto"``, the defaults, are settled
from the data by :func:`for_data`, once the rows are known:

* a **large sparse** matrix (:func:`is_large_sparse`: at least
  :data:`ONLINE_MIN_ROWS` rows and :data:`ONLINE_MIN_FEATURES` features, at
  most :data:`ONLINE_MAX_DENSITY` of its entries non-zero, as hashed text,
  click logs and one-hot categories are) is learned **online**, as Vowpal
  Wabbit learns by default: one pass, one row a step, with the normalized
  update (:class:`descend.optimizers.Normalized`), each row costing its
  non-zeros. Further passes on such data mostly fit its noise. The update is
  damped (:data:`ONLINE_DAMPING`, at the rate :data:`ONLINE_RATE`);
* anything else takes the **full batch**: L-BFGS (:class:`descend.optimizers.LBFGS`)
  for a smooth (or smoothed) loss without an L1 part, else plain gradient
  descent by proximal steps (SpaRSA); both under a line search, to the exact
  minimizer of the objective;
* ``batch_size=1`` given with ``optimizer="auto"`` takes the same damped normalized
  update, for as many epochs as the stopping rule lets it (the perceptron,
  whose algorithm is plain per-sample steps, keeps SGD).

The choice depends on the data, not on its storage: the same rows as a dense
array are judged by their non-zeros alike. The fitted estimator says what was
chosen (``optimizer_``, ``batch_size_``).

The full batch of a sparse, wide matrix (:func:`is_sparse_wide`) steps on its
columns as they are, whatever ``standardize`` says: the objective and its
minimizer are the same either way (standardizing is a change of variables),
but dividing a rare word's column by its small deviation makes it a few huge
entries, and the problem far worse conditioned (L-BFGS on 120,000 hashed
documents: 147 passes unscaled, more than 300 scaled).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._checks import (
    check_choice,
    check_integer,
    check_interval,
    check_nonnegative,
    check_number,
    check_positive,
    check_tolerance,
    is_number,
)
from .._threads import check_n_jobs, threads_for
from ..losses import LOSSES, Loss, get_loss
from ..optimizers import LBFGS, SGD, Muon, Normalized, Optimizer, get_optimizer
from ..penalties import ElasticNet, get_penalty
from ..schedules import SCHEDULE_NAMES

if TYPE_CHECKING:
    import os

    from .._typing import Matrix

__all__ = [
    "Settings",
    "fit_settings",
    "for_data",
    "is_large_sparse",
    "is_sparse_wide",
    "SPARSE_UPDATES",
    "ONLINE_MIN_ROWS",
    "ONLINE_MIN_FEATURES",
    "ONLINE_MAX_DENSITY",
    "ONLINE_RATE",
    "ONLINE_DAMPING",
    "ONLINE_FIRST_ROWS",
]

SPARSE_UPDATES = ("lazy", "dense")

# What makes data "large and sparse", learned online by the defaults (see the module docstring): at
# 10,000 rows one pass sees each frequent feature many times; at 1,000 features and 1% non-zeros a
# row is a few of many features (a text's words, a log line's fields), not a table's columns.
ONLINE_MIN_ROWS = 10_000
ONLINE_MIN_FEATURES = 1_000
ONLINE_MAX_DENSITY = 0.01
# The normalized update the defaults take (one row a step): damped, each feature's AdaGrad sum starting
# at 10 squared derivatives, at twice Vowpal Wabbit's rate. Undamped, a rare word's first rows move its
# weight all the way their gradients say, noise included. On 120,000 hashed documents (benchmarks/
# user_cases.py, held-out accuracy of one pass): Vowpal Wabbit's update 0.768; damped by 0.1, 1, 10, 30
# at rate 0.5: 0.770, 0.774, 0.778, 0.774; by 10 at rates 1 and 2: 0.780, 0.775; the same with the
# rows binary (0.781 at 10 and 1) or times 100 (0.777 at 10 and 0.5); LogisticRegression() 0.777. R^2 on
# the same rows' regression set: 0.698 undamped, 0.725 at 10 and 1 (Ridge() 0.747). On a sparser, cleaner
# problem (tests/linear/test_defaults.py's text_like, 40,000 rows) damping costs a little: 0.782 against
# 0.785 undamped.
ONLINE_RATE = 1.0
ONLINE_DAMPING = 10.0
# Rows learned online (progressive_fit, descend learn) start a fresh model with this many rows, all scored
# by the starting model: they give the fit its units (the target's mean and spread, the normalized
# update's rate and damping for a regression loss), which one row gives by chance. On a stream of 800
# rows, y = x'(1, -2, 0.5) + N(0, 0.1^2), whose first target lies 3.2 deviations out: the progressive
# squared error 0.235 from 32 rows, 0.377 from the first alone.
ONLINE_FIRST_ROWS = 32
# The pairs the full batch's L-BFGS keeps (scipy's L-BFGS-B default, m = 10; torch keeps 100): each pair
# costs four passes over the weights a step, which on a million hashed columns is most of a step.
LBFGS_HISTORY = 10


@dataclass(frozen=True)
class Settings:
    """The validated parameters of a fit (see GDRegressor's docstring for each)."""

    loss: str
    optimizer: Optimizer | str  # "auto" until for_data settles it
    optimizer_named: bool  # given by its name (its rate then "auto"'s to choose), not as an instance
    penalty: ElasticNet | None
    learning_rate: str | float
    schedule: str | Callable[[int], float]
    batch_size: int | None | str  # None: the full batch; "auto" until for_data settles it
    max_iter: int
    tol: float | None
    n_iter_no_change: int
    fit_intercept: bool
    standardize: bool
    early_stopping: bool
    validation_fraction: float
    shuffle: bool
    random_state: Any
    warm_start: bool
    verbose: int
    checkpoint: str | os.PathLike[str] | None
    checkpoint_every: int
    epsilon: float  # Huber's and the insensitive losses' threshold; the classifier has none and leaves it at 0
    sparse_updates: str  # on sparse rows: "lazy" (the touched coordinates) or "dense" (all of them)
    quantile: float = 0.5  # the quantile loss's
    power: float = 1.5  # Tweedie's
    n_jobs: int | None = None  # checked; threads_for turns it into threads when a fit starts

    online: bool = False  # chosen by "auto" for a large sparse matrix: one pass, whatever max_iter says
    raw_columns: bool = False  # the full batch of a sparse, wide matrix steps on its columns as they are

    @property
    def row_steps(self) -> bool:
        """Whether the optimizer learns from rows one at a time (the normalized update): its steps
        touch a row's features only, so sparse rows are never centered."""
        return isinstance(self.optimizer, Normalized)

    @property
    def standardized_steps(self) -> bool:
        """Whether the steps are taken in standardized coordinates: ``standardize``, but for the
        normalized update, which is invariant to each feature's scale (standardizing would change
        its steps by rounding alone) and never centers, and for the full batch of a sparse, wide
        matrix (``raw_columns``: see the module docstring)."""
        return self.standardize and not self.row_steps and not self.raw_columns

    @property
    def dense_steps(self) -> bool:
        """Whether every step is on every coordinate: the full batch, or ``sparse_updates="dense"``
        (sparse rows may then be centered, implicitly)."""
        return not self.row_steps and (self.batch_size is None or self.sparse_updates == "dense")

    @property
    def n_threads(self) -> int:
        """The threads ``n_jobs`` stands for on this machine (descend._threads)."""
        return threads_for(self.n_jobs)

    def loss_for(self, name: str) -> Loss:
        """The loss ``name`` (the settings' loss, or "multinomial" for more than two classes) with
        its parameter."""
        return get_loss(name, epsilon=self.epsilon, quantile=self.quantile, power=self.power)


def _learning_rate(value: Any) -> str | float:
    if value == "auto":
        return value
    if not (is_number(value) and value > 0 and value != float("inf")):
        raise ValueError(f"learning_rate must be 'auto' or a number > 0, got {value!r}")
    return float(value)


def _schedule(value: Any) -> str | Callable[[int], float]:
    if isinstance(value, str):
        if value not in SCHEDULE_NAMES:
            raise ValueError(f"Unknown schedule {value!r}; valid names are: {', '.join(SCHEDULE_NAMES)}")
    elif not callable(value):
        raise TypeError(f"schedule must be a name or a callable t -> lr, got {value!r}")
    return value


def _batch_size(value: Any) -> int | str | None:
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    if isinstance(value, bool) or not is_number(value) or int(value) != value:
        raise ValueError(f"batch_size must be 'auto', None (full batch) or an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"batch_size must lie between 1 and the number of samples, got {value}")
    return int(value)


def _default_batch_size(loss: str, batch_size: int | str | None) -> int | str | None:
    """The loss that learns only row by row (the perceptron) takes 1 for None or "auto"."""
    if batch_size in (None, "auto") and LOSSES[loss].learns_row_by_row:
        return 1
    return batch_size


def _optimizer(value: Any) -> Optimizer | str:
    if isinstance(value, str) and value == "auto":
        return value
    return get_optimizer(value)


def is_sparse_wide(X: Matrix) -> bool:
    """Whether ``X`` (dense or CSR) has at least :data:`ONLINE_MIN_FEATURES` features and at most
    :data:`ONLINE_MAX_DENSITY` of its entries non-zero: its non-zeros are counted only when its
    shape qualifies."""
    n, p = X.shape
    if p < ONLINE_MIN_FEATURES or n == 0:
        return False
    nonzeros = X.nnz if sp.issparse(X) else np.count_nonzero(X)
    return nonzeros <= ONLINE_MAX_DENSITY * n * p


def is_large_sparse(X: Matrix) -> bool:
    """Whether ``X`` is large and sparse as the module docstring says: sparse and wide
    (:func:`is_sparse_wide`) with at least :data:`ONLINE_MIN_ROWS` rows."""
    return X.shape[0] >= ONLINE_MIN_ROWS and is_sparse_wide(X)


def for_data(
    settings: Settings,
    X: Matrix | None,
    previous: tuple[Optimizer, int | str | None] | None = None,
    *,
    chunks: bool = False,
    online: bool = False,
) -> Settings:
    """``settings`` with ``"auto"`` settled for the rows ``X`` (module docstring); ``previous``, the
    (optimizer, batch size) of the fit a warm start or ``partial_fit`` goes on from, keeps them.
    ``chunks``: the rows come in blocks (a stream), so no step sees the full batch: L-BFGS is out.
    ``online``: rows learned as they come (progressive validation), one a step at ``"auto"``."""
    batch_size, optimizer = settings.batch_size, settings.optimizer
    if previous is not None:
        optimizer = previous[0] if optimizer == "auto" else optimizer
        batch_size = previous[1] if batch_size == "auto" else batch_size
    if batch_size == "auto":
        online = online or (X is not None and is_large_sparse(X))
        batch_size = 1 if online else None
    l1_part = settings.penalty is not None and settings.penalty.l1 > 0
    if optimizer == "auto":
        if batch_size == 1 and not LOSSES[settings.loss].learns_row_by_row:
            optimizer = Normalized(ONLINE_RATE, damping=ONLINE_DAMPING)
        elif batch_size is None and not (l1_part or chunks or LOSSES[settings.loss].learns_row_by_row):
            optimizer = LBFGS(history_size=LBFGS_HISTORY)
        else:
            optimizer = SGD()
    if isinstance(optimizer, Normalized) and batch_size != 1:
        raise ValueError(
            f"optimizer='normalized' learns one row a step: it takes batch_size=1 (or 'auto'), got "
            f"batch_size={batch_size!r}; for batches, use an optimizer of gradients such as 'adagrad'"
        )
    if isinstance(optimizer, LBFGS) and (batch_size is not None or l1_part or chunks):
        what = (
            "a source of chunks"
            if chunks
            else f"batch_size={batch_size!r}"
            if batch_size is not None
            else "a penalty with an L1 part"
        )
        raise ValueError(
            f"optimizer='lbfgs' takes the full batch (batch_size=None) of a smooth objective, got "
            f"{what}; use optimizer='sgd' (proximal steps for L1, any batch size)"
        )
    if isinstance(optimizer, Muon) and batch_size == 1:
        raise ValueError(
            "optimizer='muon' steps the whole coefficient matrix, not batch_size=1 (one row's gradient "
            "is a matrix of rank one): use mini-batches or the full batch"
        )
    if (
        isinstance(optimizer, Optimizer)
        and optimizer.whole_matrix
        and X is not None
        and sp.issparse(X)
        and batch_size is not None
        and settings.sparse_updates == "lazy"
    ):
        raise ValueError(
            f"optimizer='{optimizer.name}' steps the whole coefficient matrix, not the lazy steps on "
            "sparse rows, which move the coordinates a batch touches: use sparse_updates='dense' or "
            "the full batch"
        )
    raw_columns = batch_size is None and X is not None and is_sparse_wide(X)
    return replace(
        settings,
        batch_size=batch_size,
        optimizer=optimizer,
        online=online,
        raw_columns=raw_columns,
        max_iter=1 if online else settings.max_iter,
    )


def fit_settings(params: dict[str, Any], losses: tuple[str, ...]) -> Settings:
    """The parameters ``params`` (an estimator's ``get_params()``) checked, for a model whose valid
    loss names are ``losses``; a ValueError or TypeError naming the first bad one."""
    if params["loss"] not in losses:
        raise ValueError(f"Unknown loss {params['loss']!r}; valid losses are: {', '.join(losses)}")
    epsilon = params.get("epsilon", 0.0)
    if "epsilon" in params:
        epsilon = (check_positive if params["loss"] == "huber" else check_nonnegative)("epsilon", epsilon)
    quantile = check_interval("quantile", params.get("quantile", 0.5), 0.0, 1.0, closed="neither")
    return Settings(
        loss=params["loss"],
        optimizer=_optimizer(params["optimizer"]),
        optimizer_named=isinstance(params["optimizer"], str),
        penalty=get_penalty(params["penalty"], params["alpha"], params["l1_ratio"]),
        learning_rate=_learning_rate(params["learning_rate"]),
        schedule=_schedule(params["schedule"]),
        batch_size=_default_batch_size(params["loss"], _batch_size(params["batch_size"])),
        max_iter=check_integer("max_iter", params["max_iter"], low=1),
        tol=check_tolerance(params["tol"]),
        n_iter_no_change=check_integer("n_iter_no_change", params["n_iter_no_change"], low=1),
        fit_intercept=bool(params["fit_intercept"]),
        standardize=bool(params["standardize"]),
        early_stopping=bool(params["early_stopping"]),
        validation_fraction=check_interval(
            "validation_fraction", params["validation_fraction"], 0.0, 1.0, closed="neither"
        ),
        shuffle=bool(params["shuffle"]),
        random_state=params["random_state"],
        warm_start=bool(params["warm_start"]),
        verbose=params["verbose"],
        checkpoint=params["checkpoint"],
        checkpoint_every=check_integer("checkpoint_every", params["checkpoint_every"], low=1),
        epsilon=epsilon,
        sparse_updates=check_choice("sparse_updates", params["sparse_updates"], SPARSE_UPDATES),
        quantile=quantile,
        power=_power(params.get("power", 1.5)),
        n_jobs=check_n_jobs(params.get("n_jobs")),
    )


def _power(value: Any) -> float:
    power = check_number("power", value)
    if not (power == 0 or 1 <= power < math.inf):
        raise ValueError(
            f"power must be 0 (normal), 1 (Poisson), between 1 and 2 (compound Poisson-Gamma), 2 "
            f"(Gamma) or above; Tweedie distributions exist for no power between 0 and 1, got {value!r}"
        )
    return power
