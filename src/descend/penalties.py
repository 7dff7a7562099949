r"""L1, L2 and elastic-net penalties, the L1 part applied by its proximal step.

All three are one penalty in scikit-learn's parameterisation,

.. math::

    R(w) = \alpha \left( \rho \lVert w \rVert_1
                         + \tfrac12 (1 - \rho) \lVert w \rVert_2^2 \right)

with ``alpha`` = :math:`\alpha` and ``l1_ratio`` = :math:`\rho`. The smooth
L2 part joins the gradient. The L1 part has no gradient at 0, so it is not
added to the gradient (the sign "subgradient" makes a coordinate whose
optimum is 0 hop from side to side forever, never reaching it); instead,
after each gradient step of size :math:`\gamma`, it is applied exactly by its
proximal operator, soft-thresholding:

.. math::

    \operatorname{prox}_{\gamma \alpha \rho \lVert\cdot\rVert_1}(w)_i
        = \operatorname{sign}(w_i) \max(|w_i| - \gamma\alpha\rho,\ 0)

which sets small coordinates to exactly zero. Gradient step then proximal
step is ISTA (Beck & Teboulle 2009, *A Fast Iterative Shrinkage-Thresholding
Algorithm for Linear Inverse Problems*), which converges to the exact lasso /
elastic-net solution for a step below 1/L. With an adaptive optimizer the
proximal step uses the base rate :math:`\gamma`, an approximation (the
coordinates' effective rates differ).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._checks import check_interval, check_nonnegative
from .choices import PENALTY_NAMES

if TYPE_CHECKING:
    from ._typing import FloatArray, FloatOrArray

__all__ = ["ElasticNet", "L1", "L2", "soft_threshold", "PENALTY_NAMES", "get_penalty"]


def soft_threshold(w: FloatOrArray, threshold: FloatOrArray) -> FloatOrArray:
    r""":math:`\operatorname{sign}(w) \max(|w| - \text{threshold}, 0)`, a new array.

    Written as :math:`w - \operatorname{clip}(w, -\text{threshold}, \text{threshold})`,
    the same numbers, but the zeros come out as +0.0 rather than -0.0.

    Parameters
    ----------
    w : ndarray
        The coordinates.
    threshold : float
        How far each moves towards 0, >= 0.

    Returns
    -------
    ndarray
        The thresholded coordinates; ``w`` is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.penalties import soft_threshold
    >>> soft_threshold(np.array([-2.0, 0.3, 1.5]), 0.5)
    array([-1.5,  0. ,  1. ])
    """
    return w - np.clip(w, -threshold, threshold)


class ElasticNet:
    r"""Elastic net :math:`\alpha (\rho \lVert w\rVert_1 + \tfrac12 (1-\rho) \lVert w\rVert_2^2)`.

    Parameters
    ----------
    alpha : float
        The penalty's weight :math:`\alpha` >= 0.
    l1_ratio : float
        The share :math:`\rho` of the L1 norm, in [0, 1] (1 is :class:`L1`, 0 is :class:`L2`).

    Raises
    ------
    ValueError
        For a negative ``alpha`` or an ``l1_ratio`` outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from descend.penalties import ElasticNet
    >>> penalty = ElasticNet(alpha=0.1, l1_ratio=0.5)
    >>> w = np.array([1.0, -2.0])
    >>> penalty.value(w)  # 0.05 * 3 + 0.5 * 0.05 * 5
    0.275
    >>> penalty.smooth_grad(w)
    array([ 0.05, -0.1 ])
    >>> penalty.prox(w, 1.0)  # each coordinate 0.05 closer to 0
    >>> w
    array([ 0.95, -1.95])
    """

    def __init__(self, alpha: float = 1e-4, l1_ratio: float = 0.15) -> None:
        self.alpha = check_nonnegative("alpha", alpha)
        self.l1_ratio = check_interval("l1_ratio", l1_ratio, 0.0, 1.0)

    @property
    def l1(self) -> float:
        """Weight of :math:`\\lVert w\\rVert_1`."""
        return self.alpha * self.l1_ratio

    @property
    def l2(self) -> float:
        """Weight of :math:`\\tfrac12\\lVert w\\rVert_2^2`."""
        return self.alpha * (1.0 - self.l1_ratio)

    def value(self, w: FloatArray) -> float:
        """The penalty at ``w``.

        Parameters
        ----------
        w : ndarray
            The weights.

        Returns
        -------
        float
            :math:`R(w)`.
        """
        return self.l1 * float(np.abs(w).sum()) + 0.5 * self.l2 * float(w @ w)

    def smooth_grad(self, w: FloatArray) -> FloatArray:
        r"""Gradient of the L2 part (the L1 part goes through :meth:`prox`).

        Parameters
        ----------
        w : ndarray
            The weights.

        Returns
        -------
        ndarray
            :math:`\alpha (1 - \rho) w`, a new array.
        """
        return self.l2 * w

    def prox(self, w: FloatArray, step: float) -> None:
        r"""Apply the proximal step of the L1 part for step size ``step``, in place.

        Soft-thresholding by :math:`\gamma \alpha \rho`; nothing without an L1 part.

        Parameters
        ----------
        w : ndarray
            The weights, overwritten.
        step : float
            The step size :math:`\gamma` of the gradient step just taken.
        """
        if self.l1 > 0:
            w[...] = soft_threshold(w, step * self.l1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha!r}, l1_ratio={self.l1_ratio!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ElasticNet) and (self.alpha, self.l1_ratio) == (other.alpha, other.l1_ratio)

    def __hash__(self) -> int:
        return hash((self.alpha, self.l1_ratio))


class L1(ElasticNet):
    r"""Lasso penalty :math:`\alpha \lVert w \rVert_1` (Tibshirani 1996).

    Parameters
    ----------
    alpha : float
        The penalty's weight :math:`\alpha` >= 0.

    Raises
    ------
    ValueError
        For a negative ``alpha``.

    Examples
    --------
    The minimum of :math:`\tfrac12 \lVert x \rVert^2 - b^\top x + 0.1 \lVert x \rVert_1` is
    ``soft_threshold(b, 0.1)``, an exact zero where :math:`|b_i| \le 0.1`:

    >>> import numpy as np
    >>> from descend import minimize
    >>> from descend.functions import Quadratic
    >>> from descend.penalties import L1
    >>> f = Quadratic(np.eye(2), np.array([1.0, 0.05]))
    >>> minimize(f, [0.0, 0.0], "sgd", lr=0.5, penalty=L1(0.1)).x.round(4)
    array([0.9, 0. ])
    """

    def __init__(self, alpha: float = 1e-4) -> None:
        super().__init__(alpha, l1_ratio=1.0)

    def __repr__(self) -> str:
        return f"L1(alpha={self.alpha!r})"


class L2(ElasticNet):
    r"""Ridge penalty :math:`\tfrac12 \alpha \lVert w \rVert_2^2` (Hoerl & Kennard 1970).

    Parameters
    ----------
    alpha : float
        The penalty's weight :math:`\alpha` >= 0.

    Raises
    ------
    ValueError
        For a negative ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.penalties import L2
    >>> L2(0.5).value(np.array([1.0, 2.0]))
    1.25
    """

    def __init__(self, alpha: float = 1e-4) -> None:
        super().__init__(alpha, l1_ratio=0.0)

    def __repr__(self) -> str:
        return f"L2(alpha={self.alpha!r})"


def get_penalty(name: str | ElasticNet | None, alpha: float = 1e-4, l1_ratio: float = 0.15) -> ElasticNet | None:
    """A penalty from a name (``None``, "l1", "l2", "elasticnet") or an instance.

    Parameters
    ----------
    name : str, ElasticNet or None
        A name of :data:`PENALTY_NAMES` (any case), or a penalty (returned as it is), or None.
    alpha : float
        The weight of a named penalty.
    l1_ratio : float
        The L1 share of ``"elasticnet"`` (the others ignore it).

    Returns
    -------
    ElasticNet or None
        The penalty (an :class:`L1`, :class:`L2` or :class:`ElasticNet`), or None for None.

    Raises
    ------
    ValueError
        For an unknown name or a bad ``alpha`` or ``l1_ratio``.
    TypeError
        For anything else than a name, a penalty or None.

    Examples
    --------
    >>> from descend.penalties import get_penalty
    >>> get_penalty("L1", alpha=0.01)
    L1(alpha=0.01)
    >>> get_penalty("elasticnet", alpha=0.01, l1_ratio=0.5)
    ElasticNet(alpha=0.01, l1_ratio=0.5)
    """
    if name is None or isinstance(name, ElasticNet):
        return name
    if not isinstance(name, str):
        raise TypeError(f"penalty must be None, a name or a penalty object, got {type(name).__name__}")
    key = name.strip().lower()
    if key == "l1":
        return L1(alpha)
    if key == "l2":
        return L2(alpha)
    if key == "elasticnet":
        return ElasticNet(alpha, l1_ratio)
    raise ValueError(f"Unknown penalty {name!r}; valid names are: None, {', '.join(PENALTY_NAMES)}")
