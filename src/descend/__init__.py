"""descend: gradient descent, end to end.

>>> import descend
>>> from descend.functions import Rosenbrock
>>> result = descend.minimize(Rosenbrock(), [-1.5, 2.0], "adam", lr=0.05, max_iter=5000)
"""

__version__ = "0.1.0"

from . import curvature, functions, losses, optimizers, penalties, schedules
from .exceptions import DivergenceError
from .io import load
from .linear import GDClassifier, GDRegressor
from .minimize import OptimizeResult, StepInfo, minimize
from .optimizers import get_optimizer


__all__ = [
    "load",
    "GDRegressor",
    "GDClassifier",
    "minimize",
    "OptimizeResult",
    "StepInfo",
    "DivergenceError",
    "get_optimizer",
    "optimizers",
    "schedules",
    "penalties",
    "functions",
    "curvature",
    "losses",
]
