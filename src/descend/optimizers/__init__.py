r"""Update rules: one class per optimizer, each in one obvious place.

Every optimizer is a small transformation with explicit state, in the manner
of optax: ``state = opt.init(x)`` makes the state (a plain ``dict`` of arrays
and counters, easy to inspect or save), and ``opt.update(x, grad, state, lr)``
applies one step to ``x`` and ``state`` in place. ``lr`` is the learning rate
for this step (a schedule may change it); ``None`` means the optimizer's own.

Hyperparameter names, defaults and the order of floating-point operations
follow ``torch.optim`` (single-tensor code path), so a path computed here
equals torch's to rounding; ``tests/test_torch_reference.py`` holds them
equal. Invalid hyperparameters raise ``ValueError`` naming the value, as
torch does, except that a learning rate must be strictly positive here.

In the formulas below :math:`g_t` is the gradient at step :math:`t`
(counted from 1), :math:`\gamma` the learning rate, :math:`\lambda` the
weight decay and all operations on vectors are element-wise.

Each class's arithmetic lives in one compiled function beside it
(``sgd_step``, ``adam_step``, ...), written coordinate by coordinate as the
formula reads. They all take the same arguments,

    ``step(x, g, state, t, lr, hyperparameters)``

with ``state`` the tuple of the state arrays named by the class's
``state_names`` and ``hyperparameters`` the tuple its ``hyperparameters()``
returns (a named tuple, whose type tells the compiled engine which step to
take). ``update`` calls the step, and so does the compiled training engine
of the linear models (:mod:`descend._engine`): one implementation of each
rule. The step counter ``t`` enters as a float so that ``beta ** t`` is the
same ``pow`` that Python (and torch) compute.

One module per family, each optimizer's math beside its compiled step:

* :mod:`~descend.optimizers.sgd`: gradient descent, with (Nesterov) momentum, and averaged (ASGD);
* :mod:`~descend.optimizers.adaptive`: per-coordinate steps (AdaGrad, RMSprop, Adadelta, Adafactor);
* :mod:`~descend.optimizers.sign`: steps by the gradient's sign (Rprop, Lion);
* :mod:`~descend.optimizers.adam`: the Adam family (Adam, AdamW, NAdam, Adamax, RAdam, SparseAdam);
* :mod:`~descend.optimizers.schedule_free`: schedule-free SGD and AdamW (the average is the estimate);
* :mod:`~descend.optimizers.rate_free`: Prodigy, which learns its own rate;
* :mod:`~descend.optimizers.matrix`: Muon, which steps a matrix of parameters as a whole;
* :mod:`~descend.optimizers.online`: online learning's updates (FTRL-Proximal, and Vowpal Wabbit's
  normalized update, which learns from rows);
* :mod:`~descend.optimizers.quasi_newton`: L-BFGS on the full batch;
* :mod:`~descend.optimizers._base`: the base class, and what several share.

Adding an optimizer: in its family's module, its ``step`` function, a named
tuple of its hyperparameters and the class (``init``, ``state_names``,
``hyperparameters``); then a row of the table of names at the end of this
file. The engine finds it from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._checks import check_choice
from ..choices import FULL_BATCH_OPTIMIZER_NAMES, MATRIX_OPTIMIZER_NAMES, OPTIMIZER_NAMES, ROW_OPTIMIZER_NAMES
from ._base import Optimizer
from .adam import Adam, Adamax, AdamW, NAdam, RAdam, SparseAdam
from .adaptive import Adadelta, Adafactor, Adagrad, RMSprop
from .matrix import Muon
from .online import FTRL, Normalized
from .quasi_newton import LBFGS
from .rate_free import Prodigy
from .schedule_free import AdamWScheduleFree, SGDScheduleFree
from .sgd import ASGD, SGD
from .sign import Lion, Rprop

if TYPE_CHECKING:
    from typing import Any, TypeAlias

    #: An optimizer's class and the keyword arguments that make a named method of it.
    _Named: TypeAlias = dict[str, tuple[type[Optimizer], dict[str, Any]]]

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "Adadelta",
    "RAdam",
    "SparseAdam",
    "ASGD",
    "Rprop",
    "Adafactor",
    "Lion",
    "SGDScheduleFree",
    "AdamWScheduleFree",
    "Prodigy",
    "Muon",
    "FTRL",
    "Normalized",
    "LBFGS",
    "OPTIMIZER_NAMES",
    "ROW_OPTIMIZER_NAMES",
    "FULL_BATCH_OPTIMIZER_NAMES",
    "MATRIX_OPTIMIZER_NAMES",
    "OPTIMIZER_CLASSES",
    "get_optimizer",
]


# Names accepted wherever an optimizer is (their lists are descend.choices'): each maps to a class and the
# keyword arguments that make the named method out of it.
_NAMED: _Named = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "amsgrad": (Adam, {"amsgrad": True}),
    "adamw": (AdamW, {}),
    "nadam": (NAdam, {}),
    "adamax": (Adamax, {}),
    "adadelta": (Adadelta, {}),
    "radam": (RAdam, {}),
    "sparse_adam": (SparseAdam, {}),
    "asgd": (ASGD, {}),
    "rprop": (Rprop, {}),
    "adafactor": (Adafactor, {}),
    "lion": (Lion, {}),
    "sgd_schedulefree": (SGDScheduleFree, {}),
    "adamw_schedulefree": (AdamWScheduleFree, {}),
    "prodigy": (Prodigy, {}),
    "ftrl": (FTRL, {}),
}


# The optimizers of a matrix of parameters (a vector is not one): minimize() takes them with the shape
# the vector holds, the linear models for the coefficients of several outputs.
_MATRIX_NAMED: _Named = {"muon": (Muon, {})}

#: Every optimizer class of gradients the names above make, once each (the compiled engine steps them).
OPTIMIZER_CLASSES: tuple[type[Optimizer], ...] = tuple(
    dict.fromkeys(cls for cls, _ in {**_NAMED, **_MATRIX_NAMED}.values())
)

# The optimizers that learn from rows, one at a time (a linear model's per-sample steps), not from a
# gradient: the estimators take them; minimize() cannot.
_ROW_NAMED: _Named = {"normalized": (Normalized, {})}

# The optimizers that need the objective's values, not only its gradient: minimize() gives them, and
# the linear models on the full batch (not on mini-batches).
_FULL_BATCH_NAMED: _Named = {"lbfgs": (LBFGS, {"history_size": 10})}


def get_optimizer(optimizer: str | Optimizer = "adam", **hyperparameters: Any) -> Optimizer:
    """An optimizer from a name (``"adam"``, ``"momentum"``, ...) or an instance.

    Parameters
    ----------
    optimizer : str or Optimizer
        A name of :data:`OPTIMIZER_NAMES`, :data:`MATRIX_OPTIMIZER_NAMES`, :data:`ROW_OPTIMIZER_NAMES` or
        :data:`FULL_BATCH_OPTIMIZER_NAMES`,
        or an instance, returned as it is.
    **hyperparameters
        Override the named method's hyperparameters (not allowed with an instance).

    Returns
    -------
    Optimizer
        A new instance for a name; the instance itself otherwise.

    Raises
    ------
    ValueError
        For an unknown name or a bad hyperparameter value.
    TypeError
        For hyperparameters given with an instance, or an optimizer that is neither.

    Examples
    --------
    >>> from descend.optimizers import get_optimizer
    >>> get_optimizer("momentum", lr=0.01)
    SGD(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    """
    if isinstance(optimizer, Optimizer):
        if hyperparameters:
            raise TypeError(
                f"hyperparameters {sorted(hyperparameters)} can only be given with an optimizer "
                f"name, not with the instance {optimizer!r}"
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a name or a descend.optimizers.Optimizer, got {type(optimizer).__name__}")
    named = {**_NAMED, **_MATRIX_NAMED, **_ROW_NAMED, **_FULL_BATCH_NAMED}
    cls, defaults = named[check_choice("optimizer", optimizer, tuple(named))]
    return cls(**{**defaults, **hyperparameters})
