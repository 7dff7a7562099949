"""Which optimizer step a compiled loop takes.

Every optimizer of :mod:`descend.optimizers` has a step function with the
same arguments, ``step(x, g, state, t, lr, hyperparameters)``, and a named
tuple type for its hyperparameters. :func:`take_step` is resolved when a
loop is compiled, from the type of the ``hyperparameters`` it is given, so
each optimizer gets a loop of its own with its step inlined: no branch on an
optimizer code in the inner loop, and a new optimizer needs no edit here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numba.extending import overload

from ..optimizers import OPTIMIZER_CLASSES

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401  (in type comments, which ruff does not read)
    from typing import Any

    from numba.core import types  # noqa: F401  (in type comments)

    from .._typing import FloatArray
    from ..optimizers._base import StepFunction

__all__ = ["take_step", "STEPS"]

#: The step function of each optimizer's hyperparameter type.
STEPS: dict[type[tuple[Any, ...]], StepFunction | None] = {cls.Hyperparameters: cls.step for cls in OPTIMIZER_CLASSES}


def take_step(
    hyperparameters: tuple[Any, ...], x: FloatArray, g: FloatArray, state: tuple[FloatArray, ...], t: float, lr: float
) -> None:
    """One step of the optimizer whose ``hyperparameters`` these are, on ``x`` with gradient ``g``
    (``state`` its tuple of state arrays, ``t`` the step's count): in place."""
    step = STEPS[type(hyperparameters)]
    assert step is not None  # every class of OPTIMIZER_CLASSES has a step
    step(x, g, state, t, lr, hyperparameters)


# Numba holds an overload's parameters, annotations included, equal to those of the function it returns:
# the annotations of these functions are type comments, which it does not see.
@overload(take_step, inline="always")
def _compiled_take_step(hyperparameters, x, g, state, t, lr):
    # type: (types.Type, types.Type, types.Type, types.Type, types.Type, types.Type) -> Callable[..., None] | None
    step = STEPS.get(getattr(hyperparameters, "instance_class", None))  # type: ignore[arg-type]  # None finds no step
    if step is None:
        return None  # not an optimizer's hyperparameters: Numba reports the call as untyped

    def take(hyperparameters, x, g, state, t, lr):
        # type: (tuple[Any, ...], FloatArray, FloatArray, tuple[FloatArray, ...], float, float) -> None
        step(x, g, state, t, lr, hyperparameters)

    return take
