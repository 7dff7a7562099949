"""Lipschitz constants, safe learning rates and optimal momentum."""

import numpy as np
import pytest

from descend import DivergenceError, minimize
from descend.curvature import (
    extreme_eigenvalues,
    hessian_vector_product,
    least_squares_lipschitz,
    lipschitz_constant,
    optimal_momentum,
    power_iteration,
    safe_learning_rate,
)
from descend.functions import Quadratic, Rosenbrock
from descend.optimizers import SGD


def random_quadratic(d=8, low=0.5, high=40.0, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    A = q @ np.diag(np.linspace(low, high, d)) @ q.T
    return Quadratic(0.5 * (A + A.T), rng.standard_normal(d))


def test_power_iteration_finds_the_largest_eigenvalue():
    f = random_quadratic()
    assert power_iteration(lambda v: f.A @ v, 8) == pytest.approx(40.0, rel=1e-9)
    assert lipschitz_constant(f, np.zeros(8)) == pytest.approx(40.0, rel=1e-9)


def test_least_squares_lipschitz_is_the_top_eigenvalue_of_xtx_over_n():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 12)) * np.linspace(0.1, 5, 12)
    expected = np.linalg.eigvalsh(X.T @ X / 500)[-1]
    assert least_squares_lipschitz(X) == pytest.approx(expected, rel=1e-9)


def test_finite_difference_hvp_matches_the_exact_hessian():
    f = Rosenbrock()
    x = np.array([-0.5, 1.2])
    hessian = np.array([[2 - 400 * (x[1] - 3 * x[0] ** 2), -400 * x[0]], [-400 * x[0], 200.0]])
    for v in np.eye(2):
        np.testing.assert_allclose(hessian_vector_product(f, x, v), hessian @ v, rtol=1e-6)
    assert lipschitz_constant(f, x) == pytest.approx(np.abs(np.linalg.eigvalsh(hessian)).max(), rel=1e-6)


def test_one_over_L_never_diverges_and_twice_that_does():
    f = random_quadratic()
    lr = safe_learning_rate(f, np.zeros(8))
    rng = np.random.default_rng(2)
    for _ in range(5):
        x0 = 100 * rng.standard_normal(8)
        result = minimize(f, x0, SGD(lr=lr), max_iter=20_000, tol=1e-9)
        assert result.converged
        np.testing.assert_allclose(result.x, f.minima[0], atol=1e-9)
        assert np.all(np.diff(result.loss_history) <= 1e-12)  # monotone descent
    with pytest.raises(DivergenceError):
        minimize(f, np.ones(8), SGD(lr=2.05 * lr), max_iter=20_000)


def test_extreme_eigenvalues_small_and_large_dimensions():
    f = random_quadratic(d=6, low=0.01, high=100.0)
    mu, L = extreme_eigenvalues(lambda v: f.A @ v, 6)
    assert (mu, L) == pytest.approx((0.01, 100.0), rel=1e-9)
    rng = np.random.default_rng(3)
    B = rng.standard_normal((600, 600))
    M = B @ B.T / 600 + 0.01 * np.eye(600)
    exact = np.linalg.eigvalsh(M)
    mu, L = extreme_eigenvalues(lambda v: M @ v, 600)  # Lanczos path
    assert mu == pytest.approx(exact[0], rel=1e-6) and L == pytest.approx(exact[-1], rel=1e-9)


def test_optimal_momentum_formula():
    lr, momentum = optimal_momentum(1.0, 100.0)
    assert lr == pytest.approx((2 / 11) ** 2) and momentum == pytest.approx((9 / 11) ** 2)
    with pytest.raises(ValueError, match="0 < mu <= L"):
        optimal_momentum(0.0, 1.0)
