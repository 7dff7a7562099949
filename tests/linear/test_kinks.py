"""The exact minimizer of the kinked losses' full-batch objectives (descend.linear._kinks), held against
linear programs solved by HiGHS."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.linear_model import QuantileRegressor

from descend import GDClassifier, GDRegressor
from descend._engine.problem import Data, Model
from descend.linear._kinks import _Objective, _Standardized
from descend.losses import get_loss, kinks, loss_and_derivative


def piecewise_linear_program(X, y, loss, alpha):
    """The optimum of mean loss + alpha |w|_1 for a loss linear between kinks, as a linear program:
    variables (w+, w-, b, e) with e_i >= each linear piece of row i's loss."""
    n, p = X.shape
    pieces = {
        "quantile": [(-0.9, 0.9), (0.1, -0.1)],  # (slope in the score, slope in y): 0.9 (y - p), 0.1 (p - y)
        "epsilon_insensitive": [(1.0, -1.0), (-1.0, 1.0)],  # |p - y| - epsilon, both ways
        "hinge": [(-1.0, 0.0)],
    }[loss]  # 1 - y p, with y folded into the rows below
    rows, rhs = [], []
    for i in range(n):
        x = X[i] * (y[i] if loss == "hinge" else 1.0)
        one = y[i] if loss == "hinge" else 1.0
        for a, c in pieces:  # e_i >= a (x w + b) + c y_i + offset
            row = np.zeros(2 * p + 1 + n)
            row[:p], row[p : 2 * p], row[2 * p] = a * x, -a * x, a * one
            row[2 * p + 1 + i] = -1.0
            rows.append(row)
            rhs.append(
                -(c * y[i] if loss != "hinge" else 0.0)
                - {"quantile": 0.0, "epsilon_insensitive": -0.1, "hinge": 1.0}[loss]
            )
    cost = np.concatenate([np.full(2 * p, alpha), [0.0], np.full(n, 1.0 / n)])
    bounds = [(0, None)] * (2 * p) + [(None, None)] + [(0, None)] * n
    result = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    assert result.status == 0
    return result.fun


def our_objective(model, X, y, loss, alpha, parameter):
    coef, intercept = np.ravel(model.coef_), np.ravel(model.intercept_)[0]
    code = get_loss(loss, quantile=parameter, epsilon=parameter).code
    value, _ = loss_and_derivative(X @ coef + intercept, y, code, (parameter, 0.0))
    return float(np.mean(value) + alpha * np.abs(coef).sum())


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("alpha", [0.0, 0.02])
def test_quantile_fits_are_the_linear_programs_solution(q, alpha):
    """Not only its objective (test_losses): its coefficients, to 1e-9, dense and sparse."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1500, 6))
    y = X @ np.array([1.0, -0.5, 0.0, 0.3, 2.0, 0.0]) + (1 + np.abs(X[:, 0])) * rng.standard_t(3, 1500)
    theirs = QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
    for data in (X, sp.csr_matrix(X)):
        ours = GDRegressor(loss="quantile", quantile=q, penalty="l1" if alpha else None, alpha=alpha).fit(data, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-9)
        np.testing.assert_allclose(ours.intercept_[0], theirs.intercept_, atol=1e-9)
        assert ours.history_["loss"][-1] == pytest.approx(our_objective(ours, X, y, "quantile", alpha, q), rel=1e-12)


@pytest.mark.parametrize("loss", ["epsilon_insensitive", "hinge", "quantile"])
def test_the_other_kinked_losses_reach_the_linear_programs_optimum(loss):
    """With an L1 penalty each is a linear program: the fit's objective is HiGHS's to 1e-10."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4))
    score = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3
    alpha = 0.01
    if loss == "hinge":
        y = np.where(score + 0.8 * rng.standard_normal(300) > 0, 1.0, -1.0)
        model = GDClassifier(loss="hinge", penalty="l1", alpha=alpha).fit(X, y)
    else:
        y = score + rng.standard_normal(300)
        model = GDRegressor(loss=loss, penalty="l1", alpha=alpha, epsilon=0.1, quantile=0.9).fit(X, y)
    parameter = {"epsilon_insensitive": 0.1, "quantile": 0.9, "hinge": 0.0}[loss]
    best = piecewise_linear_program(X, y, loss, alpha)
    assert our_objective(model, X, y, loss, alpha, parameter) == pytest.approx(best, rel=1e-10)


def test_a_degenerate_design_of_one_hot_columns_and_tied_counts():
    """Categorical columns and integer targets put more rows on the kinks than there are weights
    (a degenerate linear program, as the Bikeshare hours make): the fit still ends on its minimum."""
    rng = np.random.default_rng(6)
    month, hour = rng.integers(0, 4, 2000), rng.integers(0, 6, 2000)
    X = np.column_stack([(month[:, None] == np.arange(1, 4)), (hour[:, None] == np.arange(1, 6))]).astype(float)
    y = rng.poisson(np.exp(1.0 + 0.3 * month + 0.2 * hour)).astype(float)
    theirs = QuantileRegressor(quantile=0.9, alpha=0.0, solver="highs").fit(X, y)
    ours = GDRegressor(loss="quantile", quantile=0.9, penalty=None).fit(X, y)
    best = our_objective(theirs, X, y, "quantile", 0.0, 0.9)
    assert our_objective(ours, X, y, "quantile", 0.0, 0.9) == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize(
    "name, parameter",
    [
        ("quantile", 0.3),
        ("epsilon_insensitive", 0.2),
        ("epsilon_insensitive", 0.0),
        ("hinge", 0.0),
        ("perceptron", 0.0),
    ],
)
def test_kinks_are_where_the_loss_bends_with_its_slopes_either_side(name, parameter):
    loss = get_loss(name, quantile=parameter if name == "quantile" else 0.5, epsilon=parameter)
    y = np.array([-1.0, 1.0, 1.0]) if name in ("hinge", "perceptron") else np.array([-2.0, 0.5, 3.0])
    positions, left, right = kinks(y, loss.code, loss.parameter)
    for k in range(positions.shape[1]):
        h = 1e-7
        below = loss_and_derivative(positions[:, k] - h, y, loss.code, (loss.parameter, 0.0))[0]
        at = loss_and_derivative(positions[:, k], y, loss.code, (loss.parameter, 0.0))[0]
        above = loss_and_derivative(positions[:, k] + h, y, loss.code, (loss.parameter, 0.0))[0]
        np.testing.assert_allclose((at - below) / h, left[:, k], atol=1e-6)
        np.testing.assert_allclose((above - at) / h, right[:, k], atol=1e-6)
        assert np.all(left[:, k] < right[:, k])  # a kink: the slope jumps up


def test_line_minimum_is_the_exact_minimum_along_the_line():
    """Along any line the objective is convex and piecewise quadratic: the t found is below every
    point of a fine grid, and not beaten by its neighbours."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 3))
    y = X @ np.array([1.0, 0.0, -1.0]) + rng.standard_normal(200)
    rows = _Standardized(Data(X, y, np.empty(0)), np.arange(200), Model(np.zeros(4), None, None, 1, True), 3)
    output = _Objective(
        rows, y, np.ones(200), get_loss("quantile", quantile=0.7), True, np.full(3, 0.05), np.full(3, 0.02)
    )
    w, b = rng.standard_normal(3), 0.5
    dw, db = -w + 0.3 * rng.standard_normal(3), -0.4
    t, stopped = output.line_minimum(w, b, dw, db)
    along = [output.objective(w + s * dw, b + s * db) for s in np.linspace(0, 1, 2001)]
    best = output.objective(w + t * dw, b + t * db)
    assert 0 < t < 1 and not stopped.any()
    assert best <= min(along) + 1e-12
    assert best <= output.objective(w + (t - 1e-6) * dw, b + (t - 1e-6) * db)
    assert best <= output.objective(w + (t + 1e-6) * dw, b + (t + 1e-6) * db)


def test_one_vs_rest_hinge_with_a_class_no_line_separates():
    """The middle of three classes ordered along a line: its best hinge fit is the degenerate w = 0,
    with most rows on the kink at once. Each output reaches its linear program's optimum (L1 penalty),
    where before the fit ran out of epochs."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((300, 4))
    classes = np.digitize(X @ np.array([1.0, -1.0, 0.5, 0.0]) + rng.standard_normal(300), [-0.5, 0.5])
    alpha = 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        model = GDClassifier(loss="hinge", penalty="l1", alpha=alpha).fit(X, classes)
    for k in range(3):
        signs = np.where(classes == k, 1.0, -1.0)
        scores = X @ model.coef_[k] + model.intercept_[k]
        ours = np.mean(np.maximum(0.0, 1.0 - signs * scores)) + alpha * np.abs(model.coef_[k]).sum()
        assert ours == pytest.approx(piecewise_linear_program(X, signs, "hinge", alpha), rel=1e-10)
