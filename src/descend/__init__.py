"""descend: gradient descent, end to end.

>>> import descend
>>> from descend.functions import Rosenbrock
>>> result = descend.minimize(Rosenbrock(), [-1.5, 2.0], "adam", lr=0.05, max_iter=5000)

``import descend`` loads the optimizers, the schedules, ``minimize`` and
``check_gradient`` (NumPy and Numba; autograd only when ``jac="autograd"``
asks for it); the linear models, which need scikit-learn, are loaded
the first time ``descend.GDRegressor``, ``descend.GDClassifier`` or
``descend.load`` is used.
"""

from . import curvature, functions, losses, optimizers, penalties, schedules
from ._version import __version__
from .exceptions import DivergenceError
from .gradients import GradientCheck, check_gradient
from .minimize import OptimizeResult, StepInfo, minimize
from .optimizers import get_optimizer

__all__ = [
    "load",
    "GDRegressor",
    "GDClassifier",
    "minimize",
    "OptimizeResult",
    "StepInfo",
    "check_gradient",
    "GradientCheck",
    "DivergenceError",
    "get_optimizer",
    "optimizers",
    "schedules",
    "penalties",
    "functions",
    "curvature",
    "losses",
    "__version__",
]

# Loaded on first use (PEP 562): the estimators import scikit-learn, 1 s and 180 MB.
_LAZY = {"GDRegressor": "descend.linear", "GDClassifier": "descend.linear", "load": "descend.io"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'descend' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
