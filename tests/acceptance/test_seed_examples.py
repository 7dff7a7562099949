"""The seed tutorial's examples, run through the estimators.

The tutorial's classes (GradientDescent, MiniBatchGradientDescent,
MomentumGradientDescent, AdaptiveGradientDescent,
GradientDescentWithEarlyStopping, GradientDescentWithScheduler,
RegularizedGradientDescent, StochasticGradientDescent) are settings of the
two estimators now; its examples are rebuilt here from their description:
synthetic housing data with 1000 samples, a stream of batches from a fixed
true model for online learning, and early stopping on 1000 x 3.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from descend import GDRegressor


def synthetic_housing(n=1000, seed=42):
    """Size, bedrooms, age -> price in $1000s, from known weights plus noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(50, 300, n), rng.integers(1, 6, n), rng.uniform(0, 50, n)])
    weights, bias = np.array([1.5, 10.0, -0.8]), 50.0
    return X, X @ weights + bias + rng.normal(0, 10, n), weights, bias


@pytest.mark.parametrize(
    "settings,recovers",
    [
        (dict(), True),  # GradientDescent (full batch)
        (dict(batch_size=32, random_state=0), False),  # MiniBatchGradientDescent
        (dict(batch_size=32, schedule="invscaling", random_state=0), True),  # GradientDescentWithScheduler
        (dict(optimizer="momentum", batch_size=32, random_state=0), False),  # MomentumGradientDescent
        (dict(optimizer="adagrad", learning_rate=2.0, batch_size=32, random_state=0), True),  # AdaptiveGradientDescent
        (dict(optimizer="adam", learning_rate=0.05, batch_size=32, random_state=0), True),
        (dict(optimizer="sgd", batch_size=1, schedule="invscaling", random_state=0), True),  # StochasticGradientDescent
    ],
)
def test_housing_recovers_the_true_price_model(settings, recovers):
    X, y, weights, bias = synthetic_housing()
    best = LinearRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GDRegressor(penalty=None, max_iter=300, tol=1e-6, **settings).fit(X, y)
    assert model.score(X, y) > best.score(X, y) - 0.005
    losses = np.array(model.history_["loss"])
    # The loss history falls to the noise floor (the best loss, 0.5 * its MSE), as the seed plots it.
    best_loss = 0.5 * np.mean((best.predict(X) - y) ** 2)
    assert losses[-1] < losses[0] and losses[-1] < (1.05 if recovers else 1.2) * best_loss
    if recovers:
        np.testing.assert_allclose(model.coef_, weights, rtol=0.06, atol=0.1)
        # The intercept extrapolates to x = 0, far from the data (sizes 50 to 300): judged against the
        # exact least-squares fit, not the true bias, which the noise alone moves by about 1.
        assert model.intercept_[0] == pytest.approx(best.intercept_, abs=2.0)
        assert best.intercept_ == pytest.approx(bias, abs=2.0)
    else:
        # A constant step on noisy batches keeps jittering around the optimum (and
        # the noisy epoch losses trip the tol rule early): close, not exact.
        np.testing.assert_allclose(model.coef_, weights, rtol=0.35)


def test_regularized_fit_shrinks_towards_zero():
    X, y, _, _ = synthetic_housing()
    X = np.column_stack([X, np.random.default_rng(1).standard_normal(len(y))])  # a feature with no signal
    plain = GDRegressor(penalty=None, max_iter=500, tol=1e-8).fit(X, y)
    ridge = GDRegressor(penalty="l2", alpha=1.0, max_iter=500, tol=1e-8).fit(X, y)
    lasso = GDRegressor(penalty="l1", alpha=1.0, max_iter=500, tol=1e-8).fit(X, y)
    assert np.linalg.norm(ridge.coef_) < np.linalg.norm(plain.coef_)
    assert plain.coef_[3] != 0.0 and lasso.coef_[3] == 0.0  # the proximal step gives an exact zero
    assert np.all(lasso.coef_[:3] != 0.0)


def streaming_batches(n_batches=200, batch=50, seed=0):
    """The seed's StreamingDataSimulator: batches drawn from one fixed true model."""
    rng = np.random.default_rng(seed)
    weights, bias = np.array([2.0, -3.0, 0.5, 1.0]), 0.7
    for _ in range(n_batches):
        X = rng.standard_normal((batch, 4))
        yield X, X @ weights + bias + 0.1 * rng.standard_normal(batch)


def test_streaming_partial_fit_converges_to_the_true_model():
    model = GDRegressor(optimizer="adam", learning_rate=0.05, batch_size=10, penalty=None, random_state=0)
    errors = []
    for X, y in streaming_batches():
        model.partial_fit(X, y)
        errors.append(np.abs(model.coef_ - [2.0, -3.0, 0.5, 1.0]).max())
    assert errors[-1] < 0.05 and errors[-1] < errors[0] / 10
    assert model.intercept_[0] == pytest.approx(0.7, abs=0.05)
    assert model.n_iter_ == 200 and len(model.history_["loss"]) == 200


def test_early_stopping_on_1000_by_3():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.5 * rng.standard_normal(1000)
    model = GDRegressor(
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        tol=1e-4,
        max_iter=1000,
        random_state=0,
    ).fit(X, y)
    assert 5 < model.n_iter_ < 100  # stopped long before max_iter
    assert model.best_iteration_ <= model.n_iter_ - 5
    np.testing.assert_allclose(model.coef_, [1.0, 2.0, -1.0], atol=0.1)
