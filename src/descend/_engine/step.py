"""What every kernel does the same way, dense rows or sparse: the target of an output, and the
optimizer's step from a batch's summed gradient (the loss of a score is
:func:`descend.losses.loss_and_derivative`).

A batch's gradient is summed over its rows by the kernels (``kernels`` for
dense rows, ``sparse`` for CSR rows); :func:`finish_step` normalizes it, adds
the L2 part, lets the optimizer step (``rules.take_step``) and applies the L1
part by its proximal step; :func:`stationarity` measures how far the weights
are from the optimum, for the stopping rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import types
from numba.extending import overload

from .._compiled import njit
from .rules import take_step

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401  (in type comments, which ruff does not read)
    from typing import Any

    from .._typing import FloatArray, NDArray

__all__ = ["target_of", "stationarity", "finish_step", "penalty_value"]


def target_of(y_row: float | FloatArray, k: int, n_out: int) -> float:
    """Output k's target in a row whose target is ``y_row``: the row's own value for several
    regression outputs (``y_row`` then a row of Y), else the target itself for one output, and
    for several classifier outputs (one-vs-rest, ``y_row`` the class index) +1 for class k, -1 for
    the others."""
    if np.ndim(y_row) > 0:
        return y_row[k]  # type: ignore[index]  # a row of Y (np.ndim does not narrow the type)
    return y_row if n_out == 1 else (1.0 if y_row == k else -1.0)  # type: ignore[return-value]  # a number here


# Numba holds an overload's parameters, annotations included, equal to those of the function it returns:
# the annotations of these functions are type comments, which it does not see.
@overload(target_of)
def _compiled_target_of(y_row, k, n_out):
    # type: (types.Type, types.Type, types.Type) -> Callable[[Any, int, int], float]
    if isinstance(y_row, types.Array):

        def of_row(y_row, k, n_out):
            # type: (FloatArray, int, int) -> float
            return y_row[k]

        return of_row

    def of_value(y_row, k, n_out):
        # type: (float, int, int) -> float
        if n_out == 1:
            return y_row
        if y_row == k:
            return 1.0
        return -1.0

    return of_value


@njit(cache=True, inline="always")
def stationarity(theta: FloatArray, grad: FloatArray, n_out: int, l1: NDArray[np.float64]) -> float:
    r"""The norm of the minimum-norm subgradient of the objective at ``theta``, whose smooth part has
    the gradient ``grad``: zero exactly at the optimum, with or without the L1 part.

    Per weight: :math:`g_j + \lambda_j \operatorname{sign}(\theta_j)` where :math:`\theta_j \ne 0`, and
    where :math:`\theta_j = 0` the gradient shrunk towards 0 by :math:`\lambda_j`,
    :math:`\operatorname{sign}(g_j)\max(|g_j| - \lambda_j, 0)` (the L1 term's subdifferential
    there is :math:`[-\lambda_j, \lambda_j]`); the intercept's entry is its gradient."""
    p1 = theta.shape[0] // n_out
    total = 0.0
    for k in range(n_out):
        for j in range(p1):
            g = grad[k * p1 + j]
            if j < p1 - 1 and l1[j] > 0:
                w = theta[k * p1 + j]
                if w > 0:
                    g += l1[j]
                elif w < 0:
                    g -= l1[j]
                else:
                    g = g - min(max(g, -l1[j]), l1[j])
            total += g * g
    return np.sqrt(total)


@njit(cache=True, inline="always")
def finish_step(
    theta: FloatArray,
    grad: FloatArray,
    n_out: int,
    fit_intercept: bool,
    norm: float,
    l1: NDArray[np.float64],
    has_l1: bool | np.bool_,
    l2: NDArray[np.float64],
    hyperparameters: tuple[Any, ...],
    state: tuple[FloatArray, ...],
    t: int,
    lr: float,
    measure: bool,
) -> float:
    """Step ``t`` from a batch's summed gradient: normalize it by ``norm`` and add the L2 part, take
    the optimizer's step, then the L1 part of the penalty by soft-thresholding (``has_l1``: some
    coordinate has an L1 weight, worked out once per kernel call, not per step). With ``measure``,
    returns the stationarity of the weights before the step (:func:`stationarity`), else -1."""
    p1 = theta.shape[0] // n_out
    for k in range(n_out):
        for j in range(p1 - 1):
            grad[k * p1 + j] = grad[k * p1 + j] * norm + l2[j] * theta[k * p1 + j]
        grad[k * p1 + p1 - 1] = grad[k * p1 + p1 - 1] * norm if fit_intercept else 0.0
    measured = stationarity(theta, grad, n_out, l1) if measure else -1.0
    take_step(hyperparameters, theta, grad, state, float(t), lr)
    if has_l1:
        for j in range(p1 - 1):
            threshold = lr * l1[j]
            for k in range(n_out):
                w = theta[k * p1 + j]
                theta[k * p1 + j] = w - min(max(w, -threshold), threshold)
    return measured


@njit(cache=True, nogil=True)
def penalty_value(theta: FloatArray, n_out: int, l1: NDArray[np.float64], l2: NDArray[np.float64]) -> float:
    r"""The penalty at ``theta``, :math:`\sum_j \lambda_{1,j} |\theta_j| + \tfrac12 \lambda_{2,j}
    \theta_j^2` over the weights of every output (not the intercepts), in one pass: with the
    per-coordinate weights of the standardized coordinates, the penalty on the original
    coefficients."""
    p1 = theta.shape[0] // n_out
    total = 0.0
    for k in range(n_out):
        for j in range(p1 - 1):
            w = float(theta[k * p1 + j])
            total += l1[j] * abs(w) + 0.5 * l2[j] * w * w
    return total
