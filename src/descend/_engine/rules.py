"""Which optimizer step a compiled loop takes.

Every optimizer of :mod:`descend.optimizers` has a step function with the
same arguments, ``step(x, g, state, t, lr, hyperparameters)``, and a named
tuple type for its hyperparameters. :func:`take_step` is resolved when a
loop is compiled, from the type of the ``hyperparameters`` it is given, so
each optimizer gets a loop of its own with its step inlined: no branch on an
optimizer code in the inner loop, and a new optimizer needs no edit here.
"""

from __future__ import annotations

from numba.extending import overload

from ..optimizers import OPTIMIZER_CLASSES

__all__ = ["take_step", "STEPS"]

#: The step function of each optimizer's hyperparameter type.
STEPS = {cls.Hyperparameters: cls.step for cls in OPTIMIZER_CLASSES}


def take_step(hyperparameters, x, g, state, t, lr):
    """One step of the optimizer whose ``hyperparameters`` these are, on ``x`` with gradient ``g``
    (``state`` its tuple of state arrays, ``t`` the step's count): in place."""
    STEPS[type(hyperparameters)](x, g, state, t, lr, hyperparameters)


@overload(take_step, inline="always")
def _compiled_take_step(hyperparameters, x, g, state, t, lr):
    step = STEPS.get(getattr(hyperparameters, "instance_class", None))
    if step is None:
        return None  # not an optimizer's hyperparameters: Numba reports the call as untyped

    def take(hyperparameters, x, g, state, t, lr):
        step(x, g, state, t, lr, hyperparameters)

    return take
