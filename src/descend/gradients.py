r"""Gradients you don't write: where :func:`descend.minimize` gets ``fun``'s gradient, and a check of one you did.

``minimize(fun, x0, jac=...)`` takes the gradient from ``jac``:

* ``True`` (the default): ``fun(x) -> (value, gradient)``, the gradient written by hand (the test
  surfaces of :mod:`descend.functions` carry theirs).
* ``"autograd"``: ``fun(x) -> value``, written with ``autograd.numpy`` (plain arithmetic and indexing
  of ``x`` are fine too); the gradient by reverse-mode automatic differentiation, exact to rounding.
  Needs the optional ``autograd`` package: ``pip install "descend[autograd]"``.
* ``"2-point"``: ``fun(x) -> value``; forward differences, :math:`n + 1` calls of ``fun`` per point,

  .. math::  g_i = \frac{f(x + h_i e_i) - f(x)}{h_i}, \qquad h_i = \sqrt{\epsilon}\, s_i \max(1, |x_i|)

* ``"3-point"``: ``fun(x) -> value``; central differences, :math:`2n + 1` calls per point,

  .. math::  g_i = \frac{f(x + h_i e_i) - f(x - h_i e_i)}{2 h_i}, \qquad h_i = \epsilon^{1/3} s_i \max(1, |x_i|)

with :math:`\epsilon` the machine epsilon of ``x``'s dtype (2.2e-16 in float64) and :math:`s_i` the sign
of :math:`x_i` (+1 at 0). The step rule is SciPy's (``scipy.optimize.approx_fprime`` with
``epsilon`` = these :math:`h_i`, ``approx_derivative``'s default relative step), and so is the divisor:
the step as the floating-point numbers took it, :math:`(x_i + h_i) - x_i` (and
:math:`(x_i + h_i) - (x_i - h_i)`), not :math:`h_i` itself. The steps balance truncation against
rounding: forward differences are good to about :math:`\sqrt{\epsilon} \approx 10^{-8}` relative,
central ones to about :math:`\epsilon^{2/3} \approx 10^{-11}`.

:func:`check_gradient` compares a hand-written gradient with central differences and reports the
worst coordinate's relative error; it catches a flipped sign or a factor of two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_choice, check_positive

if TYPE_CHECKING:
    from ._typing import ArrayLike, FloatArray, NDArray

__all__ = [
    "JAC_NAMES",
    "value_and_grad",
    "fun_calls_per_point",
    "central_differences",
    "forward_differences",
    "check_gradient",
    "GradientCheck",
]

#: The names ``jac`` takes besides ``True``.
JAC_NAMES = ("autograd", "2-point", "3-point")

# f is taken to be computed to within this many units in the last place: the rounding part of
# check_gradient's estimate of the central differences' own error.
ROUNDING_ULPS = 16


def _check_jac(jac: object) -> bool | str:
    """``True`` or one of :data:`JAC_NAMES`."""
    if jac is True:
        return True
    if isinstance(jac, (bool, np.bool_)) or not isinstance(jac, str):
        raise ValueError(
            f"jac must be True (fun returns (value, gradient)) or one of {', '.join(JAC_NAMES)}, got {jac!r}"
        )
    return check_choice("jac", jac, JAC_NAMES)


def value_and_grad(
    fun: Callable[[FloatArray], Any], jac: bool | str = True
) -> Callable[[FloatArray], tuple[float, ArrayLike]]:
    """``fun`` as a function ``x -> (value, gradient)``, the gradient from ``jac`` (see the module's docstring).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)`` with ``jac=True``; ``fun(x) -> value`` with a name.
    jac : True or str
        ``True`` or one of :data:`JAC_NAMES`.

    Returns
    -------
    callable
        ``x -> (value, gradient)``; with ``jac=True``, ``fun`` itself.

    Raises
    ------
    ValueError
        For an unknown ``jac``.
    ImportError
        For ``jac="autograd"`` without the autograd package.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.gradients import value_and_grad
    >>> both = value_and_grad(lambda x: float(x @ x + x[0]), "3-point")
    >>> value, grad = both(np.array([1.0, 2.0]))
    >>> value, grad.round(6)
    (6.0, array([3., 4.]))
    """
    jac = _check_jac(jac)
    if jac is True:
        return fun
    if jac == "autograd":
        from ._extras import require

        autograd = require("autograd", 'jac="autograd"')
        return autograd.value_and_grad(lambda x: _scalar(fun(x), jac))
    differences = forward_differences if jac == "2-point" else central_differences

    def fun_and_differences(x: FloatArray) -> tuple[float, FloatArray]:
        value = _value(fun, x, jac)
        return value, differences(fun, x, value)

    return fun_and_differences


def fun_calls_per_point(jac: bool | str, n: int) -> int:
    """How many calls of ``fun`` one ``(value, gradient)`` costs at a point of ``n`` coordinates.

    Parameters
    ----------
    jac : True or str
        ``True`` or one of :data:`JAC_NAMES`.
    n : int
        The number of coordinates.

    Returns
    -------
    int
        1 for ``True`` and ``"autograd"``, n + 1 for ``"2-point"``, 2n + 1 for ``"3-point"``.

    Raises
    ------
    ValueError
        For an unknown ``jac``.

    Examples
    --------
    >>> from descend.gradients import fun_calls_per_point
    >>> fun_calls_per_point(True, 3), fun_calls_per_point("2-point", 3), fun_calls_per_point("3-point", 3)
    (1, 4, 7)
    """
    jac = _check_jac(jac)
    if jac == "2-point":
        return n + 1
    return 2 * n + 1 if jac == "3-point" else 1


def _value(fun: Callable[[FloatArray], Any], x: FloatArray, jac: bool | str) -> float:
    return float(_scalar(fun(x), jac))


def _scalar(out: Any, jac: bool | str) -> Any:
    """``out``, unless it is a pair, a sequence or an array, which ``fun`` returns by mistake when ``jac`` is a name."""
    if isinstance(out, (tuple, list)) or getattr(out, "ndim", 0) > 0:
        raise TypeError(f"with jac={jac!r}, fun must return a number (the value alone), got {type(out).__name__}")
    return out


def _steps(x: FloatArray, power: float) -> FloatArray:
    r""":math:`h_i = \epsilon^{power} s_i \max(1, |x_i|)`, SciPy's relative step."""
    sign = np.where(x >= 0, 1.0, -1.0)
    return (np.finfo(x.dtype).eps ** power * sign * np.maximum(1.0, np.abs(x))).astype(x.dtype)


def forward_differences(fun: Callable[[FloatArray], Any], x: ArrayLike, value: float | None = None) -> FloatArray:
    r""":math:`g_i = (f(x + h_i e_i) - f(x)) / ((x_i + h_i) - x_i)`, :math:`h_i = \sqrt\epsilon s_i \max(1, |x_i|)`.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> value``, a number.
    x : array-like, 1-D
        The point.
    value : float, optional
        :math:`f(x)` when already known (saves a call).

    Returns
    -------
    ndarray
        The differences, one per coordinate (float, of ``x``'s precision when it is float).

    Raises
    ------
    TypeError
        When ``fun`` returns a pair or an array rather than a number.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.gradients import forward_differences
    >>> forward_differences(lambda x: float(x @ x + x[0]), np.array([1.0, 2.0])).round(6)
    array([3., 4.])
    """
    x = np.asarray(x, dtype=np.result_type(x, float))
    value = _value(fun, x.copy(), "2-point") if value is None else value
    h = _steps(x, 1 / 2)
    grad = np.empty_like(x)
    for i in range(x.size):
        point = x.copy()
        point[i] += h[i]
        grad[i] = (_value(fun, point, "2-point") - value) / (point[i] - x[i])
    return grad


def central_differences(fun: Callable[[FloatArray], Any], x: ArrayLike, value: float | None = None) -> FloatArray:
    r""":math:`g_i = (f(x + h_i e_i) - f(x - h_i e_i)) / ((x_i + h_i) - (x_i - h_i))`.

    With :math:`h_i = \epsilon^{1/3} s_i \max(1, |x_i|)`.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> value``, a number.
    x : array-like, 1-D
        The point.
    value : float, optional
        :math:`f(x)`; not needed here (the signature is :func:`forward_differences`').

    Returns
    -------
    ndarray
        The differences, one per coordinate.

    Raises
    ------
    TypeError
        When ``fun`` returns a pair or an array rather than a number.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.gradients import central_differences
    >>> central_differences(lambda x: float(x @ x + x[0]), np.array([1.0, 2.0])).round(8)
    array([3., 4.])
    """
    x = np.asarray(x, dtype=np.result_type(x, float))
    grad, _ = _central(lambda point: _value(fun, point, "3-point"), x, _steps(x, 1 / 3))
    return grad


def _central(value_of: Callable[[FloatArray], float], x: FloatArray, h: FloatArray) -> tuple[FloatArray, float]:
    """Central differences with steps ``h``, and the largest ``|f|`` they met."""
    grad = np.empty_like(x)
    largest = 0.0
    for i in range(x.size):
        ahead, behind = x.copy(), x.copy()
        ahead[i] += h[i]
        behind[i] -= h[i]
        f_ahead, f_behind = value_of(ahead), value_of(behind)
        grad[i] = (f_ahead - f_behind) / (ahead[i] - behind[i])
        largest = max(largest, abs(f_ahead), abs(f_behind))
    return grad, largest


@dataclass(frozen=True)
class GradientCheck:
    """What :func:`check_gradient` found at ``x``.

    ``analytic`` is ``fun``'s gradient, ``numeric`` the central differences, ``numeric_error`` the
    differences' own error as estimated, ``relative_error`` each coordinate's disagreement beyond it
    (see :func:`check_gradient`); ``worst`` is the coordinate where that is largest and
    ``max_relative_error`` its value; ``ok`` says it is at most ``rtol``.
    ``str`` gives a one-line verdict.

    Parameters
    ----------
    ok : bool
        Whether ``max_relative_error`` <= ``rtol``.
    max_relative_error : float
        The largest relative error.
    worst : int
        The coordinate where it is.
    rtol : float
        The tolerance checked against.
    x : ndarray
        The point.
    analytic : ndarray
        The gradient ``fun`` returned.
    numeric : ndarray
        The central differences.
    numeric_error : ndarray
        The differences' estimated error, per coordinate.
    relative_error : ndarray
        Each coordinate's relative error.

    Examples
    --------
    >>> from descend.gradients import check_gradient
    >>> check = check_gradient(lambda x: (float(x @ x), x), [1.0, 2.0])  # half the gradient
    >>> check.ok, check.worst, round(check.max_relative_error, 4)
    (False, 1, 0.5)
    """

    ok: bool
    max_relative_error: float
    worst: int
    rtol: float
    x: FloatArray
    analytic: FloatArray
    numeric: FloatArray
    numeric_error: FloatArray
    relative_error: FloatArray

    def __str__(self) -> str:
        i = self.worst
        verdict = "agrees with" if self.ok else "DISAGREES with"
        return (
            f"the gradient {verdict} central differences: worst at coordinate {i}, analytic "
            f"{self.analytic[i]:.10g}, central differences {self.numeric[i]:.10g} (error about "
            f"{self.numeric_error[i]:.2g}), relative error {self.max_relative_error:.3g} (rtol {self.rtol:g})"
        )


def check_gradient(
    fun: Callable[[FloatArray], tuple[float, ArrayLike]], x: ArrayLike, *, rtol: float = 1e-4
) -> GradientCheck:
    r"""Compare ``fun``'s gradient at ``x`` with central differences; the worst coordinate's relative error.

    ``fun(x) -> (value, gradient)``, as :func:`descend.minimize` takes it. With :math:`a` the
    gradient ``fun`` returns and :math:`n` the central differences of its value (steps
    :math:`h_i = \epsilon^{1/3} \max(1, |x_i|)`, the ``"3-point"`` rule), coordinate i's relative error is

    .. math::  r_i = \frac{\max(|a_i - n_i| - e_i,\ 0)}{\max(|a_i|, |n_i|)} \qquad (0 \text{ when } a_i = n_i = 0)

    where :math:`e_i` estimates the differences' own error: their change when the step doubles,
    :math:`|n_i(2h) - n_i(h)|` (three times the truncation error of :math:`n_i(h)` when f is smooth,
    which errs on the safe side), plus the rounding of f, ``ROUNDING_ULPS`` units in the last place
    of the largest :math:`|f|` met, over :math:`h_i`. So a right gradient reads :math:`r \approx 0`,
    one off by a factor of two :math:`r = 1/2`, one of the wrong sign :math:`r = 2`. Where the
    gradient is below what differences resolve (at a minimum; at a kink, where they resolve nothing)
    every gradient within :math:`e_i` passes: check away from those points.

    Costs :math:`4n + 1` calls of ``fun``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``.
    x : array-like, 1-D
        Where to check, away from minima and kinks.
    rtol : float
        The largest relative error that passes, > 0.

    Returns
    -------
    GradientCheck
        ``ok`` when the worst :math:`r_i \le` ``rtol``; ``print`` it for a one-line verdict.

    Raises
    ------
    TypeError
        When ``fun`` is not callable or does not return a pair.
    ValueError
        For an empty, non-finite or not 1-D ``x``, a bad ``rtol``, or a gradient of the wrong
        shape or not finite.

    Examples
    --------
    >>> from descend import check_gradient
    >>> from descend.functions import Rosenbrock
    >>> check_gradient(Rosenbrock(), [-1.0, 1.0]).ok
    True
    >>> print(check_gradient(lambda x: (float(x @ x), -2 * x), [1.0, 2.0]))  # the wrong sign
    the gradient DISAGREES with central differences: worst at coordinate 1, analytic -4, central differences 4 (error about 1.5e-09), relative error 2 (rtol 0.0001)
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, returning (value, gradient); got {type(fun).__name__}")
    x = _as_point(x)
    rtol = check_positive("rtol", rtol)
    value, analytic = _value_and_gradient(fun, x)

    def value_of(point: FloatArray) -> float:
        return _value_and_gradient(fun, point)[0]

    h = _steps(x, 1 / 3)
    numeric, largest = _central(value_of, x, h)
    coarse, largest_coarse = _central(value_of, x, 2 * h)
    largest = max(abs(value), largest, largest_coarse)
    numeric_error = np.abs(coarse - numeric) + ROUNDING_ULPS * np.finfo(x.dtype).eps * largest / np.abs(h)
    size = np.maximum(np.abs(analytic), np.abs(numeric))
    relative = np.maximum(np.abs(analytic - numeric) - numeric_error, 0.0) / np.where(size > 0, size, 1.0)
    worst = int(np.argmax(relative))
    return GradientCheck(
        ok=bool(relative[worst] <= rtol),
        max_relative_error=float(relative[worst]),
        worst=worst,
        rtol=rtol,
        x=x,
        analytic=analytic,
        numeric=numeric,
        numeric_error=numeric_error,
        relative_error=relative,
    )


def _as_point(x: ArrayLike) -> NDArray[np.float64]:
    point = np.asarray(x)
    if point.dtype.kind not in "fiub":
        raise TypeError(f"x must be an array of numbers, got dtype {point.dtype}")
    point = point.astype(np.float64).reshape(-1) if point.ndim == 0 else point.astype(np.float64)
    if point.ndim != 1 or point.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array, got shape {point.shape}")
    if not np.all(np.isfinite(point)):
        raise ValueError(f"x contains NaN or inf at index {np.flatnonzero(~np.isfinite(point)).tolist()}")
    return point


def _value_and_gradient(
    fun: Callable[[FloatArray], tuple[float, ArrayLike]], x: FloatArray
) -> tuple[float, NDArray[np.float64]]:
    """``fun(x)``, checked: a finite value and a finite gradient of x's shape."""
    out = fun(x.copy())
    try:
        value, grad = out
    except (TypeError, ValueError):
        raise TypeError(f"fun must return a pair (value, gradient), got {type(out).__name__}") from None
    value, grad = float(value), np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(f"fun returned a gradient of shape {grad.shape} at a point of shape {x.shape}")
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        raise ValueError(f"fun returned a non-finite value or gradient at x = {x} (value={value})")
    return value, grad
