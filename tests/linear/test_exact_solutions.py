"""Converged full-batch fits are the exact solutions of their objectives."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from descend import GDClassifier, GDRegressor


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 300
    X = rng.standard_normal((n, 6)) * [1, 5, 0.2, 3, 1, 10] + [0, 3, -1, 0, 2, 5]
    w = np.array([1.0, -0.5, 2.0, 0.0, 0.0, 0.3])
    y = X @ w + 2 + rng.standard_normal(n)
    labels = (X @ w + rng.standard_normal(n) > np.median(X @ w)).astype(int)
    three = np.digitize(X @ w + rng.standard_normal(n), np.quantile(X @ w, [0.33, 0.66]))
    return StandardScaler().fit_transform(X), X, y, labels, three


def converged(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning would fail the test
        return estimator.set_params(max_iter=20_000, tol=1e-8).fit(X, y)  # the gradient at 1e-8 of its start


@pytest.mark.parametrize("raw", [False, True], ids=["standardized", "raw"])
@pytest.mark.parametrize(
    "penalty,alpha,l1_ratio,reference",
    [
        ("elasticnet", 0.1, 0.5, lambda: ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-14, max_iter=10**6)),
        ("l1", 0.1, 1.0, lambda: Lasso(alpha=0.1, tol=1e-14, max_iter=10**6)),
        ("l1", 0.02, 1.0, lambda: Lasso(alpha=0.02, tol=1e-14, max_iter=10**6)),
        # Ridge's objective is |y - Xw|^2 + alpha' |w|^2: alpha' = n * alpha.
        ("l2", 0.1, 0.0, lambda: Ridge(alpha=0.1 * 300, tol=1e-14)),
    ],
)
def test_regression_equals_sklearn(data, raw, penalty, alpha, l1_ratio, reference):
    Xs, Xraw, y, _, _ = data
    X = Xraw if raw else Xs
    ours = converged(GDRegressor(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio), X, y)
    theirs = reference().fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    assert ours.intercept_[0] == pytest.approx(theirs.intercept_, abs=1e-5)
    np.testing.assert_array_equal(ours.coef_ == 0.0, theirs.coef_ == 0.0)
    if penalty == "l1":
        assert np.any(ours.coef_ == 0.0)


@pytest.mark.parametrize("standardize", [True, False])
def test_logistic_regression_equals_sklearn_without_penalty(data, standardize):
    X, _, _, labels, _ = data
    ours = GDClassifier(penalty=None, max_iter=5000, tol=None, standardize=standardize).fit(X, labels)
    theirs = LogisticRegression(C=np.inf, tol=1e-14, max_iter=100_000).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


def test_multinomial_equals_sklearn(data):
    X, _, _, _, three = data
    ours = GDClassifier(penalty="l2", alpha=0.01, max_iter=20_000, tol=None).fit(X, three)
    # LogisticRegression's objective is sum(loss) + |W|^2 / (2C): C = 1 / (n * alpha).
    theirs = LogisticRegression(C=1 / (300 * 0.01), tol=1e-14, max_iter=100_000).fit(X, three)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(
        ours.intercept_ - ours.intercept_.mean(), theirs.intercept_ - theirs.intercept_.mean(), atol=1e-5
    )
