"""descend: gradient descent, end to end.

>>> import descend
>>> from descend.functions import Rosenbrock
>>> result = descend.minimize(Rosenbrock(), [-1.5, 2.0], "adam", lr=0.05, max_iter=5000)

``import descend`` loads nothing but the names below: each module is loaded the first time it is
used (PEP 562), so that ``descend --help`` and a script that needs one optimizer do not pay for the
rest (the linear models import scikit-learn, 1 s and 180 MB; the optimizers compile with Numba).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # the names __getattr__ loads, for the type checker (never run)
    from . import curvature, functions, losses, optimizers, penalties, schedules
    from .exceptions import DivergenceError
    from .gradients import GradientCheck, check_gradient
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

# Where each name lives; loaded on first use (PEP 562).
_LAZY = {
    "GDRegressor": "descend.linear",
    "GDClassifier": "descend.linear",
    "load": "descend.io",
    "minimize": "descend.minimize",
    "OptimizeResult": "descend.minimize",
    "StepInfo": "descend.minimize",
    "check_gradient": "descend.gradients",
    "GradientCheck": "descend.gradients",
    "DivergenceError": "descend.exceptions",
    "get_optimizer": "descend.optimizers",
}
_MODULES = ("optimizers", "schedules", "penalties", "functions", "curvature", "losses")


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MODULES:
        value = importlib.import_module(f"descend.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))


class _Package(types.ModuleType):
    # Importing the module descend.minimize makes Python set the package's attribute "minimize" to it;
    # descend.minimize is the function (as it was when this file imported it eagerly), so that
    # attribute is left to __getattr__.
    def __setattr__(self, name: str, value: object) -> None:
        if name == "minimize" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
