"""L1 / L2 / elastic net: values, proximal steps, and exact solutions."""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso

from descend import minimize
from descend.curvature import least_squares_lipschitz
from descend.optimizers import SGD
from descend.penalties import L1, L2, ElasticNet, get_penalty, soft_threshold


def least_squares_problem(seed=0, n=200, p=10):
    """Sparse truth, correlated features: 0.5 * mean((Xw - y)^2), sklearn's lasso loss."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) @ (np.eye(p) + 0.3 * rng.standard_normal((p, p)))
    w_true = np.zeros(p)
    w_true[:4] = [3.0, -2.0, 1.5, 0.5]
    y = X @ w_true + 0.5 * rng.standard_normal(n)

    def fun(w):
        residual = X @ w - y
        return 0.5 * np.mean(residual**2), X.T @ residual / n

    return X, y, fun


def test_values_follow_sklearn_parameterisation():
    w = np.array([1.0, -2.0, 0.0, 3.0])
    assert L1(0.5).value(w) == pytest.approx(0.5 * 6.0)
    assert L2(0.5).value(w) == pytest.approx(0.5 * 0.5 * 14.0)
    net = ElasticNet(alpha=0.5, l1_ratio=0.3)
    assert net.value(w) == pytest.approx(0.5 * (0.3 * 6.0 + 0.5 * 0.7 * 14.0))
    np.testing.assert_allclose(net.smooth_grad(w), 0.5 * 0.7 * w)


def test_soft_threshold_is_the_proximal_operator_of_the_l1_norm():
    w = np.array([2.0, -0.3, 0.1, -5.0, 0.0])
    np.testing.assert_array_equal(soft_threshold(w, 0.5), [1.5, 0.0, 0.0, -4.5, 0.0])
    assert not np.any(np.signbit(soft_threshold(w, 0.5)[1:3]))  # +0.0, not -0.0
    # prox_t(v) = argmin_u t|u| + 0.5 (u - v)^2, checked by brute force on a grid.
    grid = np.linspace(-6, 6, 120_001)
    for v in w:
        brute = grid[np.argmin(0.5 * np.abs(grid) + 0.5 * (grid - v) ** 2)]
        assert soft_threshold(np.array([v]), 0.5)[0] == pytest.approx(brute, abs=1e-4)


def test_lasso_by_proximal_gradient_equals_sklearn_exactly():
    X, y, fun = least_squares_problem()
    alpha = 0.2
    lr = 1.0 / least_squares_lipschitz(X)
    result = minimize(fun, np.zeros(X.shape[1]), SGD(lr=lr), penalty=L1(alpha), max_iter=100_000, tol=1e-10)
    assert result.converged
    reference = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
    np.testing.assert_allclose(result.x, reference, atol=1e-6)
    # The same coefficients exactly zero, and some are.
    np.testing.assert_array_equal(result.x == 0.0, reference == 0.0)
    assert 2 <= np.sum(result.x == 0.0) < X.shape[1]


def test_elastic_net_equals_sklearn():
    X, y, fun = least_squares_problem(seed=1)
    penalty = ElasticNet(alpha=0.3, l1_ratio=0.6)
    lr = 1.0 / (least_squares_lipschitz(X) + penalty.l2)
    result = minimize(fun, np.zeros(X.shape[1]), SGD(lr=lr), penalty=penalty, max_iter=100_000, tol=1e-10)
    reference = SkElasticNet(alpha=0.3, l1_ratio=0.6, fit_intercept=False, tol=1e-14, max_iter=1_000_000)
    reference = reference.fit(X, y).coef_
    np.testing.assert_allclose(result.x, reference, atol=1e-6)
    np.testing.assert_array_equal(result.x == 0.0, reference == 0.0)
    assert np.any(result.x == 0.0)


def test_l2_equals_the_ridge_closed_form():
    X, y, fun = least_squares_problem(seed=2)
    alpha, n = 0.7, len(y)
    closed_form = np.linalg.solve(X.T @ X / n + alpha * np.eye(X.shape[1]), X.T @ y / n)
    result = minimize(fun, np.zeros(X.shape[1]), "adam", lr=0.05, penalty=L2(alpha), max_iter=50_000, tol=1e-10)
    np.testing.assert_allclose(result.x, closed_form, atol=1e-8)
    # The reported objective includes the penalty.
    assert result.fun == pytest.approx(fun(result.x)[0] + 0.5 * alpha * result.x @ result.x)


def test_sign_subgradient_never_reaches_zero_and_chatters_while_prox_is_exact():
    """The seed tutorial's update w -= lr * (grad + alpha * sign(w)) hops across 0.

    Once a coordinate whose lasso optimum is 0 is near 0, each step moves it
    by about lr * alpha in the direction opposite its sign: it overshoots,
    changes sign, and comes back, forever. Soft-thresholding sets it to 0.
    """
    X, y, fun = least_squares_problem()
    alpha = 0.2
    lr = 1.0 / least_squares_lipschitz(X)
    exact = minimize(fun, np.zeros(X.shape[1]), SGD(lr=lr), penalty=L1(alpha), max_iter=100_000, tol=1e-10).x
    zero = np.flatnonzero(exact == 0.0)
    assert zero.size >= 2

    w = np.zeros(X.shape[1])
    trail = []
    for _ in range(5000):
        w = w - lr * (fun(w)[1] + alpha * np.sign(w))
        trail.append(w.copy())
    trail = np.array(trail[-1000:])
    # Never exactly zero ...
    assert np.all(trail[:, zero] != 0.0)
    # ... flipping sign again and again ...
    sign_changes = np.sum(np.diff(np.sign(trail[:, zero]), axis=0) != 0, axis=0)
    assert np.all(sign_changes >= 100)
    # ... at a distance from 0 set by the step size, not shrinking.
    assert np.all(np.abs(trail[:, zero]).mean(axis=0) > 0.1 * lr * alpha)


def test_get_penalty_and_validation():
    assert get_penalty(None) is None
    assert get_penalty("l1", alpha=0.1) == L1(0.1)
    assert get_penalty("L2", alpha=0.1) == L2(0.1)
    assert get_penalty("elasticnet", alpha=0.1, l1_ratio=0.2) == ElasticNet(0.1, 0.2)
    with pytest.raises(ValueError, match="Unknown penalty 'l3'; valid names are: None, l1, l2, elasticnet"):
        get_penalty("l3")
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0, got -1"):
        L1(-1)
    with pytest.raises(ValueError, match=r"l1_ratio must lie in \[0, 1\], got 1.5"):
        ElasticNet(0.1, 1.5)
    with pytest.raises(TypeError, match="penalty must be a descend.penalties object"):
        minimize(lambda x: (float(x @ x), 2 * x), [1.0], penalty="l1")
