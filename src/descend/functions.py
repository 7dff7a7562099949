r"""Test surfaces with analytic gradients and known minima.

Each surface is callable as ``f(x) -> (value, gradient)``, the form
:func:`descend.minimize` takes, and has ``value(x)``, ``grad(x)``,
``minima`` (one row per global minimum), ``min_value``, and for the 2-D
ones a ``domain`` ((x_min, x_max), (y_min, y_max)) and a classic ``start``
for pictures. ``value`` and ``grad`` also take a stack of points shaped
``(dim, ...)`` (a grid, a path), which is how contour plots evaluate the
surface and the explorer the gradient along a path, in one call each.
The gradients are analytic; ``descend.check_gradient`` holds each one
equal to central differences (``tests/test_gradients.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .choices import FUNCTION_NAMES

if TYPE_CHECKING:
    from ._typing import ArrayLike, FloatArray

__all__ = [
    "Surface",
    "Bowl",
    "Quadratic",
    "Rosenbrock",
    "Beale",
    "Himmelblau",
    "Booth",
    "FUNCTION_NAMES",
    "get_function",
]


class Surface:
    """A differentiable test function; subclasses define value and grad.

    Called on a point of shape ``(dim,)``, it returns ``(value, gradient)``,
    the form :func:`descend.minimize` takes (a ValueError for another shape).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.functions import Surface
    >>> class Cone(Surface):
    ...     name = "cone"
    ...     minima = np.array([[0.0, 0.0]])
    ...     def value(self, x: FloatArray) -> float | FloatArray:
    ...         return np.hypot(x[0], x[1])
    ...     def grad(self, x: FloatArray) -> FloatArray:
    ...         return np.asarray(x) / np.hypot(x[0], x[1])
    >>> Cone()([3.0, 4.0])
    (5.0, array([0.6, 0.8]))
    """

    name = "surface"
    dim = 2
    minima: FloatArray
    min_value = 0.0
    domain: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-2.0, 2.0))
    start: FloatArray = np.array([-1.5, 1.5])

    def value(self, x: FloatArray) -> float | FloatArray:
        """The function's value.

        Parameters
        ----------
        x : ndarray of shape (dim,) or (dim, ...)
            A point, or a stack of points along the trailing axes.

        Returns
        -------
        float or ndarray
            The value, one per point of a stack.
        """
        raise NotImplementedError

    def grad(self, x: FloatArray) -> FloatArray:
        """The function's gradient.

        Parameters
        ----------
        x : ndarray of shape (dim,) or (dim, ...)
            A point, or a stack of points along the trailing axes.

        Returns
        -------
        ndarray of the shape of x
            The gradient at each point.
        """
        raise NotImplementedError

    def __call__(self, x: ArrayLike) -> tuple[float, FloatArray]:
        x = np.asarray(x, dtype=float)
        if x.shape != (self.dim,):
            raise ValueError(f"{self.name} takes a point of shape ({self.dim},), got {x.shape}")
        return float(self.value(x)), self.grad(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Bowl(Surface):
    r""":math:`f(x, y) = x^2 + 2y^2`, the seed tutorial's elongated bowl.

    Minimum 0 at (0, 0); curvatures 2 and 4 (condition number 2).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.functions import Bowl
    >>> f = Bowl()
    >>> f([1.0, 1.0])
    (3.0, array([2., 4.]))
    >>> f.value(np.array([[0.0, 1.0], [1.0, 1.0]]))  # two points (0, 1) and (1, 1), stacked
    array([2., 3.])
    """

    name = "bowl"
    minima = np.array([[0.0, 0.0]])
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    start = np.array([-1.5, 1.5])

    def value(self, x: FloatArray) -> float | FloatArray:
        return x[0] ** 2 + 2.0 * x[1] ** 2

    def grad(self, x: FloatArray) -> FloatArray:
        return np.array([2.0 * x[0], 4.0 * x[1]])


class Quadratic(Surface):
    r""":math:`f(x) = \tfrac12 x^\top A x - b^\top x` for symmetric A.

    When A is positive definite the minimum is :math:`x^* = A^{-1} b` with
    value :math:`-\tfrac12 b^\top x^*`; the Hessian is A everywhere, so the
    gradient's Lipschitz constant is A's largest eigenvalue.

    Parameters
    ----------
    A : array-like of shape (n, n)
        The symmetric matrix, finite.
    b : array-like of shape (n,), optional
        The linear term; zeros by default.

    Raises
    ------
    ValueError
        When A is not square, not symmetric or not finite, or b has the wrong shape.

    Examples
    --------
    >>> from descend.functions import Quadratic
    >>> f = Quadratic([[2.0, 0.0], [0.0, 4.0]], [2.0, 4.0])
    >>> f.minima, f.min_value
    (array([[1., 1.]]), -3.0)
    >>> f([0.0, 0.0])
    (0.0, array([-2., -4.]))
    """

    name = "quadratic"

    def __init__(self, A: ArrayLike, b: ArrayLike | None = None) -> None:
        A = np.asarray(A, dtype=float)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(A).max())):
            raise ValueError("A must be symmetric")
        if not np.all(np.isfinite(A)):
            raise ValueError("A contains NaN or inf")
        b = np.zeros(A.shape[0]) if b is None else np.asarray(b, dtype=float)
        if b.shape != (A.shape[0],):
            raise ValueError(f"b must have shape ({A.shape[0]},), got {b.shape}")
        self.A, self.b, self.dim = A, b, A.shape[0]
        eigenvalues = np.linalg.eigvalsh(A)
        if eigenvalues[0] > 0:
            x_star = np.linalg.solve(A, b)
            self.minima = x_star[None, :]
            self.min_value = float(-0.5 * b @ x_star)
        else:
            self.minima = np.empty((0, self.dim))
            self.min_value = -np.inf
        if self.dim == 2:
            center = self.minima[0] if len(self.minima) else np.zeros(2)
            self.domain = tuple((c - 2.0, c + 2.0) for c in center)
            self.start = center + np.array([-1.5, 1.5])

    def value(self, x: FloatArray) -> float | FloatArray:
        x = np.asarray(x, dtype=float)
        return 0.5 * np.einsum("i...,ij,j...->...", x, self.A, x) - np.einsum("i,i...->...", self.b, x)

    def grad(self, x: FloatArray) -> FloatArray:
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            return self.A @ x - self.b
        return np.einsum("ij,j...->i...", self.A, x) - self.b.reshape((-1,) + (1,) * (x.ndim - 1))

    def hvp(self, x: FloatArray, v: FloatArray) -> FloatArray:
        """Hessian-vector product: A v.

        Parameters
        ----------
        x : ndarray of shape (n,)
            The point (the Hessian is A everywhere).
        v : ndarray of shape (n,)
            The vector.

        Returns
        -------
        ndarray of shape (n,)
            A v.
        """
        return self.A @ v

    def __repr__(self) -> str:
        return f"Quadratic(dim={self.dim})"


class Rosenbrock(Surface):
    r""":math:`f(x, y) = (a - x)^2 + b (y - x^2)^2`, the banana valley.

    Minimum 0 at :math:`(a, a^2)`. Rosenbrock 1960, *An Automatic Method
    for Finding the Greatest or Least Value of a Function*.

    Parameters
    ----------
    a : float
        Where the minimum lies, :math:`(a, a^2)`.
    b : float
        The steepness of the valley's walls.

    Examples
    --------
    >>> from descend.functions import Rosenbrock
    >>> f = Rosenbrock()
    >>> f(f.start)  # the classic start (-1.5, 2)
    (12.5, array([-155.,  -50.]))
    >>> f.minima
    array([[1., 1.]])
    """

    name = "rosenbrock"
    domain = ((-2.0, 2.0), (-1.0, 3.0))
    start = np.array([-1.5, 2.0])

    def __init__(self, a: float = 1.0, b: float = 100.0):
        self.a, self.b = float(a), float(b)
        self.minima = np.array([[self.a, self.a**2]])

    def value(self, x: FloatArray) -> float | FloatArray:
        return (self.a - x[0]) ** 2 + self.b * (x[1] - x[0] ** 2) ** 2

    def grad(self, x: FloatArray) -> FloatArray:
        inner = x[1] - x[0] ** 2
        return np.array([-2.0 * (self.a - x[0]) - 4.0 * self.b * x[0] * inner, 2.0 * self.b * inner])

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


class Beale(Surface):
    r""":math:`f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`.

    Minimum 0 at (3, 0.5); flat plateaus and steep walls.
    Beale 1958, *On an iterative method for finding a local minimum of a
    function of more than one variable*.

    Examples
    --------
    >>> from descend.functions import Beale
    >>> Beale()([3.0, 0.5])[0]
    0.0
    """

    name = "beale"
    minima = np.array([[3.0, 0.5]])
    domain = ((-4.5, 4.5), (-4.5, 4.5))
    start = np.array([1.0, 1.5])

    def value(self, x: FloatArray) -> float | FloatArray:
        u, v = x[0], x[1]
        return (1.5 - u + u * v) ** 2 + (2.25 - u + u * v**2) ** 2 + (2.625 - u + u * v**3) ** 2

    def grad(self, x: FloatArray) -> FloatArray:
        u, v = x[0], x[1]
        t1 = 1.5 - u + u * v
        t2 = 2.25 - u + u * v**2
        t3 = 2.625 - u + u * v**3
        return np.array(
            [
                2 * t1 * (v - 1) + 2 * t2 * (v**2 - 1) + 2 * t3 * (v**3 - 1),
                2 * t1 * u + 2 * t2 * (2 * u * v) + 2 * t3 * (3 * u * v**2),
            ]
        )


class Himmelblau(Surface):
    r""":math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`, four equal minima.

    Minimum 0 at (3, 2), (-2.805118, 3.131313), (-3.779310, -3.283186) and
    (3.584428, -1.848127). Himmelblau 1972, *Applied Nonlinear Programming*.

    Examples
    --------
    >>> from descend.functions import Himmelblau
    >>> f = Himmelblau()
    >>> f.value(f.minima.T).round(12)  # the four minima, as a stack of points
    array([0., 0., 0., 0.])
    """

    name = "himmelblau"
    minima = np.array(
        [
            [3.0, 2.0],
            [-2.805118086952745, 3.131312518250573],
            [-3.779310253377747, -3.283185991286170],
            [3.584428340330492, -1.848126526964404],
        ]
    )
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = np.array([0.0, 0.0])

    def value(self, x: FloatArray) -> float | FloatArray:
        return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2

    def grad(self, x: FloatArray) -> FloatArray:
        a = x[0] ** 2 + x[1] - 11
        b = x[0] + x[1] ** 2 - 7
        return np.array([4 * x[0] * a + 2 * b, 2 * a + 4 * x[1] * b])


class Booth(Surface):
    r""":math:`f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2`, a tilted quadratic.

    Minimum 0 at (1, 3).

    Examples
    --------
    >>> from descend.functions import Booth
    >>> Booth()([1.0, 3.0])
    (0.0, array([0., 0.]))
    """

    name = "booth"
    minima = np.array([[1.0, 3.0]])
    domain = ((-10.0, 10.0), (-10.0, 10.0))
    start = np.array([-8.0, -8.0])

    def value(self, x: FloatArray) -> float | FloatArray:
        return (x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2

    def grad(self, x: FloatArray) -> FloatArray:
        a = x[0] + 2 * x[1] - 7
        b = 2 * x[0] + x[1] - 5
        return np.array([2 * a + 4 * b, 4 * a + 2 * b])


# The surfaces of descend.choices.FUNCTION_NAMES.
_NAMED = {cls.name: cls for cls in (Bowl, Rosenbrock, Beale, Himmelblau, Booth)}


def get_function(name: str) -> Surface:
    """A named 2-D test surface: one of :data:`FUNCTION_NAMES`.

    Parameters
    ----------
    name : str
        The surface's name, any case.

    Returns
    -------
    Surface
        A new instance, with its default parameters.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from descend.functions import get_function
    >>> get_function("Rosenbrock")
    Rosenbrock(a=1.0, b=100.0)
    """
    key = str(name).strip().lower()
    if key not in _NAMED:
        raise ValueError(f"Unknown function {name!r}; valid names are: {', '.join(FUNCTION_NAMES)}")
    return _NAMED[key]()
