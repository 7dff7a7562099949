r"""Learning rates from curvature: steps that cannot diverge on a quadratic.

On :math:`f(x) = \tfrac12 x^\top A x - b^\top x` gradient descent with step
:math:`\gamma` multiplies the error along the eigenvector of eigenvalue
:math:`\lambda` by :math:`1 - \gamma\lambda`, so it converges for every
start exactly when :math:`\gamma < 2 / L` with :math:`L = \lambda_{max}`, the
gradient's Lipschitz constant; :math:`\gamma = 1/L` is the classic safe
choice. L is found by power iteration on Hessian-vector products, which
never forms the Hessian (for least squares the Hessian is
:math:`X^\top X / n`, applied as two matrix-vector products).

Heavy-ball momentum does better: with step :math:`\alpha` and momentum
:math:`\beta` tuned to the extreme eigenvalues :math:`\mu` and :math:`L`,

.. math::

    \alpha = \left(\frac{2}{\sqrt L + \sqrt\mu}\right)^2, \qquad
    \beta = \left(\frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}\right)^2,

the error shrinks by :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` per step,
:math:`\kappa = L/\mu`, against :math:`(\kappa - 1)/(\kappa + 1)` for the
best plain step (Goh 2017, *Why Momentum Really Works*, Distill; Polyak
1964). In descend's terms the heavy ball is ``SGD(lr=alpha,
momentum=beta)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._typing import ArrayLike, FloatArray, NDArray

__all__ = [
    "power_iteration",
    "hessian_vector_product",
    "lipschitz_constant",
    "least_squares_lipschitz",
    "safe_learning_rate",
    "extreme_eigenvalues",
    "optimal_momentum",
    "momentum_rate",
]


def power_iteration(
    matvec: Callable[[NDArray[np.float64]], ArrayLike],
    dim: int,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    random_state: int = 0,
) -> float:
    r"""The eigenvalue of largest magnitude of a symmetric operator ``v -> M v``.

    Power iteration with the Rayleigh quotient :math:`\lambda = v^\top M v`
    as estimate. It stops when the residual :math:`\lVert M v - \lambda
    v\rVert` falls below ``tol`` times :math:`|\lambda|`, which for a symmetric
    M guarantees an eigenvalue within that distance (a stop on a small change
    of the estimate would quit early when the eigenvalues are close). The
    Rayleigh quotient never exceeds the true value, so 1/L from an unfinished
    run errs on the large side by as little as the run was short.
    Deterministic for a given ``random_state`` (the start vector).

    Parameters
    ----------
    matvec : callable
        ``v -> M v`` for a vector of ``dim`` coordinates.
    dim : int
        The dimension, >= 1.
    max_iter : int
        Most products to take.
    tol : float
        The relative residual at which to stop.
    random_state : int
        The seed of the start vector.

    Returns
    -------
    float
        The estimate :math:`\lambda` (0 when M v is 0).

    Raises
    ------
    ValueError
        For ``dim`` < 1, or an operator that returns non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.curvature import power_iteration
    >>> A = np.diag([1.0, 4.0])
    >>> round(power_iteration(lambda v: A @ v, 2), 6)
    4.0
    """
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    v = np.random.default_rng(random_state).standard_normal(dim)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(max_iter):
        w = np.asarray(matvec(v), dtype=float)
        estimate = float(v @ w)
        norm = np.linalg.norm(w)
        if not math.isfinite(norm):
            raise ValueError("the operator returned non-finite values during power iteration")
        if norm == 0.0:
            return 0.0
        if np.linalg.norm(w - estimate * v) <= tol * abs(estimate):
            break
        v = w / norm
    return estimate


def hessian_vector_product(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], x: FloatArray, v: FloatArray, *, h: float | None = None
) -> FloatArray:
    r""":math:`\nabla^2 f(x) v`, exactly when ``fun`` has an ``hvp`` method,
    else by a central difference of gradients,
    :math:`(\nabla f(x + h v) - \nabla f(x - h v)) / 2h`.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``, or an object with ``hvp(x, v)``.
    x : ndarray
        The point.
    v : ndarray
        The vector.
    h : float, optional
        The difference's step; by default :math:`10^{-5} \max(1, \lVert x\rVert) / \lVert v\rVert`.

    Returns
    -------
    ndarray
        :math:`\nabla^2 f(x) v`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.curvature import hessian_vector_product
    >>> from descend.functions import Rosenbrock
    >>> hessian_vector_product(Rosenbrock(), np.array([1.0, 1.0]), np.array([1.0, 0.0])).round(3)
    array([ 802., -400.])
    """
    if hasattr(fun, "hvp"):
        return fun.hvp(x, v)
    x = np.asarray(x, dtype=float)
    if h is None:
        h = 1e-5 * max(1.0, float(np.linalg.norm(x))) / max(float(np.linalg.norm(v)), 1e-300)
    return (fun(x + h * v)[1] - fun(x - h * v)[1]) / (2.0 * h)


def lipschitz_constant(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], x: ArrayLike, **power_options: Any
) -> float:
    """Estimate the gradient's Lipschitz constant near ``x``: the largest
    absolute eigenvalue of the Hessian there (everywhere, for a quadratic).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)`` (an ``hvp`` method is used when present).
    x : array-like, 1-D
        The point.
    **power_options
        ``max_iter``, ``tol``, ``random_state`` of :func:`power_iteration`.

    Returns
    -------
    float
        L, by power iteration on :func:`hessian_vector_product`.

    Examples
    --------
    >>> from descend.curvature import lipschitz_constant
    >>> from descend.functions import Bowl
    >>> lipschitz_constant(Bowl(), [0.0, 0.0])  # x^2 + 2 y^2: curvatures 2 and 4
    4.0
    """
    x = np.asarray(x, dtype=float)
    return abs(power_iteration(lambda v: hessian_vector_product(fun, x, v), x.size, **power_options))


def least_squares_lipschitz(X: ArrayLike, **power_options: Any) -> float:
    r"""L of :math:`\tfrac1{2n}\lVert Xw - y\rVert^2`: the largest eigenvalue of :math:`X^\top X / n`.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The design matrix; :math:`X^\top X` is applied as two products, never formed.
    **power_options
        ``max_iter``, ``tol``, ``random_state`` of :func:`power_iteration`.

    Returns
    -------
    float
        L.

    Raises
    ------
    ValueError
        When X is empty or not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.curvature import least_squares_lipschitz
    >>> least_squares_lipschitz(np.array([[1.0, 0.0], [0.0, 2.0]]))  # X'X / 2 = diag(0.5, 2)
    2.0
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    n = X.shape[0]
    return power_iteration(lambda v: X.T @ (X @ v) / n, X.shape[1], **power_options)


def safe_learning_rate(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], x: ArrayLike, **power_options: Any
) -> float:
    """:math:`1/L` at ``x``: on a quadratic, a step that cannot diverge.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``.
    x : array-like, 1-D
        The point.
    **power_options
        ``max_iter``, ``tol``, ``random_state`` of :func:`power_iteration`.

    Returns
    -------
    float
        1 / :func:`lipschitz_constant`.

    Raises
    ------
    ValueError
        Where the Hessian is zero.

    Examples
    --------
    >>> from descend import minimize
    >>> from descend.curvature import safe_learning_rate
    >>> from descend.functions import Bowl
    >>> lr = safe_learning_rate(Bowl(), [1.0, 1.0])
    >>> round(lr, 6)
    0.25
    >>> minimize(Bowl(), [1.0, 1.0], "sgd", lr=lr).converged
    True
    """
    L = lipschitz_constant(fun, x, **power_options)
    if L <= 0:
        raise ValueError("the Hessian is zero here: every learning rate is safe, none is determined")
    return 1.0 / L


def extreme_eigenvalues(matvec: Callable[[NDArray[np.float64]], ArrayLike], dim: int) -> tuple[float, float]:
    r"""(smallest, largest) eigenvalue of a symmetric operator ``v -> M v``.

    Power iteration suits the largest eigenvalue but not the smallest: the
    shifted operator :math:`L I - M` separates its top eigenvalues by only
    :math:`(\lambda_2 - \mu) / (L - \mu)`, a crawl when the condition number is
    large. So: up to 500 dimensions M is assembled from ``dim`` products and
    solved exactly (``numpy.linalg.eigvalsh``); above, Lanczos iteration
    (``scipy.sparse.linalg.eigsh``) finds both ends.

    Parameters
    ----------
    matvec : callable
        ``v -> M v``.
    dim : int
        The dimension, >= 1.

    Returns
    -------
    smallest, largest : float
        The extreme eigenvalues :math:`\mu` and L.

    Raises
    ------
    ValueError
        For ``dim`` < 1.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.curvature import extreme_eigenvalues
    >>> A = np.diag([1.0, 4.0])
    >>> extreme_eigenvalues(lambda v: A @ v, 2)
    (1.0, 4.0)
    """
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    if dim <= 500:
        M = np.column_stack([matvec(e) for e in np.eye(dim)])
        eigenvalues = np.linalg.eigvalsh(0.5 * (M + M.T))
        return float(eigenvalues[0]), float(eigenvalues[-1])
    from scipy.sparse.linalg import LinearOperator, eigsh

    operator = LinearOperator((dim, dim), matvec=matvec, dtype=float)
    v0 = np.random.default_rng(0).standard_normal(dim)
    smallest = eigsh(operator, k=1, which="SA", v0=v0, return_eigenvectors=False)[0]
    largest = eigsh(operator, k=1, which="LA", v0=v0, return_eigenvectors=False)[0]
    return float(smallest), float(largest)


def optimal_momentum(mu: float, L: float) -> tuple[float, float]:
    r"""Heavy-ball (lr, momentum) that is fastest on a quadratic with
    eigenvalues in [mu, L] (Goh 2017).

    .. math::

        \alpha = \left(\frac{2}{\sqrt L + \sqrt\mu}\right)^2, \qquad
        \beta = \left(\frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}\right)^2

    Parameters
    ----------
    mu : float
        The smallest eigenvalue :math:`\mu` > 0.
    L : float
        The largest, :math:`L \ge \mu`, finite.

    Returns
    -------
    lr, momentum : float
        :math:`\alpha` and :math:`\beta`: ``SGD(lr=lr, momentum=momentum)``.

    Raises
    ------
    ValueError
        Unless :math:`0 < \mu \le L`.

    Examples
    --------
    >>> from descend.curvature import optimal_momentum
    >>> optimal_momentum(1.0, 4.0)  # (2/3)^2 and (1/3)^2
    (0.4444444444444444, 0.1111111111111111)
    """
    if not (0 < mu <= L) or not math.isfinite(L):
        raise ValueError(f"need 0 < mu <= L, got mu={mu}, L={L}")
    root_mu, root_L = math.sqrt(mu), math.sqrt(L)
    lr = (2.0 / (root_L + root_mu)) ** 2
    momentum = ((root_L - root_mu) / (root_L + root_mu)) ** 2
    return lr, momentum


def momentum_rate(mu: float, L: float) -> float:
    r"""The heavy ball's convergence rate at its optimal parameters:
    :math:`(\sqrt\kappa - 1) / (\sqrt\kappa + 1)`.

    Parameters
    ----------
    mu : float
        The smallest eigenvalue, > 0.
    L : float
        The largest, >= mu.

    Returns
    -------
    float
        The factor by which the error shrinks per step, :math:`\kappa = L / \mu`.

    Raises
    ------
    ValueError
        Unless :math:`0 < \mu \le L`.

    Examples
    --------
    >>> from descend.curvature import momentum_rate
    >>> round(momentum_rate(1.0, 100.0), 4)  # plain descent's best is 99/101 = 0.9802
    0.8182
    """
    if not (0 < mu <= L):
        raise ValueError(f"need 0 < mu <= L, got mu={mu}, L={L}")
    root_kappa = math.sqrt(L / mu)
    return (root_kappa - 1.0) / (root_kappa + 1.0)
