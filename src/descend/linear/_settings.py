"""An estimator's parameters, checked once at the start of a fit.

scikit-learn's contract: ``__init__`` stores its arguments untouched and
``fit`` validates them. :func:`fit_settings` does that validation and turns
the parameters into what the training loop uses (an optimizer object, a
penalty object), so that nothing after it checks a parameter again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .._checks import (check_choice, check_integer, check_interval, check_nonnegative, check_number, check_positive,
                       check_tolerance, is_number)
from ..losses import LOSSES, Loss, get_loss
from ..optimizers import Optimizer, get_optimizer
from ..penalties import ElasticNet, get_penalty
from ..schedules import SCHEDULE_NAMES

__all__ = ["Settings", "fit_settings", "SPARSE_UPDATES"]

SPARSE_UPDATES = ("lazy", "dense")


@dataclass(frozen=True)
class Settings:
    """The validated parameters of a fit (see GDRegressor's docstring for each)."""

    loss: str
    optimizer: Optimizer
    optimizer_named: bool  # given by its name (its rate then "auto"'s to choose), not as an instance
    penalty: ElasticNet | None
    learning_rate: str | float
    schedule: str | Callable
    batch_size: int | None
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
    checkpoint: Any
    checkpoint_every: int
    epsilon: float  # Huber's and the insensitive losses' threshold; the classifier has none and leaves it at 0
    sparse_updates: str  # on sparse rows: "lazy" (the touched coordinates) or "dense" (all of them)
    quantile: float = 0.5  # the quantile loss's
    power: float = 1.5  # Tweedie's

    def loss_for(self, name: str) -> Loss:
        """The loss ``name`` (the settings' loss, or "multinomial" for more than two classes) with
        its parameter."""
        return get_loss(name, epsilon=self.epsilon, quantile=self.quantile, power=self.power)


def _learning_rate(value):
    if value == "auto":
        return value
    if not (is_number(value) and value > 0 and value != float("inf")):
        raise ValueError(f"learning_rate must be 'auto' or a number > 0, got {value!r}")
    return float(value)


def _schedule(value):
    if isinstance(value, str):
        if value not in SCHEDULE_NAMES:
            raise ValueError(f"Unknown schedule {value!r}; valid names are: {', '.join(SCHEDULE_NAMES)}")
    elif not callable(value):
        raise TypeError(f"schedule must be a name or a callable t -> lr, got {value!r}")
    return value


def _batch_size(value):
    if value is None:
        return None
    if isinstance(value, bool) or not is_number(value) or int(value) != value:
        raise ValueError(f"batch_size must be None (full batch) or an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"batch_size must lie between 1 and the number of samples, got {value}")
    return int(value)


def _default_batch_size(loss, batch_size):
    """None (the full batch) unless the loss learns only row by row (the perceptron): then 1."""
    if batch_size is None and LOSSES[loss].learns_row_by_row:
        return 1
    return batch_size


def fit_settings(params: dict, losses) -> Settings:
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
        optimizer=get_optimizer(params["optimizer"]),
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
        validation_fraction=check_interval("validation_fraction", params["validation_fraction"], 0.0, 1.0,
                                           closed="neither"),
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
    )


def _power(value):
    power = check_number("power", value)
    if not (power == 0 or 1 <= power < math.inf):
        raise ValueError(f"power must be 0 (normal), 1 (Poisson), between 1 and 2 (compound Poisson-Gamma), 2 "
                         f"(Gamma) or above; Tweedie distributions exist for no power between 0 and 1, got {value!r}")
    return power
