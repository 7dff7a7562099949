"""The names a user chooses from, and the defaults the command line shows: one list of each.

The modules that define the losses, optimizers, penalties, schedules and test surfaces take their names
from here (and a test holds each registry equal to its list), so the library and the command line
cannot drift apart. This module imports nothing: the command line builds its ``--help`` from it without
loading NumPy or compiling anything, so ``descend --help`` answers at once.

>>> from descend.choices import CLASSIFICATION_LOSSES, PENALTY_NAMES
>>> CLASSIFICATION_LOSSES[0], PENALTY_NAMES
('log_loss', ('l1', 'l2', 'elasticnet'))
"""

from __future__ import annotations

__all__ = [
    "REGRESSION_LOSSES",
    "CLASSIFICATION_LOSSES",
    "LOG_LINK_LOSSES",
    "OPTIMIZER_NAMES",
    "MATRIX_OPTIMIZER_NAMES",
    "ROW_OPTIMIZER_NAMES",
    "FULL_BATCH_OPTIMIZER_NAMES",
    "PENALTY_NAMES",
    "SCHEDULE_NAMES",
    "FUNCTION_NAMES",
    "IMPUTE_CHOICES",
    "HASHED_FEATURES",
    "DEFAULT_MEMORY",
]

#: The losses of :class:`~descend.GDRegressor` (:mod:`descend.losses`).
REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
    "quantile",
    "poisson",
    "gamma",
    "tweedie",
)
#: The binary losses of :class:`~descend.GDClassifier` (which also takes ``"multinomial"``).
CLASSIFICATION_LOSSES = ("log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron")
#: The losses whose score is the log of the prediction.
LOG_LINK_LOSSES = ("poisson", "gamma", "tweedie")

#: The optimizers of a gradient (:mod:`descend.optimizers`), by the names :func:`~descend.get_optimizer` takes.
OPTIMIZER_NAMES = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "amsgrad",
    "adamw",
    "nadam",
    "adamax",
    "adadelta",
    "radam",
    "sparse_adam",
    "asgd",
    "rprop",
    "adafactor",
    "lion",
    "sgd_schedulefree",
    "adamw_schedulefree",
    "prodigy",
    "ftrl",
)
#: The optimizers of a matrix of parameters (a vector is not one).
MATRIX_OPTIMIZER_NAMES = ("muon",)
#: The optimizers that learn from rows, one at a time, not from a gradient: the linear models take them.
ROW_OPTIMIZER_NAMES = ("normalized",)
#: The optimizers that need the objective's values, not only its gradient.
FULL_BATCH_OPTIMIZER_NAMES = ("lbfgs",)

#: The penalties :func:`~descend.penalties.get_penalty` knows.
PENALTY_NAMES = ("l1", "l2", "elasticnet")
#: The schedules :func:`~descend.schedules.get_schedule` knows.
SCHEDULE_NAMES = ("constant", "invscaling", "step", "exponential", "optimal", "cosine")
#: The 2-D test surfaces :func:`~descend.functions.get_function` knows.
FUNCTION_NAMES = ("bowl", "rosenbrock", "beale", "himmelblau", "booth")

#: How a table's missing numbers are filled (:class:`~descend.readers.tables.TablePreprocessor`).
IMPUTE_CHOICES = ("none", "mean", "median")
#: The columns text and hashed categories are hashed into, by default.
HASHED_FEATURES = 2**20
#: What a table streamed from disk may hold in memory, by default (:class:`~descend.readers.stream.TableStream`).
#: The rest of a ``descend fit`` process comes on top: its imports (about 245 MB: scikit-learn 60, pandas 40,
#: Numba 64, pyarrow 40), the first rows read (about 20 MB) and Numba's compiler state once the first
#: compiled loop is loaded (about 43 MB), some 310 MB before the first row of an epoch. Measured (benchmark f),
#: the whole process peaked at 390-445 MB on 5,000,000 x 20 Parquet files, from one run to the next.
DEFAULT_MEMORY = "80MB"
